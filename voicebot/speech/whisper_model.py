"""faster-whisper's model, able to decode a turn again on the encoding it already made."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faster_whisper import WhisperModel

_DIGIT_TOKEN = re.compile(r"[ 0-9,.\-]+")


class ReusingWhisperModel(WhisperModel):  # type: ignore[misc]
    """faster-whisper's model that can decode the turn it last encoded once more without
    running the encoder again (per thread: each decode thread holds its own last encoding)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held = threading.local()
        self._digits_only: tuple[int, ...] | None = None

    def encode(self, features: Any) -> Any:
        reuse = getattr(self._held, "reuse", None)
        if reuse is not None:
            return reuse
        output = super().encode(features)
        self._held.last = output
        return output

    @contextmanager
    def same_encoding(self) -> Iterator[None]:
        """Within this block a decode in this thread uses the last turn's encoding. Only for
        a turn that fits one 30 s window: faster-whisper encodes each window separately."""
        self._held.reuse = getattr(self._held, "last", None)
        try:
            yield
        finally:
            self._held.reuse = None

    def forget_encoding(self) -> None:
        """Drop this thread's last encoding (a few MB) once the turn is done."""
        self._held.last = None

    def non_digit_tokens(self) -> tuple[int, ...]:
        """Every text token that is not digits, spaces or digit separators (computed once)."""
        if self._digits_only is None:
            tokenizer = self.hf_tokenizer
            end = tokenizer.token_to_id("<|endoftext|>")
            self._digits_only = tuple(
                token
                for token in range(end)
                if not _DIGIT_TOKEN.fullmatch(text := tokenizer.decode([token])) or not text.strip()
            )
        return self._digits_only
