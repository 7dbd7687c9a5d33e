"""voicebot's settings, typed once: read from VOICEBOT_* environment variables or given in code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voicebot.exceptions import ConfigError

ENV_PREFIX = "VOICEBOT_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flows_dir: Path = Field(Path("dialog_flows"), description="Folder of dialogue flow YAML files.")
    flow: str = Field("acme_support", description="Flow a call runs unless the call names one.")
    db_path: Path = Field(Path("var/calls.db"), description="SQLite file of call records.")
    twilio_auth_token: str | None = Field(
        None, description="Checks X-Twilio-Signature on webhooks and the stream handshake."
    )
    admin_token: str | None = Field(None, description="Bearer token for GET /calls/{sid}.")
    public_url: str | None = Field(
        None,
        description="The https URL Twilio reaches this server at (behind a proxy); "
        "used in TwiML and to check signatures. Default: the request's own host.",
    )
    tts_voice: str = Field("en-us", description="espeak-ng voice for the bot.")
    # The natural-language stack (docs/nl_stack.md): each stage picked on its own.
    stt: Literal["pocketsphinx", "whisper"] = Field(
        "pocketsphinx", description="Speech recogniser: pocketsphinx (embedded) or whisper."
    )
    tts: Literal["espeak", "piper"] = Field(
        "espeak", description="Voice: espeak (embedded) or piper."
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
        "base.en",
        description="faster-whisper model name (local Hugging Face cache only) or model folder.",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type for whisper.")
    whisper_beam_size: int = Field(1, ge=1, le=10, description="Whisper beam size.")
    whisper_threads: int = Field(2, ge=1, description="CPU threads per whisper decode.")
    whisper_workers: int = Field(1, ge=1, description="Whisper decodes run at the same time.")
    whisper_max_pending: int = Field(
        8, ge=0, description="Caller turns that may queue for whisper before new ones fail fast."
    )
    whisper_language: str = Field("en", description="Language spoken to whisper.")
    piper_voice: Path = Field(
        Path("models/piper/en_US-lessac-medium.onnx"),
        description="piper voice .onnx (its .onnx.json beside it).",
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
