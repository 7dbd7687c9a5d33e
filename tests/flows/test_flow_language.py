"""The flow language beyond menus: conditions, webhooks, validation, typed keypad entry,
global commands and their overrides, synonyms, and turns understood by the LLM fallback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from voicebot.dialogue.actions import (
    Action,
    CallStarted,
    CallWebhook,
    DtmfDigit,
    EndCall,
    Listen,
    NoInput,
    Say,
    SetSlot,
    Transfer,
    Utterance,
    WebhookResult,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.exceptions import FlowError
from voicebot.flows.conditions import ConditionError, check_condition, evaluate
from voicebot.flows.loader import load_flow

TODAY = date(2026, 11, 21)  # a Saturday

BILLING = """
flow: billing
queues: {general: {}, priority: {}}
intents:
  pay_bill:
    examples: ["pay my bill", "make a payment"]
    synonyms: {bill: [invoice, statement]}
  change_date: {examples: ["change my payment date"]}
slots:
  account: {type: digits, length: 4}
  balance: {type: currency}
  amount:
    type: currency
    validate:
      - {min: 1, max: 500, reprompt: "I can take between one and five hundred pounds."}
  pay_day:
    type: date
    validate:
      - {earliest_days: 1, latest_days: 28, reprompt: "Pick a day in the next four weeks."}
  fuel: {type: choice, options: {electricity: [power], gas: [], both: [dual fuel]}}
  code:
    type: digits
    min_length: 3
    max_length: 6
    validate:
      - {regex: "[1-9][0-9]*", reprompt: "Codes never start with zero. Try again."}
      - reprompt: "That code is not on our system. Try again."
        webhook: {url: "http://billing.test/codes", timeout: 2}
nodes:
  greet:
    say: "Hello."
    say_if:
      - {when: "emotion == 'angry'", say: "I'm sorry for the trouble. How can I help?"}
    on: {pay_bill: ask_account, change_date: ask_day}
    commands: {agent: priority_agent}
  ask_account:
    collect: account
    prompt: "Your account number?"
    next: lookup
  lookup:
    say: "One moment."
    webhook:
      url: "${BILLING_URL:-http://billing.test}/balance"
      send: [account]
      fills: {balance: account.balance}
    on_failure: lookup_failed
    if:
      - {when: "balance > 100", goto: big_bill}
    next: small_bill
  big_bill:
    say: "You owe {balance}. That is a big bill."
    next: ask_amount
  small_bill:
    say: "You owe {balance}."
    next: ask_amount
  ask_amount:
    collect: amount
    prompt: "How much would you like to pay?"
    next: ask_fuel
  ask_fuel:
    collect: fuel
    prompt: "Electricity, gas or both?"
    next: ask_code
  ask_code:
    collect: code
    prompt: "Your reference code?"
    max_retries: 3
    next: done
  ask_day:
    collect: pay_day
    prompt: "Which day?"
    next: done
  lookup_failed:
    say: "I can't look that up right now."
    transfer: general
  priority_agent:
    say: "Putting you through to a specialist."
    transfer: priority
  done:
    say: "All done. Goodbye."
    hangup: true
