"""voicebot's settings, typed once: read from VOICEBOT_* environment variables or given in code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voicebot.exceptions import ConfigError

ENV_PREFIX = "VOICEBOT_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flows_dir: Path = Field(Path("dialog_flows"), description="Folder of dialogue flow YAML files.")
    flow: str = Field("acme_support", description="Flow a call runs unless the call names one.")
    db_path: Path = Field(Path("var/calls.db"), description="SQLite file of call records.")
    database_url: str | None = Field(
        None,
        description="PostgreSQL call store (postgresql://user:password@host:port/db) shared "
        "by several workers; unset: the SQLite file db_path.",
    )
    twilio_auth_token: str | None = Field(
        None, description="Checks X-Twilio-Signature on webhooks and the stream handshake."
    )
    admin_token: str | None = Field(
        None, description="Bearer token for GET /calls/{sid} and /admin/api; the /admin login."
    )
    public_url: str | None = Field(
        None,
        description="The https URL Twilio reaches this server at (behind a proxy); "
        "used in TwiML and to check signatures. Default: the request's own host.",
    )
    tts_voice: str = Field("en-us", description="espeak-ng voice for the bot.")
    # The natural-language stack (docs/nl_stack.md): each stage picked on its own.
    stt: Literal["auto", "pocketsphinx", "whisper"] = Field(
        "auto",
        description="Speech recogniser: whisper (open vocabulary), pocketsphinx (embedded "
        "grammar) or auto: whisper when its model package is installed, else pocketsphinx.",
    )
    tts: Literal["auto", "espeak", "piper"] = Field(
        "auto",
        description="Voice: piper, espeak (embedded) or auto: piper when its voice package is "
        "installed, else espeak.",
    )
    llm: Literal["none", "ollama"] = Field(
        "none", description="LLM for understanding turns the grammar misses: none or ollama."
    )
    stt_processes: int = Field(
        2,
        ge=0,
        description="Worker processes that run pocketsphinx decodes (it holds the GIL while it "
        "decodes, so in-process decodes pause every call's audio); 0 decodes in-process.",
    )
    whisper_model: str = Field(
        "tiny.en",
        description="tiny.en or base (from the models extra's packages, checksummed), another "
        "faster-whisper name (local Hugging Face cache only) or a model folder.",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type for whisper.")
    whisper_beam_size: int = Field(5, ge=1, le=10, description="Whisper beam size.")
    whisper_threads: int = Field(2, ge=1, description="CPU threads per whisper decode.")
    whisper_workers: int = Field(1, ge=1, description="Whisper decodes run at the same time.")
    whisper_max_pending: int = Field(
        8, ge=0, description="Caller turns that may queue for whisper before new ones fail fast."
    )
    whisper_language: str = Field("en", description="Language spoken to whisper.")
    whisper_time_limit_secs: float = Field(
        4.0, gt=0, description="A caller turn whose decode takes longer is dropped (not heard)."
    )
    grammar_cross_check: bool = Field(
        True,
        description="With whisper: a menu turn the intent matcher rejects is decoded against "
        "the node's grammar too (pocketsphinx, in one decode process), and the intent both "
        "find is checked with the caller instead of a re-prompt (docs/understanding.md).",
    )
    smart_turn: bool = Field(
        False,
        description="Smart Turn (pipecat's offline end-of-turn model) judges each caller "
        "pause: a finished-sounding turn ends early, an unfinished one waits up to 1 s. Off: "
        "on telephone audio it costs more than it saves (docs/turn_taking.md).",
    )
    smart_turn_model: Path | None = Field(
        None, description="Smart Turn ONNX file (default: the one in pipecat's wheel)."
    )
    piper_voice: str = Field(
        "en_US-joe-medium",
        description="en_US-joe-medium (from the models extra, checksummed) or a piper voice "
        ".onnx path (its .onnx.json beside it).",
    )
    model_cache: Path | None = Field(
        None,
        description="Where verified checksums and joined model files are kept "
        "(default: $XDG_CACHE_HOME/voicebot/models or ~/.cache/voicebot/models).",
    )
    ollama_url: str = Field("http://127.0.0.1:11434", description="ollama server URL.")
    ollama_model: str = Field("llama3.2:1b", description="ollama model for the LLM features.")
    llm_first_token_secs: float = Field(
        1.2, gt=0, description="LLM budget to the first token (and between tokens)."
    )
    llm_total_secs: float = Field(4.0, gt=0, description="LLM budget for a whole reply.")
    fallback_to_embedded: bool = Field(
        False,
        description="Start with the embedded stage when a configured model is missing, "
        "instead of refusing to start.",
    )
    twilio_account_sid: str | None = Field(
        None,
        description="Account SID for Twilio's REST API; with it (and the auth token or an API "
        "key) a transfer moves the live call to its queue's TwiML.",
    )
    twilio_api_key: str | None = Field(
        None, description="API key SID (SK…) for the REST API instead of the auth token."
    )
    twilio_api_secret: str | None = Field(None, description="Secret of VOICEBOT_TWILIO_API_KEY.")
    twilio_api_base_url: str = Field(
        "https://api.twilio.com", description="Twilio REST API base URL (tests use a fake)."
    )
    handoff_webhook_url: str | None = Field(
        None, description="Agent-desktop URL each handoff packet is POSTed to (JSON)."
    )
    handoff_webhook_secret: str | None = Field(
        None, description="Signs handoff POSTs: X-Voicebot-Signature: sha256=HMAC(body)."
    )
    handoff_show_caller: bool = Field(
        False, description="Show the full caller ID in handoff packets (default: last 4 digits)."
    )

    @field_validator("piper_voice", mode="before")
    @classmethod
    def _voice_path_as_text(cls, value: object) -> object:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {
            name: environ[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if environ.get(ENV_PREFIX + name.upper())
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(f"bad setting: {problems}") from None
