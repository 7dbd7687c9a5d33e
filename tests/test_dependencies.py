"""Every third-party package voicebot imports is declared in pyproject.toml (not just pulled in
by another dependency, which may drop it in any release)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0]).lower()


def test_every_imported_package_is_declared() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    imported: dict[str, Path] = {}
    for path in sorted((REPO / "voicebot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                imported.setdefault(name.partition(".")[0], path)
    distributions = packages_distributions()
    undeclared = {
        f"{module} ({path.relative_to(REPO)}; pip name {dists})"
        for module, path in imported.items()
        if module not in sys.stdlib_module_names and module != "voicebot"
        for dists in [distributions.get(module, [module])]
        if not {_name(d) for d in dists} & declared
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"
