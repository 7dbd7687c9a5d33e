from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nl.fake_ollama import FakeOllama, FakeOllamaServer
from voicebot.dialogue.flow import Flow
from voicebot.dialogue.loader import load_flow


@pytest.fixture
def ollama_server() -> Iterator[FakeOllama]:
    pytest.importorskip("ollama", reason="the nl extra is not installed: pip install -e '.[nl]'")
    with FakeOllamaServer() as state:
        yield state


FLOW = Path(__file__).parent / "flows" / "nl_support.yaml"


@pytest.fixture
def nl_flow() -> Flow:
    return load_flow(FLOW)
