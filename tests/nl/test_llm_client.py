"""The ollama client against a loopback ollama-compatible server: budgets and error mapping."""

from __future__ import annotations

import pytest

from tests.nl.skips import NL_MISSING

pytest.importorskip("ollama", reason=NL_MISSING)

import socket

from tests.nl.fake_ollama import FakeOllama, Reply
from voicebot.llm.client import Budget, LLMClient, LLMError, LLMTimeout

FAST = Budget(first_token_secs=0.3, total_secs=1.0)
HELLO = [{"role": "user", "content": "hello"}]


def client(server: FakeOllama) -> LLMClient:
    return LLMClient(server.url, "tiny:latest", budget=FAST)


async def test_streamed_reply_is_assembled(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="Hello there, caller.", pieces=4))
    pieces = [p async for p in client(ollama_server).stream(HELLO)]
    assert len(pieces) == 4
    assert "".join(pieces) == "Hello there, caller."
    assert ollama_server.requests[0]["model"] == "tiny:latest"
    assert ollama_server.requests[0]["stream"] is True


async def test_slow_first_token_hits_the_budget(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="late", first_token_delay=1.0))
    with pytest.raises(LLMTimeout) as info:
        await client(ollama_server).complete(HELLO)
    assert info.value.retryable


async def test_mid_stream_stall_hits_the_budget(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(content="one two three four", pieces=4, stall_after=2))
    got: list[str] = []
    with pytest.raises(LLMTimeout):
        async for piece in client(ollama_server).stream(HELLO):
            got.append(piece)
    assert len(got) == 2


async def test_server_error_is_retryable(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(status=500, error="model crashed"))
    with pytest.raises(LLMError) as info:
        await client(ollama_server).complete(HELLO)
    assert info.value.retryable
    assert "model crashed" in str(info.value)


async def test_unknown_model_is_not_retryable(ollama_server: FakeOllama) -> None:
    ollama_server.script(Reply(status=404, error="model 'x' not found"))
    with pytest.raises(LLMError) as info:
        await client(ollama_server).complete(HELLO)
    assert not info.value.retryable


async def test_unreachable_server() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(LLMError) as info:
        await LLMClient(f"http://127.0.0.1:{port}", "m", budget=FAST).complete(HELLO)
    assert info.value.retryable


async def test_models_listed_from_tags(ollama_server: FakeOllama) -> None:
    ollama_server.models = ["llama3.2:1b", "qwen2.5:0.5b"]
    assert await client(ollama_server).available_models() == ["llama3.2:1b", "qwen2.5:0.5b"]
