"""pocketsphinx in worker processes: decodes as in-process; a dead worker is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest

from tests.conftest import demo_audio
from voicebot.dialogue.actions import Expectation, SlotExpectation
from voicebot.exceptions import SpeechError
from voicebot.speech.decode_processes import ProcessPocketsphinxRecognizer
from voicebot.speech.recognizer import PocketsphinxRecognizer

MENU = Expectation(
    node="main_menu",
    intents={
        "check_balance": ("check my balance", "what's my balance"),
        "agent": ("agent", "speak to a person"),
    },
)
ACCOUNT = Expectation(
    node="collect_account",
    slot=SlotExpectation(name="account_number", type="digits", min_length=8, max_length=8),
)
UNKNOWN_WORD = Expectation(node="odd", intents={"x": ("flibbertigibbetzz",)})


@pytest.fixture(scope="module")
def workers() -> Iterator[ProcessPocketsphinxRecognizer]:
    recognizer = ProcessPocketsphinxRecognizer(processes=2)
    recognizer.warm_up()
    yield recognizer
    recognizer.close()


def worker_pids(recognizer: ProcessPocketsphinxRecognizer) -> list[int]:
    return [p.pid for p in recognizer._pool._processes.values() if p.pid]  # noqa: SLF001


async def test_workers_decode_as_the_server_process_does(
    workers: ProcessPocketsphinxRecognizer,
) -> None:
    local = PocketsphinxRecognizer(max_decoders=1)
    turns = [("check_my_balance", MENU), ("account_number_spoken", ACCOUNT), ("agent", MENU)]
    results = await asyncio.gather(
        *(workers.recognize_async(demo_audio(name), 8000, expect) for name, expect in turns)
    )
    for (name, expect), result in zip(turns, results, strict=True):
        expected = local.recognize(demo_audio(name), 8000, expect)
        assert (result.text, result.rejected) == (expected.text, expected.rejected), name
    assert results[0].text == "check my balance"
    assert os.getpid() not in worker_pids(workers)


async def test_a_flow_error_comes_back_as_the_same_speech_error(
    workers: ProcessPocketsphinxRecognizer,
) -> None:
    with pytest.raises(SpeechError, match="flibbertigibbetzz") as raised:
        await workers.recognize_async(demo_audio("agent"), 8000, UNKNOWN_WORD)
    assert raised.value.retryable is False
    # The worker is fine afterwards.
    result = await workers.recognize_async(demo_audio("agent"), 8000, MENU)
    assert result.text == "agent"


async def test_a_worker_killed_mid_decode_fails_that_turn_only() -> None:
    recognizer = ProcessPocketsphinxRecognizer(processes=1)
    recognizer.warm_up()
    try:
        turn = asyncio.ensure_future(
            recognizer.recognize_async(demo_audio("account_number_spoken"), 8000, ACCOUNT)
        )
        await asyncio.sleep(0.02)  # the decode takes ~0.3 s: kill the worker inside it
        for pid in worker_pids(recognizer):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(SpeechError, match="worker died") as raised:
            await turn
        assert raised.value.retryable
        # A new worker took its place: the next turn decodes.
        result = await recognizer.recognize_async(demo_audio("check_my_balance"), 8000, MENU)
        assert result.text == "check my balance"
    finally:
        recognizer.close()
