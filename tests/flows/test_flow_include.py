"""`!include`: shared intents and slots reused across flows, never from outside the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flow

FLOW = """flow: f
intents: !include shared/intents.yaml
slots:
  <<: !include shared/slots.yaml
  local: {type: yes_no}
nodes:
  menu:
    say: "Hi"
    on: {pay: bye}
  bye: {say: "Bye", hangup: true}
"""


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "intents.yaml").write_text(
        "pay: {examples: [pay my bill]}\n", encoding="utf-8"
    )
    (tmp_path / "shared" / "slots.yaml").write_text(
        "account: {type: digits, length: 8}\n", encoding="utf-8"
    )
    (tmp_path / "f.yaml").write_text(FLOW, encoding="utf-8")
    return tmp_path


def test_included_files_fill_the_flow(flows: Path) -> None:
    flow = load_flow(flows / "f.yaml")
    assert list(flow.intents) == ["pay"]
    assert list(flow.slots) == ["account", "local"]


def test_a_mistake_in_an_included_file_names_that_file_and_line(flows: Path) -> None:
    shared = flows / "shared" / "slots.yaml"
    shared.write_text("# shared slots\naccount: {type: digits, lenght: 8}\n", encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(flows / "f.yaml")
    assert caught.value.problems == [
        f"{shared}:2:25: extra_forbidden: slots.account.lenght: unknown key 'lenght' "
        "(did you mean 'length'?)"
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../outside.yaml", "is outside the flows folder"),
        ("/etc/passwd", "is outside the flows folder"),
        ("shared/missing.yaml", "'shared/missing.yaml' does not exist"),
        ("f.yaml", "includes itself"),
    ],
)
def test_bad_includes_are_one_clear_error(flows: Path, target: str, message: str) -> None:
    (flows.parent / "outside.yaml").write_text("pay: {examples: [x]}\n", encoding="utf-8")
    (flows / "f.yaml").write_text(
        FLOW.replace("!include shared/intents.yaml", f"!include {target}"), encoding="utf-8"
    )
    with pytest.raises(FlowError) as caught:
        load_flow(flows / "f.yaml")
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith(f"{flows / 'f.yaml'}:2:10: bad_include: ") and message in problem


def test_an_include_tag_on_a_mapping_is_refused(flows: Path) -> None:
    (flows / "f.yaml").write_text(
        FLOW.replace("!include shared/intents.yaml", "!include {a: b}"), encoding="utf-8"
    )
    with pytest.raises(FlowError, match="bad_include: `!include` takes a file name"):
        load_flow(flows / "f.yaml")
