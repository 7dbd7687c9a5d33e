"""`voicebot report`'s figures: what the calls of a period did, from their records.

Containment is a call the bot ended itself (a hang-up node of the flow, or the built-in
goodbye) with no transfer; rates are over calls that have ended, turn rates over caller turns.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy

from voicebot.analytics.calls import ESCALATIONS, CallDigest

OUTCOMES = ("contained", "transferred", "hung_up", "dropped", "ended", "live")


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between values; None without values."""
    found = list(values)
    return round(float(numpy.percentile(found, q)), 1) if found else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counts(values: Iterable[str | None]) -> dict[str, int]:
    return dict(sorted(Counter(v or "unknown" for v in values).items()))


def build_report(calls: Iterable[CallDigest]) -> dict[str, Any]:
    """Every figure of the report, as plain JSON-ready data."""
    calls = list(calls)
    outcomes = Counter(c.outcome for c in calls)
    ended = sum(n for outcome, n in outcomes.items() if outcome != "live")
    transferred = [c for c in calls if c.outcome == "transferred"]
    hung_up = [c for c in calls if c.outcome == "hung_up"]
    turns = [t for c in calls for t in c.turns]
    no_input = [t for t in turns if t.outcome == "no_input"]
    no_match = [t for t in turns if t.outcome in ("no_match", "invalid")]
    latencies = [ms for c in calls for ms in c.latencies_ms]
    flows: dict[str, dict[str, Any]] = {}
    for call in calls:
        entry = flows.setdefault(call.flow, {"calls": 0, "versions": Counter()})
        entry["calls"] += 1
        entry["versions"][call.flow_version or "unknown"] += 1
    return {
        "calls": len(calls),
        "ended": ended,
        "outcomes": {outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES},
        "containment": {
            "contained": outcomes.get("contained", 0),
            "rate": _rate(outcomes.get("contained", 0), ended),
        },
        "transfers": {
            "total": len(transferred),
            "rate": _rate(len(transferred), ended),
            "by_reason": _counts(c.transfer_reason for c in transferred),
            "by_queue": _counts(c.transfer_queue for c in transferred),
        },
        "hang_ups": {
            "total": len(hung_up),
            "rate": _rate(len(hung_up), ended),
            "by_node": _counts(c.lost_at for c in hung_up),
        },
        "dropped": outcomes.get("dropped", 0),
        "turns": len(turns),
        "no_input": {
            "turns": len(no_input),
            "rate": _rate(len(no_input), len(turns)),
            "calls": sum(1 for c in calls if any(t.outcome == "no_input" for t in c.turns)),
        },
        "no_match": {
            "turns": len(no_match),
            "rate": _rate(len(no_match), len(turns)),
            "calls": sum(
                1 for c in calls if any(t.outcome in ("no_match", "invalid") for t in c.turns)
            ),
        },
        "latency_ms": {
            "replies": len(latencies),
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
        },
        "emotion": {
            "turns": _counts(t.emotion for t in turns if t.emotion),
            "calls": _counts(c.peak_emotion for c in calls),
            "escalations": {
                reason: sum(1 for c in transferred if c.transfer_reason == reason)
                for reason in ESCALATIONS
            },
        },
        "handoffs": {
            "total": sum(c.handoffs for c in calls),
            "calls": sum(1 for c in calls if c.handoffs),
        },
        "flows": {
            name: {"calls": entry["calls"], "versions": dict(sorted(entry["versions"].items()))}
            for name, entry in sorted(flows.items())
        },
    }


def over_time(calls: Iterable[CallDigest], unit: str) -> list[dict[str, Any]]:
    """Calls and their outcomes per UTC day (`unit="day"`) or hour (`"hour"`), oldest first;
    only buckets that have calls."""
    fmt = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}[unit]
    buckets: dict[str, Counter[str]] = {}
    for call in calls:
        key = datetime.fromtimestamp(call.started_at, UTC).strftime(fmt)
        buckets.setdefault(key, Counter())[call.outcome] += 1
    return [
        {"at": key, "calls": sum(c.values()), **{o: c.get(o, 0) for o in OUTCOMES}}
        for key, c in sorted(buckets.items())
    ]


def flatten(report: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The report as (dotted name, value) rows: `transfers.by_reason.crisis, 2`."""
    rows: list[tuple[str, Any]] = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += flatten(value, f"{name}.")
        else:
            rows.append((name, value))
    return rows


def to_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    for name, value in flatten(report):
        writer.writerow([name, "" if value is None else value])
    return out.getvalue()


def to_text(report: Mapping[str, Any]) -> str:
    """The report for a terminal."""

    def pct(rate: float | None) -> str:
        return "-" if rate is None else f"{rate * 100:.1f} %"

    def listing(counts: Mapping[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"

    o, t, lat = report["outcomes"], report["transfers"], report["latency_ms"]
    lines = [
        f"calls          {report['calls']} ({report['ended']} ended, {o['live']} live)",
        f"contained      {report['containment']['contained']} "
        f"({pct(report['containment']['rate'])})",
        f"transferred    {t['total']} ({pct(t['rate'])})",
        f"  by reason    {listing(t['by_reason'])}",
        f"  by queue     {listing(t['by_queue'])}",
        f"hung up        {report['hang_ups']['total']} ({pct(report['hang_ups']['rate'])})",
        f"  where        {listing(report['hang_ups']['by_node'])}",
        f"dropped        {report['dropped']}",
        f"caller turns   {report['turns']}",
        f"no-input       {report['no_input']['turns']} turns ({pct(report['no_input']['rate'])})",
        f"no-match       {report['no_match']['turns']} turns ({pct(report['no_match']['rate'])})",
        f"latency        p50 {_ms(lat['p50'])}, p95 {_ms(lat['p95'])} "
        f"over {lat['replies']} replies",
        f"emotion        {listing(report['emotion']['turns'])} (turns)",
        f"escalations    {listing(report['emotion']['escalations'])}",
        f"handoffs       {report['handoffs']['total']}",
    ]
    for name, flow in report["flows"].items():
        calls = f"{flow['calls']} call{'' if flow['calls'] == 1 else 's'}"
        lines.append(f"flow {name:<9} {calls}; versions {listing(flow['versions'])}")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"
