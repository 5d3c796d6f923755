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


SCHEMA = json.loads((ROOT / "tests" / "data" / "teams-app-manifest-1.17.schema.json").read_text())


def test_the_manifest_is_valid_for_teams_and_its_pages_are_served(tmp_path: Path) -> None:
    import jsonschema

    from bot.teams.package import manifest

    written = manifest(APP_ID, "cx.example.com")
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(written))
    assert not errors, jsonschema.exceptions.best_match(errors)
    developer = written["developer"]
    assert isinstance(developer, dict)
    assert developer["privacyUrl"] == "https://cx.example.com/privacy"
    assert developer["termsOfUseUrl"] == "https://cx.example.com/terms"
    commands = {c["title"]: c["description"] for c in written["bots"][0]["commandLists"][0]["commands"]}  # type: ignore[index]
    assert "leaders and admins" in commands["digest"]


async def test_the_privacy_and_terms_pages_are_served(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot import server
    from bot.app import create_app
    from bot.settings import Settings

    app = create_app(Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cx.db'}"))
    async with TestClient(TestServer(server.build(app, run_scheduler=False))) as client:
        for page in ("/privacy", "/terms"):
            response = await client.get(page)
            assert response.status == 200 and "cxbot" in await response.text()


def test_the_host_is_a_host(tmp_path: Path) -> None:
    from bot.teams.package import host_name

    assert host_name("https://cx.example.com/") == "cx.example.com"
    assert host_name("CX.Example.com:8443") == "cx.example.com:8443"
    for bad in ("https://cx.example.com/path", "cx example.com", "localhost", "https://"):
        try:
            host_name(bad)
        except ValueError as error:
            assert "is not a host name" in str(error)
        else:
            raise AssertionError(bad)
    result = subprocess.run(check=False, args=[sys.executable, "-m", "bot.cli", "teams-package", "--app-id", APP_ID,
                                               "--host", "https://cx.example.com", "--out", str(tmp_path / "a.zip")],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        written = archive.read("manifest.json").decode()
    assert "https://https://" not in written and '"validDomains": [\n    "cx.example.com"\n  ]' in written
