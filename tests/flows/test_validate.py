"""`voicebot flows validate` and `flows schema`: every problem, placed at file:line:col."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import FLOWS_DIR
from voicebot.app.cli import app
from voicebot.flows.schema import flow_schema_json
from voicebot.flows.validate import validate_paths

LINTED = """\
flow: linted
queues:
  general: {}
intents:
  billing: {examples: ["billing", "my bill"]}
  payments: {examples: ["pay", "my bill"]}
  brand: {examples: ["zorblax support"]}
slots:
  account: {type: digits, length: 8, dtmf: false}
nodes:
  greet:
    say: "Billing, payments or brand?"
    on: {billing: ask_account, payments: ask_account, brand: loop_a}
  ask_account:
    collect: account
    prompt: "Your account number?"
    next: done
  loop_a:
    say: "A"
    on: {billing: loop_b}
    on_max_retries: loop_b
  loop_b:
    say: "B"
    on: {billing: loop_a}
    on_max_retries: loop_a
  orphan:
    say: "Nobody comes here."
    hangup: true
  done:
    say: "Bye."
    hangup: true
"""


NO_WAY_OUT = (
    "no path from node '{}' reaches a transfer or hangup node, and every retry limit on the way "
    "leads back in; callers can only leave by asking for an agent or saying goodbye"
)


def test_shipped_flows_are_clean() -> None:
    assert validate_paths([FLOWS_DIR]) == []


def test_every_lint_rule_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "linted.yaml"
    path.write_text(LINTED)
    assert [str(d).removeprefix(f"{path}:") for d in validate_paths([path])] == [
        "6:32: error duplicate_example 'my bill' is also an example of intent 'billing' "
        "in menu node 'greet'",
        "7:22: error unknown_word the recogniser cannot hear 'zorblax' (not in its "
        "pronunciation dictionary); rephrase 'zorblax support'",
        "9:44: warning keypad_missing numeric slot 'account' cannot be keyed in: callers the "
        "recogniser mishears have no way through (set dtmf: true)",
        f"18:3: warning no_way_out {NO_WAY_OUT.format('loop_a')}",
        "21:21: error retry_loop past its retry limit node 'loop_a' leads back to nodes that ask "
        "again (loop_a, loop_b) and never to a person: a caller the bot cannot understand is "
        "asked for ever",
        f"22:3: warning no_way_out {NO_WAY_OUT.format('loop_b')}",
        "25:21: error retry_loop past its retry limit node 'loop_b' leads back to nodes that ask "
        "again (loop_a, loop_b) and never to a person: a caller the bot cannot understand is "
        "asked for ever",
        "26:3: warning unreachable_node no path from the start node 'greet' leads to node 'orphan'",
    ]


def test_cli_exit_code_follows_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("flow: broken\nnodes:\n  greet: {sya: hello}\n")
    runner = CliRunner()
    clean = runner.invoke(app, ["flows", "validate", str(FLOWS_DIR)])
    failing = runner.invoke(app, ["flows", "validate", str(broken), str(tmp_path / "nope.yaml")])
    assert clean.exit_code == 0
    assert failing.exit_code == 1
    assert f"{broken}:3:11: error extra_forbidden" in failing.output
    assert f"{tmp_path / 'nope.yaml'}:1:1: error not_found no such file" in failing.output
    assert "Traceback" not in failing.output


def test_committed_schema_is_current() -> None:
    committed = (FLOWS_DIR / "flow.schema.json").read_text(encoding="utf-8")
    assert committed == flow_schema_json(), "run `voicebot flows schema` and commit the result"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False
    assert "description" in schema["$defs"]["Node"]["properties"]["say"]


MANY_MISTAKES = """\
flow: many
langauge: en-US
slots:
  pin: {type: digits, length: four}
  account: {type: digits, length: 8, dtmf: true}
intents:
  billing: {examples: ["billing"]}
nodes:
  greet:
    say: "Billing?"
    on: {billing: ask_pin, sales: ask_account}
  ask_pin:
    collect: pin
    prompt: "Your PIN?"
    next: nowhere
  ask_account:
    collect: account
    promt: "Account?"
    next: done
  done:
    say: "Bye {acount}."
    hangup: true
"""


def test_independent_problems_are_all_reported_in_one_run(tmp_path: Path) -> None:
    # A type error, an unknown key in one node and references elsewhere: each part is checked
    # on its own, and a part left out (the broken slot, the broken node) is not reported again
    # as an unknown reference.
    path = tmp_path / "many.yaml"
    path.write_text(MANY_MISTAKES)
    got = [f"{d.line}:{d.col} {d.code}" for d in validate_paths([path])]
    assert got == [
        "2:1 extra_forbidden",
        "4:31 int_parsing",
        "11:28 unknown_intent",
        "15:11 unknown_node",
        "18:5 extra_forbidden",
        "21:10 unknown_slot",
    ]


def test_lint_still_runs_beside_load_errors(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(
        "flow: both\nslots:\n  pin: {type: digits, length: 4, dtmf: false}\n"
        "nodes:\n  ask: {collect: pin, prompt: 'PIN?', next: nowhere}\n"
    )
    codes = [d.code for d in validate_paths([path])]
    assert codes == ["unknown_node", "keypad_missing"]


RETRIES = """\
flow: retries
intents:
  billing: {examples: ["billing"]}
  other: {examples: ["something else"]}
nodes:
  menu:
    say: "Billing or something else?"
    on: {billing: menu, other: menu}
  ask:
    say: "Say billing."
    on: {billing: ask}
    on_max_retries: sorry
  sorry:
    say: "Sorry, let's try again."
    next: ask
  ask_twice:
    say: "Say billing."
    on: {billing: ask_twice}
    on_max_retries: maybe_person
  maybe_person:
    if: [{when: "intent == 'billing'", goto: ask_twice}]
    next: person
  person:
    say: "A person will help you."
    transfer: general
"""


def test_retry_limits_count_as_a_way_out_unless_they_loop_back(tmp_path: Path) -> None:
    # `menu` leads nowhere but itself, yet past two failed turns the engine transfers the caller:
    # that is a way out. `ask` sends its failures round through `sorry` back to itself for ever;
    # `ask_twice` may send them to a person.
    path = tmp_path / "retries.yaml"
    path.write_text(RETRIES)
    found = [(d.code, d.line) for d in validate_paths([path]) if d.code != "unreachable_node"]
    assert found == [("no_way_out", 9), ("retry_loop", 12), ("no_way_out", 13)]


def test_reprompts_past_the_retry_limit_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "reprompts.yaml"
    path.write_text(
        "flow: reprompts\nintents: {yes_please: {examples: [yes please]}}\nnodes:\n"
        "  menu:\n    say: Yes please?\n    on: {yes_please: menu}\n"
        "    reprompts: ['Sorry?', 'Sorry again?']\n"
    )
    assert [str(d).removeprefix(f"{path}:") for d in validate_paths([path])] == [
        "7:27: warning unheard_reprompt with max_retries 2 the caller hears at most 1 of these "
        "2 reprompts (failed turn 2 goes to a person): raise max_retries or drop the rest"
    ]
