"""Risky moves need evidence (issue 13): the crisis route, hanging up and leaving a node on a
doubtful match are checked with the caller unless the turn is good evidence for them."""

from __future__ import annotations

from pathlib import Path

from voicebot.dialogue.actions import (
    Action,
    CallStarted,
    EndCall,
    Say,
    SetSlot,
    Transfer,
    Utterance,
)
from voicebot.dialogue.engine import DialogueEngine
from voicebot.dialogue.matcher import Match
from voicebot.flows.emotion_policy import Estimate
from voicebot.flows.loader import load_flow

ACME = Path(__file__).parents[2] / "dialog_flows" / "acme_support.yaml"
CALM = Estimate("neutral", 0.0)
CRISIS = Estimate("anxious", 0.9, crisis=True)


def said(actions: list[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def at(node: str = "greet") -> DialogueEngine:
    flow = load_flow(ACME)
    engine = DialogueEngine(flow.model_copy(update={"start": node}), call_sid="CA1")
    engine.handle(CallStarted("CA1"))
    return engine


def heard(text: str, match: Match | None = None, confidence: float = 0.9) -> Utterance:
    """A whisper transcript with the matcher's reading of it."""
    return Utterance(text, confidence, emotion=CALM, open_vocabulary=True, match=match)


def sure(intent: str) -> Match:
    return Match(intent, 0.97, "semantic", intent, 0.85, 0.5, sure=True)


def unsure(intent: str) -> Match:
    return Match(intent, 0.7, "semantic", intent, 0.6, 0.2)


# -- crisis --------------------------------------------------------------------------------


def test_a_grammar_forced_crisis_decode_offers_a_person_instead_of_the_crisis_route() -> None:
    engine = at()
    forced = Utterance("i want to end my life", 0.95, emotion=CRISIS)  # pocketsphinx's grammar
    actions = engine.handle(forced)
    assert not any(isinstance(a, Transfer) for a in actions)
    assert engine.pending_check == "crisis"
    assert "Would you like me to put you through to someone" in said(actions)
    assert "999" not in said(actions)


def test_yes_to_the_offered_person_takes_the_crisis_route() -> None:
    engine = at()
    engine.handle(Utterance("i want to end my life", 0.95, emotion=CRISIS))
    actions = engine.handle(Utterance("yes", 0.9, emotion=CALM))
    transfer = next(a for a in actions if isinstance(a, Transfer))
    assert (transfer.queue, transfer.reason) == ("priority", "crisis")


def test_no_to_the_offered_person_goes_back_to_the_menu() -> None:
    engine = at()
    engine.handle(Utterance("i want to end my life", 0.95, emotion=CRISIS))
    actions = engine.handle(Utterance("no", 0.9, emotion=CALM))
    assert engine.ended is None and engine.node == "greet" and engine.pending_check is None
    assert "You can say check my balance" in said(actions)


def test_crisis_words_heard_by_the_open_recogniser_go_straight_to_the_crisis_queue() -> None:
    engine = at()
    turn = Utterance("I want to end my life.", 0.8, emotion=CRISIS, open_vocabulary=True)
    transfer = next(a for a in engine.handle(turn) if isinstance(a, Transfer))
    assert (transfer.queue, transfer.reason) == ("priority", "crisis")


def test_crisis_words_the_open_recogniser_barely_heard_are_checked() -> None:
    engine = at()
    turn = Utterance("I want to end my life.", 0.3, emotion=CRISIS, open_vocabulary=True)
    assert not any(isinstance(a, Transfer) for a in engine.handle(turn))
    assert engine.pending_check == "crisis"


# -- hanging up ----------------------------------------------------------------------------


def test_a_doubtful_grammar_goodbye_is_checked_before_hanging_up() -> None:
    engine = at()
    actions = engine.handle(Utterance("bye bye", 0.6, emotion=CALM))
    assert not any(isinstance(a, EndCall) for a in actions)
    assert engine.pending_check == "goodbye"
    assert "Do you want to end the call?" in said(actions)
    actions = engine.handle(Utterance("no", 0.9, emotion=CALM))
    assert engine.ended is None and engine.node == "greet"


def test_a_clear_goodbye_hangs_up() -> None:
    engine = at()
    assert any(isinstance(a, EndCall) for a in engine.handle(Utterance("goodbye", 0.95)))
    open_engine = at()
    actions = open_engine.handle(heard("Goodbye.", Match("goodbye", 1.0, "exact", sure=True)))
    assert any(isinstance(a, EndCall) for a in actions)


def test_an_unsure_open_goodbye_is_checked_and_yes_ends_the_call() -> None:
    engine = at()
    actions = engine.handle(heard("bye then I suppose", unsure("goodbye")))
    assert engine.pending_check == "goodbye" and engine.ended is None
    actions = engine.handle(heard("Yes.", None))
    assert any(isinstance(a, EndCall) for a in actions)


def test_off_topic_speech_neither_moves_nor_hangs_up() -> None:
    engine = at()
    actions = engine.handle(heard("My dog ate my homework.", Match(None, 0.1, "none", "help")))
    assert engine.node == "greet" and engine.ended is None and engine.pending_check is None
    assert said(actions).startswith("Sorry, I didn't catch that.")


# -- leaving a node --------------------------------------------------------------------------


def test_a_sure_match_leaves_the_menu_at_once() -> None:
    engine = at()
    engine.handle(heard("What do I owe?", sure("check_balance")))
    assert engine.node == "collect_account"


def test_an_unsure_match_is_checked_first() -> None:
    engine = at()
    actions = engine.handle(heard("how much is outstanding", unsure("check_balance")))
    assert engine.node == "greet" and engine.pending_check == "check_balance"
    assert "Did you say check my balance?" in said(actions)
    engine.handle(heard("Yes, please.", None))
    assert engine.node == "collect_account"


def test_no_to_a_check_asks_the_menu_again() -> None:
    engine = at()
    engine.handle(heard("how much is outstanding", unsure("check_balance")))
    actions = engine.handle(heard("No.", None))
    assert engine.node == "greet" and engine.pending_check is None
    assert "You can say check my balance" in said(actions)


def test_repeat_and_help_are_never_checked() -> None:
    engine = at()
    actions = engine.handle(heard("come again?", unsure("repeat")))
    assert engine.pending_check is None and "You can say" in said(actions)


def test_keyed_choices_need_no_check() -> None:
    from voicebot.dialogue.actions import DtmfDigit

    engine = at()
    engine.handle(DtmfDigit("1"))
    assert engine.node == "collect_account"


# -- read-back follows the evidence ----------------------------------------------------------

AUTO_FLOW = """
flow: auto_confirm
queues: {general: {twilio: {enqueue: general}}}
slots:
  plan: {type: choice, options: {gold: [], silver: []}, confirm: auto}
  account: {type: digits, length: 4, confirm: auto}
nodes:
  ask_plan: {collect: plan, prompt: "Gold or silver?", next: ask_account}
  ask_account: {collect: account, prompt: "Your four digit account?", next: done}
  done: {say: "Thanks.", hangup: true}
"""


def auto_engine(tmp_path: Path, start: str) -> DialogueEngine:
    path = tmp_path / "auto_confirm.yaml"
    path.write_text(AUTO_FLOW)
    engine = DialogueEngine(load_flow(path).model_copy(update={"start": start}))
    engine.handle(CallStarted("CA1"))
    return engine


def test_a_safe_value_heard_surely_is_said_back_in_passing(tmp_path: Path) -> None:
    engine = auto_engine(tmp_path, "ask_plan")
    actions = engine.handle(heard("Gold, please.", None, confidence=0.95))
    assert said(actions).startswith("Got it: gold.")
    assert engine.node == "ask_account"


def test_a_safe_value_heard_doubtfully_is_read_back(tmp_path: Path) -> None:
    engine = auto_engine(tmp_path, "ask_plan")
    actions = engine.handle(heard("Gold, please.", None, confidence=0.4))
    assert "Is that right?" in said(actions) and engine.node == "ask_plan"


def test_a_risky_value_is_read_back_however_surely_heard(tmp_path: Path) -> None:
    engine = auto_engine(tmp_path, "ask_account")
    actions = engine.handle(heard("4, 1, 7, 2.", None, confidence=0.99))
    assert any(isinstance(a, SetSlot) for a in actions)
    assert "Is that right?" in said(actions) and engine.node == "ask_account"


def test_a_keyed_value_is_not_read_back(tmp_path: Path) -> None:
    from voicebot.dialogue.actions import DtmfDigit

    engine = auto_engine(tmp_path, "ask_account")
    for digit in "4172":
        actions = engine.handle(DtmfDigit(digit))
    assert "Is that right?" not in said(actions) and engine.ended == "completed"
