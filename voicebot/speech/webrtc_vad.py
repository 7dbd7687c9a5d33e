"""Voice activity detection on WebRTC's GMM detector (the `webrtcvad` module): no model files.

Plugs into pipecat as a `VADAnalyzer`; `telephone_vad_params()` holds our turn-taking timings.
"""

from __future__ import annotations

from typing import Literal

import webrtcvad
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams, VADState

from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.flows.slot_types import SlotType

SUPPORTED_RATES = (8000, 16000)
Aggressiveness = Literal[0, 1, 2, 3]


def telephone_vad_params() -> VADParams:
    """VAD timings for phone calls.

    start 0.2 s: long enough that a click, a breath or a burst of line noise does not count as
    the caller starting to speak, short enough for a one-syllable "no" (~0.25 s) to register.
    stop 0.3 s: the wait after the caller goes quiet is most of the bot's response time
    (`bench/latency.py`, real-time demo call: median 650 ms with 0.5 s, 445 ms with 0.3 s).
    Callers pause longer than that between the digits of an account number: while the node
    expects one, `turn_vad_params` waits longer, unless the recogniser holds an unfinished
    number for more itself (`PocketsphinxSTTService`; whisper has no such hold).
    min_volume 0.6 (pipecat's default, about -50 LUFS) sits far below telephone speech (the
    demo fixtures measure ~0.8-0.9) and above a quiet line's hiss.
    """
    return VADParams(confidence=0.5, start_secs=0.2, stop_secs=0.3, min_volume=0.6)


DICTATION_STOP_SECS = 0.8
"""The wait after the caller goes quiet while the node expects a string said in groups (an
account number "2 3 4 5 … 3 5 8 3", a phone number, an e-mail address spelled out, a
postcode) or a free description: callers pause 0.4-0.7 s between groups and while thinking.
Yes/no, menus, numbers, amounts, dates and times keep the short wait."""
DICTATED: frozenset[SlotType] = frozenset({"digits", "phone", "email", "postcode", "free_text"})


def turn_vad_params(
    expect: Expectation | None, held: frozenset[SlotType] = frozenset()
) -> VADParams:
    """`telephone_vad_params()`, with the longer end-of-turn wait where `expect` is dictated.
    `held`: slot types whose pauses the recogniser waits out itself (pocketsphinx holds an
    unfinished digit string, so a complete one is answered after the short wait)."""
    params = telephone_vad_params()
    slot = expect.slot if expect is not None else None
    if slot is not None and slot.type in DICTATED and slot.type not in held:
        return params.model_copy(update={"stop_secs": DICTATION_STOP_SECS})
    return params


