"""Token-level precision, recall and F2 of a detector against gold spans.

Token level, as presidio-research evaluates: a token is a maximal run of word characters
(``\\w+``), so whitespace, punctuation and the exact span boundaries do not count. For
de-identification what matters is whether each PHI token ends up hidden:

- a gold PHI token is *found* when any detected span overlaps it (``match_types=False``,
  the default: a name tokenized as ORG is still hidden), or only one of the PHI type its
  label maps to (``match_types=True``);
- a detected token is *correct* when it lies in a gold PHI span (of the same PHI type
  with ``match_types=True``);
- tokens of labels the scheme maps to ``None`` (not PHI, e.g. TITLE) are not scored.

Recall is reported per dataset label and per PHI type, precision per PHI type, and F2
(recall weighted twice as heavily as precision) per PHI type and overall.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from clinvault.phi.base import PhiDetector, PhiType, Span
from clinvault.phi.evaluation.gold import GoldDocument, LabelScheme

TOKEN = re.compile(r"\w+", re.UNICODE)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def f_beta(precision: float | None, recall: float | None, beta: float = 2.0) -> float | None:
    if precision is None or recall is None:
        return None
    if precision == 0 and recall == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


@dataclass(frozen=True, slots=True)
class LabelRecall:
    """Recall of one dataset label (or ``overall``); shared by the token-level and the
    character-level (:mod:`.char_metrics`) reports."""

    label: str
    phi_type: PhiType | None
    support: int
    found: int

    @property
    def recall(self) -> float | None:
        return ratio(self.found, self.support)


@dataclass(frozen=True, slots=True)
class TypeScores:
    """Recall, precision and F2 of one PHI type (or overall); shared by both reports."""

    phi_type: PhiType | None
    """``None`` for the overall row."""
    support: int
    found: int
    predicted: int
    correct: int

    @property
    def recall(self) -> float | None:
        return ratio(self.found, self.support)

    @property
    def precision(self) -> float | None:
        return ratio(self.correct, self.predicted)

    @property
    def f2(self) -> float | None:
        return f_beta(self.precision, self.recall)


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    dataset: str
    documents: int
    match_types: bool
    labels: tuple[LabelRecall, ...]
    types: tuple[TypeScores, ...]
    overall: TypeScores


@dataclass(slots=True)
class _Tally:
    label_support: Counter[str]
    label_found: Counter[str]
    type_support: Counter[PhiType]
    type_found: Counter[PhiType]
    type_predicted: Counter[PhiType]
    type_correct: Counter[PhiType]


def _covering(spans: Sequence[tuple[int, int, str]], start: int, end: int) -> str | None:
    for lo, hi, label in spans:
        if lo < end and start < hi:
            return label
    return None


def _score_document(
    document: GoldDocument,
    predicted: Sequence[Span],
    scheme: LabelScheme,
    match_types: bool,
    tally: _Tally,
) -> None:
    gold = [(s.start, s.end, s.label) for s in document.spans]
    found = [(s.start, s.end, s.type.value) for s in predicted]
    for token in TOKEN.finditer(document.text):
        label = _covering(gold, token.start(), token.end())
        expected = scheme.phi_type(label) if label is not None else None
        if label is not None and expected is None:
            continue
        guess = _covering(found, token.start(), token.end())
        guess_type = PhiType(guess) if guess is not None else None
        if expected is not None and label is not None:
            hit = guess_type is not None and (not match_types or guess_type is expected)
            tally.label_support[label] += 1
            tally.type_support[expected] += 1
            tally.label_found[label] += hit
            tally.type_found[expected] += hit
        if guess_type is not None:
            tally.type_predicted[guess_type] += 1
            tally.type_correct[guess_type] += expected is not None and (
                not match_types or guess_type is expected
            )


def evaluate(
    detector: PhiDetector,
    documents: Sequence[GoldDocument],
    scheme: LabelScheme,
    *,
    match_types: bool = False,
) -> EvaluationReport:
    predictions: list[list[Span]] = []
    for context, group in groupby(documents, key=lambda d: d.context):
        predictions += detector.detect_batch([d.text for d in group], context=context)
    return score(documents, predictions, scheme, match_types=match_types)


def score(
    documents: Sequence[GoldDocument],
    predictions: Iterable[Sequence[Span]],
    scheme: LabelScheme,
    *,
    match_types: bool = False,
) -> EvaluationReport:
    tally = _Tally(Counter(), Counter(), Counter(), Counter(), Counter(), Counter())
    for document, predicted in zip(documents, predictions, strict=True):
        _score_document(document, predicted, scheme, match_types, tally)
    labels_seen = {s.label for d in documents for s in d.spans}
    labels = tuple(
        LabelRecall(
            label, scheme.phi_type(label), tally.label_support[label], tally.label_found[label]
        )
        for label in sorted(labels_seen)
    )
    phi_types = sorted({*tally.type_support, *tally.type_predicted}, key=list(PhiType).index)
    types = tuple(
        TypeScores(
            t,
            tally.type_support[t],
            tally.type_found[t],
            tally.type_predicted[t],
            tally.type_correct[t],
        )
        for t in phi_types
    )
    overall = TypeScores(
        None,
        sum(tally.type_support.values()),
        sum(tally.type_found.values()),
        sum(tally.type_predicted.values()),
        sum(tally.type_correct.values()),
    )
    return EvaluationReport(scheme.name, len(documents), match_types, labels, types, overall)
