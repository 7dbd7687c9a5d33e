"""Load flow YAML safely and report every problem as `file.yaml:LINE:COL: code: message`.

The YAML node tree is kept next to the parsed data so errors found later point at the admin's line.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from voicebot.exceptions import FlowError
from voicebot.flows import flow as flow_module
from voicebot.flows import slot_types, webhooks
from voicebot.flows.checks import check_flow
from voicebot.flows.flow import Flow
from voicebot.flows.problems import FlowProblem
from voicebot.flows.slot_types import SLOT_TYPES

MAX_FLOW_BYTES = 1_000_000
MAX_INCLUDE_DEPTH = 4
INCLUDE_TAG = "!include"
# A few aliases can expand into a huge document ("billion laughs"); validation walks it all.
MAX_EXPANDED_NODES = 100_000

_BOOL_TAG = "tag:yaml.org,2002:bool"


class FlowYamlLoader(yaml.SafeLoader):
    """SafeLoader (no tags that build Python objects) with YAML 1.2 booleans.

    YAML 1.1 reads `on`, `yes` and `no` as booleans, which would break `on:` menus and
    `branch: {yes: ..., no: ...}`; only true/false are booleans here.
    """


FlowYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FlowYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_flow(path: str | Path) -> Flow:
    """Parse and check one flow file; raises FlowError listing every problem found."""
    return load_flow_tree(path)[0]


def load_flow_tree(path: str | Path) -> tuple[Flow, yaml.Node]:
    """`load_flow`, plus the YAML node tree to place later findings (lint) at file:line."""
    path = Path(path)
    root, data, problems = _read_yaml(path)
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        problems += [_pydantic_problem(path, root, err) for err in exc.errors()]
        raise FlowError(problems) from None
    problems += [
        _format(path, _locate(root, p.path, p.at_key), f"{p.code}: {_dotted(p.path)}: {p.message}")
        for p in check_flow(flow)
    ]
    if problems:
        raise FlowError(sorted(problems, key=lambda text: _position(path, text)))
    return flow, root


def place(path: Path, root: yaml.Node, problem: FlowProblem) -> tuple[int, int]:
    """Line and column (1-based) in `path` of a problem found on the loaded flow."""
    mark = _locate(root, problem.path, problem.at_key).start_mark
    return mark.line + 1, mark.column + 1


def load_flows(directory: str | Path) -> dict[str, Flow]:
    """Every `*.yaml`/`*.yml` flow in `directory` by flow name; problems of all files at once."""
    directory = Path(directory)
    flows: dict[str, Flow] = {}
    sources: dict[str, Path] = {}
    problems: list[str] = []
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in files:
        try:
            loaded = load_flow(path)
        except FlowError as exc:
            problems += exc.problems
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
# Reading YAML


def _read_yaml(path: Path) -> tuple[yaml.Node, Any, list[str]]:
    """The node tree, the plain data and problems that do not stop validation (duplicates)."""
    loader = FlowYamlLoader("")
    try:
        root = _compose(path, path.parent, ())
        problems = _tree_problems(path, root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise FlowError([_yaml_problem(path, exc)]) from None
    except yaml.YAMLError as exc:
        raise FlowError([f"{path}:1:1: yaml_syntax: {exc}"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise FlowError([_format(path, root, "not_a_mapping: a flow file is a mapping of keys")])
    return root, data, problems


def _compose(path: Path, top: Path, including: tuple[Path, ...]) -> yaml.Node:
    """The YAML node tree of `path`, with every `!include other.yaml` replaced by that file's
    tree (whose marks keep naming the included file, so errors point at its lines)."""
    text = _read_text(path)
    loader = FlowYamlLoader(text)
    loader.name = str(path)  # marks (and so error positions) name this file
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:
        raise FlowError([f"{path}:1:1: empty_flow: the file has no YAML document"])
    _resolve_includes(root, path, top, (*including, path.resolve()))
    return root


def _resolve_includes(node: yaml.Node, path: Path, top: Path, including: tuple[Path, ...]) -> None:
    children: list[tuple[list[Any], int, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        children = [(node.value, i, pair[1]) for i, pair in enumerate(node.value)]
    elif isinstance(node, yaml.SequenceNode):
        children = [(node.value, i, item) for i, item in enumerate(node.value)]
    for owner, index, child in children:
        if child.tag != INCLUDE_TAG:
            _resolve_includes(child, path, top, including)
            continue
        included = _include_target(child, path, top, including)
        tree = _compose(included, top, including)
        if isinstance(node, yaml.MappingNode):
            owner[index] = (owner[index][0], tree)
        else:
            owner[index] = tree


def _include_target(node: yaml.Node, path: Path, top: Path, including: tuple[Path, ...]) -> Path:
    def fail(message: str) -> FlowError:
        return FlowError([_format(path, node, f"bad_include: {message}")])

    if not isinstance(node, yaml.ScalarNode) or not node.value:
        raise fail("`!include` takes a file name, e.g. `!include shared/intents.yaml`")
    target = (path.parent / node.value).resolve()
    if not target.is_relative_to(top.resolve()):
        raise fail(f"'{node.value}' is outside the flows folder {top}; includes must stay in it")
    if target in including:
        raise fail(f"'{node.value}' includes itself (through {including[-1].name})")
    if len(including) > MAX_INCLUDE_DEPTH:
        raise fail(f"includes are nested more than {MAX_INCLUDE_DEPTH} deep")
    if not target.is_file():
        raise fail(f"'{node.value}' does not exist")
    return target


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FLOW_BYTES:
            raise FlowError(
                [
                    f"{path}:1:1: file_too_large: {size} bytes; flow files are limited to "
                    f"{MAX_FLOW_BYTES} bytes"
                ]
            )
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise FlowError([f"{path}:1:1: unreadable: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise FlowError([f"{path}:1:1: not_utf8: {exc.reason} at byte {exc.start}"]) from exc


def _yaml_problem(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's own position; where the trouble started (an open quote) is added if elsewhere."""
    mark = exc.problem_mark or exc.context_mark
    path = Path(mark.name) if mark is not None and _is_file_name(mark.name) else path
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    # SafeLoader refuses tags that would build Python objects; say so plainly.
    unsafe = isinstance(exc, yaml.constructor.ConstructorError)
    code = "unsupported_tag" if unsafe else "yaml_syntax"
    message = exc.problem or "invalid YAML"
    start = exc.context_mark
    if exc.context and start is not None and (start.line + 1, start.column + 1) != (line, col):
        message = f"{message} ({exc.context} at {start.line + 1}:{start.column + 1})"
    elif exc.context:
        message = f"{message} ({exc.context})"
    return f"{path}:{line}:{col}: {code}: {message}"


