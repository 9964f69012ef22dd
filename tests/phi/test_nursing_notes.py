"""The nursing-note generator and the character-level scorer."""

from __future__ import annotations

import pytest

from clinvault.phi.base import PhiType, Span
from clinvault.phi.evaluation.char_metrics import char_score
from clinvault.phi.evaluation.nursing_notes import (
    CLINICAL,
    HELD_BACK_START,
    NURSING,
    PHI_LABELS,
    nursing_note,
    nursing_notes,
)


def test_same_seed_same_note() -> None:
    assert nursing_note(7) == nursing_note(7)
    assert nursing_note(7) != nursing_note(8)


def test_held_back_slice_is_apart_from_tuning_seeds() -> None:
    tuning = {d.text for d in nursing_notes(50)}
    held = nursing_notes(50, held_back=True)
    assert held[0] == nursing_note(HELD_BACK_START)
    assert not tuning & {d.text for d in held}
    with pytest.raises(ValueError, match="held-back"):
        nursing_notes(10, start=HELD_BACK_START - 5)


def test_every_phi_category_and_many_clinical_terms_are_planted() -> None:
    documents = nursing_notes(200)
    labels = [s.label for d in documents for s in d.spans]
    assert set(PHI_LABELS) <= set(labels)
    phi = sum(label != CLINICAL for label in labels)
    assert labels.count(CLINICAL) > 3 * phi  # most PHI-looking text is not PHI
    for document in documents:
        for span in document.spans:
            assert (
                document.text[span.start : span.end].strip() == document.text[span.start : span.end]
            )


def test_char_score_counts_spans_chars_and_survivors() -> None:
    document = nursing_note(3)
    gold = [s for s in document.spans if s.label != CLINICAL]
    clinical = [s for s in document.spans if s.label == CLINICAL]
    first = gold[0]
    # find the first PHI span exactly, and wrongly hide the first clinical term
    predicted = [
        Span(first.start, first.end, PhiType.NAME, 1.0, document.text[first.start : first.end]),
        Span(clinical[0].start, clinical[0].end, PhiType.ORG, 1.0, "x"),
    ]
    report = char_score("t", [document], [predicted], NURSING)
    assert report.overall_recall.support == len(gold)
    assert report.overall_recall.found == 1
    assert report.clinical_terms == len(clinical)
    assert report.clinical_kept == len(clinical) - 1
    org = next(p for p in report.precision if p.phi_type is PhiType.ORG)
    assert org.correct == 0
    assert org.predicted > 0
    perfect = char_score(
        "p",
        [document],
        [[Span(s.start, s.end, PhiType.NAME, 1.0, document.text[s.start : s.end]) for s in gold]],
        NURSING,
    )
    assert perfect.overall_recall.recall == 1.0
    assert perfect.overall_precision.precision == 1.0
    assert perfect.utility == 1.0
