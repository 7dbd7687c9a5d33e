"""Replay results for people and CI: the terminal table, JUnit XML, HTML or Markdown."""

from __future__ import annotations

import html
import os
from pathlib import Path
from xml.etree import ElementTree as ET

from voicebot.tools.replay.runner import ScenarioResult, percentile


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _wer(result: ScenarioResult) -> str:
    return "-" if result.wer is None else f"{result.wer:.2f}"


def summary_rows(results: list[ScenarioResult]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            r.name,
            r.status.upper(),
            r.reason,
            _ms(percentile(r.latencies_ms, 50)),
            _ms(percentile(r.latencies_ms, 95)),
            _wer(r),
        )
        for r in results
    ]


def print_table(results: list[ScenarioResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Replay results")
    for column in ("scenario", "verdict", "first failing expectation", "p50 ms", "p95 ms", "WER"):
        table.add_column(column, overflow="fold")
    colours = {"PASS": "green", "FAIL": "red", "SKIP": "yellow"}
    for name, status, reason, p50, p95, wer in summary_rows(results):
        table.add_row(name, f"[{colours[status]}]{status}[/]", reason, p50, p95, wer)
    Console(width=max(120, os.get_terminal_size(0).columns if os.isatty(0) else 160)).print(table)


def totals(results: list[ScenarioResult]) -> str:
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "skip")}
    latencies = [v for r in results for v in r.latencies_ms]
    return (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped; "
        f"latency p50 {_ms(percentile(latencies, 50))} ms, p95 {_ms(percentile(latencies, 95))} ms"
    )


def write_junit(results: list[ScenarioResult], path: Path) -> None:
    suite = ET.Element(
        "testsuite",
        name="voicebot-replay",
        tests=str(len(results)),
        failures=str(sum(r.status == "fail" for r in results)),
        skipped=str(sum(r.status == "skip" for r in results)),
        time=f"{sum(r.wall_seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname="replay", name=r.name, time=f"{r.wall_seconds:.3f}"
        )
        if r.status == "fail":
            failure = ET.SubElement(case, "failure", message=r.reason)
            failure.text = "\n".join(r.problems)
        elif r.status == "skip":
            ET.SubElement(case, "skipped", message=r.reason)
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"turn {t.index} {t.kind} {t.label!r}: heard {t.transcript!r} → node {t.node}, "
            f"latency {_ms(t.latency_ms)} ms"
            for t in r.turns
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def latency_svg(results: list[ScenarioResult]) -> str:
    """One bar per turn of every call, grouped by scenario; a line at 800 ms (the p95 goal)."""
    bars = [(r.name, t.index, t.latency_ms) for r in results for t in r.turns if t.latency_ms]
    if not bars:
        return "<p>No latencies measured.</p>"
    width, height, bar = max(300, 12 * len(bars) + 60), 220, 10
    top = max(1000.0, max(v for _, _, v in bars) * 1.1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for i, (name, index, value) in enumerate(bars):
        h = value / top * (height - 40)
        x, y = 50 + i * 12, height - 20 - h
        colour = "#c0392b" if value > 800 else "#2e86c1"
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
            f"<title>{html.escape(name)} turn {index}: {value:.0f} ms</title></rect>"
        )
    goal = height - 20 - 800 / top * (height - 40)
    parts.append(
        f'<line x1="45" x2="{width}" y1="{goal:.1f}" y2="{goal:.1f}" stroke="#888" '
        'stroke-dasharray="4"/>'
        f'<text x="0" y="{goal + 4:.1f}" font-size="10">800 ms</text>'
        f'<text x="0" y="{height - 20}" font-size="10">0</text></svg>'
    )
    return "".join(parts)


def _link(recording: Path | None, report: Path) -> str:
    if recording is None:
        return ""
    try:
        target = os.path.relpath(recording, report.parent)
    except ValueError:
        target = str(recording)
    return target


def write_report(results: list[ScenarioResult], path: Path, title: str = "Replay report") -> None:
    """HTML (default) or Markdown when `path` ends in .md: per-turn details, latency chart,
    links to each call's stereo recording (caller left, bot right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".md", ".markdown"):
        path.write_text(_markdown(results, path, title), encoding="utf-8")
    else:
        path.write_text(_html(results, path, title), encoding="utf-8")


def _markdown(results: list[ScenarioResult], path: Path, title: str) -> str:
    lines = [f"# {title}", "", totals(results), ""]
    lines += ["| scenario | verdict | first failing expectation | p50 ms | p95 ms | WER |"]
    lines += ["|---|---|---|---|---|---|"]
    for row in summary_rows(results):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    for r in results:
        lines += ["", f"## {r.name} — {r.status.upper()}", ""]
        if link := _link(r.recording, path):
            lines += [f"Recording: [{link}]({link}) (caller left, bot right)", ""]
        for problem in r.problems:
            lines.append(f"- {problem}")
        if r.turns:
            lines += ["", "| turn | kind | sent | heard | node | bot said | latency ms |"]
            lines += ["|---|---|---|---|---|---|---|"]
            for t in r.turns:
                cells = [str(t.index), t.kind, t.label, t.transcript or "", t.node or ""]
                cells += [t.bot_said, _ms(t.latency_ms)]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _html(results: list[ScenarioResult], path: Path, title: str) -> str:
    e = html.escape
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
        ".pass{color:#1e8449}.fail{color:#c0392b}.skip{color:#b7950b}</style></head><body>",
        f"<h1>{e(title)}</h1><p>{e(totals(results))}</p>",
        "<h2>Response latency per turn</h2>",
        latency_svg(results),
        "<h2>Scenarios</h2><table><tr><th>scenario</th><th>verdict</th>"
        "<th>first failing expectation</th><th>p50 ms</th><th>p95 ms</th><th>WER</th></tr>",
    ]
    for name, status, reason, p50, p95, wer in summary_rows(results):
        out.append(
            f"<tr><td><a href='#{e(name)}'>{e(name)}</a></td><td class='{status.lower()}'>"
            f"{status}</td><td>{e(reason)}</td><td>{p50}</td><td>{p95}</td><td>{wer}</td></tr>"
        )
    out.append("</table>")
    for r in results:
        out.append(f"<h3 id='{e(r.name)}'>{e(r.name)} — <span class='{r.status}'>"
                   f"{r.status.upper()}</span></h3>")  # fmt: skip
        if link := _link(r.recording, path):
            out.append(
                f"<p><audio controls src='{e(link)}'></audio> <a href='{e(link)}'>"
                "recording</a> (caller left, bot right)</p>"
            )
        if r.problems:
            out.append("<ul>" + "".join(f"<li>{e(p)}</li>" for p in r.problems) + "</ul>")
        if r.turns:
            out.append(
                "<table><tr><th>turn</th><th>kind</th><th>sent</th><th>heard</th><th>node</th>"
                "<th>bot said</th><th>latency ms</th><th>problems</th></tr>"
            )
            for t in r.turns:
                out.append(
                    f"<tr><td>{t.index}</td><td>{e(t.kind)}</td><td>{e(t.label)}</td>"
                    f"<td>{e(t.transcript or '')}</td><td>{e(t.node or '')}</td>"
                    f"<td>{e(t.bot_said)}</td><td>{_ms(t.latency_ms)}</td>"
                    f"<td>{e('; '.join(t.problems))}</td></tr>"
                )
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)
