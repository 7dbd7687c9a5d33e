"""The nodes each event takes the call through, say nodes chained through included: the
path the call record keeps for the funnel."""

from __future__ import annotations

from datetime import date

from tests.conftest import FLOWS_DIR
from voicebot.dialogue.actions import CallStarted, DtmfDigit, HangUp, WebhookResult
from voicebot.dialogue.engine import DialogueEngine
from voicebot.flows.loader import load_flow


def test_each_event_names_the_nodes_it_entered() -> None:
    engine = DialogueEngine(load_flow(FLOWS_DIR / "acme_support.yaml"), today=date(2026, 12, 1))
    engine.handle(CallStarted(call_sid="CA1", caller=None))
    assert engine.entered == ("greet",)
    engine.handle(DtmfDigit("1"))  # check my balance
    assert engine.entered == ("collect_account",)
    for digit in "2345358":
        engine.handle(DtmfDigit(digit))
        assert engine.entered == ()  # mid-way through the number
    engine.handle(DtmfDigit("3"))
    assert engine.entered == ()  # read back in the same node
    engine.handle(DtmfDigit("1"))  # yes
    assert engine.entered == ("collect_pin",)
    for digit in "9071":
        engine.handle(DtmfDigit(digit))
    assert engine.entered == ("lookup_balance",)
    engine.handle(WebhookResult(ok=True, data={"balance": "42.10", "due_date": "2026-12-20"}))
    assert engine.entered == ("read_balance", "ask_anything_else")
    engine.handle(HangUp("caller_hung_up"))
    assert engine.entered == ()
