"""`cxbot teams-package`: the Teams app zip (manifest, commands, the message extension, icons)."""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from handlers.parse import help_lines

HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COMMANDS = ["log", "mine", "show", "digest", "dashboard", "help", "queue", "overdue", "stats", "departments"]


def png(size: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """A small RGBA PNG drawn by a function of (x, y): no imaging library needed."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def colour_icon() -> bytes:
    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        ring = 60 <= ((x - 96) ** 2 + (y - 96) ** 2) ** 0.5 <= 76
        return (255, 255, 255, 255) if ring else (44, 62, 80, 255)
    return png(192, pixel)


def outline_icon() -> bytes:
    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        ring = 10 <= ((x - 16) ** 2 + (y - 16) ** 2) ** 0.5 <= 13
        return (255, 255, 255, 255) if ring else (0, 0, 0, 0)
    return png(32, pixel)


def manifest(app_id: str, host: str | None = None, version: str = "1.0.0") -> dict[str, object]:
    described = {usage.split()[0]: what for usage, what in help_lines()}  # "(leaders and admins)" says who
    commands = [{"title": name, "description": described.get(name, name)[:128]} for name in COMMANDS]
    return {
        "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json",
        "manifestVersion": "1.17", "version": version, "id": app_id,
        "developer": {"name": "cxbot", "websiteUrl": f"https://{host or 'example.com'}",
                      "privacyUrl": f"https://{host or 'example.com'}/privacy",
                      "termsOfUseUrl": f"https://{host or 'example.com'}/terms"},
        "name": {"short": "CX Accountability", "full": "CX Accountability: no customer pain point lost"},
        "description": {"short": "Log customer pain points; make sure each has an owner and closes the loop.",
                        "full": "Anyone logs a customer pain point in seconds. It lands with a named department "
                                "owner who acknowledges, reassigns, snoozes, resolves or declines it; owners are "
                                "nudged until they act; leaders get a weekly accountability digest; and the "
                                "reporter hears what was done."},
        "icons": {"color": "color.png", "outline": "outline.png"}, "accentColor": "#2C3E50",
        "bots": [{"botId": app_id, "scopes": ["personal", "team", "groupChat"], "supportsFiles": False,
                  "isNotificationOnly": False,
                  "commandLists": [{"scopes": ["personal", "team", "groupChat"], "commands": commands}]}],
        "composeExtensions": [{"botId": app_id, "commands": [{
            "id": "logPainPoint", "type": "action", "title": "Log as customer pain point",
            "description": "Log this message as a customer pain point", "context": ["message"],
            "fetchTask": True}]}],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if host else [],
    }


def host_name(value: str | None) -> str | None:
    """The bot's public host name: a scheme or a trailing slash given by mistake is removed; anything that is not
    a host name (a path, spaces, no dot) is refused, never written as "https://https://..."."""
    if not value:
        return None
    host = re.sub(r"^https?://", "", value.strip(), flags=re.IGNORECASE).rstrip("/").lower()
    if not HOST.match(host):
        raise ValueError(f"{value!r} is not a host name like cx.example.com (no path, no spaces)")
    return host


def build(app_id: str, target: Path, host: str | None = None) -> Path:
    if not GUID.match(app_id or ""):
        raise ValueError(f"{app_id!r} is not a Microsoft app id (a GUID); set MICROSOFT_APP_ID or pass --app-id")
    host = host_name(host)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id, host), indent=2))
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    target.write_bytes(buffer.getvalue())
    return target
