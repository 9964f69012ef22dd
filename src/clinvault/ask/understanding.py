"""Question understanding by nearest labelled exemplars, keyword rules as the tie-breaker.

A question is compared with many hand-written phrasings per intent
(``ask/data/intent_exemplars.jsonl``: "A1c?", "meds", "PMH?", "NKDA?", "hx of MI?",
misspellings). The intents' votes are the similarities of the ``NEIGHBOURS`` nearest
exemplars; the best intent wins when it leads the next one by ``MARGIN``, else the keyword
rules of :mod:`clinvault.ask.intents` decide. They decide too when the question names a
record kind outright ("conditions", "vaccines") and the nearest phrasings are of another
kind: a named kind is stronger evidence than a look-alike sentence. A question naming two record kinds ("current
meds and allergies?") keeps every kind the keywords find, so each part is retrieved.

Similarity is an embedder's cosine when one is given (:class:`ExemplarIndex` with the
deployment's loaded embedder), else a deterministic character n-gram TF-IDF cosine
(:func:`lexical_index`), which needs no model and tolerates misspellings ("alergies").

The result is a :class:`QuestionPlan`: retrieval kind and resource types (what
``ask.retrieval`` reads), the aggregation (latest, trend, compare, list, count, exists,
lookup), a status filter, a time-window phrase and the lay terms expanded to clinical ones
(:func:`expand_question`, for search).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from clinvault.llm.clinical_synonyms import SYNONYMS
from clinvault.llm.time_window import find_window

Aggregation = Literal["latest", "trend", "compare", "list", "count", "exists", "lookup"]
NEIGHBOURS = 5
MARGIN = 0.04
MIN_SIMILARITY = 0.35

MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")
INTENTS: dict[str, tuple[str, tuple[str, ...], Aggregation]] = {
    "latest": ("latest", (), "latest"),
    "trend": ("trend", (), "trend"),
    "compare": ("trend", (), "compare"),
    "allergies": ("list", ("AllergyIntolerance",), "list"),
    "medications": ("list", MEDICATION_TYPES, "list"),
    "conditions": ("list", ("Condition",), "list"),
    "immunizations": ("list", ("Immunization",), "list"),
    "procedures": ("list", ("Procedure",), "list"),
    "demographics": ("list", ("Patient",), "list"),
    "count": ("list", ("Encounter",), "count"),
    "labs": ("list", ("Observation",), "list"),
    "exists": ("lookup", (), "exists"),
    "lookup": ("lookup", (), "lookup"),
}
"""Intent label -> (retrieval kind, resource types, aggregation)."""

_CURRENT = re.compile(r"\b(?:current(?:ly)?|active|now|ongoing)\b", re.I)
_ENDED = re.compile(r"\b(?:stopped|discontinued|completed|resolved|past|former|previous)\b", re.I)


@dataclass(frozen=True, slots=True)
class Exemplar:
    intent: str
    question: str


@dataclass(frozen=True, slots=True)
class Vote:
    intent: str
    score: float
    margin: float
    """How far the best intent leads the next one."""


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    intent: str
    kind: str
    resource_types: tuple[str, ...]
    aggregation: Aggregation
    status: Literal["any", "current", "ended"]
    window: str | None
    """The time-window phrase ("in the last 6 months"), resolved against the evidence later."""
    decided_by: Literal["exemplars", "keywords"]


def load_exemplars() -> list[Exemplar]:
    """The packaged exemplars; a bad line is an error naming the file and line."""
    resource = files("clinvault.ask").joinpath("data/intent_exemplars.jsonl")
    out = []
    for number, line in enumerate(resource.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        record = json.loads(line)
        if record.get("intent") not in INTENTS or not record.get("question"):
            raise ValueError(f"intent_exemplars.jsonl:{number}: unknown intent or no question")
        out.append(Exemplar(record["intent"], record["question"]))
    return out


Vector = dict[str, float]


_FILLER = frozenset(
    [
        "the",
        "a",
        "an",
        "patient",
        "patients",
        "pt",
        "is",
        "are",
        "was",
        "were",
        "what",
        "whats",
        "does",
        "do",
        "did",
        "of",
        "to",
        "he",
        "she",
        "her",
        "his",
        "their",
        "they",
        "this",
        "that",
        "please",
    ]
)
"""Words every intent's phrasings share: they would make any two questions look alike."""


def _grams(text: str) -> Counter[str]:
    words = [
        w for w in re.findall(r"[a-z0-9]+", text.casefold().replace("'s", "")) if w not in _FILLER
    ]
    grams: Counter[str] = Counter(f"w:{w}" for w in words)
    for word in words:
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


