"""A thin ollama client with time budgets: a slow model costs latency, never a stuck call.

Every call has two budgets: time to the first token, and the whole reply. Between tokens the
first-token budget applies again, so a stream that stalls mid-way is cut off as well. Every
failure becomes an `LLMError`; callers fall back to the template / no-match path on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import ollama

from voicebot.exceptions import VoicebotError


class LLMError(VoicebotError):
    """The model could not answer in time or at all; `retryable` says if a retry may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class LLMTimeout(LLMError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


@dataclass(frozen=True)
class Budget:
    first_token_secs: float = 1.2
    """Until the first token, and the longest silence between two tokens."""
    total_secs: float = 4.0
    """The whole reply."""


@dataclass(frozen=True)
class Completion:
    text: str
    first_token_ms: int
    total_ms: int


Message = Mapping[str, str]


class LLMClient:
    """One per process: wraps `ollama.AsyncClient` (an httpx pool) for one model."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        budget: Budget | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.model = model
        self.budget = budget or Budget()
        # Low temperature: understanding and phrasing should be repeatable.
        self.options = dict(options or {"temperature": 0.2})
        # The httpx timeout is a backstop; the budgets below are what callers feel.
        self._client = ollama.AsyncClient(host=url, timeout=self.budget.total_secs + 1.0)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        format: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> AsyncIterator[str]:
        """The reply's text pieces as they arrive; raises `LLMError` on failure or budget."""
        budget = budget or self.budget
        deadline = time.monotonic() + budget.total_secs
        try:
            parts = await self._client.chat(
                model=self.model,
                messages=list(messages),
                stream=True,
                format=format,
                options=self.options,
            )
            iterator = parts.__aiter__()
            while True:
                wait = min(budget.first_token_secs, deadline - time.monotonic())
                if wait <= 0:
                    raise LLMTimeout(f"model {self.model} exceeded {budget.total_secs}s")
                try:
                    part = await asyncio.wait_for(iterator.__anext__(), wait)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise LLMTimeout(
                        f"model {self.model} gave no token within {wait:.2f}s"
                    ) from None
                piece = part.message.content or ""
                if piece:
                    yield piece
                if part.done:
                    return
        except LLMError:
            raise
        except ollama.ResponseError as exc:
            retryable = exc.status_code in (-1, 429) or exc.status_code >= 500
            raise LLMError(f"ollama error: {exc}", retryable=retryable) from None
        except (httpx.HTTPError, ConnectionError, OSError) as exc:
            raise LLMError(f"ollama unreachable at {self.url}: {exc}", retryable=True) from None
        except ValueError as exc:  # a line that is not JSON: a broken or foreign server
            raise LLMError(f"ollama sent a malformed reply: {exc}") from None

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        format: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> Completion:
        """The whole reply, within the budgets."""
        start = time.monotonic()
        first: float | None = None
        pieces: list[str] = []
        async for piece in self.stream(messages, format=format, budget=budget):
            first = first if first is not None else time.monotonic()
            pieces.append(piece)
        end = time.monotonic()
        return Completion(
            text="".join(pieces),
            first_token_ms=round(((first or end) - start) * 1000),
            total_ms=round((end - start) * 1000),
        )

    async def available_models(self, timeout: float = 2.0) -> list[str]:
        """Model names the server has (`/api/tags`); raises `LLMError` if it cannot say."""
        try:
            listing = await asyncio.wait_for(self._client.list(), timeout)
        except TimeoutError:
            raise LLMTimeout(f"ollama at {self.url} did not answer within {timeout}s") from None
        except ollama.ResponseError as exc:
            raise LLMError(f"ollama error: {exc}", retryable=exc.status_code >= 500) from None
        except (httpx.HTTPError, ConnectionError, OSError) as exc:
            raise LLMError(f"ollama unreachable at {self.url}: {exc}", retryable=True) from None
        return [m.model for m in listing.models if m.model]
