"""Load flow YAML and report every problem as `file.yaml:LINE:COL: code: message`.

Reading the YAML safely is `yaml_reader`; this module validates what it read against the flow
models and places every finding at the admin's line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from voicebot.exceptions import FlowError
from voicebot.flows import flow as flow_module
from voicebot.flows import slot_types, webhooks
from voicebot.flows.checks import check_flow
from voicebot.flows.flow import Flow
from voicebot.flows.parts import Dropped, validate_parts
from voicebot.flows.problems import FlowProblem
from voicebot.flows.slot_types import SLOT_TYPES
from voicebot.flows.yaml_reader import FlowYamlLoader, format_at, read_yaml

__all__ = ["FlowYamlLoader", "load_flow", "load_flow_tree", "load_flows", "place"]

OUT_OF_MEMORY = "load_limit: ran out of memory while loading"
"""The problem of a file whose load exhausted memory (a limited loading process's, see
`isolated.py`): the file is placed at 1:1, nothing of it having been checked."""


def load_flow(path: str | Path) -> Flow:
    """Parse and check one flow file; raises FlowError listing every problem found."""
    return load_flow_tree(path)[0]


def load_flow_tree(path: str | Path) -> tuple[Flow, yaml.Node]:
    """`load_flow`, plus the YAML node tree to place later findings (lint) at file:line."""
    found = inspect_flow(path)
    if found.problems or found.flow is None or found.root is None:
        raise FlowError(found.problems)
    return found.flow, found.root


@dataclass(frozen=True)
class Inspection:
    """A flow file checked part by part (see `parts.py`)."""

    flow: Flow | None
    """Every part that validated (None when the YAML did not parse or too little fitted)."""
    root: yaml.Node | None
    problems: list[str]
    """Every load problem, `file:line:col: code: message`, in file order."""
    dropped: Dropped
    """The parts left out of `flow`; lint on it must ignore what `dropped.explains`."""


def inspect_flow(path: str | Path) -> Inspection:
    """Every load problem of `path` at once: YAML, types, references, each part on its own."""
    path = Path(path)
    try:
        root, data, problems = read_yaml(path)
    except FlowError as exc:
        return Inspection(None, None, exc.problems, Dropped())
    flow, errors, dropped = validate_parts(data)
    problems += [_pydantic_problem(path, root, err) for err in errors]
    if flow is not None:
        problems += [
            format_at(
                path, _locate(root, p.path, p.at_key), f"{p.code}: {_dotted(p.path)}: {p.message}"
            )
            for p in check_flow(flow)
            if not dropped.explains(p)
        ]
    return Inspection(flow, root, sorted(problems, key=lambda t: _position(path, t)), dropped)


def place(path: Path, root: yaml.Node, problem: FlowProblem) -> tuple[int, int]:
    """Line and column (1-based) in `path` of a problem found on the loaded flow."""
    mark = _locate(root, problem.path, problem.at_key).start_mark
    return mark.line + 1, mark.column + 1


def load_flows(
    directory: str | Path, on_file: Callable[[Path], None] | None = None
) -> dict[str, Flow]:
    """Every `*.yaml`/`*.yml` flow in `directory` by flow name; problems of all files at once.
    `on_file` is told of each file as its load begins."""
    directory = Path(directory)
    flows: dict[str, Flow] = {}
    sources: dict[str, Path] = {}
    problems: list[str] = []
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in files:
        if on_file is not None:
            on_file(path)
        try:
            loaded = load_flow(path)
        except FlowError as exc:
            problems += exc.problems
            continue
        except MemoryError:
            problems.append(f"{path}:1:1: {OUT_OF_MEMORY}")
            continue
        except Exception as exc:  # a bug of ours, not the admin's: still name the file
            problems.append(f"{path}:1:1: load_failed: {type(exc).__name__} while loading")
            continue
        if loaded.flow in flows:
            problems.append(
                f"{path}:1:1: duplicate_flow: flow '{loaded.flow}' is also defined in "
                f"{sources[loaded.flow]}"
            )
            continue
        flows[loaded.flow] = loaded
        sources[loaded.flow] = path
    if problems:
        raise FlowError(problems)
    return flows


# ---------------------------------------------------------------------------------------------
# Positions


def _locate(root: yaml.Node, path: tuple[str | int, ...], at_key: bool = False) -> yaml.Node:
    """The YAML node at `path`. A key absent from the YAML (a missing field) points at the key
    that owns the mapping; so does a whole mapping or list, whose own mark is less readable."""
    node: yaml.Node = root
    owner_key: yaml.Node | None = None
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                return owner_key or node
            if last and at_key:
                key: yaml.Node = found[0]
                return key
            owner_key, node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return owner_key or node
            owner_key, node = None, node.value[part]
    if isinstance(node, yaml.CollectionNode) and owner_key is not None:
        return owner_key
    return node


_WHERE = re.compile(r"^(.*?):(\d+):(\d+): ")


def _position(path: Path, problem: str) -> tuple[bool, str, int, int]:
    """Sort key: the flow file's own problems first, then included files', by position."""
    match = _WHERE.match(problem)
    if match is None:
        return True, problem, 0, 0
    where = match.group(1)
    return where != str(path), where, int(match.group(2)), int(match.group(3))


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top)"


# ---------------------------------------------------------------------------------------------
# Pydantic errors in the admin's words


def _pydantic_problem(path: Path, root: yaml.Node, err: Any) -> str:
    code: str = err["type"]
    raw: tuple[str | int, ...] = err["loc"]
    # Drop what pydantic adds that is not in the YAML: the slot union's tag and dict-key markers.
    loc = tuple(
        p
        for i, p in enumerate(raw)
        if p != "[key]" and not (i == 2 and raw[0] == "slots" and p in SLOT_TYPES)
    )
    at_key = code == "extra_forbidden" or "[key]" in raw
    node = _locate(root, loc, at_key=at_key)
    message = str(err["msg"]).removeprefix("Value error, ")
    if code == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'" + _suggest(str(loc[-1]))
    elif code == "missing":
        message = f"missing required key '{loc[-1]}'"
    elif code.startswith("union_tag"):
        message = f"`type` must be one of: {', '.join(SLOT_TYPES)}"
    elif not isinstance(err.get("input"), dict | list):
        message += f" (got {_short(err.get('input'))})"
    return format_at(path, node, f"{code}: {_dotted(loc)}: {message}")


def _known_keys() -> list[str]:
    models = [
        m
        for module in (flow_module, slot_types, webhooks)
        for m in vars(module).values()
        if isinstance(m, type) and issubclass(m, BaseModel)
    ]
    return sorted({f.alias or name for m in models for name, f in m.model_fields.items()})


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, _known_keys(), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