def _tree_problems(path: Path, root: yaml.Node) -> list[str]:
    """Duplicate keys (PyYAML keeps the last silently) and alias bombs, before constructing."""
    problems: list[str] = []
    sizes: dict[int, int] = {}

    def walk(node: yaml.Node) -> int:
        if id(node) in sizes:  # an alias: count its expansion without walking it again
            return sizes[id(node)]
        sizes[id(node)] = 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        problems.append(
                            _format(path, key, f"duplicate_key: '{key.value}' appears twice here")
                        )
                    seen.add(key.value)
                total += walk(key) + walk(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(walk(item) for item in node.value)
        sizes[id(node)] = total
        return total

    if walk(root) > MAX_EXPANDED_NODES:
        raise FlowError(
            [
                _format(
                    path,
                    root,
                    f"too_large: aliases expand to more than {MAX_EXPANDED_NODES} values",
                )
            ]
        )
    return problems


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


def _format(path: Path, node: yaml.Node, message: str) -> str:
    """`file:line:col: message`; the file is the one the node came from (an include's)."""
    mark = node.start_mark
    where = mark.name if _is_file_name(mark.name) else str(path)
    return f"{where}:{mark.line + 1}:{mark.column + 1}: {message}"


def _is_file_name(name: str) -> bool:
    return bool(name) and not name.startswith("<")


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
    return _format(path, node, f"{code}: {_dotted(loc)}: {message}")


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
