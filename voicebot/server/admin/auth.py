"""Who may read the dashboard: the admin token, as a bearer header (scripts) or as a signed
session cookie that the login form sets (people). Without a configured token nobody may.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request

COOKIE = "voicebot_admin"
SESSION_SECS = 12 * 3600
_SUBJECT = b"admin"


def _signer(token: str) -> TimestampSigner:
    # Keyed by the token itself: changing the token ends every session.
    key = hmac.new(token.encode(), b"voicebot admin session", hashlib.sha256).digest()
    return TimestampSigner(key, salt="voicebot.admin")


def token_matches(token: str | None, given: str) -> bool:
    return bool(token) and hmac.compare_digest(given.encode(), str(token).encode())


def session_cookie(token: str) -> str:
    return _signer(token).sign(_SUBJECT).decode()


def session_valid(token: str, cookie: str | None) -> bool:
    if not cookie:
        return False
    try:
        return _signer(token).unsign(cookie, max_age=SESSION_SECS) == _SUBJECT
    except BadSignature:  # also SignatureExpired
        return False


def allowed(token: str | None, request: Request) -> bool:
    """Whether `request` carries the admin token (bearer) or a live session cookie."""
    if not token:
        return False
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer ") and token_matches(token, header.removeprefix("Bearer ")):
        return True
    return session_valid(token, request.cookies.get(COOKIE))
