"""Condition code table (SNOMED CT) with each condition's clinical links: the drugs it brings,
the results monitored at its follow-up visits, its procedures, and its eponym if it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinvault.synth.clinical import Code, Sex, sct


@dataclass(frozen=True)
class MedicationPlan:
    medication: str
    stop_reason: str | None = None
    """A reason makes this an earlier drug that was stopped and replaced by the next plan."""


@dataclass(frozen=True)
class ConditionSpec:
    key: str
    code: Code
    chronic: bool
    min_age_days: int
    max_age_days: int
    prevalence: float
    phrase: str
    """How a note names it."""
    sex: Sex | None = None
    medications: tuple[MedicationPlan, ...] = ()
    monitoring: tuple[str, ...] = ()
    """Observation keys measured at each follow-up visit."""
    followups_per_year: int = 0
    resolves_after_days: tuple[int, int] | None = None
    """For a chronic condition that later resolved (a history of ...)."""
    procedures: tuple[str, ...] = ()
    eponym: str | None = None
    emergency: bool = False


YEAR = 365


def _years(value: float) -> int:
    return int(value * YEAR)


CONDITIONS: dict[str, ConditionSpec] = {
    spec.key: spec
    for spec in (
        ConditionSpec(
            "diabetes",
            sct("44054006", "Diabetes mellitus type 2 (disorder)"),
            True,
            _years(25),
            _years(110),
            0.14,
            "type 2 diabetes mellitus",
            medications=(MedicationPlan("metformin"),),
            monitoring=("hba1c", "glucose"),
            followups_per_year=4,
        ),
        ConditionSpec(
            "prediabetes",
            sct("15777000", "Prediabetes"),
            True,
            _years(30),
            _years(110),
            0.10,
            "prediabetes",
            monitoring=("hba1c",),
            followups_per_year=1,
        ),
        ConditionSpec(
            "hypertension",
            sct("59621000", "Essential hypertension (disorder)"),
            True,
            _years(30),
            _years(110),
            0.30,
            "essential hypertension",
            medications=(MedicationPlan("lisinopril"),),
            monitoring=("potassium", "creatinine"),
            followups_per_year=2,
        ),
        ConditionSpec(
            "hyperlipidemia",
            sct("55822004", "Hyperlipidemia"),
            True,
            _years(35),
            _years(110),
            0.25,
            "hyperlipidemia",
            medications=(
                MedicationPlan("simvastatin", "Stopped for myalgias; switched to atorvastatin"),
                MedicationPlan("atorvastatin"),
            ),
            monitoring=("ldl",),
            followups_per_year=1,
        ),
        ConditionSpec(
            "ckd3",
            sct("433144002", "Chronic kidney disease stage 3 (disorder)"),
            True,
            _years(55),
            _years(110),
            0.10,
            "CKD stage 3",
            medications=(MedicationPlan("furosemide"),),
            monitoring=("creatinine", "potassium", "hemoglobin"),
            followups_per_year=2,
        ),
        ConditionSpec(
            "afib",
            sct("49436004", "Atrial fibrillation (disorder)"),
            True,
            _years(55),
            _years(110),
            0.10,
            "atrial fibrillation",
            medications=(
                MedicationPlan("warfarin", "Stopped; transitioned to apixaban (labile INR)"),
                MedicationPlan("apixaban"),
                MedicationPlan("metoprolol"),
            ),
            followups_per_year=2,
            procedures=("echo", "cardioversion"),
        ),
        ConditionSpec(
            "chd",
            sct("53741008", "Coronary arteriosclerosis (disorder)"),
            True,
            _years(50),
            _years(110),
            0.08,
            "coronary artery disease",
            medications=(MedicationPlan("aspirin"), MedicationPlan("nitroglycerin")),
            monitoring=("ldl",),
            followups_per_year=1,
            procedures=("echo",),
        ),
        ConditionSpec(
            "hypothyroidism",
            sct("83664006", "Idiopathic atrophic hypothyroidism"),
            True,
            _years(20),
            _years(110),
            0.07,
            "hypothyroidism",
            medications=(MedicationPlan("levothyroxine"),),
            followups_per_year=1,
        ),
        ConditionSpec(
            "hashimoto",
            sct("21983002", "Hashimoto thyroiditis"),
            True,
            _years(20),
            _years(90),
            0.03,
            "Hashimoto thyroiditis",
            sex="female",
            medications=(MedicationPlan("levothyroxine"),),
            followups_per_year=1,
            eponym="Hashimoto",
        ),
        ConditionSpec(
            "asthma_adult",
            sct("195967001", "Asthma"),
            True,
            _years(18),
            _years(110),
            0.08,
            "asthma",
            medications=(MedicationPlan("albuterol"), MedicationPlan("fluticasone")),
            followups_per_year=1,
            procedures=("spirometry",),
        ),
        ConditionSpec(
            "asthma_child",
            sct("233678006", "Childhood asthma"),
            True,
            _years(2),
            _years(18),
            0.15,
            "childhood asthma",
            medications=(MedicationPlan("albuterol"), MedicationPlan("fluticasone")),
            followups_per_year=1,
        ),
        ConditionSpec(
            "osteoarthritis",
            sct("239873007", "Osteoarthritis of knee"),
            True,
            _years(50),
            _years(110),
            0.18,
            "osteoarthritis of the knee",
            medications=(MedicationPlan("acetaminophen"),),
            procedures=("knee_xray",),
        ),
        ConditionSpec(
            "osteoporosis",
            sct("64859006", "Osteoporosis (disorder)"),
            True,
            _years(60),
            _years(110),
            0.12,
            "osteoporosis",
            sex="female",
            medications=(MedicationPlan("alendronate"),),
            procedures=("dexa",),
        ),
        ConditionSpec(
            "anemia",
            sct("271737000", "Anemia (disorder)"),
            True,
            _years(14),
            _years(110),
            0.07,
            "iron deficiency anemia",
            medications=(MedicationPlan("ferrous_sulfate"),),
            monitoring=("hemoglobin",),
            followups_per_year=2,
        ),
        ConditionSpec(
            "gout",
            sct("90560007", "Gout"),
            True,
            _years(35),
            _years(110),
            0.04,
            "gout",
            sex="male",
            medications=(MedicationPlan("allopurinol"),),
        ),
        ConditionSpec(
            "parkinson",
            sct("49049000", "Parkinson's disease (disorder)"),
            True,
            _years(60),
            _years(110),
            0.05,
            "Parkinson's disease",
            medications=(MedicationPlan("carbidopa_levodopa"),),
            followups_per_year=2,
            eponym="Parkinson",
        ),
        ConditionSpec(
            "alzheimer",
            sct("26929004", "Alzheimer's disease (disorder)"),
            True,
            _years(70),
            _years(110),
            0.06,
            "Alzheimer's dementia",
            followups_per_year=1,
            eponym="Alzheimer",
        ),
        ConditionSpec(
            "crohn",
            sct("34000006", "Crohn's disease (disorder)"),
            True,
            _years(15),
            _years(80),
            0.03,
            "Crohn's disease",
            medications=(MedicationPlan("prednisone", "Completed taper after flare"),),
            monitoring=("hemoglobin",),
            followups_per_year=2,
            procedures=("colonoscopy",),
            eponym="Crohn",
        ),
        ConditionSpec(
            "addison",
            sct("363732003", "Addison's disease (disorder)"),
            True,
            _years(20),
            _years(90),
            0.02,
            "Addison's disease",
            medications=(MedicationPlan("hydrocortisone"),),
            monitoring=("sodium", "potassium"),
            followups_per_year=2,
            eponym="Addison",
        ),
        ConditionSpec(
            "cushing",
            sct("47270006", "Cushing's syndrome (disorder)"),
            True,
            _years(25),
            _years(90),
            0.015,
            "Cushing's syndrome",
            monitoring=("glucose",),
            resolves_after_days=(300, 700),
            eponym="Cushing",
        ),
        ConditionSpec(
            "hodgkin",
            sct("118599009", "Hodgkin's disease (disorder)"),
            True,
            _years(16),
            _years(90),
            0.02,
            "Hodgkin lymphoma",
            monitoring=("hemoglobin",),
            resolves_after_days=(240, 500),
            procedures=("chemoradiation",),
            eponym="Hodgkin",
        ),
        ConditionSpec(
            "neonatal_jaundice",
            sct("387712008", "Neonatal jaundice (disorder)"),
            False,
            0,
            28,
            0.35,
            "neonatal jaundice",
        ),
        ConditionSpec(
            "otitis_media",
            sct("65363002", "Otitis media"),
            False,
            _years(0.4),
            _years(10),
            0.35,
            "acute otitis media",
            medications=(MedicationPlan("amoxicillin"),),
        ),
        ConditionSpec(
            "strep_throat",
            sct("43878008", "Streptococcal sore throat (disorder)"),
            False,
            _years(3),
            _years(60),
            0.20,
            "strep pharyngitis",
            medications=(MedicationPlan("penicillin"),),
            procedures=("throat_culture",),
        ),
        ConditionSpec(
            "sinusitis",
            sct("444814009", "Viral sinusitis (disorder)"),
            False,
            _years(2),
            _years(110),
            0.30,
            "viral sinusitis",
        ),
        ConditionSpec(
            "bronchitis",
            sct("10509002", "Acute bronchitis (disorder)"),
            False,
            _years(1),
            _years(110),
            0.2,
            "acute bronchitis",
            medications=(MedicationPlan("acetaminophen"),),
        ),
        ConditionSpec(
            "uti",
            sct("301011002", "Escherichia coli urinary tract infection"),
            False,
            _years(15),
            _years(110),
            0.12,
            "E. coli UTI",
            sex="female",
            medications=(MedicationPlan("nitrofurantoin"),),
        ),
        ConditionSpec(
            "ankle_sprain",
            sct("44465007", "Sprain of ankle"),
            False,
            _years(5),
            _years(80),
            0.12,
            "ankle sprain",
            medications=(MedicationPlan("ibuprofen"),),
            procedures=("ankle_xray",),
            emergency=True,
        ),
        ConditionSpec(
            "laceration",
            sct("284549007", "Laceration of hand"),
            False,
            _years(3),
            _years(90),
            0.1,
            "hand laceration",
            procedures=("suture",),
            emergency=True,
        ),
        ConditionSpec(
            "sinusitis_bacterial",
            sct("75498004", "Acute bacterial sinusitis (disorder)"),
            False,
            _years(5),
            _years(110),
            0.08,
            "acute bacterial sinusitis",
            medications=(MedicationPlan("amox_clav"),),
        ),
    )
}

ACUTE_CONDITIONS = tuple(spec for spec in CONDITIONS.values() if not spec.chronic)
CHRONIC_CONDITIONS = tuple(spec for spec in CONDITIONS.values() if spec.chronic)
