"""Moving through the flow: entering a node (chaining through say nodes), its routes, asking
its question again, and giving up to a person."""

from __future__ import annotations

from voicebot.dialogue.actions import Action, EndCall, Listen, Say
from voicebot.dialogue.expectations import expectation
from voicebot.dialogue.handoff import transfer
from voicebot.dialogue.lookups import request
from voicebot.dialogue.replies import prompt, say, words
from voicebot.dialogue.state import CallState, Pending
from voicebot.flows.conditions import evaluate
from voicebot.flows.flow import Node
from voicebot.language import wording


def enter(
    state: CallState, name: str, reason: str | None = None, fault: str | None = None
) -> list[Action]:
    """Go to `name`, chaining through say nodes; `reason` overrides how the call ends.
    `fault`: the backend fault that led here (a webhook's `on_failure`), the reason of a
    transfer reached straight away, so it is carried out as a fault transfer."""
    actions: list[Action] = []
    said: list[Say] = []
    for _ in range(len(state.flow.nodes) + 1):  # check_flow rules out say-node loops
        node = arrive(state, name)
        text = words(state, node, node.say)
        if text and node.kind != "menu":
            said.append(say(state, text))
            actions.append(said[-1])
        if node.kind == "say":
            name = route(state, node)
            continue
        if node.kind == "webhook" and node.webhook is not None:
            state.pending = Pending("node")
            return [*actions, request(state, node.webhook, node.webhook.send)]
        if node.kind == "transfer":
            return [
                *actions,
                transfer(state, node.transfer or "", reason or fault or "flow_transfer"),
            ]
        if node.kind == "hangup":
            state.ended = reason or "completed"
            return [*actions, EndCall(state.ended)]
        question = say(state, prompt(state))
        state.last_said = (*said, question)
        state.caller_node = name
        return [*actions, question, Listen(expectation(state))]
    raise RuntimeError(f"flow {state.flow.flow} chains say nodes without end at {name!r}")


def arrive(state: CallState, name: str) -> Node:
    """Make `name` the current node, fresh (no counters, check or keyed run), unannounced."""
    state.node = name
    state.entered.append(name)
    state.confirming, state.keys, state.check = False, "", None
    state.reset_counters()
    return state.flow.nodes[name]


def route(state: CallState, node: Node) -> str:
    """The first `if` route whose condition holds, else `next`."""
    names = state.condition_names()
    for candidate in node.if_:
        if evaluate(candidate.when, names):
            return candidate.goto
    return node.next or ""


def ask_again(
    state: CallState, prefix: str, attempt: int = 0, reprompts: list[str] | None = None
) -> list[Action]:
    """Ask the node's question again: the flow's reprompt for this attempt (1st, 2nd…,
    the last reused) if it has them, otherwise `prefix` and the prompt."""
    question = say(state, prompt(state))
    state.last_said = (question,)
    if reprompts and attempt > 0:
        text = reprompts[min(attempt, len(reprompts)) - 1]
        return [say(state, text), Listen(expectation(state))]
    return [say(state, prefix + question.text), Listen(expectation(state))]


def give_up(state: CallState, apology: str, reason: str | None = None) -> list[Action]:
    """Past the retries or on a fault: the node's `on_max_retries` escape if it has one
    (not for faults), else the apology and the default queue."""
    escape = state.current.on_max_retries
    if escape is not None and apology != "backend_fault":
        return enter(state, escape, reason=reason or apology)
    return [
        say(state, wording.APOLOGY[apology]),
        transfer(state, state.flow.default_queue, reason or apology),
    ]