"""


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "billing.yaml"
    path.write_text(BILLING, encoding="utf-8")
    return path


@pytest.fixture
def engine(flow_file: Path) -> DialogueEngine:
    engine = DialogueEngine(load_flow(flow_file), call_sid="CA1", today=TODAY)
    engine.handle(CallStarted(call_sid="CA1"))
    return engine


def said(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def webhook(actions: list[Action]) -> CallWebhook:
    calls = [a for a in actions if isinstance(a, CallWebhook)]
    assert len(calls) == 1 and actions[-1] is calls[0], actions
    return calls[0]


def to_amount(engine: DialogueEngine, balance: str = "42.10") -> list[Action]:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("one two three four"))
    return engine.handle(WebhookResult(ok=True, data={"account": {"balance": balance}}))


# -- conditions ---------------------------------------------------------------------------------


def test_say_if_picks_the_variant_whose_condition_holds(flow_file: Path) -> None:
    engine = DialogueEngine(load_flow(flow_file), today=TODAY)
    engine.call_facts["emotion"] = "angry"
    assert said(engine.handle(CallStarted(call_sid="CA1"))) == [
        "I'm sorry for the trouble. How can I help?"
    ]


def test_if_routes_on_a_slot_filled_by_the_webhook(engine: DialogueEngine) -> None:
    assert said(to_amount(engine, "142.10"))[0] == "You owe 142 pounds 10. That is a big bill."


def test_next_is_taken_when_no_route_holds(engine: DialogueEngine) -> None:
    assert said(to_amount(engine, "42.10"))[0] == "You owe 42 pounds 10."


@pytest.mark.parametrize(
    ("condition", "names", "truth"),
    [
        ("balance > 100", {"balance": 142.1}, True),
        ("balance > 100", {"balance": None}, False),  # unfilled: false, not an error
        ("emotion == 'angry' and emotion_intensity >= 0.7",
         {"emotion": "angry", "emotion_intensity": 0.8}, True),
        ("fuel in ('gas', 'both')", {"fuel": "gas"}, True),
        ("filled('fuel')", {"fuel": None}, False),
        ("not filled('fuel')", {"fuel": None}, True),
    ],
)  # fmt: skip
def test_conditions_evaluate(condition: str, names: dict[str, object], truth: bool) -> None:
    assert evaluate(condition, names) is truth


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("balance >", "cannot read condition"),
        ("balanse > 3", "unknown name 'balanse'"),
        ("__import__('os')", "calls something other than"),
        ("balance.real", "attribute access"),
        ("filled('nope')", "unknown slot"),
    ],
)
def test_bad_conditions_are_refused_with_the_reason(condition: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        check_condition(condition, ["balance", "fuel"])


def test_a_bad_condition_in_a_flow_is_reported_with_file_and_line(flow_file: Path) -> None:
    flow_file.write_text(BILLING.replace("balance > 100", "balanse > 100"), encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flow(flow_file)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{flow_file}:48:16: ")
    assert "bad_condition: nodes.lookup.if.0.when" in caught.value.problems[0]


# -- webhooks -----------------------------------------------------------------------------------


def test_a_webhook_node_says_its_words_then_calls_with_the_slots(engine: DialogueEngine) -> None:
    engine.handle(Utterance("pay my bill"))
    actions = engine.handle(Utterance("one two three four"))
    assert said(actions) == ["One moment."]
    call = webhook(actions)
    assert call.url == "${BILLING_URL:-http://billing.test}/balance"
    assert (call.method, call.payload, call.timeout) == ("POST", {"account": "1234"}, 3.0)


def test_the_caller_is_not_heard_while_a_lookup_runs(engine: DialogueEngine) -> None:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("one two three four"))
    assert engine.handle(Utterance("hello?")) == []
    assert engine.handle(NoInput()) == []
    assert engine.node == "lookup"


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        # The backend is down: a fault transfer (sent at once, docs/handoff.md).
        (WebhookResult(ok=False, error="no answer within 3 s"), "backend_fault:webhook"),
        (WebhookResult(ok=False, error="HTTP 503", status=503), "backend_fault:webhook"),
        # It answered, no: the flow's own transfer.
        (WebhookResult(ok=False, error="HTTP 404", status=404), "flow_transfer"),
        (WebhookResult(ok=True, data={"account": {}}), "flow_transfer"),  # field missing
        (WebhookResult(ok=True, data={"account": {"balance": "lots"}}), "flow_transfer"),
        (WebhookResult(ok=True, data=["not", "an", "object"]), "flow_transfer"),
    ],
)
def test_a_failed_lookup_takes_the_failure_branch(
    engine: DialogueEngine, result: WebhookResult, reason: str
) -> None:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("one two three four"))
    actions = engine.handle(result)
    assert said(actions) == ["I can't look that up right now."]
    assert isinstance(actions[-1], Transfer) and actions[-1].queue == "general"
    assert actions[-1].reason == reason
    assert "balance" not in engine.slots


def test_a_late_answer_after_the_call_moved_on_is_ignored(engine: DialogueEngine) -> None:
    to_amount(engine)
    assert engine.handle(WebhookResult(ok=True, data={})) == []


def test_webhook_fills_are_set_as_slots(engine: DialogueEngine) -> None:
    actions = to_amount(engine, "42.1")
    assert SetSlot("balance", "42.10") in actions


# -- validation rules ---------------------------------------------------------------------------


def test_a_value_outside_the_range_gets_the_rules_reprompt(engine: DialogueEngine) -> None:
    to_amount(engine)
    actions = engine.handle(Utterance("nine hundred pounds"))
    assert said(actions) == ["I can take between one and five hundred pounds."]
    assert "amount" not in engine.slots
    assert engine.last_turn is not None and engine.last_turn.outcome == "invalid"


def test_failed_rules_count_towards_the_retry_limit(engine: DialogueEngine) -> None:
    to_amount(engine)
    engine.handle(Utterance("nine hundred pounds"))
    actions = engine.handle(Utterance("nine hundred pounds"))
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == "no_match_limit"


def test_a_webhook_rule_checks_with_the_support_centres_system(engine: DialogueEngine) -> None:
    to_amount(engine)
    engine.handle(Utterance("twenty pounds"))
    engine.handle(Utterance("gas"))
    assert said(engine.handle(Utterance("zero one two"))) == [
        "Codes never start with zero. Try again."
    ]
    call = webhook(engine.handle(Utterance("four one two")))
    assert call.payload == {"code": "412"} and call.url == "http://billing.test/codes"
    refused = engine.handle(WebhookResult(ok=True, data={"valid": False}))
    assert said(refused) == ["That code is not on our system. Try again."]
    webhook(engine.handle(Utterance("four one three")))
    accepted = engine.handle(WebhookResult(ok=True, data={"valid": True}))
    assert SetSlot("code", "413", sensitive=True) in accepted  # digits: sensitive by default
    assert isinstance(accepted[-1], EndCall)


def test_dates_outside_the_window_are_refused(engine: DialogueEngine) -> None:
    engine.handle(Utterance("change my payment date"))
    assert said(engine.handle(Utterance("today"))) == ["Pick a day in the next four weeks."]
    actions = engine.handle(Utterance("next tuesday"))
    assert SetSlot("pay_day", "2026-11-24") in actions


# -- keypad for typed slots ---------------------------------------------------------------------


def keys(engine: DialogueEngine, digits: str) -> list[Action]:
    actions: list[Action] = []
    for digit in digits:
        actions = engine.handle(DtmfDigit(digit))
    return actions


def test_amounts_are_keyed_with_star_as_the_decimal_point(engine: DialogueEngine) -> None:
    to_amount(engine)
    assert SetSlot("amount", "23.50") in keys(engine, "23*50#")


def test_star_before_any_digit_still_repeats(engine: DialogueEngine) -> None:
    to_amount(engine)
    assert said(keys(engine, "*")) == ["You owe 42 pounds 10.", "How much would you like to pay?"]


def test_dates_are_keyed_as_ddmmyyyy(engine: DialogueEngine) -> None:
    engine.handle(Utterance("change my payment date"))
    assert SetSlot("pay_day", "2026-12-01") in keys(engine, "01122026")


def test_choices_are_keyed_by_their_position(engine: DialogueEngine) -> None:
    to_amount(engine)
    engine.handle(Utterance("twenty pounds"))
    assert SetSlot("fuel", "both") in keys(engine, "3")


def test_choice_synonyms_are_understood(engine: DialogueEngine) -> None:
    to_amount(engine)
    engine.handle(Utterance("twenty pounds"))
    assert SetSlot("fuel", "both") in engine.handle(Utterance("dual fuel please"))


# -- global commands, overrides, synonyms -------------------------------------------------------


def test_help_lists_the_menu_choices(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("help"))
    assert said(actions) == [
        "You can say pay my bill, press 1; change my payment date, press 2. "
        "Or say agent to talk to a person."
    ]
    assert isinstance(actions[-1], Listen)


def test_start_over_clears_the_slots_and_goes_back_to_the_start(engine: DialogueEngine) -> None:
    to_amount(engine)
    actions = engine.handle(Utterance("start over"))
    assert said(actions) == ["Hello."] and engine.slots == {} and engine.node == "greet"


def test_a_node_overrides_a_global_command(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("agent"))
    assert said(actions) == ["Putting you through to a specialist."]
    assert isinstance(actions[-1], Transfer) and actions[-1].queue == "priority"
    assert actions[-1].reason == "caller_asked_for_agent"


def test_intent_synonyms_are_understood(engine: DialogueEngine) -> None:
    engine.handle(Utterance("I want to pay my invoice"))
    assert engine.node == "ask_account"


# -- turns understood elsewhere (the LLM fallback) ----------------------------------------------


def test_an_intent_from_the_llm_is_taken_when_the_node_expects_it(engine: DialogueEngine) -> None:
    assert not engine.understands("I'd like to settle up what I owe")
    engine.handle(Utterance("I'd like to settle up what I owe", intent="pay_bill"))
    assert engine.node == "ask_account"


def test_an_intent_the_node_does_not_expect_is_a_no_match(engine: DialogueEngine) -> None:
    actions = engine.handle(Utterance("whatever", intent="drop_tables"))
    assert said(actions)[0].startswith("Sorry, I didn't catch that.")


def test_slot_text_from_the_llm_goes_through_the_slot_parser(engine: DialogueEngine) -> None:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("it's the one after one two three three", slot_text="1234"))
    assert engine.slots["account"] == "1234"


def test_invalid_slot_text_from_the_llm_is_a_no_match(engine: DialogueEngine) -> None:
    engine.handle(Utterance("pay my bill"))
    actions = engine.handle(Utterance("the usual", slot_text="12345"))  # wrong length
    assert "account" not in engine.slots and said(actions)[0].startswith("Sorry")


# -- recognition doubt ------------------------------------------------------------------------


def test_a_value_misheard_every_time_is_handed_over_as_low_confidence(
    engine: DialogueEngine,
) -> None:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("", confidence=0.2))
    actions = engine.handle(Utterance("", confidence=0.1))
    transfer = actions[-1]
    assert isinstance(transfer, Transfer) and transfer.reason == "low_confidence:account"


def test_a_clearly_heard_wrong_answer_is_an_ordinary_no_match(engine: DialogueEngine) -> None:
    engine.handle(Utterance("pay my bill"))
    engine.handle(Utterance("purple", confidence=0.9))
    actions = engine.handle(Utterance("", confidence=0.1))
    transfer = actions[-1]
    assert isinstance(transfer, Transfer) and transfer.reason == "no_match_limit"
