"""A problem found in a flow: a stable code, where it is in the YAML and what is wrong.

The loader turns `path` into file:line:col; `voicebot flows validate` prints them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FlowProblem:
    """One semantic problem; `path` locates it in the YAML (the loader turns it into line:col)."""

    code: str
    path: tuple[str | int, ...]
    message: str
    at_key: bool = False
    """Point at the mapping key rather than its value."""
    severity: Literal["error", "warning"] = "error"
    """Errors stop a flow from loading; warnings are lint for `voicebot flows validate`."""
