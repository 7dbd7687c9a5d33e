"""pocketsphinx decodes in worker processes, so one call's decode never stalls another's audio.

pocketsphinx holds the GIL while it decodes (measured: a 0.4 s decode in a thread stopped the
event loop for 146 ms; in a worker process, 21 ms), so threads cannot take it off the event
loop. Each worker process loads the model once and decodes one turn at a time; a worker that
dies is replaced and the turn it held fails with a retryable SpeechError.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from voicebot.dialogue.actions import Expectation
from voicebot.exceptions import SpeechError
from voicebot.speech.recognizer import PocketsphinxRecognizer, Recognition

_recognizer: PocketsphinxRecognizer | None = None  # one per worker process


def _start_worker(reject_gap: float) -> None:
    global _recognizer
    _recognizer = PocketsphinxRecognizer(max_decoders=1, reject_gap=reject_gap)
    _recognizer.warm_up()


_Failure = tuple[str, bool]


def _recognize(pcm16: bytes, sample_rate: int, expect: Expectation) -> Recognition | _Failure:
    """In the worker: the Recognition, or a SpeechError as (message, retryable): its
    keyword-only flag would not survive pickling."""
    assert _recognizer is not None, "worker started without its recogniser"
    try:
        return _recognizer.recognize(pcm16, sample_rate, expect)
    except SpeechError as exc:
        return str(exc), exc.retryable


def _ready() -> bool:
    return _recognizer is not None


class ProcessPocketsphinxRecognizer:
    """`PocketsphinxRecognizer`'s interface, with every decode in one of `processes` workers."""

    def __init__(self, processes: int, reject_gap: float | None = None) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, not {processes}")
        self.processes = processes
        self._reject_gap = 0.0 if reject_gap is None else reject_gap
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process runs threads (the event loop's executor, uvicorn)
        # and a forked copy of their locks can deadlock.
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._reject_gap,),
        )

    def warm_up(self) -> None:
        """Start every worker and load its model now, not on the first caller's turn."""
        with self._lock:
            pool = self._pool
        futures = [pool.submit(_ready) for _ in range(self.processes)]
        for future in futures:
            try:
                future.result()
            except BrokenProcessPool as exc:
                raise SpeechError(f"pocketsphinx worker failed to start: {exc}") from exc

    def recognize(self, pcm16: bytes, sample_rate: int, expect: Expectation) -> Recognition:
        """Blocking: decode one turn in a worker."""
        with self._lock:
            pool = self._pool
        try:
            result = pool.submit(_recognize, pcm16, sample_rate, expect).result()
        except BrokenProcessPool as exc:
            raise self._replace(pool, exc) from exc
        return _unpack(result)

    async def recognize_async(
        self, pcm16: bytes, sample_rate: int, expect: Expectation
    ) -> Recognition:
        """Decode one turn in a worker without blocking the event loop."""
        with self._lock:
            pool = self._pool
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(pool, _recognize, pcm16, sample_rate, expect)
        except BrokenProcessPool as exc:
            raise self._replace(pool, exc) from exc
        return _unpack(result)

    def _replace(self, broken: ProcessPoolExecutor, exc: BaseException) -> SpeechError:
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)
        return SpeechError(f"pocketsphinx worker died mid-decode: {exc}", retryable=True)

    def close(self) -> None:
        """Stop the workers. Call it before a multiprocessing child exits: that exit joins
        child processes before the executor's own exit hook would stop them (a hang)."""
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _unpack(result: Recognition | _Failure) -> Recognition:
    if isinstance(result, tuple):
        message, retryable = result
        raise SpeechError(message, retryable=retryable)
    return result
