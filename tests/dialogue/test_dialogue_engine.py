"""Whole conversations through the example flow, as events in and actions out."""

from __future__ import annotations

import pytest

from voicebot.dialogue.actions import (
    Action,
    BackendFault,
    CallStarted,
    DtmfDigit,
    EndCall,
    Event,
    HangUp,
    Listen,
    NoInput,
    Say,
    SetSlot,
    SlotExpectation,
    Transfer,
    Utterance,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.state import TurnRecord
from voicebot.exceptions import FlowError
from voicebot.flows.flow import Flow

GREETING = (
    "Thanks for calling Acme Energy. You can say check my balance, report an outage, or agent."
)
ACCOUNT_PROMPT = "Please say or key in your eight digit account number."
PIN_PROMPT = "Thanks. Now key in your four digit PIN."
BALANCE = "Your balance is forty two pounds and ten pence, due on the first of next month."
ANYTHING_ELSE = "Is there anything else I can help with?"
AGENT = "Let me put you through to one of my colleagues."
ACCOUNT_SPOKEN = "one two three four five six seven eight"


def said(actions: list[Action]) -> list[str]:
    """The texts of the Say actions, in order."""
    return [a.text for a in actions if isinstance(a, Say)]


def listen(actions: list[Action]) -> Listen:
    """The closing Listen; fails the test if the turn does not end with exactly one."""
    listens = [a for a in actions if isinstance(a, Listen)]
    assert len(listens) == 1 and actions[-1] is listens[0], actions
    return listens[0]


def run(engine: DialogueEngine, *events: Event) -> list[Action]:
    """Feed events in order and return the actions of the last one."""
    actions: list[Action] = []
    for event in events:
        actions = engine.handle(event)
    return actions


def start(engine: DialogueEngine) -> list[Action]:
    return engine.handle(CallStarted(call_sid="CA0001"))


def keys(digits: str) -> list[Event]:
    return [DtmfDigit(d) for d in digits]


def at_pin(engine: DialogueEngine) -> None:
    """Drive the call to the PIN prompt with a confirmed account number."""
    run(engine, CallStarted("CA0001"), Utterance("check my balance"))
    run(engine, Utterance(ACCOUNT_SPOKEN), Utterance("yes"))
    assert engine.node == "collect_pin"


def only_transfer(actions: list[Action]) -> Transfer:
    transfers = [a for a in actions if isinstance(a, Transfer)]
    assert len(transfers) == 1 and actions[-1] is transfers[0], actions
    return transfers[0]


def test_greeting_listens_for_the_menu(engine: DialogueEngine) -> None:
    actions = start(engine)
    assert said(actions) == [GREETING]
    expect = listen(actions).expect
    assert expect.node == "greet" and expect.slot is None and expect.dtmf
    assert list(expect.intents)[:2] == ["check_balance", "report_outage"]
    assert {"agent", "repeat", "goodbye"} <= set(expect.intents)
    assert "speak to someone" in expect.intents["agent"]


def test_happy_path_by_speech(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(Utterance("I'd like to check my balance please"))
    assert said(actions) == [ACCOUNT_PROMPT]
    assert listen(actions).expect.slot == SlotExpectation(
        "account_number", "digits", 8, 8, sensitive=True
    )
    assert engine.last_turn == TurnRecord("greet", "speech", "matched", intent="check_balance")

    actions = engine.handle(Utterance(ACCOUNT_SPOKEN))
    assert actions[0] == SetSlot("account_number", "12345678", sensitive=True)
    assert said(actions) == ["I heard 1 2 3 4, 5 6 7 8. Is that right?"]
    assert listen(actions).expect.slot == SlotExpectation(
        "confirm_account_number", "yes_no", sensitive=True
    )

    actions = engine.handle(Utterance("yes that's right"))
    assert said(actions) == [PIN_PROMPT]
    assert listen(actions).expect.slot == SlotExpectation("pin", "digits", 4, 4, sensitive=True)

    actions = run(engine, *keys("4321"))
    assert actions[0] == SetSlot("pin", "4321", sensitive=True)
    assert said(actions) == [BALANCE, ANYTHING_ELSE]
    assert listen(actions).expect.slot == SlotExpectation("anything_else", "yes_no")
    assert engine.last_turn == TurnRecord(
        "collect_pin", "dtmf", "matched", slot="pin", value="****"
    )

    actions = engine.handle(Utterance("no thanks"))
    assert actions == [
        SetSlot("anything_else", "no"),
        *actions[1:2],
        EndCall("completed"),
    ]
    assert said(actions) == ["Thanks for calling Acme Energy. Goodbye."]
    assert engine.ended == "completed"
    assert engine.slots == {"account_number": "12345678", "pin": "4321", "anything_else": "no"}
    assert engine.masked_slots()["pin"] == "****"


def test_anything_else_yes_returns_to_the_menu(engine: DialogueEngine) -> None:
    at_pin(engine)
    run(engine, *keys("4321"))
    actions = engine.handle(Utterance("yeah"))
    assert said(actions) == [GREETING]
    assert engine.node == "greet"
    actions = engine.handle(Utterance("my power is out"))
    assert said(actions) == [
        "We know about an outage in your area and engineers are working on it. "
        "Power should be back within four hours.",
        ANYTHING_ELSE,
    ]


def test_keyed_account_and_pin_with_hash(engine: DialogueEngine) -> None:
    start(engine)
    run(engine, Utterance("balance"))
    actions = run(engine, *keys("1234567"))
    assert actions == [] and engine.node == "collect_account"
    actions = engine.handle(DtmfDigit("8"))  # eighth digit completes the fixed length
    assert actions[0] == SetSlot("account_number", "12345678", sensitive=True)
    assert said(actions) == ["I heard 1 2 3 4, 5 6 7 8. Is that right?"]
    assert engine.handle(DtmfDigit("#")) == []  # the habitual # after a full entry
    actions = engine.handle(DtmfDigit("1"))  # 1 = yes
    assert said(actions) == [PIN_PROMPT]
    actions = run(engine, *keys("0042"), DtmfDigit("#"))
    assert actions == []
    assert engine.slots["pin"] == "0042" and engine.node == "ask_anything_else"


def test_hash_ends_a_variable_length_entry() -> None:
    flow = Flow.model_validate(
        {
            "flow": "member",
            "slots": {"member": {"type": "digits", "min_length": 4, "max_length": 10}},
            "nodes": {
                "ask": {"collect": "member", "prompt": "Key your member number.", "next": "bye"},
                "bye": {"say": "Thanks.", "hangup": True},
            },
        }
    )
    engine = DialogueEngine(flow)
    expect = listen(start(engine)).expect
    assert expect.slot == SlotExpectation("member", "digits", 4, 10, sensitive=True) and expect.dtmf
    assert run(engine, *keys("123")) == []
    assert said(engine.handle(DtmfDigit("#"))) == [
        "Sorry, I didn't catch that. Key your member number."
    ]
    actions = run(engine, *keys("123456"), DtmfDigit("#"))
    assert actions == [SetSlot("member", "123456", True), *actions[1:2], EndCall("completed")]


def test_keypad_chooses_the_nth_menu_intent(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(DtmfDigit("2"))
    assert engine.node == "ask_anything_else"
    assert said(actions)[0].startswith("We know about an outage")
    assert engine.last_turn == TurnRecord("greet", "dtmf", "matched", intent="report_outage")


def test_no_match_reprompts_then_succeeds(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(Utterance("purple monkey dishwasher"))
    assert said(actions) == ["Sorry, I didn't catch that. " + GREETING]
    assert listen(actions).expect.node == "greet"
    assert engine.last_turn == TurnRecord("greet", "speech", "no_match")
    actions = engine.handle(Utterance("check my balance"))
    assert said(actions) == [ACCOUNT_PROMPT]


def test_two_no_matches_transfer(engine: DialogueEngine) -> None:
    start(engine)
    run(engine, Utterance("check my balance"), Utterance("one two three"))
    actions = engine.handle(Utterance("I don't know it"))
    assert said(actions) == [
        "I'm sorry, I'm having trouble understanding. "
        "Let me put you through to one of my colleagues."
    ]
    transfer = only_transfer(actions)
    assert (transfer.queue, transfer.reason) == ("general", "no_match_limit")
    assert transfer.handoff == {
        "call_sid": "CA0001",
        "node": "collect_account",
        "intent": "check_balance",
        "slots": {},
        "reason": "no_match_limit",
        # What the caller said where an account number was asked for is theirs alone.
        "recent_turns": ["check my balance", "****", "****"],
        "emotion": [],
    }
    assert engine.ended == "no_match_limit"
    assert engine.handle(Utterance("hello?")) == []


def test_two_no_inputs_transfer_counted_apart_from_no_matches(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(NoInput())
    assert said(actions) == ["Sorry, I didn't hear anything. " + GREETING]
    assert engine.last_turn == TurnRecord("greet", "silence", "no_input")
    assert listen(engine.handle(Utterance("purple"))).expect.node == "greet"
    actions = engine.handle(NoInput())
    assert said(actions) == [
        "I'm sorry, I can't hear you. Let me put you through to one of my colleagues."
    ]
    assert only_transfer(actions).reason == "no_input_limit"
    assert engine.ended == "no_input_limit"


def test_listen_carries_the_node_timeout(acme_flow: Flow) -> None:
    flow = acme_flow.model_copy(
        update={
            "nodes": {
                **acme_flow.nodes,
                "greet": acme_flow.nodes["greet"].model_copy(
                    update={"no_input_timeout": 9.5, "max_retries": 3}
                ),
            }
        }
    )
    engine = DialogueEngine(flow)
    assert listen(start(engine)).expect.no_input_timeout == 9.5
    run(engine, NoInput(), NoInput())
    assert engine.ended is None


def test_agent_by_speech_hands_off_what_was_learned(engine: DialogueEngine) -> None:
    at_pin(engine)
    run(engine, *keys("12"), DtmfDigit("#"))  # too short: a no-match, keys masked
    run(engine, Utterance("one two three four"))  # a spoken PIN is never handed on either
    actions = engine.handle(Utterance("can I talk to a human"))
    assert said(actions) == [AGENT]
    transfer = only_transfer(actions)
    assert (transfer.queue, transfer.reason) == ("general", "caller_asked_for_agent")
    assert transfer.handoff["node"] == "ask_anything_else"
    assert transfer.handoff["intent"] == "check_balance"
    assert transfer.handoff["slots"] == {"account_number": "****", "pin": "****"}
    assert transfer.handoff["recent_turns"] == ["[keypad ****]", "****", "can I talk to a human"]
    assert engine.ended == "caller_asked_for_agent"


def test_agent_by_keypad_zero(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(DtmfDigit("0"))
    assert said(actions) == [AGENT]
    assert only_transfer(actions).reason == "caller_asked_for_agent"


def test_zero_is_a_digit_while_keying_a_number(engine: DialogueEngine) -> None:
    at_pin(engine)
    run(engine, *keys("0000"))
    assert engine.slots["pin"] == "0000" and engine.ended is None


def test_agent_without_an_agent_node_uses_the_default_queue() -> None:
    flow = Flow.model_validate(
        {
            "flow": "bare",
            "queues": {"support": {}},
            "intents": {
                "agent": {"examples": ["customer service"]},  # extends the global command
                "hello": {"examples": ["hello"]},
            },
            "nodes": {"menu": {"say": "Hi.", "on": {"hello": "menu"}}},
        }
    )
    engine = DialogueEngine(flow)
    start(engine)
    actions = engine.handle(Utterance("customer service please"))
    assert said(actions) == ["Of course. Let me put you through to one of my colleagues."]
    assert only_transfer(actions).queue == "support"


def test_confirmation_no_asks_again(engine: DialogueEngine) -> None:
    start(engine)
    run(engine, Utterance("check my balance"), Utterance(ACCOUNT_SPOKEN))
    actions = engine.handle(Utterance("no that's wrong"))
    assert said(actions) == ["Sorry about that, let's try again. " + ACCOUNT_PROMPT]
    assert listen(actions).expect.slot == SlotExpectation(
        "account_number", "digits", 8, 8, sensitive=True
    )
    assert "account_number" not in engine.slots
    actions = engine.handle(Utterance("eight seven six five four three two one"))
    assert said(actions) == ["I heard 8 7 6 5, 4 3 2 1. Is that right?"]
    assert said(engine.handle(Utterance("correct"))) == [PIN_PROMPT]
    assert engine.slots["account_number"] == "87654321"


def test_rejected_read_backs_are_limited(engine: DialogueEngine) -> None:
    start(engine)
    run(engine, Utterance("balance"), Utterance(ACCOUNT_SPOKEN), Utterance("no"))
    actions = run(engine, Utterance(ACCOUNT_SPOKEN), Utterance("no"))
    assert only_transfer(actions).reason == "low_confidence:account_number"


def test_repeat_says_the_last_turn_again(engine: DialogueEngine) -> None:
    at_pin(engine)
    run(engine, *keys("1234"))
    actions = engine.handle(Utterance("sorry, say that again"))
    assert said(actions) == [BALANCE, ANYTHING_ELSE]
    assert listen(actions).expect.node == "ask_anything_else"
    assert said(engine.handle(DtmfDigit("*"))) == [BALANCE, ANYTHING_ELSE]


def test_star_restarts_a_keyed_entry_and_repeats_the_prompt(engine: DialogueEngine) -> None:
    at_pin(engine)
    actions = run(engine, *keys("12"), DtmfDigit("*"))
    assert said(actions) == [PIN_PROMPT]
    run(engine, *keys("5678"))
    assert engine.slots["pin"] == "5678"


def test_backend_fault_apologises_and_transfers(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(BackendFault(stage="stt", retryable=True))
    assert said(actions) == [
        "I'm sorry, something went wrong on our side. "
        "Let me put you through to one of my colleagues."
    ]
    transfer = only_transfer(actions)
    assert (transfer.queue, transfer.reason) == ("general", "backend_fault:stt")
    assert engine.ended == "backend_fault:stt"


def test_hang_up_ends_quietly(engine: DialogueEngine) -> None:
    start(engine)
    assert engine.handle(HangUp()) == []
    assert engine.ended == "caller_hung_up"
    assert engine.handle(Utterance("hello")) == []
    assert engine.ended == "caller_hung_up"


def test_goodbye_goes_to_the_goodbye_node(engine: DialogueEngine) -> None:
    start(engine)
    actions = engine.handle(Utterance("ok bye"))
    assert said(actions) == ["Thanks for calling Acme Energy. Goodbye."]
    assert actions[-1] == EndCall("caller_said_goodbye")
    assert engine.ended == "caller_said_goodbye"


def test_events_before_the_call_starts_are_ignored(engine: DialogueEngine) -> None:
    assert engine.handle(Utterance("hello")) == []
    assert said(start(engine)) == [GREETING]
    assert engine.handle(CallStarted("CA0001")) == []


def test_engine_refuses_a_flow_with_dangling_references() -> None:
    flow = Flow.model_validate({"flow": "bad", "nodes": {"a": {"say": "hi", "next": "b"}}})
    with pytest.raises(FlowError) as caught:
        DialogueEngine(flow)
    assert caught.value.problems == ["bad: unknown_node: unknown node 'b' (known: a)"]


def _with_confirm(flow: Flow, mode: str) -> DialogueEngine:
    slot = flow.slots["account_number"].model_copy(update={"confirm": mode, "confirm_below": 0.8})
    changed = flow.model_copy(update={"slots": {**flow.slots, "account_number": slot}})
    return DialogueEngine(changed, call_sid="CA0002")


@pytest.mark.parametrize(
    ("mode", "event", "reads_back"),
    [
        ("always", Utterance(ACCOUNT_SPOKEN, confidence=0.95), True),
        ("never", Utterance(ACCOUNT_SPOKEN, confidence=0.3), False),
        ("low_confidence", Utterance(ACCOUNT_SPOKEN, confidence=0.95), False),
        ("low_confidence", Utterance(ACCOUNT_SPOKEN, confidence=0.5), True),
        ("low_confidence", None, False),  # keyed digits are certain
    ],
)
def test_confirmation_modes(
    acme_flow: Flow, mode: str, event: Utterance | None, reads_back: bool
) -> None:
    engine = _with_confirm(acme_flow, mode)
    run(engine, CallStarted("CA0002"), Utterance("check my balance"))
    actions = run(engine, *([event] if event else keys("12345678")))
    assert any("I heard 1 2 3 4, 5 6 7 8" in text for text in said(actions)) is reads_back
    assert engine.node == ("collect_account" if reads_back else "collect_pin")


def test_confirm_accepts_yaml_booleans(acme_flow: Flow) -> None:
    slot = type(acme_flow.slots["account_number"]).model_validate(
        {"type": "digits", "length": 8, "confirm": True}
    )
    assert slot.confirm == "always"  # type: ignore[union-attr]


def _with_node(flow: Flow, name: str, **changes: object) -> DialogueEngine:
    node = flow.nodes[name].model_copy(update=changes)
    return DialogueEngine(flow.model_copy(update={"nodes": {**flow.nodes, name: node}}))


def test_reprompts_by_attempt_counted_apart_for_no_match_and_no_input(acme_flow: Flow) -> None:
    engine = _with_node(
        acme_flow, "greet", reprompts=["First retry."], no_input_prompts=["Still there?"],
        max_retries=3,
    )  # fmt: skip
    run(engine, CallStarted("CA1"))
    assert said(run(engine, Utterance("purple"))) == ["First retry."]
    assert said(run(engine, NoInput())) == ["Still there?"]
    assert said(run(engine, Utterance("purple"))) == ["First retry."]  # the last one is reused
    assert said(run(engine, NoInput())) == ["Still there?"]
    assert engine.node == "greet" and engine.ended is None


def test_past_max_retries_the_node_can_go_somewhere_else(acme_flow: Flow) -> None:
    engine = _with_node(acme_flow, "greet", on_max_retries="outage", max_retries=1)
    run(engine, CallStarted("CA1"))
    actions = run(engine, Utterance("purple"))
    assert engine.node == "ask_anything_else"
    assert not any(isinstance(a, Transfer) for a in actions)
    assert said(actions)[0].startswith("We know about an outage")


def test_the_read_back_of_a_sensitive_slot_is_spoken_in_full_and_marked_private(
    engine: DialogueEngine,
) -> None:
    # account_number is sensitive: the caller hears the digits, records get a mask.
    start(engine)
    run(engine, Utterance("balance"))
    actions = run(engine, *keys("12345678"))
    (read_back,) = [a for a in actions if isinstance(a, Say)]
    assert read_back.text == "I heard 1 2 3 4, 5 6 7 8. Is that right?"
    assert read_back.private
