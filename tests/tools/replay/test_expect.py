"""Expectations against a call record: alignment of turns, WER, and clear reasons."""

from __future__ import annotations

from typing import Any

from voicebot.tools.replay.expect import align, check_call, check_turn, word_error_rate
from voicebot.tools.replay.model import CallExpect, Turn, TurnExpect


def ev(kind: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, **data}


RECORD = [
    ev("bot_said", text="Card services."),
    ev("caller_silent", node="greet", next_node="greet", intent=None, slots={}),
    ev("bot_said", text="Sorry, I didn't hear anything."),
    ev("caller_silent", node="greet", next_node="greet", intent=None, slots={}),
    ev("bot_said", text="Still there?"),
    ev("barge_in", by="speech"),
    ev(
        "caller_said",
        transcript="lost card",
        node="greet",
        next_node="collect_card",
        intent="lost_card",
        slots={},
    ),  # fmt: skip
    ev("bot_said", text="Please key the last four digits."),
    *[
        ev(
            "caller_keyed",
            digit=d,
            node="collect_card",
            next_node="collect_card",
            intent=None,
            slots={},
        )
        for d in "441"
    ],  # fmt: skip
    ev(
        "caller_keyed",
        digit="2",
        node="collect_card",
        next_node="ask_block",
        intent=None,
        slots={"card_last_four": "4412"},
    ),  # fmt: skip
    ev("bot_said", text="Shall I block it?"),
    ev("transfer", queue="fraud", reason="x", handoff={"summary": "lost card"}),
]


def turns(*specs: dict[str, Any]) -> list[Turn]:
    return [Turn.model_validate(spec) for spec in specs]


def test_word_error_rate() -> None:
    assert word_error_rate("two nine three", "two nine three") == 0
    assert word_error_rate("two nine three", "two five three") == 1 / 3
    assert word_error_rate("two nine", "two nine three four") == 1.0
    assert word_error_rate("", "") == 0


def test_turns_take_their_own_events() -> None:
    script = turns(
        {"silence": 8}, {"silence": 8}, {"say": "lost card", "barge_in_ms": 300}, {"keys": "4412"}
    )
    greeting, seen = align(script, RECORD)
    assert greeting.bot_text == "Card services."
    assert greeting.node == "greet"
    assert [len(s.caller) for s in seen] == [1, 1, 1, 4]
    assert seen[2].transcript == "lost card"
    assert check_turn(TurnExpect(barge_in=True, node="collect_card"), seen[2]) == []
    assert check_turn(TurnExpect(no_input=True, bot_says="didn't hear"), seen[0]) == []
    assert check_turn(TurnExpect(node="ask_block", slots={"card_last_four": "4412"}), seen[3]) == []


def test_one_long_silence_takes_every_no_input() -> None:
    _, seen = align(turns({"silence": 20}, {"say": "lost card"}), RECORD)
    assert len(seen[0].caller) == 2


def test_failures_say_expected_and_actual() -> None:
    _, seen = align(turns({"say": "lost card"}), RECORD[5:])
    problems = check_turn(
        TurnExpect(transcript="lost cart", intent="activate_card", bot_says_regex=r"^Card"),
        seen[0],
    )
    assert problems == [
        "transcript: expected 'lost cart', got 'lost card'",
        "intent: expected 'activate_card', got 'lost_card'",
        "bot says: expected to match /^Card/, got 'Please key the last four digits.'",
    ]
    assert check_turn(TurnExpect(transcript="lost cart", max_wer=0.5), seen[0]) == []
    wer = check_turn(TurnExpect(transcript="a lost cart", max_wer=0.5), seen[0])
    assert wer and "WER ≤ 0.5" in wer[0] and "got 0.67" in wer[0]


def test_emotion_missing_from_record_is_a_clear_failure() -> None:
    _, seen = align(turns({"say": "lost card"}), RECORD[5:])
    [problem] = check_turn(TurnExpect(emotion="angry"), seen[0])
    assert "no emotion label" in problem
    seen[0].after.append(ev("emotion", label="calm"))
    assert check_turn(TurnExpect(emotion="calm"), seen[0]) == []


def test_call_expectations() -> None:
    record = {"end_reason": "transferred", "events": RECORD}
    ok = CallExpect(outcome="transferred", queue="fraud", handoff={"summary": "lost card"})
    assert check_call(ok, record, [300.0], realtime=True) == []
    bad = CallExpect(outcome="completed", queue="cards", handoff={"reason": "x"},
                     max_latency_ms=200)  # fmt: skip
    assert check_call(bad, record, [300.0], realtime=True) == [
        "outcome: expected 'completed', got 'transferred'",
        "queue: expected 'cards', got 'fraud'",
        "handoff reason: expected 'x', got None",
        "latency: expected ≤ 200 ms, got 300 ms",
    ]
    # Latency limits are not checked when time is compressed.
    assert check_call(CallExpect(max_latency_ms=200), record, [300.0], realtime=False) == []


def test_handoff_expected_without_one_in_the_record() -> None:
    record = {"end_reason": "transferred", "events": [ev("transfer", queue="general")]}
    [problem] = check_call(CallExpect(handoff={"summary": "x"}), record, [], realtime=False)
    assert "carries none" in problem
