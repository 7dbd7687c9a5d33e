"""The report's figures over a known set of calls, read back from a real SQLite store."""

from __future__ import annotations

from tests.analytics.records import known_calls
from voicebot.analytics import digest
from voicebot.analytics.report import build_report, flatten, over_time, to_csv, to_text
from voicebot.storage.calls import CallStore


def report_of(store: CallStore) -> dict:
    return build_report(digest(r) for r in store.list_calls())


def test_the_report_counts_each_kind_of_call_exactly(store: CallStore) -> None:
    known_calls(store)
    report = report_of(store)
    assert report["calls"] == 9
    assert report["ended"] == 8
    assert report["outcomes"] == {
        "contained": 1, "transferred": 6, "hung_up": 1, "dropped": 0, "ended": 0, "live": 1,
    }  # fmt: skip
    assert report["containment"] == {"contained": 1, "rate": 0.125}
    assert report["transfers"]["by_reason"] == {
        "caller_asked_for_agent": 1, "crisis": 1, "emotion_escalation": 1, "flow_transfer": 1,
        "no_input_limit": 1, "no_match_limit": 1,
    }  # fmt: skip
    # Queues as routed: the failed billing look-up went to general.
    assert report["transfers"]["by_queue"] == {"general": 4, "priority": 2}
    assert report["hang_ups"] == {"total": 1, "rate": 0.125, "by_node": {"collect_account": 1}}
    assert report["turns"] == 17
    assert report["no_input"] == {"turns": 2, "rate": round(2 / 17, 4), "calls": 1}
    assert report["no_match"] == {"turns": 3, "rate": round(3 / 17, 4), "calls": 2}
    assert report["latency_ms"] == {"replies": 17, "p50": 420.0, "p95": 420.0}
    assert report["emotion"]["turns"] == {"angry": 2, "anxious": 1, "neutral": 5}
    assert report["emotion"]["escalations"] == {"emotion_escalation": 1, "crisis": 1}
    assert report["handoffs"] == {"total": 6, "calls": 6}
    assert report["flows"] == {"acme_support": {"calls": 9, "versions": {"v1": 9}}}


def test_an_empty_period_has_no_rates_rather_than_a_division_by_zero(store: CallStore) -> None:
    report = report_of(store)
    assert report["calls"] == 0
    assert report["containment"]["rate"] is None
    assert report["latency_ms"]["p50"] is None
    assert "calls          0" in to_text(report)


def test_latency_percentiles_interpolate_between_replies(store: CallStore) -> None:
    from tests.analytics.records import start

    call = start(store, "CA1").entered("greet")
    for ms in (100, 200, 300, 400, 1000):
        call.said("greet", "greet", latency_ms=ms)
    call.end("completed")
    assert report_of(store)["latency_ms"] == {"replies": 5, "p50": 300.0, "p95": 880.0}


def test_csv_has_one_row_per_figure(store: CallStore) -> None:
    known_calls(store)
    report = report_of(store)
    lines = to_csv(report).splitlines()
    assert lines[0] == "metric,value"
    assert "transfers.by_reason.crisis,1" in lines
    assert "containment.rate,0.125" in lines
    assert len(lines) == len(flatten(report)) + 1


def test_calls_are_bucketed_by_utc_day_and_hour(store: CallStore) -> None:
    known_calls(store)
    days = over_time([digest(r) for r in store.list_calls()], "day")
    assert len(days) == 1
    assert days[0]["calls"] == 9 and days[0]["transferred"] == 6 and days[0]["live"] == 1
