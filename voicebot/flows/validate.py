"""`voicebot flows validate`: every problem in a set of flow files, as file:line:col lines.

Load errors (YAML, schema, references) and lint (see `lint.py`) in one list, each part of a
flow checked on its own (`parts.py`), each with a severity and a stable code, so CI can fail
on errors and admins can read warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voicebot.flows.lint import lint_flow
from voicebot.flows.loader import inspect_flow, place

# What the loader's problems look like: "path:LINE:COL: code: message".
_LOADER_PROBLEM = re.compile(
    r"^(?P<path>.*):(?P<line>\d+):(?P<col>\d+): (?P<code>\w+): (?P<msg>.*)$", re.S
)


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    severity: Literal["error", "warning"]
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.code} {self.message}"


def flow_files(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """The flow files named, folders expanded to their *.yaml / *.yml files."""
    files: list[Path] = []
    missing: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Diagnostic(str(path), 1, 1, "error", "not_found", "no such file"))
    return files, missing


def validate_file(path: Path) -> list[Diagnostic]:
    """Load problems and lint findings of every part of the flow that loads, in one list."""
    found = inspect_flow(path)
    diagnostics = [_from_loader(path, problem) for problem in found.problems]
    if found.flow is not None and found.root is not None:
        diagnostics += sorted(
            Diagnostic(str(path), *place(path, found.root, p), p.severity, p.code, p.message)
            for p in lint_flow(found.flow)
            if not found.dropped.explains(p)
        )
    return diagnostics


def validate_paths(paths: Iterable[Path]) -> list[Diagnostic]:
    files, diagnostics = flow_files(paths)
    for path in files:
        diagnostics += validate_file(path)
    return diagnostics


def _from_loader(path: Path, problem: str) -> Diagnostic:
    match = _LOADER_PROBLEM.match(problem)
    if match is None:  # every loader problem has this shape; keep the text if one does not
        return Diagnostic(str(path), 1, 1, "error", "invalid_flow", problem)
    return Diagnostic(
        match["path"], int(match["line"]), int(match["col"]), "error", match["code"], match["msg"]
    )
