"""Validate a flow part by part, so one broken node does not hide the problems of the others.

Pydantic stops at the first document that does not fit the models; `validate_parts` drops each
entry that failed (a node, a slot, an intent, a queue, a top-level key) and validates the rest
again, so the reference checks and the lint still run on everything that did fit. Problems that
only exist because an entry was dropped (a reference to a node that is there but broken) are
recognised by `Dropped.explains` and left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from voicebot.flows.flow import Flow
from voicebot.flows.problems import FlowProblem

# Sections whose entries are checked one by one: section -> the kind its references name.
SECTIONS = {"nodes": "node", "slots": "slot", "intents": "intent", "queues": "queue"}
# Lint rules over the whole graph: a dropped node would make them report paths that exist.
GRAPH_RULES = ("unreachable_node", "no_way_out", "retry_loop")
_UNKNOWN = re.compile(
    r"unknown (node|slot|intent|queue) '([^']*)'|unknown name '([^']*)'|filled\('([^']*)'\)"
)
_MAX_ROUNDS = 8


@dataclass
class Dropped:
    """The entries left out of the flow because they did not validate."""

    names: dict[str, set[str]] = field(default_factory=dict)
    """kind (node, slot, intent, queue) -> names; "*" when the whole section was dropped."""
    keys: set[str] = field(default_factory=set)
    """Top-level keys dropped (their defaults stand in)."""

    def __bool__(self) -> bool:
        return bool(self.names or self.keys)

    def has(self, kind: str, name: str) -> bool:
        found = self.names.get(kind, set())
        return name in found or "*" in found

    def explains(self, problem: FlowProblem) -> bool:
        """The problem comes from a dropped entry, not from the admin's text around it."""
        if problem.code in GRAPH_RULES and self.names.get("node"):
            return True
        for match in _UNKNOWN.finditer(problem.message):
            kind, name, slot_name, filled = match.groups()
            if kind is not None and self.has(kind, name):
                return True
            if self.has("slot", slot_name or filled or "\0"):
                return True
        return "routing" in self.keys and problem.path[:1] == ("routing",)


def validate_parts(data: dict[str, Any]) -> tuple[Flow | None, list[Any], Dropped]:
    """The flow made of every part that validates (None if too little does), the validation
    errors of the parts that do not (pydantic's error dicts), and what was dropped."""
    current = {k: dict(v) if k in SECTIONS and isinstance(v, dict) else v for k, v in data.items()}
    dropped = Dropped()
    errors: list[Any] = []
    for round_ in range(_MAX_ROUNDS):
        try:
            return Flow.model_validate(current), errors, dropped
        except ValidationError as exc:
            found = exc.errors()
        if round_ == 0:
            errors = found  # later rounds only repeat these or follow from what was dropped
        if not any([_drop(current, err["loc"], dropped) for err in found]):
            break
    return None, errors, dropped


def _drop(data: dict[str, Any], loc: tuple[Any, ...], dropped: Dropped) -> bool:
    """Leave out the part `loc` points into; False when nothing more can be left out."""
    if not loc:
        return False
    top = str(loc[0])
    section = data.get(top)
    if top in SECTIONS and isinstance(section, dict) and len(loc) > 1 and loc[1] in section:
        del section[loc[1]]
        dropped.names.setdefault(SECTIONS[top], set()).add(str(loc[1]))
        return True
    if top == "flow":
        if data.get("flow") == "unnamed":
            return False
        data["flow"] = "unnamed"  # the name is required; a stand-in lets the rest be checked
        return True
    if top not in data or top == "nodes" and not isinstance(section, dict):
        return False
    del data[top]
    dropped.keys.add(top)
    if top in SECTIONS:
        dropped.names.setdefault(SECTIONS[top], set()).add("*")
    return True
