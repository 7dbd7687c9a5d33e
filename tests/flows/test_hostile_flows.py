"""Hostile flow YAML (alias bombs, deep nesting, fanned-out includes, tags, cycles, escapes) is
refused with file:line and a stable code, never a traceback or a hang."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flow, load_flows
from voicebot.tools.hostile_flows import write_hostile_flows

WHERE = re.compile(r"^(?P<file>/[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): (?P<code>\w+): ")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return write_hostile_flows(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize(
    "name",
    [
        "alias_bomb", "many_aliases", "nested_1000_flow", "nested_30000_flow",
        "nested_1000_block", "nested_1000_mappings", "many_values", "fanned_out_includes",
        "include_cycle", "include_self", "include_escape", "include_absolute", "python_tag",
        "custom_tag", "oversized", "long_scalar", "not_utf8", "binary",
    ],
)  # fmt: skip
def test_each_hostile_flow_is_refused_with_file_line_and_code(
    hostile: dict[str, tuple[Path, str]], name: str
) -> None:
    path, code = hostile[name]
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    first = WHERE.match(caught.value.problems[0])
    assert first is not None, caught.value.problems[0]
    assert first["code"] == code
    assert Path(first["file"]).is_relative_to(path.parent)


def test_the_alias_bomb_points_at_the_list_that_explodes(
    hostile: dict[str, tuple[Path, str]],
) -> None:
    path, _ = hostile["alias_bomb"]
    assert len(path.read_bytes()) < 400
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert caught.value.problems == [
        f"{path}:6:4: yaml_too_complex: aliases expand to more than 100000 values"
    ]


def test_nesting_1000_deep_is_one_error_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("flow: x\nnodes:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 1000)))
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert caught.value.problems == [
        f"{path}:65:64: yaml_too_complex: nested more than 64 levels deep"
    ]


def test_fanned_out_includes_stop_at_the_include_bound(
    hostile: dict[str, tuple[Path, str]],
) -> None:
    path, _ = hostile["fanned_out_includes"]
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path.parent / 'shared' / 'fan3.yaml'}:1:")
    assert problem.endswith("yaml_too_complex: more than 64 includes")


def test_includes_share_one_byte_budget(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "big.yaml").write_text("[" + ", ".join(["x" * 100] * 3000) + "]\n")
    path = tmp_path / "f.yaml"
    path.write_text("flow: f\nintents: [" + ", ".join(["!include shared/big.yaml"] * 4) + "]\n")
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    assert caught.value.problems == [
        f"{tmp_path / 'shared' / 'big.yaml'}:1:1: yaml_too_complex: with its includes the "
        "flow reads more than 1000000 bytes"
    ]


def test_a_folder_of_hostile_flows_reports_each_file(
    hostile: dict[str, tuple[Path, str]],
) -> None:
    with pytest.raises(FlowError) as caught:
        load_flows(next(iter(hostile.values()))[0].parent)
    named = {Path(m["file"]).stem for p in caught.value.problems if (m := WHERE.match(p))}
    assert set(hostile) - {"include_cycle", "fanned_out_includes"} <= named
