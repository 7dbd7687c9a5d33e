"""The architecture's rules as tests, so CI fails when one breaks (docs/architecture.md):
imports go one way (the import-linter contracts in pyproject.toml), no two packages import
each other (function-level imports count), no module passes 500 lines, no class 300."""

from __future__ import annotations

import ast
import graphlib
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "voicebot"
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300
# Classes past the limit for now, each with its reason and the size it may not grow past.
LONG_CLASSES_FOR_NOW: dict[str, int] = {}


def home(module: str) -> str:
    """The subpackage `module` belongs to (`voicebot.dialogue.slots.dates` ->
    `voicebot.dialogue`); a module straight under the root is its own (`voicebot.settings`)."""
    return ".".join(module.split(".")[:2])


def package_cycle(edges: Iterable[tuple[str, str]]) -> list[str]:
    """A circle of packages importing each other round it, first one repeated at the end
    (empty if there is none)."""
    graph: dict[str, set[str]] = {}
    for importer, imported in edges:
        if importer != imported:
            graph.setdefault(importer, set()).add(imported)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as circle:
        return list(circle.args[1])
    return []


def package_imports(package: str = "voicebot") -> set[tuple[str, str]]:
    """(importer's subpackage, imported subpackage) for every import in `package`,
    function-level ones included, `TYPE_CHECKING` ones not (they never run)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if package not in (module, imported):
                edges.add((home(module), home(imported)))
    return edges


def long_modules(root: Path, limit: int) -> dict[str, int]:
    """Modules under `root` longer than `limit` lines, with their length."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[str(path.relative_to(root))] = lines
    return found


def long_classes(root: Path, limit: int) -> dict[str, int]:
    """Classes under `root` longer than `limit` lines (decorators to last line), by name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = node.end_lineno - first + 1
                if lines > limit:
                    found[f"{path.relative_to(root)}:{node.name}"] = lines
    return found


# -- the rules, on voicebot ------------------------------------------------------------------


def test_imports_keep_the_layer_contracts() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_two_subpackages_import_each_other() -> None:
    assert package_cycle(package_imports()) == []


def test_no_module_passes_500_lines() -> None:
    assert long_modules(PACKAGE, MAX_MODULE_LINES) == {}


def test_no_class_passes_300_lines() -> None:
    too_long = long_classes(PACKAGE, MAX_CLASS_LINES)
    grown = {
        name: lines
        for name, lines in too_long.items()
        if lines > LONG_CLASSES_FOR_NOW.get(name, MAX_CLASS_LINES)
    }
    assert grown == {}


# -- the checks can fail ---------------------------------------------------------------------


def test_a_wrong_way_import_breaks_the_layer_contract(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "voicebot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    words = tmp_path / "voicebot" / "language" / "words.py"
    words.write_text(words.read_text() + "\nfrom voicebot.dialogue.engine import DialogueEngine\n")

    linted = subprocess.run(
        [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports())"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert linted.returncode == 1, linted.stdout + linted.stderr
    assert "voicebot.language is not allowed to import voicebot.dialogue" in linted.stdout
    assert "voicebot.language.words -> voicebot.dialogue.engine" in linted.stdout


def test_a_circle_of_packages_is_found() -> None:
    edges = [
        ("voicebot.dialogue", "voicebot.speech"),
        ("voicebot.speech", "voicebot.pipeline"),
        ("voicebot.pipeline", "voicebot.dialogue"),
        ("voicebot.flows", "voicebot.language"),
        ("voicebot.flows", "voicebot.flows"),
    ]
    circle = package_cycle(edges)
    assert circle[0] == circle[-1]
    assert sorted(circle[1:]) == ["voicebot.dialogue", "voicebot.pipeline", "voicebot.speech"]
    assert package_cycle(edges[3:]) == []


def test_function_level_imports_count_and_modules_belong_to_their_package(
    tmp_path: Path,
) -> None:
    (tmp_path / "pkg" / "low" / "deep").mkdir(parents=True)
    (tmp_path / "pkg" / "high").mkdir()
    for init in ("pkg", "pkg/low", "pkg/low/deep", "pkg/high"):
        (tmp_path / init / "__init__.py").write_text("")
    (tmp_path / "pkg" / "high" / "top.py").write_text("import pkg.low.deep.base\n")
    (tmp_path / "pkg" / "low" / "deep" / "base.py").write_text(
        "def later() -> None:\n    import pkg.high.top\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        edges = package_imports("pkg")
    finally:
        sys.path.remove(str(tmp_path))

    assert edges == {("pkg.high", "pkg.low"), ("pkg.low", "pkg.high")}
    assert sorted(package_cycle(edges)[1:]) == ["pkg.high", "pkg.low"]


def test_long_modules_and_classes_are_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(301))
    (tmp_path / "big.py").write_text(f"@decorated\nclass Big:\n{body}\n\n" + "\n" * 200)
    (tmp_path / "small.py").write_text("class Small:\n    pass\n")

    assert long_modules(tmp_path, MAX_MODULE_LINES) == {"big.py": 504}
    assert long_classes(tmp_path, MAX_CLASS_LINES) == {"big.py:Big": 303}
