"""What the shell knows about one call: its identifiers and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallInfo:
    call_sid: str
    stream_sid: str
    flow: str
    caller: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
