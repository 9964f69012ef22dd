"""``report.html``: one self-contained page (inline CSS and SVG, no scripts, no network)
with the overall figures, each metric by slice with 95% error bars, a latency histogram and
citation coverage by question category."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 560
BAR_HEIGHT = 18
KEY_METRICS = (
    "answer_correct",
    "list_f1",
    "faithfulness",
    "citation_precision",
    "citation_recall",
    "retrieval_recall_at_k",
    "abstention_accuracy",
)
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccd;padding:.25rem .6rem;text-align:left}
.flag{color:#b00020;font-weight:600}.muted{color:#667}h2{margin-top:2rem}
svg text{font-size:12px;font-family:system-ui,sans-serif}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return '<span class="muted">unmeasured</span>'
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(str(value))


def _bars_with_errors(rows: Sequence[tuple[str, float, list[float] | None, int]]) -> str:
    """Horizontal bars on a 0..1 scale, each with its 95% interval as an error bar."""
    label_w, plot_w = 200, WIDTH - 260
    height = BAR_HEIGHT * len(rows) + 24
    parts = [f'<svg width="{WIDTH}" height="{height}" role="img">']
    for i, (label, value, ci, n) in enumerate(rows):
        y = 4 + i * BAR_HEIGHT
        w = max(0.0, min(1.0, value)) * plot_w
        parts.append(f'<text x="0" y="{y + 13}">{escape(label[:20])} (n={n})</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{BAR_HEIGHT - 6}" fill="#4a78c2"/>'
        )
        if ci:
            lo, hi = (label_w + max(0.0, min(1.0, c)) * plot_w for c in ci)
            mid = y + BAR_HEIGHT / 2
            parts.append(
                f'<path d="M{lo:.1f} {mid}H{hi:.1f}M{lo:.1f} {mid - 4}V{mid + 4}M{hi:.1f} {mid - 4}V{mid + 4}" stroke="#111" fill="none"/>'
            )
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 13}">{value:.2f}</text>')
    axis_y = height - 8
    parts.append(f'<text x="{label_w}" y="{axis_y}">0</text>')
    parts.append(f'<text x="{label_w + plot_w - 6}" y="{axis_y}">1</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(samples: Sequence[float], bins: int = 12) -> str:
    if not samples:
        return '<p class="muted">no latency samples</p>'
    low, high = min(samples), max(samples)
    span = (high - low) or 1.0
    counts = [0] * bins
    for s in samples:
        counts[min(bins - 1, int((s - low) / span * bins))] += 1
    top = max(counts)
    plot_h, bar_w = 140, (WIDTH - 40) / bins
    parts = [f'<svg width="{WIDTH}" height="{plot_h + 40}" role="img">']
    for i, count in enumerate(counts):
        h = count / top * plot_h
        x = 20 + i * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{plot_h - h + 5:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#6a9c5a"><title>{count}</title></rect>'
        )
    parts.append(f'<text x="20" y="{plot_h + 22}">{low:.0f} ms</text>')
    parts.append(f'<text x="{WIDTH - 90}" y="{plot_h + 22}">{high:.0f} ms</text>')
    parts.append("</svg>")
    return "".join(parts)


def _coverage_by_category(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, float, None, int]]:
    groups: dict[str, list[float]] = {}
    for item in items:
        value = item["scores"].get("cited_sentence_share")
        if value is not None:
            groups.setdefault(item["category"], []).append(float(value))
    return [(c, sum(v) / len(v), None, len(v)) for c, v in sorted(groups.items())]


def _families(families: Mapping[str, Any]) -> str:
    """One table: a row per question family, a column per metric any family measures."""
    if not families:
        return ""
    metrics = sorted({m for f in families.values() for m in f.get("metrics", {})})
    head = "".join(f"<th>{escape(m)}</th>" for m in metrics)
    rows = [
        f"<tr><td>{escape(name)}</td><td>{int(f.get('n', 0))}</td>"
        + "".join(f"<td>{_fmt(f.get('metrics', {}).get(m))}</td>" for m in metrics)
        + "</tr>"
        for name, f in families.items()
    ]
    return (
        '<section id="families"><h2>By question family</h2>'
        f"<table><tr><th>family</th><th>n</th>{head}</tr>{''.join(rows)}</table></section>"
    )


def render_html(report: Mapping[str, Any]) -> str:
    overall = report["overall"]
    body = ["<h1>clinvault evaluation report</h1>"]
    run = report.get("run", {})
    body.append(
        "<p>"
        + " · ".join(
            f"{escape(str(k))}: {escape(str(v))}" for k, v in run.items() if k != "statuses"
        )
        + "</p>"
    )
    body.append('<section id="overall"><h2>Overall</h2>')
    body.append("<table><tr><th>metric</th><th>value</th></tr>")
    body.extend(f"<tr><td>{escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in overall.items())
    body.append("</table></section>")
    body.append(_families(report.get("families") or {}))
    gaps = report.get("gaps", {})
    threshold = _fmt(gaps.get("threshold"))
    body.append(f'<section id="gaps"><h2>Largest slice gaps (threshold {threshold})</h2>')
    flagged = gaps.get("flagged") or []
    if flagged:
        body.append(
            "<table><tr><th>dimension</th><th>metric</th><th>gap</th><th>best</th><th>worst</th></tr>"
        )
        for g in flagged:
            body.append(
                f'<tr class="flag"><td>{escape(g["dimension"])}</td><td>{escape(g["metric"])}</td>'
                f"<td>{g['gap']:.3f}</td><td>{escape(g['best'])}</td><td>{escape(g['worst'])}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append("<p>No gap above the threshold.</p>")
    body.append("</section>")
    body.append('<section id="slices"><h2>Metrics by slice (mean, 95% bootstrap interval)</h2>')
    for dimension, values in report.get("slices", {}).items():
        for metric in KEY_METRICS:
            rows = [
                (value, row[metric]["value"], row[metric]["ci95"], row[metric]["n"])
                for value, row in values.items()
                if row.get(metric, {}).get("value") is not None
            ]
            if rows:
                body.append(f"<h3>{escape(metric)} by {escape(dimension)}</h3>")
                body.append(_bars_with_errors(rows))
    body.append('</section><section id="latency"><h2>Latency per question</h2>')
    body.append(_histogram(report.get("latencies_ms", [])))
    body.append('</section><section id="coverage">')
    body.append("<h2>Citation coverage (share of statements cited) by category</h2>")
    coverage = _coverage_by_category(report.get("items", []))
    body.append(_bars_with_errors(coverage) if coverage else '<p class="muted">unmeasured</p>')
    body.append("</section>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>clinvault evaluation report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )
