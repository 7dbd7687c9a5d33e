"""Which speech/LLM models this machine has: the `voicebot models` report and the startup check.

Nothing here downloads: a Whisper name is looked up in the local Hugging Face cache only, a
piper voice is a local file, and ollama is asked (briefly) which models it already has. Each
missing model comes with the exact command that fetches it on a machine with internet.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from voicebot.exceptions import ConfigError
from voicebot.settings import Settings

OLLAMA_CHECK_SECS = 2.0
NL_EXTRA = "pip install 'voicebot[nl]'"


@dataclass(frozen=True)
class ModelStatus:
    stage: str
    """stt, tts or llm."""
    backend: str
    selected: bool
    """The settings pick this backend for its stage."""
    present: bool
    looked_in: str
    fetch: str | None = None
    """The command that gets the model on a machine with internet (None: nothing to fetch)."""
    detail: str = ""


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def whisper_status(settings: Settings) -> ModelStatus:
    selected = settings.stt == "whisper"
    if not _installed("faster_whisper"):
        return ModelStatus(
            "stt",
            "whisper",
            selected,
            False,
            "python packages",
            NL_EXTRA,
            "faster-whisper is not installed",
        )
    from voicebot.speech.whisper_stt import ModelMissingError, resolve_model_path

    try:
        path = resolve_model_path(settings.whisper_model)
    except ModelMissingError as exc:
        return ModelStatus(
            "stt",
            "whisper",
            selected,
            False,
            _hf_cache(settings.whisper_model),
            exc.fetch,
            exc.reason,
        )
    return ModelStatus("stt", "whisper", selected, True, str(path), None, settings.whisper_model)


def _hf_cache(model: str) -> str:
    if "/" in model or model.startswith("."):
        return model
    from huggingface_hub.constants import HF_HUB_CACHE

    return f"{HF_HUB_CACHE} (Systran/faster-whisper-{model})"


def piper_status(settings: Settings) -> ModelStatus:
    selected = settings.tts == "piper"
    voice = settings.piper_voice
    if not _installed("piper"):
        return ModelStatus(
            "tts",
            "piper",
            selected,
            False,
            "python packages",
            NL_EXTRA,
            "piper-tts is not installed",
        )
    from voicebot.speech.piper_tts import voice_files
    from voicebot.speech.whisper_stt import ModelMissingError

    try:
        onnx_path, _ = voice_files(voice)
    except ModelMissingError as exc:
        return ModelStatus("tts", "piper", selected, False, str(voice), exc.fetch, exc.reason)
    return ModelStatus("tts", "piper", selected, True, str(onnx_path), None, onnx_path.stem)


def ollama_status(settings: Settings) -> ModelStatus:
    selected = settings.llm == "ollama"
    where = f"{settings.ollama_url} /api/tags"
    pull = f"ollama pull {settings.ollama_model}"
    if not _installed("ollama"):
        return ModelStatus(
            "llm",
            "ollama",
            selected,
            False,
            "python packages",
            NL_EXTRA,
            "the ollama client is not installed",
        )
    import httpx
    import ollama

    try:
        listing = ollama.Client(host=settings.ollama_url, timeout=OLLAMA_CHECK_SECS).list()
    except (httpx.HTTPError, ConnectionError, OSError, ollama.ResponseError) as exc:
        return ModelStatus(
            "llm", "ollama", selected, False, where, pull, f"ollama server not reachable: {exc}"
        )
    names = {m.model for m in listing.models if m.model}
    wanted = settings.ollama_model
    if wanted in names or f"{wanted}:latest" in names:
        return ModelStatus("llm", "ollama", selected, True, where, None, wanted)
    return ModelStatus(
        "llm",
        "ollama",
        selected,
        False,
        where,
        pull,
        f"model {wanted} not on the server (it has: {', '.join(sorted(names)) or 'none'})",
    )


def model_report(settings: Settings) -> list[ModelStatus]:
    """Every backend, selected or not; the embedded ones ship inside their wheels."""
    return [
        ModelStatus(
            "stt",
            "pocketsphinx",
            settings.stt == "pocketsphinx",
            True,
            "bundled with the pocketsphinx wheel",
        ),
        whisper_status(settings),
        ModelStatus(
            "tts",
            "espeak",
            settings.tts == "espeak",
            True,
            "bundled with the espeakng-loader wheel",
        ),
        piper_status(settings),
        ModelStatus("llm", "none", settings.llm == "none", True, "-"),
        ollama_status(settings),
    ]


def format_report(statuses: list[ModelStatus]) -> str:
    lines = []
    for s in statuses:
        mark = "*" if s.selected else " "
        state = "present" if s.present else "MISSING"
        lines.append(f"{mark} {s.stage:<4} {s.backend:<13} {state:<8} looked in: {s.looked_in}")
        if not s.present:
            if s.detail:
                lines.append(f"{'':21}{s.detail}")
            if s.fetch:
                lines.append(f"{'':21}fetch: {s.fetch}")
    lines.append("(* = selected by the settings)")
    return "\n".join(lines)


_EMBEDDED = {"stt": "pocketsphinx", "tts": "espeak", "llm": "none"}


def require_models(settings: Settings) -> Settings:
    """The settings to start with: unchanged when every selected model is present; with the
    missing stages switched to the embedded stack if `fallback_to_embedded`; else ConfigError
    with the report lines that say how to fetch what is missing."""
    checks = {"whisper": whisper_status, "piper": piper_status, "ollama": ollama_status}
    missing: list[ModelStatus] = []
    for stage in ("stt", "tts", "llm"):
        backend = getattr(settings, stage)
        if backend in checks:
            status = checks[backend](settings)
            if not status.present:
                missing.append(status)
    if not missing:
        return settings
    if settings.fallback_to_embedded:
        return settings.model_copy(update={s.stage: _EMBEDDED[s.stage] for s in missing})
    problems = "\n".join(
        f"  {s.stage}: {s.backend}: {s.detail}" + (f"\n    fetch: {s.fetch}" if s.fetch else "")
        for s in missing
    )
    raise ConfigError(
        "configured models are missing (set VOICEBOT_FALLBACK_TO_EMBEDDED=true to start with "
        f"the embedded stack instead):\n{problems}"
    )