class _Lexical:
    """Character 3-gram and word TF-IDF vectors, fitted on the exemplars."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts = [_grams(t) for t in texts]
        df: Counter[str] = Counter(g for c in counts for g in c)
        self._idf = {g: math.log((1 + len(texts)) / (1 + n)) + 1 for g, n in df.items()}

    def vector(self, text: str) -> Vector:
        grams = _grams(text)
        weights = {g: (1 + math.log(n)) * self._idf.get(g, 1.0) for g, n in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(g, 0.0) for g, w in a.items())


class ExemplarIndex:
    """Nearest labelled exemplars. ``embed`` (an embedder's ``embed_documents``) gives dense
    cosine similarity; without it the character n-gram vectors are used."""

    def __init__(
        self,
        exemplars: Sequence[Exemplar],
        embed: Callable[[Sequence[str]], list[list[float]]] | None = None,
    ) -> None:
        self._exemplars = list(exemplars)
        self._embed = embed
        texts = [e.question for e in self._exemplars]
        self._lexical = _Lexical(texts)
        if embed is None:
            self._sparse = [self._lexical.vector(t) for t in texts]
            self._dense: list[list[float]] = []
        else:
            self._sparse = []
            self._dense = [_unit(v) for v in embed(texts)]

    def similarities(self, question: str) -> list[float]:
        if self._embed is None:
            query = self._lexical.vector(question)
            return [_cosine(query, v) for v in self._sparse]
        query_dense = _unit(self._embed([question])[0])
        return [sum(a * b for a, b in zip(query_dense, v, strict=True)) for v in self._dense]

    def vote(self, question: str) -> Vote:
        scored = sorted(
            zip(self.similarities(question), self._exemplars, strict=True),
            key=lambda se: -se[0],
        )[:NEIGHBOURS]
        totals: dict[str, float] = {}
        for similarity, exemplar in scored:
            totals[exemplar.intent] = totals.get(exemplar.intent, 0.0) + similarity
        ranked = sorted(totals.items(), key=lambda it: -it[1])
        if not ranked:
            return Vote("lookup", 0.0, 0.0)
        best, best_total = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        top = max((s for s, e in scored if e.intent == best), default=0.0)
        return Vote(best, top, (best_total - runner_up) / NEIGHBOURS)


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


@cache
def lexical_index() -> ExemplarIndex:
    """The packaged exemplars with character n-gram similarity (built once per process)."""
    return ExemplarIndex(load_exemplars())


def plan_question(
    question: str,
    keyword_kind: str,
    keyword_types: tuple[str, ...],
    index: ExemplarIndex | None = None,
) -> QuestionPlan:
    """The exemplars' intent when it is clear, else the keyword rules' (``keyword_kind``,
    ``keyword_types``); two or more kinds named by keywords are all kept (multi-part)."""
    vote = (index or lexical_index()).vote(question)
    status: Literal["any", "current", "ended"] = (
        "ended" if _ENDED.search(question) else "current" if _CURRENT.search(question) else "any"
    )
    window = find_window(question, ["2000-01-01"])
    phrase = window.phrase if window is not None else None
    clear = vote.score >= MIN_SIMILARITY and vote.margin >= MARGIN
    named = set(keyword_types)
    kinds_named = len(named - set(MEDICATION_TYPES)) + bool(named & set(MEDICATION_TYPES))
    exemplar_types = INTENTS[vote.intent][1]
    # a record kind named outright ("conditions") outweighs a look-alike phrasing's kind
    conflict = bool(named) and set(exemplar_types) != named
    if clear and kinds_named < 2 and not conflict:
        kind, types, aggregation = INTENTS[vote.intent]
        if phrase is not None and kind == "latest":
            kind, aggregation = "trend", "trend"  # a window reads the series, then filters it
        return QuestionPlan(vote.intent, kind, types, aggregation, status, phrase, "exemplars")
    fallback: Aggregation = "list" if keyword_types else _AGGREGATIONS.get(keyword_kind, "lookup")
    if phrase is not None and keyword_kind == "latest":
        keyword_kind, fallback = "trend", "trend"
    return QuestionPlan(
        "keywords", keyword_kind, keyword_types, fallback, status, phrase, "keywords"
    )


_AGGREGATIONS: dict[str, Aggregation] = {"latest": "latest", "trend": "trend", "list": "list"}


def expand_question(question: str) -> str:
    """``question`` with the clinical name of each lay term appended ("heart attack" ->
    "... myocardial infarction"), for search over records that use the clinical name."""
    folded = question.casefold()
    extra = [
        s.name
        for s in SYNONYMS
        if s.name not in folded
        and any(
            re.search(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])", folded) for p in s.asked_as
        )
    ]
    return f"{question} ({'; '.join(extra)})" if extra else question
