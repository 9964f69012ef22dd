"""Common labs and vitals by the words clinicians use, with their LOINC codes.

Used when a "latest"/"trend" question names a concept: the codes select every result of it
from the index by date, however many look-alike results the patient has. Codes are written
as the index stores them (``system|code``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOINC = "http://loinc.org"


@dataclass(frozen=True, slots=True)
class LabConcept:
    phrases: tuple[str, ...]
    loinc: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f"{LOINC}|{code}" for code in self.loinc)


LAB_CONCEPTS: tuple[LabConcept, ...] = (
    LabConcept(
        ("hemoglobin a1c", "hba1c", "hgba1c", "a1c", "glycated hemoglobin"), ("4548-4", "17856-6")
    ),
    LabConcept(("glucose", "blood sugar", "sugar"), ("2339-0", "2345-7", "41653-7")),
    LabConcept(("systolic",), ("8480-6",)),
    LabConcept(("diastolic",), ("8462-4",)),
    LabConcept(("blood pressure", "bp"), ("85354-9", "8480-6", "8462-4")),
    LabConcept(("heart rate", "pulse"), ("8867-4",)),
    LabConcept(("respiratory rate",), ("9279-1",)),
    LabConcept(("temperature",), ("8310-5", "8331-1")),
    LabConcept(("oxygen saturation", "spo2"), ("2708-6", "59408-5")),
    LabConcept(("body weight", "weight"), ("29463-7",)),
    LabConcept(("body height", "height"), ("8302-2",)),
    LabConcept(("bmi", "body mass index"), ("39156-5",)),
    LabConcept(("ldl",), ("18262-6", "13457-7", "2089-1")),
    LabConcept(("hdl",), ("2085-9",)),
    LabConcept(("total cholesterol", "cholesterol"), ("2093-3",)),
    LabConcept(("triglyceride", "triglycerides"), ("2571-8",)),
    LabConcept(("creatinine",), ("2160-0", "38483-4")),
    LabConcept(("egfr", "gfr", "kidney function"), ("33914-3", "62238-1", "98979-8")),
    LabConcept(("potassium",), ("2823-3", "6298-4")),
    LabConcept(("sodium",), ("2951-2", "2947-0")),
    LabConcept(("hemoglobin", "hgb"), ("718-7",)),
    LabConcept(("platelets", "platelet count"), ("777-3",)),
    LabConcept(("white blood cell", "wbc"), ("6690-2",)),
    LabConcept(("tsh",), ("3016-3",)),
    LabConcept(("inr",), ("6301-6", "34714-6")),
)


def _mentions(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None


def concept_codes(question: str) -> tuple[str, ...]:
    """Codes of the first (most specific) concept the question names; ``()`` if none."""
    text = question.casefold()
    for concept in LAB_CONCEPTS:
        if any(_mentions(text, phrase) for phrase in concept.phrases):
            return concept.codes
    return ()