class WebRTCVADAnalyzer(VADAnalyzer):
    """Speech/non-speech per 20 or 30 ms window from webrtcvad, as confidence 1.0 or 0.0."""

    def __init__(
        self,
        *,
        aggressiveness: Aggressiveness = 2,
        window_ms: Literal[20, 30] = 20,
        sample_rate: int | None = None,
        params: VADParams | None = None,
    ) -> None:
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"aggressiveness must be 0-3, not {aggressiveness}")
        if window_ms not in (20, 30):
            raise ValueError(f"window_ms must be 20 or 30, not {window_ms}")
        # Mode 2 of 0-3: telephone lines carry steady hiss that mode 0-1 calls speech.
        self._vad = webrtcvad.Vad(aggressiveness)
        self._window_ms = window_ms
        self._speech_secs = 0.0
        self._quiet_secs = 0.0
        self.ended_after_secs = 0.0
        """The quiet that ended the last turn: `stop_secs`, or less when it was ended early."""
        self._holding = False  # a pause is held longer than params.stop_secs (`hold_pause`)
        self._confidence = 0.0  # webrtcvad's verdict on the window being analysed
        super().__init__(sample_rate=sample_rate, params=params or telephone_vad_params())

    def set_sample_rate(self, sample_rate: int) -> None:
        rate = self._init_sample_rate or sample_rate
        if rate not in SUPPORTED_RATES:
            raise SpeechError(f"webrtcvad needs 8000 or 16000 Hz audio, not {rate} Hz")
        super().set_sample_rate(sample_rate)

    def num_frames_required(self) -> int:
        return self.sample_rate * self._window_ms // 1000

    def voice_confidence(self, buffer: bytes) -> float:
        try:
            self._confidence = 1.0 if self._vad.is_speech(buffer, self.sample_rate) else 0.0
        except Exception as exc:  # webrtcvad raises a bare Error for malformed windows
            raise SpeechError(f"webrtcvad could not analyse a window: {exc}") from exc
        return self._confidence

    def _get_smoothed_volume(self, audio: bytes) -> float:
        """pipecat's loudness gate, measured only on windows webrtcvad calls speech: on the
        others the window is not speech whatever its loudness, and a BS.1770 measurement of
        the last 0.4 s for every 20 ms window was the largest single cost of a caller's audio
        in the server (py-spy, 10 calls: 7 % of the worker's CPU). The rolling window still
        takes every window, so the first speech window is measured over the same 0.4 s."""
        if self._confidence >= self.params.confidence:
            return super()._get_smoothed_volume(audio)
        self._volume_tracker.update(audio, self.sample_rate)
        return self._prev_volume

    @property
    def speech_secs(self) -> float:
        """Speech heard in the caller's current turn, not counting the pauses the VAD waits
        out before ending it (0 between turns): the start_secs that opened the turn, plus
        every window since in which the caller was speaking."""
        return self._speech_secs

    async def analyze_audio(self, buffer: bytes) -> VADState:
        # In line, not in pipecat's executor thread: analysing a 20 ms window (webrtcvad and
        # pipecat's loudness gate) takes under 0.1 ms, about what the thread hop itself costs,
        # and holds the GIL anyway; every call makes 50 of them a second.
        state = self._run_analyzer(buffer)
        secs = len(buffer) / (2 * self.sample_rate)  # 16-bit mono, as pipecat sends it
        if state == VADState.SPEAKING:
            self._speech_secs = (self._speech_secs or self.params.start_secs) + secs
            self._quiet_secs = 0.0
        elif state == VADState.STOPPING:
            self._quiet_secs += secs
        else:
            if self._speech_secs:  # the turn ends here
                self.ended_after_secs = self._quiet_secs + secs
            self._speech_secs = self._quiet_secs = 0.0
        if self._holding and state != VADState.STOPPING:  # a held pause lasts only that pause
            self.release_pause()
        return state

    @property
    def quiet_secs(self) -> float:
        """How long the caller has been quiet in a turn the VAD has not ended yet (0 while
        they speak and between turns)."""
        return self._quiet_secs

    def hold_pause(self, stop_secs: float) -> None:
        """Wait `stop_secs` of quiet in the current pause, not `params.stop_secs`, before the
        turn ends (until the caller speaks again or the turn ends; `release_pause` undoes it)."""
        if self._vad_state == VADState.STOPPING:
            self._vad_stop_frames = self._stop_frames(max(stop_secs, self.params.stop_secs))
            self._holding = True

    def release_pause(self) -> None:
        """Back to the wait of `params.stop_secs` (a pause already longer ends at the next
        window)."""
        self._vad_stop_frames = self._stop_frames(self.params.stop_secs)
        self._holding = False

    def _stop_frames(self, stop_secs: float) -> int:
        return round(stop_secs / (self._vad_frames / self.sample_rate))  # as set_params counts

    def end_turn_now(self) -> None:
        """End a turn whose pause has begun at the next window, without waiting out the rest
        of `stop_secs` (speech in that window still carries the turn on)."""
        if self._vad_state == VADState.STOPPING:
            self._vad_stopping_count = max(self._vad_stopping_count, self._vad_stop_frames - 1)
