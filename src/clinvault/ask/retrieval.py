"""Retrieval for one patient: hybrid search, then date-ordered reads the intent asks for.

Every read names the patient token (``SearchQuery`` cannot be built without one, and the
index checks every returned chunk). For ``latest``/``trend`` questions the concept's codes
come from the built-in LOINC map or, failing that, from the codes of the best search hits;
``index.latest`` then returns that concept's results newest first, so the newest of twenty
look-alike values is in the evidence even when search ranks an older one higher. Structured
results lead; note passages carrying the same code (an Observation's annotation) follow. A ``trend``
question gets every result it reads (up to ``candidates``), however small ``top_k`` is.

A ``list`` question (procedures, immunizations, problems, medications, allergies) is answered
from the patient's structured listing of those resource types: ``index.list_records``, a
payload-filtered scroll of every chunk of the types (no similarity ranking, no candidate cap),
so a Synthea patient with 300 procedures gets all of them, not the 40 nearest. The listing is
status-filtered on the rendered status (the payload has no status field): records entered in
error and vaccines not given are never listed, and a question about *current* or *active*
records leaves out those whose status shows they ended (stopped, completed, resolved ...).
Structured records lead (newest first), note passages of the same types follow; search hits
top a short list up to ``top_k``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from clinvault.ask.concepts import concept_codes
from clinvault.ask.intents import Intent, detect_intent
from clinvault.ask.understanding import expand_question
from clinvault.index.base import Embedder, SearchQuery, VectorIndex
from clinvault.model import Chunk, Hit

CODE_SOURCE_HITS = 5
"""How many of the best search hits vote for the concept's codes when the map has none."""
LATEST_FIRST = 3
"""For ``latest`` questions, how many of the newest results lead the evidence."""

Source = Literal["search", "latest", "trend", "list"]

CURRENT = re.compile(r"\b(?:current(?:ly)?|active|ongoing|now)\b", re.IGNORECASE)
"""A list question about records still in force ("current medications", "active problems")."""
CAN_END = frozenset(
    {
        "AllergyIntolerance",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "MedicationDispense",
    }
)
"""Record types that can stop being current; a given vaccine or a done procedure cannot."""
NEVER_LISTED = re.compile(
    r"(?:^|; )(?:status|clinical status|verification) entered-in-error\b"
    r"|^Immunization: .*?; status not-done\b",
    re.IGNORECASE,
)
"""A rendered record that is no fact about the patient (entered in error, a vaccine not given)."""
ENDED = re.compile(
    r"(?:^|; )(?:status|clinical status|verification) (?:stopped|completed|cancelled|"
    r"not-taken|inactive|resolved|remission|refuted|on-hold)\b",
    re.IGNORECASE,
)
"""A rendered medication, condition or allergy whose status shows it is not current."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One retrieved chunk, how it was found and its search score (0 if search missed it)."""

    chunk: Chunk
    score: float
    source: Source


@dataclass(frozen=True, slots=True)
class Retrieval:
    intent: Intent
    codes: tuple[str, ...]
    evidence: list[Evidence]


class Retriever:
    def __init__(self, embedder: Embedder, index: VectorIndex, *, candidates: int = 40) -> None:
        self._embedder = embedder
        self._index = index
        self._candidates = candidates

    def retrieve(self, patient: str, question: str, *, top_k: int) -> Retrieval:
        """``question`` must already be pseudonymized (it is embedded and BM25-scored)."""
        intent = detect_intent(question)
        # lay terms searched under their clinical names too ("heart attack" finds the
        # Condition "myocardial infarction"): both the BM25 text and the embedded query
        searched_for = expand_question(question)
        hits = self._index.search(
            SearchQuery(
                patient=patient,
                text=searched_for,
                vector=self._embedder.embed_query(searched_for),
                limit=max(self._candidates, top_k),
                mode="hybrid",
            )
        )
        scores = {hit.chunk.chunk_id: hit.score for hit in hits}
        codes: tuple[str, ...] = ()
        leading: list[Evidence] = []
        if intent.kind in ("latest", "trend") and not intent.resource_types:
            codes = concept_codes(searched_for) or _codes_of_best_hits(hits)
            if codes:
                newest = self._index.latest(patient, codes=codes, limit=self._candidates)
                if intent.kind == "latest":
                    first = _structured_first(newest)[:LATEST_FIRST]
                    leading = [_found(c, scores, "latest") for c in first]
                else:
                    leading = [_found(c, scores, "trend") for c in reversed(newest)]
        elif intent.kind == "list":
            listed = self._index.list_records(patient, resource_types=intent.resource_types)
            kept = status_filtered(listed, current_only=bool(CURRENT.search(question)))
            leading = [_found(c, scores, "list") for c in _structured_first(kept)]
        elif intent.resource_types:
            listed = self._index.latest(
                patient, resource_types=intent.resource_types, limit=self._candidates
            )
            leading = [_found(c, scores, "list") for c in listed]
        searched = [Evidence(hit.chunk, hit.score, "search") for hit in hits]
        # A trend or a list is read in full: "which allergies" with ten allergies gets ten.
        limit = max(top_k, len(leading)) if intent.kind in ("trend", "list") else top_k
        return Retrieval(intent, codes, _deduplicated([*leading, *searched])[:limit])


def status_filtered(chunks: Sequence[Chunk], *, current_only: bool) -> list[Chunk]:
    """The listed records that are facts about the patient; with ``current_only``, without
    the records of kinds that can end whose rendered status shows they ended."""
    kept = []
    for chunk in chunks:
        if chunk.kind == "resource" and NEVER_LISTED.search(chunk.text):
            continue
        ended = chunk.resource_type in CAN_END and chunk.kind == "resource"
        if current_only and ended and ENDED.search(chunk.text):
            continue
        kept.append(chunk)
    return kept


def _found(chunk: Chunk, scores: dict[str, float], source: Source) -> Evidence:
    return Evidence(chunk, scores.get(chunk.chunk_id, 0.0), source)


def _structured_first(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Result records before note passages that carry the same code (an annotation on an
    Observation), each group newest first: the newest results lead a ``latest`` answer."""
    return [c for c in chunks if c.kind == "resource"] + [c for c in chunks if c.kind != "resource"]


def _codes_of_best_hits(hits: Sequence[Hit]) -> tuple[str, ...]:
    """The code most of the best dated, coded hits share (the concept search found)."""
    votes: Counter[str] = Counter()
    for hit in hits[:CODE_SOURCE_HITS]:
        if hit.chunk.date and hit.chunk.codes and hit.chunk.kind == "resource":
            votes.update(hit.chunk.codes)
    if not votes:
        return ()
    code, _ = votes.most_common(1)[0]
    return (code,)


def _deduplicated(evidence: Sequence[Evidence]) -> list[Evidence]:
    seen: set[str] = set()
    kept: list[Evidence] = []
    for item in evidence:
        if item.chunk.chunk_id not in seen:
            seen.add(item.chunk.chunk_id)
            kept.append(item)
    return kept
