"""Pure routing: every rule kind, VIP, opening hours, out-of-hours, and the load-time checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from tests.transfer.flows import ROUTED_FLOW, routed_flow
from voicebot.flows.checks import check_flow
from voicebot.flows.flow import Flow
from voicebot.flows.routing import CallerFacts, RouteDecision, decide, queues_of

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # London is on UTC in November
MONDAY_NIGHT = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def route(
    reason: str = "caller_asked_for_agent",
    queue: str = "general",
    now: datetime = MONDAY_NOON,
    **facts: object,
) -> RouteDecision:
    flow = routed_flow()
    return decide(flow.routing, queues_of(flow), queue, reason, now, CallerFacts(**facts))  # type: ignore[arg-type]


def test_without_a_matching_rule_the_engine_queue_and_its_priority_stand() -> None:
    decision = route()
    assert (decision.queue, decision.priority, decision.rule, decision.action) == (
        "general", 0, None, "queue",
    )  # fmt: skip


def test_intent_rule_picks_the_billing_queue_and_its_priority() -> None:
    decision = route(intent="check_balance")
    assert (decision.queue, decision.priority, decision.rule) == ("billing", 5, 2)


def test_slot_value_rule_matches_case_insensitively_and_overrides_priority() -> None:
    decision = route(slots={"account_type": "Business"})
    assert (decision.queue, decision.priority, decision.rule) == ("billing", 30, 3)


def test_emotion_rule_needs_the_label_at_the_intensity_on_the_latest_turn() -> None:
    angry = [{"label": "neutral", "intensity": 0.2}, {"label": "angry", "intensity": 0.8}]
    assert route(emotions=angry).priority == 40
    calmer = [{"label": "angry", "intensity": 0.9}, {"label": "angry", "intensity": 0.5}]
    assert route(emotions=calmer).rule is None


def test_backend_fault_reason_matches_by_prefix() -> None:
    assert route(reason="backend_fault:stt").rule == 1


def test_vip_by_caller_id_goes_to_the_vip_queue_with_a_priority_boost() -> None:
    decision = route(caller_id="+447700900123")
    assert (decision.queue, decision.priority, decision.vip) == ("vip", 30, True)


def test_vip_by_account_tier_slot() -> None:
    decision = route(slots={"tier": "Gold"})
    assert (decision.queue, decision.vip) == ("vip", True)
    assert route(slots={"tier": "bronze"}).vip is False


def test_a_vip_matching_a_rule_keeps_the_rule_queue_but_gets_the_boost() -> None:
    decision = route(intent="check_balance", caller_id="+447700900123")
    assert (decision.queue, decision.priority, decision.vip) == ("billing", 15, True)


def test_out_of_hours_follows_the_queue_named_for_the_night() -> None:
    decision = route(now=MONDAY_NIGHT)
    assert (decision.queue, decision.requested_queue, decision.closed) == (
        "night", "general", ("general",),
    )  # fmt: skip
    assert decision.message == "We are closed."
    assert decision.action == "queue"


def test_out_of_hours_without_another_queue_is_a_callback_request() -> None:
    decision = route(intent="check_balance", now=SATURDAY)
    assert (decision.queue, decision.action, decision.message) == (
        "billing", "callback", "Billing is closed.",
    )  # fmt: skip


def test_crisis_bypasses_hours_with_its_high_priority() -> None:
    decision = route(intent="crisis", now=SATURDAY)
    assert (decision.queue, decision.action, decision.priority, decision.closed) == (
        "crisis", "queue", 90, (),
    )  # fmt: skip


def test_time_zone_decides_opening() -> None:
    flow = routed_flow()
    hours = flow.queues["billing"].hours
    assert hours is not None
    assert hours.is_open(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    # In July London is UTC+1: 08:30 UTC is 09:30 local, open (26 July 2027 is a Monday).
    assert hours.is_open(datetime(2027, 7, 26, 8, 30, tzinfo=UTC))


def problems(yaml_text: str) -> list[tuple[str, tuple[str | int, ...]]]:
    flow = Flow.model_validate(yaml.safe_load(yaml_text))
    return [(p.code, p.path) for p in check_flow(flow)]


def test_unknown_queues_in_rules_vip_overflow_and_out_of_hours_are_reported() -> None:
    text = ROUTED_FLOW.replace("queue: crisis, bypass", "queue: nowhere, bypass")
    text = text.replace("queue: vip\n", "queue: gone\n").replace("overflow: billing", "overflow: x")
    found = problems(text)
    assert ("unknown_queue", ("routing", "rules", 0, "queue")) in found
    assert ("unknown_queue", ("routing", "vip", "queue")) in found
    assert ("unknown_queue", ("queues", "general", "overflow")) in found


def test_overflow_cycle_is_reported() -> None:
    text = ROUTED_FLOW.replace(
        '    twilio: {dial: "+441234567890"}',
        '    twilio: {dial: "+441234567890"}\n    overflow: general',
    ).replace("    overflow: billing", "    overflow: night")
    assert ("overflow_cycle", ("queues", "general", "overflow")) in problems(text)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{enqueue: a, dial: '+441234567890'}", "exactly one"),
        ("{dial: '01234'}", "neither an E.164"),
        ("{workflow_sid: WWnope}", "String should match pattern"),
    ],
)
def test_bad_queue_targets_name_the_problem(target: str, message: str) -> None:
    data = yaml.safe_load(ROUTED_FLOW)
    data["queues"]["night"] = yaml.safe_load(f"{{twilio: {target}}}")
    with pytest.raises(ValueError, match=message):
        Flow.model_validate(data)


def test_bad_hours_and_time_zone_are_rejected() -> None:
    data = yaml.safe_load(ROUTED_FLOW)
    data["queues"]["night"]["hours"] = {"timezone": "Mars/Olympus", "open": {"mon": "09:00-17:00"}}
    with pytest.raises(ValueError, match="unknown time zone"):
        Flow.model_validate(data)
    data["queues"]["night"]["hours"] = {"open": {"mon": "17:00-09:00"}}
    with pytest.raises(ValueError, match="start before end"):
        Flow.model_validate(data)
