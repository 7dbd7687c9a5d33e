"""How long a TTS may take over one sentence before the call treats it as a fault.

A synthesiser that errors already ends in an ErrorFrame; one that hangs would leave the caller
in silence (pipecat's own stop-frame timeout is 15 s for piper, and espeak-ng has none). Past
the budget the service raises, the pipeline reports a TTS fault, and the dialogue sends the
apology and the transfer at once. A long sentence takes piper ~0.3 s on a quiet 2-core
machine and has taken 3.5 s on one loaded by other work (tests/nl/test_piper_tts.py keeps
that from counting as a fault), hence 4 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from voicebot.exceptions import SpeechError

SENTENCE_BUDGET_SECS = 4.0

T = TypeVar("T")


async def within_budget(render: Callable[[], T], secs: float = SENTENCE_BUDGET_SECS) -> T:
    """Run the blocking `render` in a thread; SpeechError when it has not returned in `secs`
    (the thread finishes unheard)."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(render), secs)
    except TimeoutError:
        raise SpeechError(f"TTS gave no audio within {secs} s") from None
