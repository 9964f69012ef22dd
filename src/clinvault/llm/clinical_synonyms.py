"""Lay and clinical names for the same concept, and the clinician's shorthand.

One table, read by the offline evidence model (which phrases a question may use, which
phrases in the evidence show the concept) and by the ask layer's question understanding
(which record kinds a phrase asks for). A question says "heart attack", "MI" or "STEMI";
a Synthea Condition says "Myocardial infarction (disorder)"; a note says "h/o MI". A drug
class asked by its lay name ("water pill", "blood thinner", "abx") is shown in the evidence
by its members' names (RxNorm displays: "Hydrochlorothiazide 25 MG Oral Tablet").

The entries were written by hand from the SNOMED CT and RxNorm displays our cohorts carry
(synthetic and Synthea) and common clinical abbreviations; ``tests/llm/test_clinical_synonyms``
checks each against such displays. Single-word lay names of a coded concept ("flu") are in
``evidence_terms.SYNONYMS``; record kinds asked by shorthand ("meds", "abx", "PMH", "jab")
are in :data:`KIND_WORDS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Synonym:
    name: str
    asked_as: tuple[str, ...]
    """Phrases a question may use (case-folded, whole words)."""
    shown_as: tuple[str, ...]
    """Phrases that show the concept in a record or note."""
    kind: str
    """``Condition``, ``Medication`` ...: the record kind the concept lives in."""


ANTIBIOTICS = (
    "antibiotic",
    "amoxicillin",
    "penicillin",
    "ampicillin",
    "cephalexin",
    "cefuroxime",
    "ceftriaxone",
    "cefdinir",
    "azithromycin",
    "clarithromycin",
    "doxycycline",
    "ciprofloxacin",
    "levofloxacin",
    "clindamycin",
    "nitrofurantoin",
    "sulfamethoxazole",
    "trimethoprim",
    "metronidazole",
    "vancomycin",
    "clavulanate",
)
DIURETICS = (
    "diuretic",
    "furosemide",
    "lasix",
    "hydrochlorothiazide",
    "hctz",
    "chlorthalidone",
    "spironolactone",
    "torsemide",
    "bumetanide",
)

SYNONYMS: tuple[Synonym, ...] = (
    Synonym(
        "myocardial infarction",
        ("heart attack", "heart attacks", "myocardial infarction", "mi", "stemi", "nstemi", "ami"),
        ("myocardial infarction", "heart attack", "mi", "stemi", "nstemi"),
        "Condition",
    ),
    Synonym(
        "stroke",
        ("stroke", "strokes", "cva", "cerebrovascular accident", "brain attack"),
        ("stroke", "cva", "cerebrovascular accident", "cerebral infarction"),
        "Condition",
    ),
    Synonym(
        "hypertension",
        ("high blood pressure", "hypertension", "htn", "hbp"),
        ("hypertension", "hypertensive", "htn", "high blood pressure"),
        "Condition",
    ),
    Synonym(
        "diabetes",
        ("diabetes", "diabetic", "dm", "t2dm", "t1dm", "dm2", "sugar diabetes"),
        ("diabetes", "diabetic", "t2dm", "dm2"),
        "Condition",
    ),
    Synonym(
        "heart failure",
        ("heart failure", "chf", "congestive heart failure", "hf"),
        ("heart failure", "chf"),
        "Condition",
    ),
    Synonym(
        "atrial fibrillation",
        ("atrial fibrillation", "afib", "a-fib", "a fib"),
        ("atrial fibrillation", "afib", "a-fib"),
        "Condition",
    ),
    Synonym(
        "copd",
        ("copd", "emphysema", "chronic obstructive pulmonary disease"),
        ("copd", "emphysema", "chronic obstructive"),
        "Condition",
    ),
    Synonym(
        "chronic kidney disease",
        ("ckd", "chronic kidney disease", "kidney disease"),
        ("chronic kidney disease", "ckd"),
        "Condition",
    ),
    Synonym(
        "diuretic", ("water pill", "water pills", "diuretic", "diuretics"), DIURETICS, "Medication"
    ),
    Synonym(
        "antibiotic", ("abx", "antibiotic", "antibiotics", "antibx"), ANTIBIOTICS, "Medication"
    ),
    Synonym(
        "statin",
        ("statin", "statins", "cholesterol pill", "cholesterol medication", "cholesterol meds"),
        ("statin", "atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "lovastatin"),
        "Medication",
    ),
    Synonym(
        "anticoagulant",
        ("blood thinner", "blood thinners", "anticoagulant", "anticoagulants"),
        (
            "anticoagulant",
            "warfarin",
            "apixaban",
            "rivaroxaban",
            "dabigatran",
            "heparin",
            "enoxaparin",
            "clopidogrel",
        ),
        "Medication",
    ),
)

KIND_WORDS: dict[str, tuple[str, ...]] = {
    "AllergyIntolerance": (
        "nkda",
        "nka",
        "allergy",
        "allergies",
        "allergic",
        "alergies",
        "allergys",
    ),
    "Medication": (
        "med",
        "meds",
        "medz",
        "medication",
        "medications",
        "medicatons",
        "medicaitons",
        "rx",
        "rxs",
        "pill",
        "pills",
        "abx",
        "antibiotics",
        "prescriptions",
        "take",
        "takes",
    ),
    "Condition": (
        "pmh",
        "pmhx",
        "dx",
        "dxs",
        "diagnosis",
        "diagnoses",
        "problem",
        "problems",
        "probs",
        "conditions",
        "comorbidities",
        "comorbidity",
    ),
    "Immunization": (
        "shot",
        "shots",
        "jab",
        "jabs",
        "vaccine",
        "vaccines",
        "vax",
        "vaccination",
        "vaccinations",
        "immunization",
        "immunizations",
        "immunisation",
        "immunisations",
        "imms",
    ),
    "Procedure": (
        "procedure",
        "procedures",
        "surgery",
        "surgeries",
        "surgical",
        "operation",
        "operations",
        "intervention",
        "interventions",
        "psh",
    ),
}
"""Words (shorthand and common misspellings included) that name a record kind."""


def synonym_for(phrase: str) -> Synonym | None:
    """The entry a question phrase names, if any."""
    folded = phrase.casefold()
    return next((s for s in SYNONYMS if folded in s.asked_as), None)
