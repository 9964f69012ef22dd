"""What the offline evidence model quotes from one evidence item.

A structured record (an Observation, a Condition ...) is short and is quoted whole. A note
passage is long and mixes many facts (every lab of a visit, the plan, names), so only its
statements that mention what was asked are quoted: "What is the latest HbA1c?" quotes
``HbA1c 5.4%`` from a progress note, not the whole note.

A note item is recognised by the header the chunker puts before every note passage
(``DocumentReference note (Progress note) on <date>, part 1/1: ...``) or, lacking one, by a
document resource type. Statements are cut at sentence ends, semicolons and ``|`` separators;
a numbered list marker (``1.``) and a few title abbreviations (``Dr.``) do not end one.
Quotes are verbatim substrings of the item text, so they never carry a value the item lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clinvault.llm.prompt import EvidenceItem

DOCUMENT_TYPES = frozenset({"DocumentReference", "Composition"})
"""Resource types whose items are documents even without a note header."""

NOTE_HEADER = re.compile(
    r"^[A-Za-z]+ note \((?P<label>[^()]*(?:\([^()]*\)[^()]*)*)\)(?: on [^,]*)?, part \d+/\d+: "
)
_STATEMENT_END = re.compile(
    r"(?<![\s:]\d\.)(?<!^\d\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)"
    r"(?<=[.!?;|])\s+"
)
_TRIM = " \t;|,"
HISTORY = re.compile(
    r"\b(?:prior|previous(?:ly)?|past|earlier|formerly|history of|last (?:year|month|visit))\b",
    re.IGNORECASE,
)
"""A statement about an earlier value ("Prior HbA1c 5.6 on ..."): not the newest one."""


@dataclass(frozen=True, slots=True)
class NotePassage:
    label: str
    """What the note is (``Progress note``), from its header; the resource type without one."""
    body: str
    """The passage after its header."""


def note_passage(item: EvidenceItem) -> NotePassage | None:
    """``item`` as a note passage, or ``None`` for a structured record."""
    header = NOTE_HEADER.match(item.text)
    if header is not None:
        return NotePassage(
            header.group("label").strip() or item.resource_type, item.text[header.end() :]
        )
    if item.resource_type in DOCUMENT_TYPES:
        return NotePassage(item.resource_type, item.text)
    return None


def is_note(item: EvidenceItem) -> bool:
    return note_passage(item) is not None


def statements(body: str) -> list[str]:
    """The statements of a note passage, in order, without their trailing separators."""
    parts = (part.strip(_TRIM) for part in _STATEMENT_END.split(body))
    return [part for part in parts if any(ch.isalnum() for ch in part)]


def best_statement_score(item: EvidenceItem, score: Callable[[str], int]) -> int | None:
    """The best ``score`` of one statement of a note; ``None`` for a structured record."""
    note = note_passage(item)
    if note is None:
        return None
    return max((score(statement) for statement in statements(note.body)), default=0)


def relevant_statements(
    body: str, score: Callable[[str], int], required: int, *, newest: bool
) -> list[str]:
    """The statements of ``body`` that answer: those scoring at least ``required`` or, when
    the asked words are spread over several statements, those scoring best. For a "newest"
    question, statements about earlier values are left out when another one answers.
    ``[]`` when no statement mentions anything asked."""
    scored = [(score(statement), statement) for statement in statements(body)]
    best = max((value for value, _ in scored), default=0)
    if best <= 0:
        return []
    floor = required if best >= required else best
    chosen = [statement for value, statement in scored if value >= floor]
    if newest:
        current = [statement for statement in chosen if not HISTORY.search(statement)]
        chosen = current or chosen
    return chosen


def quoted_text(
    item: EvidenceItem, score: Callable[[str], int], required: int, *, newest: bool
) -> str:
    """What an answer line quotes from ``item``: a record whole, a note's relevant statements
    (``Progress note: HbA1c 5.4%``), or the whole passage when no statement is relevant."""
    note = note_passage(item)
    if note is None:
        return item.text
    chosen = relevant_statements(note.body, score, required, newest=newest)
    return f"{note.label}: {' … '.join(chosen) if chosen else note.body}"


def prefer_structured(items: Sequence[EvidenceItem]) -> list[EvidenceItem]:
    """The structured records among ``items``; the notes only when there is no record."""
    structured = [item for item in items if not is_note(item)]
    return structured or list(items)
