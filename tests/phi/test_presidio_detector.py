"""The default detector end to end (loads the spaCy model once per session)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from clinvault.errors import ConfigError, ModelIntegrityError
from clinvault.phi import DETECTORS, DetectionContext, KnownIdentifier, PhiDetector, PhiType
from clinvault.settings import PhiSettings

pytestmark = pytest.mark.slow

NOTE = (
    "92 yo F seen Tues 3/4 by Dr. Okafor at Mercy General Hospital. Daughter Maria Lopez "
    "(555-234-9876, maria.lopez@example.com) lives at 1234 Elm Street, Springfield, IL 62704. "
    "MRN: A1234567. Hx of Parkinson's disease, on Sinemet 25/100 1/2 tab TID. "
    "Fell 2 days ago. Okafor will call back. See https://portal.example.org from 10.1.2.3."
)
EXPECTED = {
    ("92", PhiType.AGE),
    ("Tues 3/4", PhiType.DATE),
    ("Okafor", PhiType.NAME),
    ("Mercy General Hospital", PhiType.ORG),
    ("Maria Lopez", PhiType.NAME),
    ("555-234-9876", PhiType.PHONE),
    ("maria.lopez@example.com", PhiType.EMAIL),
    ("1234 Elm Street, Springfield, IL 62704", PhiType.ADDR),
    ("A1234567", PhiType.MRN),
    ("2 days ago", PhiType.DATE),
    ("https://portal.example.org", PhiType.URL),
    ("10.1.2.3", PhiType.IP),
}

# 60 clinical terms that look like names: eponyms and drug names, in clinical sentences.
CLINICAL_TERMS = (
    "Parkinson",
    "Crohn",
    "Hodgkin",
    "Alzheimer",
    "Addison",
    "Cushing",
    "Hashimoto",
    "Huntington",
    "Raynaud",
    "Sjogren",
    "Guillain-Barre",
    "Tourette",
    "Kawasaki",
    "Marfan",
    "Kaposi",
    "Lyme",
    "Paget",
    "Wernicke",
    "Apgar",
    "Babinski",
    "Glasgow",
    "Romberg",
    "Trendelenburg",
    "Tinel",
    "Phalen",
    "Virchow",
    "Kussmaul",
    "Whipple",
    "Nissen",
    "Dupuytren",
    "Lipitor",
    "Zoloft",
    "Tylenol",
    "Coumadin",
    "Lasix",
    "Keppra",
    "Plavix",
    "Eliquis",
    "Xarelto",
    "Humalog",
    "Lantus",
    "Synthroid",
    "Norvasc",
    "Zocor",
    "Glucophage",
    "Advil",
    "Prozac",
    "Xanax",
    "Ativan",
    "Seroquel",
    "Depakote",
    "Lamictal",
    "Neurontin",
    "Flomax",
    "Nexium",
    "Protonix",
    "Singulair",
    "Advair",
    "Januvia",
    "Entresto",
)
TEMPLATES = (
    "Assessment: {term} noted, plan to continue current management.",
    "Patient reports history of {term}. Follow up in clinic.",
    "Started {term} last visit; tolerating well per Nurse report.",
)
EPONYM_PHRASES = (
    "Hx of Wilson disease.",
    "Known Graves disease.",
    "Bell palsy resolved.",
    "Child with Down syndrome.",
    "Positive Murphy sign.",
    "Stevens-Johnson syndrome in 2019.",
)


def found(detector: PhiDetector, text: str) -> set[tuple[str, PhiType]]:
    spans = detector.detect(text)
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    return {(s.text, s.type) for s in spans}


def test_clinical_note_phi_is_found_with_types(detector: PhiDetector) -> None:
    got = found(detector, NOTE)
    assert got >= EXPECTED, EXPECTED - got
    assert not any("Parkinson" in value or "Sinemet" in value for value, _ in got)
    assert not any(value in ("1/2", "25/100") for value, _ in got)


def test_no_clinical_term_from_the_test_list_is_redacted(detector: PhiDetector) -> None:
    assert len(CLINICAL_TERMS) >= 50
    texts = [t.format(term=term) for term in CLINICAL_TERMS for t in TEMPLATES]
    redacted = {
        term
        for term, spans in zip(
            [term for term in CLINICAL_TERMS for _ in TEMPLATES],
            detector.detect_batch(texts),
            strict=True,
        )
        if any(term.split("-")[0] in s.text for s in spans)
    }
    assert redacted == set()


def test_eponym_phrases_are_kept_but_the_surname_alone_is_a_name(detector: PhiDetector) -> None:
    for phrase in EPONYM_PHRASES:
        assert {v for v, t in found(detector, phrase) if t is PhiType.NAME} == set(), phrase
    assert ("Wilson", PhiType.NAME) in found(detector, "Spoke with Mr. Wilson about the plan.")


def test_batch_equals_one_by_one(detector: PhiDetector) -> None:
    texts = [NOTE, "", "Nothing to see here.", EPONYM_PHRASES[0], NOTE[::-1]]
    assert detector.detect_batch(texts) == [detector.detect(t) for t in texts]


def test_known_identifiers_win_over_the_allow_list(detector: PhiDetector) -> None:
    context = DetectionContext(known=(KnownIdentifier("Alice Parkinson", PhiType.NAME),))
    spans = detector.detect("Ms. Parkinson has Parkinson disease.", context=context)
    assert [s.text for s in spans if s.type is PhiType.NAME] == ["Parkinson", "Parkinson"]


def test_registry_knows_presidio_and_refuses_unknown_backends() -> None:
    assert DETECTORS.names() == ["ensemble", "presidio"]
    with pytest.raises(ConfigError, match="unknown PHI detector backend"):
        DETECTORS.create("regex-only", PhiSettings())


def test_tampered_pins_refuse_before_loading(tmp_path: Path) -> None:
    pins = tmp_path / "pins.toml"
    original = PhiSettings().model_pins_file
    assert original is not None
    pins.write_text(original.read_text().replace('"__init__.py" = "a', '"__init__.py" = "b', 1))
    with pytest.raises(ModelIntegrityError):
        DETECTORS.create("presidio", PhiSettings(model_pins_file=pins))


def test_digit_suffixed_synthea_names_are_names_but_codes_are_not(detector: PhiDetector) -> None:
    text = "Seen with Dustin31 and Marine542 Ai120. Type2 DM, B12 low, COVID19 neg, Hgb12.5 today."
    got = found(detector, text)
    assert {("Dustin31", PhiType.NAME), ("Marine542 Ai120", PhiType.NAME)} <= got
    assert not any(code in value for value, _ in got for code in ("Type2", "B12", "COVID19", "Hgb"))
