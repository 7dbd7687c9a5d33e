"""A flow's version: a short fingerprint of what it does, recorded with every call.

The hash of the loaded flow's canonical JSON (includes resolved), so a comment or layout edit
keeps the version and any change a caller could notice makes a new one; the same everywhere.
"""

from __future__ import annotations

import hashlib

from voicebot.flows.flow import Flow


def flow_version(flow: Flow) -> str:
    return hashlib.sha256(flow.model_dump_json().encode()).hexdigest()[:16]
