"""One record read as what the call did."""

from __future__ import annotations

from typing import Any

from tests.analytics.records import known_calls
from voicebot.analytics import digest
from voicebot.analytics.calls import loss_kind
from voicebot.storage.calls import CallStore


def by_sid(store: CallStore) -> dict[str, Any]:
    return {r["call_sid"]: digest(r) for r in store.list_calls()}


def test_each_call_gets_its_outcome_path_and_where_it_was_lost(store: CallStore) -> None:
    known_calls(store)
    calls = by_sid(store)
    assert calls["CA01"].outcome == "contained"
    assert calls["CA01"].path == (
        "greet", "collect_account", "collect_pin", "lookup_balance", "read_balance",
        "ask_anything_else", "goodbye",
    )  # fmt: skip
    assert calls["CA07"].outcome == "transferred"
    assert (calls["CA07"].transfer_reason, calls["CA07"].requested_queue) == (
        "flow_transfer",
        "billing",
    )
    assert calls["CA07"].transfer_queue == "general"  # routing's choice
    assert calls["CA07"].lost_at == "collect_pin"  # the handoff names where the caller was
    assert (calls["CA08"].outcome, calls["CA08"].lost_at) == ("hung_up", "collect_account")
    assert calls["CA09"].outcome == "live"
    assert calls["CA01"].flow_version == "v1"


def test_a_key_in_the_middle_of_a_number_is_not_a_turn(store: CallStore) -> None:
    known_calls(store)
    turns = by_sid(store)["CA01"].turns
    assert [t.digit for t in turns if t.kind == "caller_keyed"] == ["3", "1", "****", "2"]
    assert all(t.latency_ms == 420 for t in turns)


def test_without_node_events_the_path_comes_from_the_caller_turns(store: CallStore) -> None:
    store.start_call("CA1", "MZ1", "acme_support", None)
    store.add_event("CA1", "caller_said", node="greet", next_node="collect_account",
                    outcome="matched", transcript="balance")  # fmt: skip
    store.add_event("CA1", "caller_keyed", node="collect_account", next_node="collect_pin",
                    outcome="matched", digit="1")  # fmt: skip
    store.add_event("CA1", "webhook", node="lookup_balance", ok=True, error=None, ms=3)
    store.end_call("CA1", "stream_dropped")
    call = digest(store.get_call("CA1") or {})
    assert call.path == ("greet", "collect_account", "collect_pin", "lookup_balance")
    assert (call.outcome, call.lost_at, call.flow_version) == ("dropped", "lookup_balance", None)


def test_a_stranger_record_gives_figures_not_an_error() -> None:
    call = digest({"call_sid": "CA1", "events": [{"kind": "caller_said", "outcome": None}]})
    assert call.outcome == "live" and call.turns == () and call.path == ()


def test_transfer_reasons_map_to_the_funnels_losses() -> None:
    assert loss_kind("no_match_limit") == "no_match"
    assert loss_kind("low_confidence:account_number") == "no_match"
    assert loss_kind("no_input_limit") == "no_input"
    assert loss_kind("caller_asked_for_agent") == "transfer"
