"""Checking an answer's ``[n]`` markers against the evidence it was given.

A marker ``[n]`` (or a group ``[1, 3]``) cites the n-th evidence chunk. Numbers outside the
evidence are removed from the answer and reported; statements with no citation are
reported (see :func:`uncited_statements`), except the "records do not answer" sentence and
lines that introduce a list (ending with ``:``). Nothing can be cited that was not retrieved: a citation is only ever
built from an evidence chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clinvault.llm.answer_parser import normalize_citations
from clinvault.llm.evidence_model import NOT_ANSWERED, NOTHING_RECORDED
from clinvault.model import Chunk

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_WORDLESS_EDGES = re.compile(r"^[\s\-*•.,;]+|\s+$")
_EMPTY_GROUP_SPACE = re.compile(r"[ \t]+(?=[.,;:!?\n]|$)", re.MULTILINE)
_DANGLING_JOIN = re.compile(r"(?:,|[ \t]+(?:and|or))(?=[.;:!?]|$)", re.MULTILINE)
"""``see [2] and [40].`` loses ``[40]``; the ``and`` left before the full stop goes too."""


@dataclass(frozen=True, slots=True)
class CitedChunk:
    n: int
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class CitationCheck:
    answer: str
    """The answer with out-of-range markers removed."""
    cited: list[CitedChunk]
    """Evidence chunks the answer cites, in order of first citation."""
    invalid_numbers: list[int]
    uncited_statements: list[str]

    @property
    def grounded(self) -> bool:
        return not self.invalid_numbers and not self.uncited_statements


def check_citations(answer: str, evidence: Sequence[Chunk]) -> CitationCheck:
    """Real models' citation styles (``(Source: 3)``, ``¹``, ``[1-3]`` ...) are read as
    ``[n]`` markers first (:mod:`clinvault.llm.answer_parser`)."""
    answer = normalize_citations(answer)
    invalid: list[int] = []
    cited: dict[int, CitedChunk] = {}

    def keep_valid(match: re.Match[str]) -> str:
        numbers = [int(part) for part in match.group(1).split(",")]
        valid = [n for n in numbers if 1 <= n <= len(evidence)]
        invalid.extend(n for n in numbers if n not in valid and n not in invalid)
        for n in valid:
            cited.setdefault(n, CitedChunk(n, evidence[n - 1]))
        return f"[{', '.join(str(n) for n in valid)}]" if valid else ""

    cleaned = _MARKER.sub(keep_valid, answer)
    if invalid:
        cleaned = _DANGLING_JOIN.sub("", _EMPTY_GROUP_SPACE.sub("", cleaned))
    return CitationCheck(
        answer=cleaned,
        cited=list(cited.values()),
        invalid_numbers=invalid,
        uncited_statements=uncited_statements(cleaned),
    )


def uncited_statements(answer: str) -> list[str]:
    """Text a citation does not cover. A marker covers the text before it back to the previous
    marker on its line (a quoted passage may hold several sentences); text after a line's last
    marker, and lines without one, are uncited."""
    out = []
    for line in answer.splitlines():
        segments = _MARKER.split(line)[::2]
        covered = segments[:-1] if len(segments) > 1 else []
        for segment in segments[len(covered) :]:
            text = _WORDLESS_EDGES.sub("", segment)
            if not text or text.endswith(":") or says_not_answered(text):
                continue
            if any(ch.isalnum() for ch in text):
                out.append(text)
    return out


def says_not_answered(answer: str) -> bool:
    """The records do not answer, or record nothing of what was asked ("No record of stroke
    in the provided records (searched ...)"): an abstention when nothing is cited."""
    return (
        NOT_ANSWERED.casefold() in answer.casefold() or NOTHING_RECORDED.search(answer) is not None
    )
