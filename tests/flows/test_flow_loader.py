"""Loading flow YAML: every problem reported at once as `file:line:col: code: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.exceptions import FlowError
from voicebot.flows.flow import DigitsSlot, Flow
from voicebot.flows.loader import load_flow, load_flows

MINIMAL = """\
flow: tiny
nodes:
  bye:
    say: "Goodbye."
    hangup: true
"""

SLOT_TYPES = ", ".join(
    ("digits", "yes_no", "number", "currency", "date", "time", "choice")
    + ("phone", "email", "postcode", "free_text")
)


def problems_of(tmp_path: Path, text: str, name: str = "flow.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FlowError) as caught:
        load_flow(path)
    return [p.replace(f"{path}:", "FILE:", 1) for p in caught.value.problems]


def test_example_flow_loads(acme_flow: Flow) -> None:
    assert acme_flow.flow == "acme_support"
    assert acme_flow.start_node == "greet"
    assert acme_flow.default_queue == "general"
    assert list(acme_flow.nodes["greet"].on or {}) == ["check_balance", "report_outage"]
    pin = acme_flow.slots["pin"]
    assert isinstance(pin, DigitsSlot) and pin.sensitive and pin.bounds == (4, 4)


def test_yaml_1_1_booleans_stay_words(tmp_path: Path) -> None:
    # `on:`, `yes:` and `no:` would be booleans in YAML 1.1 and break menus and branches.
    path = tmp_path / "words.yaml"
    path.write_text(
        "flow: words\nintents: {a: {examples: [a]}}\n"
        "slots: {more: {type: yes_no}}\n"
        "nodes:\n"
        "  menu: {say: hi, on: {a: ask}}\n"
        "  ask: {collect: more, prompt: 'More?', branch: {yes: menu, no: menu}}\n"
    )
    flow = load_flow(path)
    assert flow.nodes["menu"].on == {"a": "ask"}
    assert flow.nodes["ask"].branch is not None and flow.nodes["ask"].branch.no == "menu"


def test_first_node_is_the_start_without_start_key(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    assert load_flow(path).start_node == "bye"


def test_broken_syntax_points_at_yaml_position(tmp_path: Path) -> None:
    text = 'flow: x\nnodes:\n  greet:\n    say: "unterminated\n'
    assert problems_of(tmp_path, text) == [
        "FILE:5:1: yaml_syntax: found unexpected end of stream "
        "(while scanning a quoted scalar at 4:10)"
    ]


def test_bad_indentation(tmp_path: Path) -> None:
    text = "flow: x\nnodes:\n  greet:\n    say: hi\n   next: x\n"
    assert problems_of(tmp_path, text) == [
        "FILE:5:4: yaml_syntax: did not find expected key (while parsing a block mapping at 3:3)"
    ]


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    text = "flow: x\nnodes:\n  greet:\n    sya: hi\n    hangup: true\n"
    assert problems_of(tmp_path, text) == [
        "FILE:4:5: extra_forbidden: nodes.greet.sya: unknown key 'sya' (did you mean 'say'?)"
    ]


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    text = "flow: x\nnodes:\n  greet:\n    say: hi\n    hangup: true\n    max_retries: lots\n"
    assert problems_of(tmp_path, text) == [
        "FILE:6:18: int_parsing: nodes.greet.max_retries: Input should be a valid integer, "
        "unable to parse string as an integer (got 'lots')"
    ]


def test_unknown_node_reference(tmp_path: Path) -> None:
    text = "flow: x\nnodes:\n  greet:\n    say: hi\n    next: nowhere\n"
    assert problems_of(tmp_path, text) == [
        "FILE:5:11: unknown_node: nodes.greet.next: unknown node 'nowhere' (known: greet)"
    ]


def test_python_object_tag_is_refused(tmp_path: Path) -> None:
    text = "flow: x\nnodes: !!python/object/apply:os.system [echo owned]\n"
    assert problems_of(tmp_path, text) == [
        "FILE:2:8: unsupported_tag: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    ]


def test_a_10_mb_file_is_refused_unread(tmp_path: Path) -> None:
    text = MINIMAL + "# padding\n" * 1_000_000  # 10 MB
    assert len(text) > 10_000_000
    assert problems_of(tmp_path, text) == [
        f"FILE:1:1: file_too_large: {len(text)} bytes; flow files are limited to 1000000 bytes"
    ]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    problems = problems_of(tmp_path, "\n".join(lines) + "\n")
    # The innermost list whose expansion passes the bound: a4 (111,111 values), on line 5.
    assert problems == ["FILE:5:5: yaml_too_complex: aliases expand to more than 100000 values"]


def test_type_errors_reported_together(tmp_path: Path) -> None:
    text = (
        "language: en-US\n"
        "slots:\n"
        "  pin: {type: digits}\n"
        "  colour: {type: rainbow}\n"
        "  untyped: {length: 3}\n"
        "nodes: {}\n"
    )
    assert problems_of(tmp_path, text) == [
        "FILE:1:1: missing: flow: missing required key 'flow'",
        "FILE:3:3: value_error: slots.pin: a digits slot needs `length`, "
        "or both `min_length` and `max_length`",
        f"FILE:4:3: union_tag_invalid: slots.colour: `type` must be one of: {SLOT_TYPES}",
        f"FILE:5:3: union_tag_not_found: slots.untyped: `type` must be one of: {SLOT_TYPES}",
        "FILE:6:1: too_short: nodes: Dictionary should have at least 1 item after validation, "
        "not 0",
    ]


def test_semantic_problems_reported_together_in_file_order(tmp_path: Path) -> None:
    text = """\
