"""A real SQLite store in memory for each analytics test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from voicebot.storage.calls import CallStore


@pytest.fixture
def store() -> Iterator[CallStore]:
    store = CallStore(":memory:")
    yield store
    store.close()
