"""A flow version: the hash of the loaded flow's canonical JSON, the same on every worker."""

from __future__ import annotations

import hashlib


def flow_version(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]
