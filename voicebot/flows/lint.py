"""Lint for flows that load: things that are legal but would hurt a caller or an admin.

Each rule has a stable code (used by `voicebot flows validate` and CI): `unreachable_node`,
`no_way_out`, `keypad_missing`, `unheard_reprompt` (warnings); `retry_loop`,
`duplicate_example`, `unknown_word`, `empty_grammar` (errors).
"""

from __future__ import annotations

from collections import deque

from voicebot.flows.flow import ChoiceSlot, Flow, Node
from voicebot.flows.problems import FlowProblem
from voicebot.language.commands import GLOBAL_INTENTS
from voicebot.language.pronunciation import cmudict_words, normalize_phrase
from voicebot.language.words import normalise

NUMERIC_SLOTS = ("digits", "number", "currency", "date", "time", "phone")
# Nodes that wait for the caller and count failed turns against `max_retries`.
LISTENING = ("menu", "collect", "answer")

# Nodes the engine enters from anywhere: the global agent and goodbye commands.
GLOBAL_NODES = ("agent", "goodbye")


def lint_flow(flow: Flow) -> list[FlowProblem]:
    return [
        *_unreachable(flow),
        *_no_way_out(flow),
        *_retry_loops(flow),
        *_unheard_reprompts(flow),
        *_keypad_missing(flow),
        *_duplicate_examples(flow),
        *_unknown_words(flow),
        *_empty_grammar(flow),
    ]


def successors(flow: Flow, name: str) -> list[str]:
    """Nodes a node can lead to through the flow itself (not the global commands)."""
    return [t for t in flow.nodes[name].targets() if t in flow.nodes]


