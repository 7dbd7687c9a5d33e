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
SHARED_AUDIO = REPO.parent / "shared" / "audio"


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


def shared_audio(*parts: str) -> Path:
    path = SHARED_AUDIO.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared audio {path} is absent (it lives beside the repository, in ../shared)")
    return path


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
