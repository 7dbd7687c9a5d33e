"""Fixtures for the dialogue tests: the shipped example flow and an engine running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.dialogue.engine import DialogueEngine
from voicebot.flows.flow import Flow
from voicebot.flows.loader import load_flow

ACME_FLOW = Path(__file__).parent / "flows" / "basic_support.yaml"


@pytest.fixture(scope="session")
def acme_flow() -> Flow:
    return load_flow(ACME_FLOW)


@pytest.fixture
def engine(acme_flow: Flow) -> DialogueEngine:
    return DialogueEngine(acme_flow, call_sid="CA0001")
