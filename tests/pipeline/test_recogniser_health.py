"""When whisper's time limit makes the recogniser a fault rather than a re-prompt."""

from __future__ import annotations

from types import SimpleNamespace

from voicebot.pipeline.recogniser_health import RecogniserHealth


def test_one_whisper_time_limit_is_a_turn_two_in_a_row_are_a_fault() -> None:
    timed_out = SimpleNamespace(reject_reason="time limit")
    heard = SimpleNamespace(reject_reason=None)
    health = RecogniserHealth()
    assert [health.down_after(r) for r in (timed_out, heard, timed_out)] == [False] * 3
    assert health.down_after(timed_out) is True
