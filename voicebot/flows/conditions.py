"""Conditions admins write in flows (`if:` routes, `say_if:` variants), checked and evaluated.

A condition is one expression over the call's names, e.g. `balance > 100`,
`emotion == 'angry' and emotion_intensity >= 0.7`, `account_type in ('gold', 'platinum')`.
Evaluation uses `simpleeval` with tuples and lists for `in`: no attribute access, no imports,
no calls but the few below.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from simpleeval import EvalWithCompoundTypes, InvalidExpression

# Names every flow may use besides its slot names; the engine fills them per call.
CALL_NAMES: dict[str, str] = {
    "emotion": "the caller's current emotion label (neutral, frustrated, angry, anxious, "
    "confused, satisfied)",
    "emotion_intensity": "how strong that emotion is, 0 to 1",
    "emotion_score": "the call's rolling negative-emotion score, 0 to 1",
    "intent": "the last menu intent the caller chose, or None",
    "caller": "the caller's number, or None",
    "today": "today's date as YYYY-MM-DD (compare with date slots)",
    "retries": "failed attempts in the current node",
}
FUNCTIONS = {"filled": None, "len": len, "lower": str.lower}
"""`filled('slot')` is true once the slot has a value; the engine binds it per call."""


class ConditionError(ValueError):
    """A condition that cannot be read (syntax) or names something the flow does not have."""


def check_condition(text: str, names: Iterable[str]) -> None:
    """Raise ConditionError if `text` is not a valid condition over `names` + CALL_NAMES."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"cannot read condition {text!r}: {exc.msg}") from None
    known = set(names) | set(CALL_NAMES) | {"None", "True", "False"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
                raise ConditionError(
                    f"condition {text!r} calls something other than {', '.join(FUNCTIONS)}"
                )
            if func.id == "filled":
                _check_filled_argument(text, node, set(names))
        elif isinstance(node, ast.Attribute):
            raise ConditionError(f"condition {text!r} uses attribute access, which is not allowed")
        elif isinstance(node, ast.Name) and node.id not in known and node.id not in FUNCTIONS:
            raise ConditionError(
                f"condition {text!r} uses unknown name '{node.id}' "
                f"(slots: {', '.join(sorted(names)) or 'none'}; call: {', '.join(CALL_NAMES)})"
            )


def _check_filled_argument(text: str, call: ast.Call, slots: set[str]) -> None:
    arg = call.args[0] if len(call.args) == 1 and not call.keywords else None
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        raise ConditionError(f"condition {text!r}: filled() takes one slot name in quotes")
    if arg.value not in slots:
        raise ConditionError(f"condition {text!r}: filled('{arg.value}') names an unknown slot")


def evaluate(text: str, names: Mapping[str, object]) -> bool:
    """The condition's truth for this call. A comparison that cannot be made (a slot not yet
    filled compared with a number) is false rather than an error: the flow goes on."""
    slots = {k: v for k, v in names.items() if k not in CALL_NAMES}
    functions = dict(FUNCTIONS, filled=lambda slot: slots.get(slot) is not None)
    evaluator = EvalWithCompoundTypes(names=dict(names), functions=functions)
    try:
        return bool(evaluator.eval(text))
    except (InvalidExpression, TypeError, ValueError, ZeroDivisionError):
        return False
