"""Flow YAML read safely: the node tree of a flow and its `!include`s, with bounds on size,
nesting, aliases and includes that hold before any work grows with them.

Errors are `file.yaml:LINE:COL: code: message`; the node tree keeps the marks so later
findings point at the admin's line too.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from voicebot.exceptions import FlowError

MAX_FLOW_BYTES = 1_000_000
"""Largest flow file, and most bytes a flow reads with all its includes."""
MAX_INCLUDE_DEPTH = 4
MAX_INCLUDES = 64
"""Most `!include`s one flow resolves (each included file counted every time it is used)."""
INCLUDE_TAG = "!include"
# A few aliases can expand into a huge document ("billion laughs"); validation walks it all.
MAX_EXPANDED_NODES = 100_000
MAX_ALIASES = 1_000
MAX_NODES = 50_000
"""Most values (scalars, mappings, lists) in one file; the example flow has ~1,500."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists; composing and constructing recurse per level."""

_BOOL_TAG = "tag:yaml.org,2002:bool"


class YamlTooComplex(yaml.MarkedYAMLError):
    """A document nested deeper, or with more values or aliases, than a flow ever needs."""


class _Bounded(Composer):
    """PyYAML's composer counting depth, values and aliases as it goes, so a hostile file
    stops at the bound instead of at Python's recursion limit or the machine's memory."""

    _depth = 0
    _nodes = 0
    _aliases = 0

    if TYPE_CHECKING:  # given by the parser this is mixed with

        def peek_event(self) -> yaml.Event: ...

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlTooComplex(problem=f"more than {MAX_ALIASES} aliases", problem_mark=mark)
            return super().compose_node(parent, index)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlTooComplex(problem=f"more than {MAX_NODES} values", problem_mark=mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep"
                raise YamlTooComplex(problem=message, problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


if TYPE_CHECKING or not yaml.__with_libyaml__:  # every wheel voicebot installs has libyaml

    class _FlowYamlLoaderBase(_Bounded, yaml.SafeLoader):
        def __init__(self, stream: str, name: str = "<unicode string>") -> None:
            yaml.SafeLoader.__init__(self, stream)
            self.name = name

else:
    from yaml._yaml import CParser

    class _FlowYamlLoaderBase(_Bounded, CParser, SafeConstructor, Resolver):
        # libyaml's parser: linear and ~10x faster than PyYAML's, whose scanner slows
        # quadratically with flow nesting and long flow lists.
        def __init__(self, stream: str, name: str = "<unicode string>") -> None:
            source = io.StringIO(stream)
            source.name = name  # marks, and so error positions, name this file
            CParser.__init__(self, source)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


class FlowYamlLoader(_FlowYamlLoaderBase):
    """A safe loader (no tags that build Python objects) with YAML 1.2 booleans and bounds.

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


def read_yaml(path: Path) -> tuple[yaml.Node, Any, list[str]]:
    """The node tree, the plain data and problems that do not stop validation (duplicates)."""
    loader = FlowYamlLoader("")
    try:
        root = _compose(path, path.parent, (), _Budget())
        problems = _tree_problems(path, root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise FlowError([_yaml_problem(path, exc)]) from None
    except yaml.YAMLError as exc:  # the reader's errors (control characters) have no mark
        raise FlowError([f"{path}:1:1: yaml_syntax: {' '.join(str(exc).split())}"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise FlowError([format_at(path, root, "not_a_mapping: a flow file is a mapping of keys")])
    return root, data, problems


@dataclass
class _Budget:
    """What one flow may still read through its includes: the bounds hold for the whole
    tree, so fanning one file out into many includes costs no more than one large file."""

    bytes_left: int = MAX_FLOW_BYTES
    includes_left: int = MAX_INCLUDES


def _compose(path: Path, top: Path, including: tuple[Path, ...], budget: _Budget) -> yaml.Node:
    """The YAML node tree of `path`, with every `!include other.yaml` replaced by that file's
    tree (whose marks keep naming the included file, so errors point at its lines)."""
    text = _read_text(path)
    budget.bytes_left -= len(text)
    if budget.bytes_left < 0:
        raise FlowError(
            [
                f"{path}:1:1: yaml_too_complex: with its includes the flow reads more than "
                f"{MAX_FLOW_BYTES} bytes"
            ]
        )
    loader = FlowYamlLoader(text, str(path))
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:
        raise FlowError([f"{path}:1:1: empty_flow: the file has no YAML document"])
    _resolve_includes(root, path, top, (*including, path.resolve()), budget, set())
    return root


def _resolve_includes(
    node: yaml.Node,
    path: Path,
    top: Path,
    including: tuple[Path, ...],
    budget: _Budget,
    seen: set[int],
) -> None:
    if id(node) in seen:  # an alias: its node was resolved where its anchor is
        return
    seen.add(id(node))
    children: list[tuple[list[Any], int, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        children = [(node.value, i, pair[1]) for i, pair in enumerate(node.value)]
    elif isinstance(node, yaml.SequenceNode):
        children = [(node.value, i, item) for i, item in enumerate(node.value)]
    for owner, index, child in children:
        if child.tag != INCLUDE_TAG:
            _resolve_includes(child, path, top, including, budget, seen)
            continue
        included = _include_target(child, path, top, including)
        budget.includes_left -= 1
        if budget.includes_left < 0:
            raise FlowError(
                [format_at(path, child, f"yaml_too_complex: more than {MAX_INCLUDES} includes")]
            )
        tree = _compose(included, top, including, budget)
        if isinstance(node, yaml.MappingNode):
            owner[index] = (owner[index][0], tree)
        else:
            owner[index] = tree


def _include_target(node: yaml.Node, path: Path, top: Path, including: tuple[Path, ...]) -> Path:
    def fail(message: str) -> FlowError:
        return FlowError([format_at(path, node, f"bad_include: {message}")])

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
    path = Path(mark.name) if mark is not None and is_file_name(mark.name) else path
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    # SafeLoader refuses tags that would build Python objects; say so plainly.
    code = "yaml_syntax"
    if isinstance(exc, yaml.constructor.ConstructorError):
        code = "unsupported_tag"
    message = exc.problem or "invalid YAML"
    if isinstance(exc, YamlTooComplex):
        code = "yaml_too_complex"
    elif "nesting depth" in message:  # libyaml's own bound, met before ours when it reads ahead
        code, message = "yaml_too_complex", f"nested more than {MAX_DEPTH} levels deep"
        return f"{path}:{line}:{col}: {code}: {message}"
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
    culprit: list[yaml.Node] = []  # the first (innermost) node whose expansion is too big

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
                            format_at(path, key, f"duplicate_key: '{key.value}' appears twice here")
                        )
                    seen.add(key.value)
                total += walk(key) + walk(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(walk(item) for item in node.value)
        sizes[id(node)] = total
        if total > MAX_EXPANDED_NODES and not culprit:
            culprit.append(node)
        return total

    walk(root)
    if culprit:
        message = f"yaml_too_complex: aliases expand to more than {MAX_EXPANDED_NODES} values"
        raise FlowError([format_at(path, culprit[0], message)])
    return problems


def format_at(path: Path, node: yaml.Node, message: str) -> str:
    """`file:line:col: message`; the file is the one the node came from (an include's)."""
    mark = node.start_mark
    where = mark.name if is_file_name(mark.name) else str(path)
    return f"{where}:{mark.line + 1}:{mark.column + 1}: {message}"


def is_file_name(name: str) -> bool:
    return bool(name) and not name.startswith("<")
