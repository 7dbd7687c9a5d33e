"""A flow's own `speech:` stages: checked when the server starts, used by that flow's calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FLOWS_DIR
from voicebot.exceptions import VoicebotError
from voicebot.pipeline.stack import EmbeddedSpeechStack
from voicebot.server.app import build_context
from voicebot.settings import Settings


def flows_with(tmp_path: Path, speech: str) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    for included in ("shared", "knowledge"):  # what the flow includes
        shutil.copytree(FLOWS_DIR / included, flows / included)
    text = (FLOWS_DIR / "acme_support.yaml").read_text(encoding="utf-8")
    (flows / "acme_support.yaml").write_text(
        text.replace("language: en-US\n", f"language: en-US\nspeech: {speech}\n"),
        encoding="utf-8",
    )
    return flows


def test_a_flow_asking_for_a_missing_model_stops_the_server_with_the_fetch_command(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    settings = Settings(
        flows_dir=flows_with(tmp_path, "{stt: whisper}"),
        db_path=tmp_path / "calls.db",
        whisper_model=str(tmp_path / "no-such-model"),
    )
    with pytest.raises(VoicebotError, match="whisper"):
        build_context(settings, host="127.0.0.1", speech=speech)


def test_flows_without_speech_use_the_servers_stack(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    settings = Settings(flows_dir=FLOWS_DIR, db_path=tmp_path / "calls.db")
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    assert ctx.speech_for(ctx.flows["acme_support"]) is speech


def test_a_flow_choosing_the_default_stages_shares_a_configured_stack(
    tmp_path: Path, speech: EmbeddedSpeechStack
) -> None:
    settings = Settings(
        flows_dir=flows_with(tmp_path, "{stt: pocketsphinx, llm: none}"),
        db_path=tmp_path / "calls.db",
    )
    ctx = build_context(settings, host="127.0.0.1", speech=speech)
    stack = ctx.speech_for(ctx.flows["acme_support"])
    assert stack is not speech and stack is ctx.speech_for(ctx.flows["acme_support"])
    assert stack.understander() is None
