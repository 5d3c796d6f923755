"""The house's rules about who imports whom: storage serves and imports nothing from handlers/ or bot/;
handlers import no platform SDK and nothing from bot/; no import cycle among bot/ modules (imports that
exist only for the type checker, under `if TYPE_CHECKING:`, do not count)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PLATFORMS = ("slack_bolt", "slack_sdk", "botbuilder", "aiohttp")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports at run time, at its top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                and "TYPE_CHECKING" in ast.unparse(branch.test) for node in ast.walk(branch)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(package: str) -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in (ROOT / package).rglob("*.py")}


@pytest.mark.parametrize("package,forbidden", [
    ("storage", ("handlers", "bot")),
    ("handlers", ("bot", *PLATFORMS)),
    ("messages", ("handlers", "bot", "storage")),
])
def test_layers_import_only_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = {f"{module} imports {name}" for module, names in modules(package).items() for name in names
             if name.split(".")[0] in forbidden}
    assert not wrong, sorted(wrong)


def test_no_import_cycle_among_bot_modules() -> None:
    graph = modules("bot")
    edges = {module: {name for name in names if name in graph and name != module} for module, names in graph.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, module, target]))
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])


def test_no_file_of_the_doors_is_a_god_file() -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "bot").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert not long, long
