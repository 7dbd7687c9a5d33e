"""webrtcvad behind pipecat's VADAnalyzer: speech is detected then released, quiet lines never."""

from __future__ import annotations

import numpy as np
import pytest
from pipecat.audio.utils import calculate_audio_volume
from pipecat.audio.vad.vad_analyzer import VADState

from tests.conftest import demo_audio as fixture_audio
from voicebot.audio.codec import TELEPHONE_RATE, resample, ulaw_decode, ulaw_encode
from voicebot.exceptions import SpeechError
from voicebot.speech.turn_vad import SUSTAINED_SPEECH_SECS
from voicebot.speech.webrtc_vad import WebRTCVADAnalyzer, telephone_vad_params

FRAME_S = 0.02  # Twilio's 20 ms media frames


def silence(seconds: float, rate: int = TELEPHONE_RATE) -> bytes:
    return bytes(int(seconds * rate) * 2)


def noise(seconds: float, dbfs: float, rate: int = TELEPHONE_RATE) -> bytes:
    """White noise at an RMS level, through μ-law as a quiet phone line would deliver it."""
    rng = np.random.default_rng(7)
    samples = rng.normal(0.0, 32768 * 10 ** (dbfs / 20), int(seconds * rate))
    pcm = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
    return ulaw_decode(ulaw_encode(pcm))


async def states(analyzer: WebRTCVADAnalyzer, pcm: bytes, rate: int) -> list[VADState]:
    """The analyzer's state after each 20 ms frame, fed as the transport would."""
    analyzer.set_sample_rate(rate)
    step = int(FRAME_S * rate) * 2
    return [await analyzer.analyze_audio(pcm[i : i + step]) for i in range(0, len(pcm), step)]


def first(seq: list[VADState], state: VADState, start: int = 0) -> int:
    return next(i for i in range(start, len(seq)) if seq[i] == state)


@pytest.mark.parametrize("fixture", ["check_my_balance", "account_number_spoken", "yes", "no"])
async def test_speech_is_detected_then_released(fixture: str) -> None:
    turn = silence(0.5) + fixture_audio(fixture) + silence(1.5)
    seq = await states(WebRTCVADAnalyzer(), turn, TELEPHONE_RATE)
    speaking = first(seq, VADState.SPEAKING)
    quiet_again = first(seq, VADState.QUIET, speaking)
    speech_end_frame = (0.5 * TELEPHONE_RATE * 2 + len(fixture_audio(fixture))) / (FRAME_S * 16000)
    assert 0.5 / FRAME_S <= speaking < speech_end_frame
    # Released after stop_secs of quiet, not before the caller finished, not much later.
    stop_frames = telephone_vad_params().stop_secs / FRAME_S
    assert speech_end_frame <= quiet_again <= speech_end_frame + stop_frames + 10
    assert VADState.SPEAKING not in seq[quiet_again:]


async def test_wideband_audio_with_30_ms_windows() -> None:
    turn = resample(silence(0.5) + fixture_audio("check_my_balance") + silence(1.5), 8000, 16000)
    seq = await states(WebRTCVADAnalyzer(window_ms=30), turn, 16000)
    assert VADState.SPEAKING in seq
    assert seq[-1] == VADState.QUIET


@pytest.mark.parametrize(
    "line",
    [silence(3.0), noise(3.0, dbfs=-60.0), noise(3.0, dbfs=-45.0)],
    ids=["digital_silence", "noise_-60dBFS", "noise_-45dBFS"],
)
async def test_a_quiet_line_never_counts_as_speaking(line: bytes) -> None:
    seq = await states(WebRTCVADAnalyzer(), line, TELEPHONE_RATE)
    assert set(seq) <= {VADState.QUIET, VADState.STARTING}


@pytest.mark.parametrize("fixture", ["check_my_balance", "yes", "out_of_grammar"])
def test_pipecat_min_volume_default_passes_telephone_speech(fixture: str) -> None:
    # pipecat gates speech on loudness over a 0.4 s window (0.6 ~ -50 LUFS); the fixtures
    # (-3 dBFS peaks, like a normal handset level) sit far above it even when padded to 0.4 s.
    audio = fixture_audio(fixture)
    audio += silence(max(0.0, 0.4 - len(audio) / 2 / TELEPHONE_RATE))
    assert calculate_audio_volume(audio, TELEPHONE_RATE) > 0.75
    assert telephone_vad_params().min_volume == 0.6


def test_rates_webrtcvad_cannot_take_are_refused() -> None:
    with pytest.raises(SpeechError, match="8000 or 16000 Hz audio, not 22050 Hz"):
        WebRTCVADAnalyzer().set_sample_rate(22050)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="aggressiveness must be 0-3"):
        WebRTCVADAnalyzer(aggressiveness=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window_ms must be 20 or 30"):
        WebRTCVADAnalyzer(window_ms=10)  # type: ignore[arg-type]


async def peak_speech_secs(name: str) -> float:
    """The most speech the analyzer counts in one turn of a demo fixture, with line silence."""
    analyzer = WebRTCVADAnalyzer(params=telephone_vad_params())
    analyzer.set_sample_rate(TELEPHONE_RATE)
    pcm = silence(1.0) + fixture_audio(name) + silence(1.0)
    step = int(FRAME_S * TELEPHONE_RATE) * 2
    peak = 0.0
    for i in range(0, len(pcm), step):
        await analyzer.analyze_audio(pcm[i : i + step])
        peak = max(peak, analyzer.speech_secs)
    assert analyzer.speech_secs == 0.0  # the turn ended: the count starts again
    return peak


async def test_speech_secs_tell_a_backchannel_or_cough_from_a_phrase() -> None:
    for short in ("mm_hmm", "cough", "agent", "no"):
        assert 0 < await peak_speech_secs(short) < SUSTAINED_SPEECH_SECS, short
    for phrase in ("check_my_balance", "report_an_outage"):
        assert await peak_speech_secs(phrase) > SUSTAINED_SPEECH_SECS, phrase
