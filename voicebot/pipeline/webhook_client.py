"""Makes the HTTP calls flows ask for (`CallWebhook`) and turns every outcome into a
`WebhookResult`: the engine sees an answer or a failure, never an exception."""

from __future__ import annotations

import json
import time

import httpx
from loguru import logger

from voicebot.dialogue.actions import CallWebhook, WebhookResult
from voicebot.flows.webhooks import expand_env

MAX_ANSWER_BYTES = 1_000_000


class WebhookClient:
    """One per process; `transport` lets tests answer in memory (httpx.MockTransport)."""

    def __init__(
        self,
        *,
        environ: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._environ = environ
        self._transport = transport

    async def call(self, action: CallWebhook) -> tuple[WebhookResult, int]:
        """The result, and how long it took in milliseconds."""
        started = time.monotonic()
        result = await self._call(action)
        elapsed = round((time.monotonic() - started) * 1000)
        # The URL may carry an account number in its path; the outcome is enough for logs.
        logger.bind(ms=elapsed, ok=result.ok).info(
            "webhook answered" if result.ok else f"webhook failed: {result.error}"
        )
        return result, elapsed

    async def _call(self, action: CallWebhook) -> WebhookResult:
        try:
            url = expand_env(action.url, self._environ)
            headers = {k: expand_env(v, self._environ) for k, v in action.headers.items()}
        except KeyError as exc:
            return WebhookResult(ok=False, error=f"environment variable {exc.args[0]} is not set")
        try:
            async with httpx.AsyncClient(
                timeout=action.timeout, transport=self._transport, follow_redirects=False
            ) as client:
                if action.method == "GET":
                    response = await client.get(url, params=action.payload, headers=headers)
                else:
                    response = await client.post(url, json=action.payload, headers=headers)
        except httpx.TimeoutException:
            return WebhookResult(ok=False, error=f"no answer within {action.timeout:g} s")
        except (httpx.HTTPError, ValueError) as exc:
            return WebhookResult(ok=False, error=f"request failed: {type(exc).__name__}")
        if response.status_code >= 400:
            status = response.status_code
            return WebhookResult(ok=False, error=f"HTTP {status}", status=status)
        if len(response.content) > MAX_ANSWER_BYTES:
            return WebhookResult(ok=False, error="answer larger than 1 MB")
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return WebhookResult(ok=False, error="answer is not JSON")
        return WebhookResult(ok=True, data=data)
