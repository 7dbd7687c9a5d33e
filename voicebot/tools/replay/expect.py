"""Check a scenario's expectations against the call record (`GET /calls/{sid}`).

The record is a list of events; each caller event (caller_said, caller_keyed, caller_silent)
starts a segment holding the bot's reaction to it (bot_said, slot_set, transfer, …). Turns take
segments in order: a spoken turn takes the next caller_said (no-input segments before it are
noted), a keypad turn one caller_keyed per key, a silence turn every caller_silent in a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from voicebot.tools.replay.model import CallExpect, Turn, TurnExpect

CALLER_KINDS = ("caller_said", "caller_keyed", "caller_silent")
# The server's end reasons, in the scenario's words (a polite goodbye is a completed call).
OUTCOMES = {
    "completed": "completed",
    "caller_said_goodbye": "completed",
    "transferred": "transferred",
    "caller_hung_up": "hung_up",
}


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance over the reference length (1.0 for empty vs words)."""
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)


@dataclass
class Segment:
    caller: dict[str, Any] | None
    after: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Observed:
    """What the record says happened during one turn."""

    caller: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)
    before: list[dict[str, Any]] = field(default_factory=list)
    """Events between the previous turn's answer and this turn (a barge-in lands here)."""
    start_node: str | None = None
    """For the greeting: the node the caller was first heard in."""

    def last(self, kind: str | None = None) -> dict[str, Any] | None:
        matches = [e for e in self.caller if kind is None or e["kind"] == kind]
        return matches[-1] if matches else None

    @property
    def transcript(self) -> str | None:
        said = self.last("caller_said")
        return None if said is None else str(said.get("transcript") or "")

    @property
    def bot_text(self) -> str:
        return " ".join(str(e.get("text", "")) for e in self.after if e["kind"] == "bot_said")

    @property
    def node(self) -> str | None:
        """Where the turn led: the caller event's next node, or where an answer the turn
        waited for (an FAQ answer) led."""
        later = [e["next_node"] for e in self.after if e.get("next_node")]
        if later:
            return str(later[-1])
        last = self.last()
        return self.start_node if last is None else last.get("next_node")


def split_segments(events: list[dict[str, Any]]) -> tuple[Segment, list[Segment]]:
    greeting = Segment(None)
    segments: list[Segment] = []
    for event in events:
        if event["kind"] in CALLER_KINDS:
            segments.append(Segment(event))
        else:
            (segments[-1] if segments else greeting).after.append(event)
    return greeting, segments


def align(turns: list[Turn], events: list[dict[str, Any]]) -> tuple[Observed, list[Observed]]:
    greeting, segments = split_segments(events)
    observed: list[Observed] = []
    position = 0
    previous_after: list[dict[str, Any]] = greeting.after

    def take() -> Segment:
        nonlocal position
        segment = segments[position]
        position += 1
        return segment

    for index, turn in enumerate(turns):
        seen = Observed(before=list(previous_after))
        taken: list[Segment] = []
        kind = turn.kind
        if kind in ("speak", "barge_in"):
            while position < len(segments):
                segment = take()
                taken.append(segment)
                if segment.caller and segment.caller["kind"] == "caller_said":
                    break
        elif kind == "keys":
            for _ in turn.keys or "":
                if position < len(segments) and segments[position].caller["kind"] == "caller_keyed":  # type: ignore[index]
                    taken.append(take())
        elif kind == "silence":
            # One no-input per silence turn when another silence turn follows (each gets its
            # own); otherwise every no-input in a row (a long silence can fire the timer again).
            next_is_silence = index + 1 < len(turns) and turns[index + 1].kind == "silence"
            while (
                position < len(segments) and segments[position].caller["kind"] == "caller_silent"  # type: ignore[index]
            ):
                taken.append(take())
                if next_is_silence:
                    break
        else:  # hang-up and captures: whatever is left belongs to them
            while position < len(segments):
                taken.append(take())
        for segment in taken:
            if segment.caller:
                seen.caller.append(segment.caller)
            seen.after.extend(segment.after)
        observed.append(seen)
        previous_after = taken[-1].after if taken else []
    first = segments[0].caller if segments else None
    start = first.get("node") if first else None
    return Observed(after=greeting.after, start_node=start), observed


def _emotion(seen: Observed) -> str | None:
    for event in [*seen.caller, *seen.after]:
        if event["kind"] == "emotion" or "emotion" in event:
            value = event.get("label") if event["kind"] == "emotion" else event.get("emotion")
            if isinstance(value, dict):
                value = value.get("label")
            if value is not None:
                return str(value)
    return None


