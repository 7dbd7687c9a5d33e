"""X-Twilio-Signature checks for webhooks and the stream handshake, and signing for clients."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_url(
    scheme: str, host: str, path: str, query: str = "", base_url: str | None = None
) -> str:
    """The URL Twilio called, which is what it signed: the configured public base URL when
    voicebot runs behind a proxy, otherwise the request's own scheme and host."""
    if base_url:
        base = base_url.rstrip("/")
        if scheme in ("ws", "wss"):
            base = base.replace("https://", "wss://").replace("http://", "ws://")
    else:
        base = f"{scheme}://{host}"
    return f"{base}{path}" + (f"?{query}" if query else "")


def is_valid(token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    return bool(RequestValidator(token).validate(url, dict(params), signature))


def sign(token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    return str(RequestValidator(token).compute_signature(url, dict(params or {})))
