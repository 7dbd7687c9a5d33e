"""Charts as inline SVG, drawn on the server: the dashboard needs no script and no internet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

SERIES = (("contained", "#6aa84f"), ("transferred", "#e69138"), ("hung_up", "#cc4125"),
          ("dropped", "#999999"), ("ended", "#674ea7"), ("live", "#3d85c6"))  # fmt: skip


def stacked_bars(
    rows: Sequence[Mapping[str, object]], *, label: str = "at", width: int = 720, height: int = 220
) -> str:
    """Calls per bucket, stacked by outcome; each bar has a tooltip with its figures."""
    if not rows:
        return '<p class="empty">No calls in this period.</p>'
    top = max(int(str(r["calls"])) for r in rows) or 1
    left, bottom, pad = 34, 38, 8
    inner_w, inner_h = width - left - pad, height - bottom - pad
    step = inner_w / len(rows)
    bar = min(48.0, max(2.0, step * 0.7))
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{pad + inner_h}" x2="{width - pad}" y2="{pad + inner_h}" '
        'stroke="#888"/>',
        f'<text x="{left - 4}" y="{pad + 8}" text-anchor="end" font-size="10">{top}</text>',
        f'<text x="{left - 4}" y="{pad + inner_h}" text-anchor="end" font-size="10">0</text>',
    ]
    every = max(1, len(rows) // 8)
    for i, row in enumerate(rows):
        x = left + i * step + (step - bar) / 2
        y = float(pad + inner_h)
        tip = ", ".join(f"{name} {row.get(name, 0)}" for name, _ in SERIES if row.get(name))
        parts.append(f"<g><title>{escape(str(row[label]))}: {escape(tip)}</title>")
        for name, colour in SERIES:
            value = int(str(row.get(name, 0)))
            if not value:
                continue
            h = inner_h * value / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
        parts.append("</g>")
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{escape(str(row[label])[-5:])}</text>'
            )
    legend_x = left
    for name, colour in SERIES:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{height - 5}" font-size="10">{name}</text>'
        )
        legend_x += 84
    parts.append("</svg>")
    return "".join(parts)


def bar_list(counts: Mapping[str, int], colour: str = "#3d85c6") -> str:
    """A labelled horizontal bar per key (transfers by reason, emotion mix…)."""
    if not counts:
        return '<p class="empty">none</p>'
    top = max(counts.values()) or 1
    rows = [
        f'<tr><th scope="row">{escape(key)}</th><td class="num">{value}</td>'
        f'<td><svg width="140" height="12" aria-hidden="true"><rect width="{140 * value / top:.1f}"'
        f' height="12" fill="{colour}"/></svg></td></tr>'
        for key, value in counts.items()
    ]
    return '<table class="bars">' + "".join(rows) + "</table>"
