"""Access review for one patient: who accessed them, when, why, what was revealed, break-glass.

Built from the audit records alone (pseudonymous patient and resource tokens, principals,
purpose codes, reason codes); questions and break-glass reasons stay sealed. "Revealed" is
read from the access decision each ask links to (``related_response_id``): a grant, a care
team relationship or break-glass re-identifies the answer; ``pseudonymous-only`` does not.

:func:`render_html` writes one self-contained page (inline CSS, no scripts, no network) for
the privacy office, like the evaluation report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from clinvault.audit.record import AuditRecord

IDENTIFIED_REASONS = frozenset({"grant", "care-team", "break-glass"})
PSEUDONYMOUS_REASONS = frozenset({"pseudonymous-only"})


@dataclass(frozen=True, slots=True)
class AccessRow:
    seq: int
    time: str
    principal: str
    role: str | None
    purpose: str | None
    kind: str
    outcome: str
    reason: str
    revealed: str
    """What reached the principal, in words (no PHI: counts and tokens)."""
    cited: tuple[str, ...]
    model: str | None
    break_glass: bool
    count: int
    response_id: str


@dataclass
class AccessReport:
    patient: str
    rows: list[AccessRow] = field(default_factory=list)

    @property
    def principals(self) -> list[tuple[str, int]]:
        counts = Counter(row.principal for row in self.rows for _ in range(row.count))
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def purposes(self) -> list[tuple[str, int]]:
        counts = Counter((row.purpose or "-") for row in self.rows for _ in range(row.count))
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def break_glass(self) -> list[AccessRow]:
        return [row for row in self.rows if row.break_glass]

    @property
    def identified(self) -> int:
        return sum(1 for row in self.rows if row.revealed.startswith("identified"))


def build_report(patient: str, records: Iterable[AuditRecord]) -> AccessReport:
    """Every record about ``patient`` in ``seq`` order (``records`` may hold other patients)."""
    mine = [record for record in records if record.patient == patient]
    decisions = {r.response_id: r for r in mine if r.kind == "access"}
    report = AccessReport(patient)
    for record in mine:
        decision = decisions.get(record.related_response_id or "")
        report.rows.append(
            AccessRow(
                seq=record.seq,
                time=record.time,
                principal=record.principal,
                role=record.role,
                purpose=record.purpose,
                kind=record.kind,
                outcome=record.outcome,
                reason=record.reason,
                revealed=revealed(record, decision),
                cited=tuple(dict.fromkeys(c.resource for c in record.citations)),
                model=record.model,
                break_glass=record.break_glass,
                count=record.count,
                response_id=record.response_id,
            )
        )
    return report


def revealed(record: AuditRecord, decision: AuditRecord | None) -> str:
    if record.outcome not in ("answered", "allowed", "aborted"):
        return "nothing"
    if record.kind == "audit-view":
        return "audited question text" if record.reason.endswith("revealed") else "audit record"
    if record.kind == "access":
        if record.reason in PSEUDONYMOUS_REASONS:
            return "access: pseudonyms only"
        return "access: identified data"
    cited = len({c.resource for c in record.citations})
    partial = " (stream stopped early)" if record.outcome == "aborted" else ""
    if decision is None:
        level = "identified" if record.break_glass else "answer"
    elif decision.reason in PSEUDONYMOUS_REASONS:
        level = "pseudonymous"
    elif decision.reason in IDENTIFIED_REASONS:
        level = "identified"
    else:
        level = "answer"
    return f"{level} answer citing {cited} resource(s){partial}"


# HTML -------------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:1200px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccd;padding:.25rem .6rem;text-align:left;vertical-align:top}
.flag{color:#b00020;font-weight:600}.muted{color:#667}h2{margin-top:2rem}code{font-size:.85em}
tr.btg td{background:#fff1f1}
"""


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: AccessReport, *, generated: str) -> str:
    """One page: summary, break-glass uses, then every access in order. Cells are escaped."""
    patient = escape(report.patient)
    body = [
        f"<h1>Access review for patient <code>{patient}</code></h1>",
        f'<p class="muted">Generated {escape(generated)} from the tamper-evident audit log. '
        "Patients and resources appear as pseudonymous tokens; questions and break-glass "
        "reasons stay encrypted (an auditor reveals them with "
        "<code>clinvault audit show --as-user</code>, itself audited).</p>",
        "<h2>Summary</h2>",
        _table(
            ("accesses", "principals", "identified answers", "break-glass uses"),
            [
                (
                    str(sum(row.count for row in report.rows)),
                    str(len(report.principals)),
                    str(report.identified),
                    f'<span class="flag">{len(report.break_glass)}</span>'
                    if report.break_glass
                    else "0",
                )
            ],
        ),
        "<h2>Who</h2>",
        _table(("principal", "records"), ((escape(p), str(n)) for p, n in report.principals)),
        "<h2>Why (purpose of use)</h2>",
        _table(("purpose", "records"), ((escape(p), str(n)) for p, n in report.purposes)),
        "<h2>Break-glass</h2>",
    ]
    if report.break_glass:
        body.append(
            _table(
                ("time", "principal", "role", "kind", "outcome", "response id"),
                (
                    (
                        escape(row.time),
                        escape(row.principal),
                        escape(row.role or "-"),
                        escape(row.kind),
                        escape(row.outcome),
                        f"<code>{escape(row.response_id)}</code>",
                    )
                    for row in report.break_glass
                ),
            )
        )
    else:
        body.append('<p class="muted">No break-glass access to this patient.</p>')
    body.append("<h2>Every access</h2>")
    rows_html = []
    for row in report.rows:
        cells = (
            escape(row.time),
            escape(row.principal),
            escape(row.role or "-"),
            escape(row.purpose or "-")
            + (' <span class="flag">BTG</span>' if row.break_glass else ""),
            escape(row.kind),
            escape(row.outcome) + f' <span class="muted">{escape(row.reason)}</span>',
            escape(row.revealed),
            " ".join(f"<code>{escape(c)}</code>" for c in row.cited) or "-",
            escape(row.model or "-"),
        )
        css = ' class="btg"' if row.break_glass else ""
        rows_html.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    headers = ("when", "who", "role", "why", "what", "outcome", "revealed", "cited", "model")
    head = "".join(f"<th>{h}</th>" for h in headers)
    body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows_html)}</tbody></table>")
    if not report.rows:
        body.append('<p class="muted">No audited access to this patient.</p>')
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>clinvault access review {patient}</title>"
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )
