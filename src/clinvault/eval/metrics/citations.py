"""Citation quality: are the cited resources the gold ones, and is every statement cited?"""

from __future__ import annotations

import re
from collections.abc import Collection

from clinvault.eval.metrics.normalize import words

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\-*•])")


def citation_precision(cited: Collection[str], gold: Collection[str]) -> float | None:
    """Share of cited resources that are gold; unmeasured when nothing is cited or no gold."""
    if not cited or not gold:
        return None
    return len(set(cited) & set(gold)) / len(set(cited))


def citation_recall(cited: Collection[str], gold: Collection[str]) -> float | None:
    if not gold:
        return None
    return len(set(cited) & set(gold)) / len(set(gold))


def _line_statements(line: str) -> list[tuple[str, bool]]:
    """Statements of one line and whether a citation covers each: a ``[n]`` marker covers
    the text before it on its line (a quoted passage may hold several sentences), as the
    ask pipeline's own check does; text after the line's last marker is uncited."""
    markers = list(_MARKER.finditer(line))
    covered_until = markers[-1].start() if markers else -1
    out = []
    cursor = 0
    for piece in _SENTENCE_END.split(line):
        start = line.find(piece, cursor)
        cursor = start + len(piece)
        text = piece.strip(" -*•\t")
        if not text or text.endswith(":") or not words(_MARKER.sub("", text)):
            continue
        out.append((text, start < covered_until or bool(_MARKER.search(piece))))
    return out


def sentences(answer: str) -> list[str]:
    """Statements of an answer: each line split at sentence ends; list headers (``...:``)
    and wordless fragments are not statements."""
    return [text for line in answer.splitlines() for text, _ in _line_statements(line.strip())]


def cited_sentence_share(answer: str) -> float | None:
    """Share of statements a ``[n]`` marker covers; unmeasured for an empty answer."""
    statements = [s for line in answer.splitlines() for s in _line_statements(line.strip())]
    if not statements:
        return None
    return sum(1 for _, cited in statements if cited) / len(statements)
