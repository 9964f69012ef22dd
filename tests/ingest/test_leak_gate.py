"""The leak gate: known identifiers anywhere; the real birth date where the patient is
described or after a birth cue (elsewhere a shifted event date may fall on it by chance)."""

from __future__ import annotations

from clinvault.ingest.leak_gate import LeakGate
from clinvault.model import Chunk
from clinvault.vault.identifiers import IdentifierMatcher

BIRTH = ["1985-03-12", "03/12/1985"]


def _chunk(text: str, resource_type: str = "Observation", kind: str = "resource") -> Chunk:
    return Chunk("c1", "PT-0000000000000000", resource_type, "RES-0000000000000000", kind, text)  # type: ignore[arg-type]


def _gate() -> LeakGate:
    matcher = IdentifierMatcher()
    matcher.add("NAME", "Hartley")
    return LeakGate(matcher, ["a1b2c3d4-uuid"], birth_dates=BIRTH)


def _refused(chunk: Chunk) -> list[str]:
    return [r.kind for r in _gate().check([chunk])[1]]


def test_known_identifiers_and_source_ids_are_refused_anywhere() -> None:
    assert _refused(_chunk("seen by Hartley")) == ["NAME"]
    assert _refused(_chunk("ref a1b2c3d4-uuid")) == ["SOURCE"]


def test_birth_date_is_refused_where_the_patient_is_described() -> None:
    assert _refused(_chunk("Patient born 1985-03-12", "Patient")) == ["BIRTH_DATE"]
    assert _refused(_chunk("female, 1985-03-12", "Patient", "summary")) == ["BIRTH_DATE"]


def test_birth_date_elsewhere_only_after_a_birth_cue() -> None:
    assert _refused(_chunk("Encounter on 1985-03-12 for a well child visit")) == []
    assert _refused(_chunk("note: DOB: 03/12/1985, presents with cough", kind="note")) == [
        "BIRTH_DATE"
    ]
    assert _refused(_chunk("date of birth 1985-03-12", kind="note")) == ["BIRTH_DATE"]
