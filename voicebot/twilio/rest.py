"""Move a live call to new TwiML through Twilio's REST API (Calls resource update, `Twiml`).

Uses the `twilio` package's async client; retries 429 and 5xx answers and network errors with
exponential backoff, each attempt bounded by a timeout. The API base URL is configurable so
tests can point it at a fake Twilio on loopback.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

DEFAULT_API_BASE_URL = "https://api.twilio.com"


class CallUpdateError(Exception):
    """Twilio did not accept the call update; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class TwilioCredentials:
    account_sid: str
    username: str
    """The auth token's account SID, or an API key SID (`SK…`)."""
    password: str
    """The auth token, or the API key's secret."""


@dataclass
class UpdateResult:
    ok: bool
    attempts: int
    errors: list[str] = field(default_factory=list)


class TwilioCallUpdater:
    """`update(call_sid, twiml)`: redirect a live call, with timeout and retries."""

    def __init__(
        self,
        credentials: TwilioCredentials,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        timeout: float = 3.0,
        attempts: int = 3,
        backoff: float = 0.25,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff

    async def update(self, call_sid: str, twiml: str) -> UpdateResult:
        result = UpdateResult(ok=False, attempts=0)
        for attempt in range(self.attempts):
            result.attempts = attempt + 1
            try:
                await self._update_once(call_sid, twiml)
            except CallUpdateError as error:
                result.errors.append(str(error))
                if not error.retryable or attempt + 1 == self.attempts:
                    return result
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            result.ok = True
            return result
        return result

    async def _update_once(self, call_sid: str, twiml: str) -> None:
        http = AsyncTwilioHttpClient(timeout=self.timeout)
        client = Client(
            self.credentials.username,
            self.credentials.password,
            account_sid=self.credentials.account_sid,
            http_client=http,
        )
        client.api.base_url = self.base_url
        try:
            await asyncio.wait_for(
                client.api.v2010.accounts(self.credentials.account_sid)
                .calls(call_sid)
                .update_async(twiml=twiml),
                self.timeout,
            )
        except TwilioRestException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            raise CallUpdateError(f"HTTP {exc.status}", retryable=retryable) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise CallUpdateError(type(exc).__name__, retryable=True) from exc
        finally:
            await http.close()
