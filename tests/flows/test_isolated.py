"""Flows loaded in a separate process: the same flows and file:line problems as a load here,
and a file over the time or memory limit stopped and reported at that file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FLOWS_DIR
from voicebot.exceptions import FlowError
from voicebot.flows.isolated import FlowLoader, load_flows_apart
from voicebot.flows.loader import load_flows
from voicebot.tools.hostile_flows import GOOD_FLOW
from voicebot.tools.robustness import big_valid_flow

SMALL = GOOD_FLOW.format(name="small")


def running(pid: int) -> bool:
    """Whether the process exists (an exited child the loader waited for does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_example_flows_load_apart_as_they_load_here() -> None:
    loaded = load_flows_apart(FLOWS_DIR)
    assert loaded.problems == []
    assert loaded.flows == load_flows(FLOWS_DIR)
    assert loaded.stats.pid != os.getpid()
    assert sorted(loaded.stats.file_secs) == sorted(
        str(p) for p in [*FLOWS_DIR.glob("*.yaml"), *FLOWS_DIR.glob("*.yml")]
    )
    assert not running(loaded.stats.pid)


def test_problems_are_the_loaders_own_file_line_errors(tmp_path: Path) -> None:
    shutil.copy(FLOWS_DIR / "acme_support.yaml", tmp_path)
    shutil.copytree(FLOWS_DIR / "shared", tmp_path / "shared")
    shutil.copytree(FLOWS_DIR / "knowledge", tmp_path / "knowledge")
    path = tmp_path / "acme_support.yaml"
    path.write_text(path.read_text().replace("    next: collect_pin\n", "    next: [unclosed\n"))
    with pytest.raises(FlowError) as here:
        load_flows(tmp_path)
    loaded = load_flows_apart(tmp_path)
    assert loaded.flows is None
    assert loaded.problems == here.value.problems
    assert loaded.problems[0].startswith(f"{path}:")


def test_a_file_over_the_time_limit_is_stopped_and_named(tmp_path: Path) -> None:
    (tmp_path / "a_big.yaml").write_text(big_valid_flow())  # loaded first (sorted)
    (tmp_path / "small.yaml").write_text(SMALL)
    # Parsing 0.9 MB of YAML alone takes far longer than 5 ms.
    loaded = load_flows_apart(tmp_path, secs=0.005)
    assert loaded.flows is None
    assert loaded.problems == [
        f"{tmp_path / 'a_big.yaml'}:1:1: load_limit: loading took longer than 0.005 s; stopped"
    ]
    assert not running(loaded.stats.pid)  # killed, not left to finish


def test_a_file_over_the_memory_limit_is_stopped_and_named(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(big_valid_flow())  # needs ~17 MB to load
    loaded = load_flows_apart(tmp_path, memory_mb=6)
    assert loaded.flows is None
    assert loaded.problems == [
        f"{tmp_path / 'big.yaml'}:1:1: load_limit: needed more than 6 MB of memory; stopped"
    ]
    assert sorted(load_flows_apart(tmp_path).flows or {}) == ["big"]  # under the default limit


def test_the_loader_uses_a_fresh_process_per_load_and_leaves_none_behind(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL)
    loader = FlowLoader()
    try:
        loader.start()
        first = loader.load(tmp_path)
        second = loader.load(tmp_path)
    finally:
        loader.close()
    assert sorted(first.flows or {}) == sorted(second.flows or {}) == ["small"]
    assert len({first.stats.pid, second.stats.pid, os.getpid()}) == 3
    assert loader._next is None
    assert not running(first.stats.pid) and not running(second.stats.pid)
