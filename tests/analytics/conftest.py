"""A real, empty call store for each analytics test: SQLite, and PostgreSQL (a real server,
skipped without its binaries), so the figures read the same from both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voicebot.storage import open_store
from voicebot.storage.calls import CallStore


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[CallStore]:
    store = open_store(database_url, tmp_path / "unused.db")
    yield store
    store.close()