def _reachable(flow: Flow, starts: list[str]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for target in successors(flow, queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _unreachable(flow: Flow) -> list[FlowProblem]:
    starts = [flow.start_node, *(n for n in GLOBAL_NODES if n in flow.nodes)]
    reached = _reachable(flow, starts)
    return [
        FlowProblem(
            "unreachable_node",
            ("nodes", name),
            f"no path from the start node '{flow.start_node}' leads to node '{name}'",
            at_key=True,
            severity="warning",
        )
        for name in flow.nodes
        if name not in reached
    ]


def ends_call(node: Node) -> bool:
    """The node can end the call by itself: a transfer or hangup, or the engine's own apology
    and transfer (past the retry limit of a node that listens, when a webhook fails, when no
    FAQ entry answers) because the flow sends those nowhere else."""
    if node.kind in ("transfer", "hangup"):
        return True
    if node.kind in LISTENING and node.on_max_retries is None:
        return True
    if node.kind == "webhook" and node.on_failure is None:
        return True
    return node.kind == "answer" and node.on_no_answer is None


def _no_way_out(flow: Flow) -> list[FlowProblem]:
    """Nodes from which no path ends the call: only 'agent' or 'goodbye' would get out."""
    ends = {n for n, node in flow.nodes.items() if ends_call(node)}
    return [
        FlowProblem(
            "no_way_out",
            ("nodes", name),
            f"no path from node '{name}' reaches a transfer or hangup node, and every retry "
            "limit on the way leads back in; callers can only leave by asking for an agent or "
            "saying goodbye",
            at_key=True,
            severity="warning",
        )
        for name in flow.nodes
        if name not in ends and not (_reachable(flow, [name]) & ends)
    ]


def _failure_steps(flow: Flow, name: str) -> list[str] | None:
    """Where a caller the bot never understands goes next from `name`; None when the call
    ends there (or may: a webhook's answer is not known in advance)."""
    node = flow.nodes[name]
    if node.kind in LISTENING:
        return None if node.on_max_retries is None else [node.on_max_retries]
    if node.kind == "say":
        return [t for t in [*(r.goto for r in node.if_), node.next] if t is not None]
    return None  # transfer, hangup, webhook: the caller's understanding does not decide


def _retry_loops(flow: Flow) -> list[FlowProblem]:
    """A retry limit whose way out leads, whatever happens, back to nodes that ask again:
    a caller the bot cannot understand would be asked for ever and never reach a person."""
    problems: list[FlowProblem] = []
    for name, node in flow.nodes.items():
        if node.kind not in LISTENING or node.on_max_retries not in flow.nodes:
            continue
        seen, stack, escapes = {name}, [node.on_max_retries], False
        while stack and not escapes:
            current = stack.pop()
            if current in seen or current not in flow.nodes:
                continue
            seen.add(current)
            steps = _failure_steps(flow, current)
            if steps is None:
                escapes = True
            else:
                stack += steps
        if not escapes:
            problems.append(
                FlowProblem(
                    "retry_loop",
                    ("nodes", name, "on_max_retries"),
                    f"past its retry limit node '{name}' leads back to nodes that ask again "
                    f"({', '.join(sorted(seen))}) and never to a person: a caller the bot "
                    "cannot understand is asked for ever",
                )
            )
    return problems


def _unheard_reprompts(flow: Flow) -> list[FlowProblem]:
    """Reprompt N follows failed turn N, and failed turn `max_retries` goes to a person: the
    reprompts from number `max_retries` on are never said."""
    problems: list[FlowProblem] = []
    for name, node in flow.nodes.items():
        for key in ("reprompts", "no_input_prompts"):
            prompts: list[str] = getattr(node, key)
            if node.kind in LISTENING and len(prompts) >= node.max_retries:
                problems.append(
                    FlowProblem(
                        "unheard_reprompt",
                        ("nodes", name, key, node.max_retries - 1),
                        f"with max_retries {node.max_retries} the caller hears at most "
                        f"{node.max_retries - 1} of these {len(prompts)} {key} (failed turn "
                        f"{node.max_retries} goes to a person): raise max_retries or drop the "
                        "rest",
                        severity="warning",
                    )
                )
    return problems


def _keypad_missing(flow: Flow) -> list[FlowProblem]:
    return [
        FlowProblem(
            "keypad_missing",
            ("slots", name, "dtmf"),
            f"numeric slot '{name}' cannot be keyed in: callers the recogniser mishears "
            "have no way through (set dtmf: true)",
            severity="warning",
        )
        for name, slot in flow.slots.items()
        if slot.type in NUMERIC_SLOTS and not getattr(slot, "dtmf", False)
    ]


def _duplicate_examples(flow: Flow) -> list[FlowProblem]:
    """The same phrase for two choices of one menu (or a menu choice and a global command):
    the recogniser can only ever pick one of them."""
    problems: list[FlowProblem] = []
    for name, node in flow.nodes.items():
        owner = {
            normalise(phrase): f"global command '{command}'"
            for command, phrases in GLOBAL_INTENTS.items()
            for phrase in phrases
        }
        for intent in node.on or {}:
            if intent in GLOBAL_INTENTS or intent not in flow.intents:
                continue
            for i, example in enumerate(flow.intents[intent].examples):
                phrase = normalise(example)
                other = owner.setdefault(phrase, f"intent '{intent}'")
                if other != f"intent '{intent}'":
                    problems.append(
                        FlowProblem(
                            "duplicate_example",
                            ("intents", intent, "examples", i),
                            f"'{example}' is also an example of {other} in menu node '{name}'",
                        )
                    )
    return problems


def _grammar_phrases(flow: Flow) -> list[tuple[tuple[str | int, ...], str]]:
    """Every phrase the recogniser's grammars take from the flow, with where it is written."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for intent, definition in flow.intents.items():
        found += [
            (("intents", intent, "examples", i), e) for i, e in enumerate(definition.examples)
        ]
        for word, alternatives in definition.synonyms.items():
            found += [(("intents", intent, "synonyms", word), a) for a in alternatives]
    for name, slot in flow.slots.items():
        if isinstance(slot, ChoiceSlot):
            for option, synonyms in slot.options.items():
                here = ("slots", name, "options", option)
                found += [(here, option.replace("_", " ")), *((here, s) for s in synonyms)]
    return found


def _unknown_words(flow: Flow) -> list[FlowProblem]:
    """Words the recogniser's pronunciation dictionary lacks cannot be in a grammar."""
    dictionary = cmudict_words()
    problems: list[FlowProblem] = []
    for path, phrase in _grammar_phrases(flow):
        missing = sorted(set(normalize_phrase(phrase).split()) - dictionary)
        if missing:
            problems.append(
                FlowProblem(
                    "unknown_word",
                    path,
                    f"the recogniser cannot hear {', '.join(repr(w) for w in missing)} "
                    f"(not in its pronunciation dictionary); rephrase '{phrase}'",
                )
            )
    return problems


def _empty_grammar(flow: Flow) -> list[FlowProblem]:
    """A phrase with no speakable word ("???", "-") would put nothing in the grammar."""
    return [
        FlowProblem(
            "empty_grammar",
            path,
            f"'{phrase}' has no words the recogniser could hear",
        )
        for path, phrase in _grammar_phrases(flow)
        if not normalize_phrase(phrase).split()
    ]
