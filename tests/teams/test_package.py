"""The Teams app package (deploy/teams) and where the Bot Framework SDK may be used."""

from __future__ import annotations

import ast
import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from conversations.commands import NAMES, parse

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "deploy" / "teams"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SDK = {"botbuilder", "botframework", "msrest", "microsoft_agents"}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_the_manifest_names_one_bot_by_the_app_id_placeholder() -> None:
    m = manifest()
    assert m["manifestVersion"] == "1.17"
    [bot] = m["bots"]
    assert GUID.match(m["id"]) and bot["botId"] == m["id"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert all(v.startswith("https://") for k, v in m["developer"].items() if k.endswith("Url"))


def test_the_command_lists_are_commands_the_core_knows() -> None:
    [bot] = manifest()["bots"]
    scopes = {scope for entry in bot["commandLists"] for scope in entry["scopes"]}
    assert scopes == set(bot["scopes"])
    for entry in bot["commandLists"]:
        assert len(entry["commands"]) <= 10  # what Teams accepts per list
        for command in entry["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
            parsed = parse(command["title"])
            assert parsed is not None and parsed.name in NAMES, command["title"]
        titles = [c["title"].removeprefix("/poc ") for c in entry["commands"]]
        assert "help" in titles


def commands_in(scope: str) -> list[str]:
    [bot] = manifest()["bots"]
    [listed] = [e for e in bot["commandLists"] if e["scopes"] == [scope]]
    return [c["title"].removeprefix("/poc ") for c in listed["commands"]]


def test_each_scope_lists_the_commands_people_use_there_uncut() -> None:
    assert {"decide", "role", "subscriptions", "interview", "edit"} <= set(commands_in("personal"))
    assert {"interview", "history", "subscribe", "decide"} <= set(commands_in("team"))
    assert commands_in("groupChat") == commands_in("team")
    # Nothing that only works in a channel is offered in the personal chat.
    assert not {"subscribe", "unsubscribe", "mentions"} & set(commands_in("personal"))
    [bot] = manifest()["bots"]
    for entry in bot["commandLists"]:
        for command in entry["commands"]:
            assert not command["description"].endswith("…"), command["title"]


def test_the_package_speaks_french_too() -> None:
    m = manifest()
    info = m["localizationInfo"]
    assert info["defaultLanguageTag"] == "en-us"
    [french] = info["additionalLanguages"]
    assert french["languageTag"] == "fr-fr"
    texts = json.loads((PACKAGE / french["file"]).read_text(encoding="utf-8"))
    assert texts["name.short"] == m["name"]["short"]
    [bot] = m["bots"]
    for i, entry in enumerate(bot["commandLists"]):
        for j, _ in enumerate(entry["commands"]):
            translated = texts[f"bots[0].commandLists[{i}].commands[{j}].description"]
            assert 0 < len(translated) <= 128


def test_in_the_personal_chat_commands_are_prefixed_so_an_interview_never_takes_them_as_answers() -> (
    None
):
    [bot] = manifest()["bots"]
    [personal] = [e for e in bot["commandLists"] if e["scopes"] == ["personal"]]
    assert all(c["title"].startswith("/poc ") for c in personal["commands"])


def read_png(path: Path) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and RGBA pixels of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        chunks[kind] = chunks.get(kind, b"") + data[at + 8 : at + 8 + length]
        at += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and color in (2, 6) and interlace == 0
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        rows.append(line)
        previous = line
    pixels = [
        [
            tuple(row[x * channels : (x + 1) * channels]) + ((255,) if channels == 3 else ())
            for x in range(width)
        ]
        for row in rows
    ]
    return width, height, pixels


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    p = left + up - corner
    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
    return left if pa <= pb and pa <= pc else (up if pb <= pc else corner)


def test_the_color_icon_is_192_pixels_square() -> None:
    width, height, pixels = read_png(PACKAGE / "color.png")
    assert (width, height) == (192, 192)
    assert len({p[:3] for row in pixels for p in row}) > 2


def test_the_outline_icon_is_32_pixels_white_on_transparent() -> None:
    width, height, pixels = read_png(PACKAGE / "outline.png")
    assert (width, height) == (32, 32)
    visible = [p for row in pixels for p in row if p[3] > 0]
    assert visible and all(p[:3] == (255, 255, 255) for p in visible)
    assert pixels[0][0][3] == 0  # transparent background


# -- the SDK stays in one folder, and the tests speak HTTP -----------------------------------


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources("tests/teams"), ids=lambda p: p.name)
def test_the_teams_tests_do_not_use_the_sdk(path: Path) -> None:
    assert not imports(path) & SDK


@pytest.mark.parametrize(
    "path",
    [p for p in sources("bot", "conversations", "storage") if "teams" not in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_sdk_is_used_only_in_bot_teams(path: Path) -> None:
    assert not imports(path) & SDK


@pytest.mark.parametrize("path", sources("bot/teams"), ids=lambda p: p.name)
def test_in_bot_teams_botbuilder_is_imported_by_sdk_py_alone(path: Path) -> None:
    if path.name != "sdk.py":
        assert not imports(path) & {"botbuilder", "botframework"}


@pytest.mark.parametrize("name", ["inbound", "routing", "cards", "options", "texts"])
def test_reading_routing_and_drawing_are_pure(name: str) -> None:
    found = imports(ROOT / "bot" / "teams" / f"{name}.py")
    assert not found & (SDK | {"aiohttp", "requests", "sqlalchemy", "storage"})
    source = (ROOT / "bot" / "teams" / f"{name}.py").read_text(encoding="utf-8")
    assert "bot.teams.sdk" not in source and "bot.teams.connector" not in source