def check_turn(expect: TurnExpect, seen: Observed) -> list[str]:
    """Every unmet expectation of one turn as 'what: expected X, got Y'."""
    problems: list[str] = []
    if expect.transcript is not None:
        heard = seen.transcript
        if heard is None:
            problems.append(f"transcript: expected {expect.transcript!r}, the bot heard no speech")
        elif expect.max_wer is not None:
            wer = word_error_rate(expect.transcript, heard)
            if wer > expect.max_wer:
                problems.append(
                    f"transcript: expected WER ≤ {expect.max_wer:g} against "
                    f"{expect.transcript!r}, got {wer:.2f} ({heard!r})"
                )
        elif heard != expect.transcript:
            problems.append(f"transcript: expected {expect.transcript!r}, got {heard!r}")
    last = seen.last()
    if expect.intent is not None:
        got = None if last is None else last.get("intent")
        if got != expect.intent:
            problems.append(f"intent: expected {expect.intent!r}, got {got!r}")
    if expect.node is not None and seen.node != expect.node:
        problems.append(f"node: expected {expect.node!r}, got {seen.node!r}")
    if expect.slots:
        slots = (last or {}).get("slots") or {}
        for name, value in expect.slots.items():
            if str(slots.get(name)) != value:
                problems.append(f"slot {name}: expected {value!r}, got {slots.get(name)!r}")
    text = seen.bot_text
    if expect.bot_says is not None and expect.bot_says.lower() not in text.lower():
        problems.append(f"bot says: expected to contain {expect.bot_says!r}, got {text!r}")
    if expect.bot_says_regex is not None and not re.search(expect.bot_says_regex, text):
        problems.append(f"bot says: expected to match /{expect.bot_says_regex}/, got {text!r}")
    if expect.no_input is not None:
        fired = any(e["kind"] == "caller_silent" for e in seen.caller)
        if fired != expect.no_input:
            problems.append(f"no-input: expected {expect.no_input}, got {fired}")
    if expect.barge_in is not None:
        barged = any(e["kind"] == "barge_in" for e in [*seen.before, *seen.after])
        if barged != expect.barge_in:
            problems.append(f"barge-in: expected {expect.barge_in}, got {barged}")
    if expect.emotion is not None:
        label = _emotion(seen)
        if label is None:
            problems.append(
                f"emotion: expected {expect.emotion!r}, but the call record has no emotion "
                "label for this turn (is emotion detection enabled on this server?)"
            )
        elif label != expect.emotion:
            problems.append(f"emotion: expected {expect.emotion!r}, got {label!r}")
    return problems


def check_call(
    expect: CallExpect, record: dict[str, Any], latencies: list[float], realtime: bool
) -> list[str]:
    problems: list[str] = []
    events = record.get("events", [])
    transfers = [e for e in events if e["kind"] == "transfer"]
    if expect.outcome is not None:
        reason = record.get("end_reason")
        got = OUTCOMES.get(str(reason), reason)
        if got != expect.outcome:
            problems.append(f"outcome: expected {expect.outcome!r}, got {got!r}")
    if expect.queue is not None:
        got_queue = transfers[-1]["queue"] if transfers else None
        if got_queue != expect.queue:
            problems.append(f"queue: expected {expect.queue!r}, got {got_queue!r}")
    if expect.handoff is not None:
        handoff = transfers[-1].get("handoff") if transfers else None
        if not isinstance(handoff, dict):
            problems.append(
                "handoff: expected handoff fields, but the call record's transfer event "
                + ("carries none" if transfers else "is missing (no transfer)")
            )
        else:
            for key, value in expect.handoff.items():
                if handoff.get(key) != value:
                    problems.append(f"handoff {key}: expected {value!r}, got {handoff.get(key)!r}")
    if expect.slots:
        with_slots = [e for e in events if isinstance(e.get("slots"), dict)]
        slots = with_slots[-1]["slots"] if with_slots else {}
        for name, value in expect.slots.items():
            if str(slots.get(name)) != value:
                problems.append(f"slot {name}: expected {value!r}, got {slots.get(name)!r}")
    if expect.max_latency_ms is not None and realtime and latencies:
        worst = max(latencies)
        if worst > expect.max_latency_ms:
            problems.append(
                f"latency: expected ≤ {expect.max_latency_ms:.0f} ms, got {worst:.0f} ms"
            )
    return problems
