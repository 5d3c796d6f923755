"""The Teams app package: a manifest that matches the door, and icons of the sizes Teams demands."""
from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[3]
APP_ID = "0b6c2a5e-1234-4cde-9abc-00112233aabb"


def size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_teams_package_builds(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = subprocess.run(check=False, args=[sys.executable, "-m", "bot.cli", "teams-package", "--app-id", APP_ID,
                                               "--host",
                             "cx.example.com", "--out", str(out)], capture_output=True, text=True, timeout=60,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert size(archive.read("color.png")) == (192, 192)
        assert size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    commands = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    assert {"log", "mine", "show", "digest", "help"} <= set(commands)
    [extension] = manifest["composeExtensions"][0]["commands"]
    assert (extension["type"], extension["context"], extension["fetchTask"]) == ("action", ["message"], True)
    assert manifest["validDomains"] == ["cx.example.com"]


def test_teams_package_needs_an_app_id(tmp_path: Path) -> None:
    result = subprocess.run(check=False, args=[sys.executable, "-m", "bot.cli", "teams-package", "--app-id", "nope",
                                               "--out",
                             str(tmp_path / "x.zip")], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode != 0 and "is not a Microsoft app id" in result.stderr
