from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nl.fake_ollama import FakeOllama, FakeOllamaServer
from voicebot.flows.flow import Flow
from voicebot.flows.loader import load_flow


@pytest.fixture
def ollama_server() -> Iterator[FakeOllama]:
    pytest.importorskip("ollama", reason="the nl extra is not installed: pip install -e '.[nl]'")
    with FakeOllamaServer() as state:
        yield state


FLOW = Path(__file__).parent / "flows" / "nl_support.yaml"


@pytest.fixture
def nl_flow() -> Flow:
    return load_flow(FLOW)


@pytest.fixture(scope="session")
def real_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The models extra's real tiny.en and joe voice, verified; the model cache to use."""
    pytest.importorskip("faster_whisper", reason="the nl extra is not installed")
    pytest.importorskip("piper", reason="the nl extra is not installed")
    from tests.nl.skips import MODELS_MISSING
    from voicebot.speech.packaged import PIPER_JOE, WHISPER_TINY_EN, installed

    if not (installed(WHISPER_TINY_EN) and installed(PIPER_JOE)):
        pytest.skip(MODELS_MISSING)
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("faster_whisper", reason="the nl extra is not installed")
    from tests.nl.tiny_models import build_tiny_whisper

    return build_tiny_whisper(tmp_path_factory.mktemp("whisper") / "tiny-random")


@pytest.fixture(scope="session")
def tiny_piper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("piper", reason="the nl extra is not installed")
    pytest.importorskip("onnx", reason="onnx (test-only) is not installed")
    from tests.nl.tiny_models import build_tiny_piper

    return build_tiny_piper(tmp_path_factory.mktemp("piper"))
