"""Span recall, character precision and clinical-term survival of a detector.

The figures the real-note evaluation of issue 18 uses, so ours compare with them:

- **recall per category**: a gold PHI span is *found* when every letter and digit of it lies
  inside some detected span (any PHI type: a hidden value is hidden);
- **character precision**: of the letters and digits a detector hides, the share that lies in
  gold PHI (per detected PHI type and overall); punctuation and spaces do not count;
- **utility**: the share of gold clinical-term spans (label ``CLINICAL``, not PHI) that no
  detected span touches, i.e. that survive into the index for retrieval and answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clinvault.phi.base import PhiType, Span
from clinvault.phi.evaluation.gold import GoldDocument, LabelScheme
from clinvault.phi.evaluation.metrics import LabelRecall, TypeScores, ratio

CLINICAL = "CLINICAL"


@dataclass(frozen=True, slots=True)
class CharReport:
    """The same record types as the token-level report (:mod:`.metrics`), counted in other
    units: ``support``/``found`` are gold *spans*, ``predicted``/``correct`` are hidden
    letters and digits."""

    name: str
    documents: int
    categories: tuple[LabelRecall, ...]
    precision: tuple[TypeScores, ...]
    """Per detected PHI type: character precision, and span recall of the gold spans whose
    label maps to that type."""
    overall_recall: LabelRecall
    overall_precision: TypeScores
    clinical_terms: int
    clinical_kept: int

    @property
    def utility(self) -> float | None:
        return ratio(self.clinical_kept, self.clinical_terms)

    def recall_of(self, label: str) -> float | None:
        for item in self.categories:
            if item.label == label:
                return item.recall
        return None


def _hidden(text: str, predicted: Sequence[Span]) -> list[PhiType | None]:
    mask: list[PhiType | None] = [None] * len(text)
    for span in predicted:
        for i in range(span.start, min(span.end, len(text))):
            mask[i] = span.type
    return mask


def char_score(
    name: str,
    documents: Sequence[GoldDocument],
    predictions: Iterable[Sequence[Span]],
    scheme: LabelScheme,
) -> CharReport:
    support: Counter[str] = Counter()
    found: Counter[str] = Counter()
    type_support: Counter[PhiType] = Counter()
    type_found: Counter[PhiType] = Counter()
    predicted: Counter[PhiType] = Counter()
    correct: Counter[PhiType] = Counter()
    terms = kept = 0
    for document, spans in zip(documents, predictions, strict=True):
        text = document.text
        hidden = _hidden(text, spans)
        gold_phi = [False] * len(text)
        for gold in document.spans:
            if gold.label == CLINICAL:
                terms += 1
                kept += all(hidden[i] is None for i in range(gold.start, gold.end))
                continue
            kind = scheme.phi_type(gold.label)
            if kind is None:
                continue
            letters = [i for i in range(gold.start, gold.end) if text[i].isalnum()]
            hit = all(hidden[i] is not None for i in letters)
            support[gold.label] += 1
            found[gold.label] += hit
            type_support[kind] += 1
            type_found[kind] += hit
            for i in range(gold.start, gold.end):
                gold_phi[i] = True
        for i, hidden_type in enumerate(hidden):
            if hidden_type is not None and text[i].isalnum():
                predicted[hidden_type] += 1
                correct[hidden_type] += gold_phi[i]
    categories = tuple(
        LabelRecall(label, scheme.phi_type(label), support[label], found[label])
        for label in sorted(support)
    )
    precision = tuple(
        TypeScores(t, type_support[t], type_found[t], predicted[t], correct[t])
        for t in sorted(predicted, key=list(PhiType).index)
    )
    total = (sum(support.values()), sum(found.values()))
    return CharReport(
        name,
        len(documents),
        categories,
        precision,
        LabelRecall("overall", None, *total),
        TypeScores(None, *total, sum(predicted.values()), sum(correct.values())),
        terms,
        kept,
    )


def char_report_json(report: CharReport) -> dict[str, object]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "detector": report.name,
        "documents": report.documents,
        "recall": {
            item.label: {
                "support": item.support,
                "found": item.found,
                "recall": rounded(item.recall),
            }
            for item in (*report.categories, report.overall_recall)
        },
        "char_precision": {
            ("overall" if item.phi_type is None else str(item.phi_type)): {
                "predicted_chars": item.predicted,
                "correct_chars": item.correct,
                "precision": rounded(item.precision),
            }
            for item in (*report.precision, report.overall_precision)
        },
        "utility": {
            "clinical_terms": report.clinical_terms,
            "kept": report.clinical_kept,
            "share_kept": rounded(report.utility),
        },
    }
