"""The per-node funnel of acme_support, and the figures drawn on its graph."""

from __future__ import annotations

import pytest

from tests.analytics.records import known_calls
from tests.conftest import FLOWS_DIR
from voicebot.analytics import digest, funnel
from voicebot.analytics.funnel import figures, loss_colour
from voicebot.flows.graph import draw
from voicebot.flows.loader import load_flow
from voicebot.storage.calls import CallStore


@pytest.fixture(scope="module")
def acme():  # type: ignore[no-untyped-def]
    return load_flow(FLOWS_DIR / "acme_support.yaml")


def test_each_node_counts_calls_reaching_leaving_and_lost(acme, store: CallStore) -> None:  # type: ignore[no-untyped-def]
    known_calls(store)
    nodes = {n.node: n for n in funnel(acme, [digest(r) for r in store.list_calls()])}
    greet = nodes["greet"]
    assert greet.reached == 9
    # Failures and emotion leave the menu straight for a queue, the agent command via a node.
    assert dict(greet.next) == {
        "collect_account": 3, "agent": 1, "queue general": 2, "queue priority": 2,
    }  # fmt: skip
    assert dict(greet.lost) == {"transfer": 3, "no_match": 1, "no_input": 1}
    assert (greet.no_match_turns, greet.no_input_turns) == (2 + 1, 2)
    assert greet.turns_median == 1.0  # turns per call there: 1, 1, 2, 2, 2, 1, 1, 1
    account = nodes["collect_account"]
    assert account.reached == 3
    assert dict(account.lost) == {"hang_up": 1}
    assert nodes["collect_pin"].lost["transfer"] == 1  # the failed look-up's handoff
    assert nodes["goodbye"].finished == 1
    assert nodes["agent"].next["queue general"] == 1
    assert nodes["outage_postcode"].reached == 0
    assert nodes["greet"].latency_median_ms == 420.0


def test_the_funnel_is_drawn_on_the_flow_graph(acme, store: CallStore) -> None:  # type: ignore[no-untyped-def]
    known_calls(store)
    nodes = funnel(acme, [digest(r) for r in store.list_calls()])
    svg = draw(acme, "svg", figures(acme, nodes, "acme_support: calls per node")).decode()
    assert "acme_support: calls per node" in svg
    assert "reached 9" in svg  # greet's figures, as text
    assert "lost 5 (56%)" in svg
    assert loss_colour(None) == "#eeeeee"
    assert loss_colour(0.0) == "#b6d7a8" and loss_colour(1.0) == "#e06666"
    png = draw(acme, "png", figures(acme, nodes))
    assert png.startswith(b"\x89PNG")