flow: x
start: begin
queues: {billing: {}}
intents:
  a: {examples: [a]}
slots:
  pin: {type: digits, length: 4}
nodes:
  greet:
    say: hi
    on: {a: nope, b: greet}
  c:
    collect: pinn
    prompt: p
    next: greet
  d:
    collect: pin
    prompt: p
    branch: {yes: greet, no: gone}
  t:
    transfer: general
  loop1: {say: a, next: loop2}
  loop2: {say: b, next: loop1}
  dup: {say: a, say: b, hangup: true}
  mixed: {say: hi, transfer: billing, hangup: true, next: greet}
"""
    nodes = "greet, c, d, t, loop1, loop2, dup, mixed"
    assert problems_of(tmp_path, text) == [
        f"FILE:2:8: missing_start: start: start node 'begin' does not exist (nodes: {nodes})",
        f"FILE:11:13: unknown_node: nodes.greet.on.a: unknown node 'nope' (known: {nodes})",
        "FILE:11:19: unknown_intent: nodes.greet.on.b: unknown intent 'b' (known: a)",
        "FILE:13:14: unknown_slot: nodes.c.collect: unknown slot 'pinn' (known: pin)",
        "FILE:19:5: branch_needs_yes_no: nodes.d.branch: `branch` needs a yes_no slot; "
        "'pin' is digits",
        f"FILE:19:30: unknown_node: nodes.d.branch.no: unknown node 'gone' (known: {nodes})",
        "FILE:21:15: unknown_queue: nodes.t.transfer: unknown queue 'general' (known: billing)",
        "FILE:22:25: say_loop: nodes.loop1.next: say nodes loop1 -> loop2 -> loop1 loop "
        "without waiting for the caller",
        "FILE:24:17: duplicate_key: 'say' appears twice here",
        "FILE:25:3: node_kind: nodes.mixed: node 'mixed' has transfer, hangup: "
        "pick one of on/collect/answer/webhook/transfer/hangup",
        "FILE:25:53: unexpected_key: nodes.mixed.next: a transfer node does not use `next`",
    ]


def test_load_flows_reads_a_directory_and_reports_all_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL)
    (tmp_path / "b.yml").write_text(MINIMAL.replace("tiny", "other"))
    assert sorted(load_flows(tmp_path)) == ["other", "tiny"]

    (tmp_path / "c.yaml").write_text(MINIMAL)
    (tmp_path / "d.yaml").write_text("flow: [\n")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path / 'c.yaml'}:1:1: duplicate_flow: flow 'tiny' is also defined in "
        f"{tmp_path / 'a.yaml'}",
        f"{tmp_path / 'd.yaml'}:2:1: yaml_syntax: did not find expected node content "
        "(while parsing a flow node)",
    ]


def test_schema_carries_field_descriptions() -> None:
    schema = Flow.model_json_schema()
    node = schema["$defs"]["Node"]
    assert node["additionalProperties"] is False
    assert "Seconds of silence" in node["properties"]["no_input_timeout"]["description"]


def test_a_language_voicebot_cannot_speak_is_refused(tmp_path: Path) -> None:
    french = MINIMAL.replace("flow: tiny\n", "flow: tiny\nlanguage: fr-FR\n")
    assert problems_of(tmp_path, french) == [
        "FILE:2:11: value_error: language: voicebot understands and speaks English only (en, "
        "en-US, en-GB, …): its grammars, slot parsers and wording are English (got 'fr-FR')"
    ]
    british = tmp_path / "gb.yaml"
    british.write_text(MINIMAL.replace("flow: tiny\n", "flow: tiny\nlanguage: en-GB\n"))
    assert load_flow(british).language == "en-GB"
