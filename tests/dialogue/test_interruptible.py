"""`interruptible: false` marks the node's own words, not those of the nodes it leads to."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from voicebot.dialogue.actions import CallStarted, DtmfDigit, Say, Utterance
from voicebot.dialogue.engine import DialogueEngine
from voicebot.exceptions import FlowError
from voicebot.flows.loader import load_flow

FLOW = """\
flow: recorded_line
start: notice
slots:
  account_number: {type: digits, length: 4}
nodes:
  notice:
    say: "This call is recorded."
    interruptible: false
    next: terms
  terms:
    collect: account_number
    prompt: "Please key your account number."
    interruptible: {terms}
    next: done
  done:
    say: "Goodbye."
    hangup: true
"""


def engine(tmp_path: Path, terms: str = "true") -> DialogueEngine:
    path = tmp_path / "recorded_line.yaml"
    path.write_text(FLOW.replace("{terms}", terms), encoding="utf-8")
    engine = DialogueEngine(load_flow(path), call_sid="CA1")
    return engine


def says(actions: Sequence[object]) -> list[tuple[str, bool]]:
    return [(a.text, a.interruptible) for a in actions if isinstance(a, Say)]


def test_the_notice_is_protected_and_the_question_after_it_is_not(tmp_path: Path) -> None:
    actions = engine(tmp_path).handle(CallStarted(call_sid="CA1"))
    assert says(actions) == [
        ("This call is recorded.", False),
        ("Please key your account number.", True),
    ]


def test_a_protected_question_stays_protected_when_asked_again(tmp_path: Path) -> None:
    bot = engine(tmp_path, terms="false")
    bot.handle(CallStarted(call_sid="CA1"))
    again = bot.handle(Utterance("", confidence=0.0))
    assert again and all(interruptible is False for _, interruptible in says(again))
    # Keys pressed meanwhile still fill the slot.
    for digit in "123":
        assert bot.handle(DtmfDigit(digit)) == []
    assert says(bot.handle(DtmfDigit("4")))


def test_interruptible_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="interruptible"):
        engine(tmp_path, terms="sometimes")
