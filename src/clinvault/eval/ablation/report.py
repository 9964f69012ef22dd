"""``ablation.json`` and ``ablation.html``: each overall metric in both arms and its delta
(pseudonymized minus unpseudonymized; ``null`` when either arm leaves it unmeasured)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from clinvault.eval.compare import LOWER_IS_BETTER, NOT_GATED

ABLATION_VERSION = 1
WIDTH, ROW, LABEL_W = 640, 20, 210


def ablation_summary(
    on_report: Mapping[str, Any], off_report: Mapping[str, Any], *, on: str, off: str
) -> dict[str, Any]:
    on_overall, off_overall = on_report["overall"], off_report["overall"]
    metrics = {}
    for metric in [*on_overall, *(m for m in off_overall if m not in on_overall)]:
        a, b = on_overall.get(metric), off_overall.get(metric)
        metrics[metric] = {
            on: a,
            off: b,
            "delta": None if a is None or b is None else round(a - b, 6),
            "lower_is_better": metric in LOWER_IS_BETTER or metric in NOT_GATED,
        }
    return {
        "version": ABLATION_VERSION,
        "delta": f"{on} minus {off}",
        "arms": {
            name: {"report": f"{name}/report.json", "run": report.get("run", {})}
            for name, report in ((on, on_report), (off, off_report))
        },
        "metrics": metrics,
    }


def _fmt(value: Any, signed: bool = False) -> str:
    if value is None:
        return '<span class="muted">unmeasured</span>'
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _delta_bars(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    """Diverging bars on a -1..1 scale for the 0..1 metrics (latency has its own unit)."""
    rows = [(m, v["delta"]) for m, v in metrics.items() if v["delta"] is not None]
    rows = [(m, d) for m, d in rows if m not in NOT_GATED]
    if not rows:
        return '<p class="muted">no metric measured in both arms</p>'
    half = (WIDTH - LABEL_W - 60) / 2
    zero = LABEL_W + half
    parts = [f'<svg id="ablation-deltas" width="{WIDTH}" height="{ROW * len(rows) + 10}">']
    for i, (metric, delta) in enumerate(rows):
        y = 4 + i * ROW
        w = min(1.0, abs(delta)) * half
        x = zero if delta >= 0 else zero - w
        parts.append(f'<text x="0" y="{y + 13}">{escape(metric)}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{ROW - 6}" fill="#8a5cc2"/>'
        )
        parts.append(f'<text x="{WIDTH - 54}" y="{y + 13}">{delta:+.3f}</text>')
    parts.append(f'<path d="M{zero:.1f} 0V{ROW * len(rows) + 6}" stroke="#111" fill="none"/></svg>')
    return "".join(parts)


def render_ablation_html(summary: Mapping[str, Any]) -> str:
    arms = list(summary["arms"])
    on, off = arms[0], arms[1]
    rows = "".join(
        f"<tr><td>{escape(m)}{' (lower is better)' if v['lower_is_better'] else ''}</td>"
        f"<td>{_fmt(v[on])}</td><td>{_fmt(v[off])}</td><td>{_fmt(v['delta'], True)}</td></tr>"
        for m, v in summary["metrics"].items()
    )
    links = " · ".join(
        f'<a href="{escape(a["report"].replace(".json", ".html"))}">{escape(n)} report</a>'
        for n, a in summary["arms"].items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>clinvault privacy ablation</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1000px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.25rem .6rem}"
        ".muted{color:#667}svg text{font-size:12px}"
        "</style></head><body><h1>Privacy ablation: the utility cost of pseudonymization</h1>"
        f"<p>Synthetic cohort only. Delta = {escape(summary['delta'])}. {links}</p>"
        '<h2>Deltas</h2><section id="ablation-plot">'
        f"{_delta_bars(summary['metrics'])}</section>"
        f'<h2>Metrics</h2><table id="ablation-table"><tr><th>metric</th><th>{escape(on)}</th>'
        f"<th>{escape(off)}</th><th>delta</th></tr>{rows}</table></body></html>\n"
    )
