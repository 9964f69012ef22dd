"""Code tables: labs and vitals (LOINC, UCUM), medications (RxNorm), vaccines (CVX),
procedures (SNOMED CT), allergens, encounter and note types. Conditions and their clinical
links (diabetes -> metformin + HbA1c follow-up ...) are in :mod:`clinvault.synth.conditions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"

Sex = Literal["male", "female"]


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


def sct(code: str, display: str) -> Code:
    return Code(SNOMED, code, display)


def rx(code: str, display: str) -> Code:
    return Code(RXNORM, code, display)


# --- Observations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationSpec:
    key: str
    code: Code
    category: Literal["laboratory", "vital-signs"]
    unit: str
    """UCUM code, also used as the human unit."""
    decimals: int


LABS: dict[str, ObservationSpec] = {
    spec.key: spec
    for spec in (
        ObservationSpec(
            "hba1c",
            Code(LOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
            "laboratory",
            "%",
            1,
        ),
        ObservationSpec(
            "glucose",
            Code(LOINC, "2339-0", "Glucose [Mass/volume] in Blood"),
            "laboratory",
            "mg/dL",
            0,
        ),
        ObservationSpec(
            "creatinine",
            Code(LOINC, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
            "laboratory",
            "mg/dL",
            2,
        ),
        ObservationSpec(
            "potassium",
            Code(LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
            "laboratory",
            "mmol/L",
            1,
        ),
        ObservationSpec(
            "sodium",
            Code(LOINC, "2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
            "laboratory",
            "mmol/L",
            0,
        ),
        ObservationSpec(
            "ldl",
            Code(LOINC, "18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma"),
            "laboratory",
            "mg/dL",
            0,
        ),
        ObservationSpec(
            "hemoglobin",
            Code(LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood"),
            "laboratory",
            "g/dL",
            1,
        ),
    )
}

VITALS: dict[str, ObservationSpec] = {
    spec.key: spec
    for spec in (
        ObservationSpec(
            "bp",
            Code(LOINC, "85354-9", "Blood pressure panel with all children optional"),
            "vital-signs",
            "mm[Hg]",
            0,
        ),
        ObservationSpec(
            "systolic",
            Code(LOINC, "8480-6", "Systolic blood pressure"),
            "vital-signs",
            "mm[Hg]",
            0,
        ),
        ObservationSpec(
            "diastolic",
            Code(LOINC, "8462-4", "Diastolic blood pressure"),
            "vital-signs",
            "mm[Hg]",
            0,
        ),
        ObservationSpec(
            "heart_rate", Code(LOINC, "8867-4", "Heart rate"), "vital-signs", "/min", 0
        ),
        ObservationSpec("weight", Code(LOINC, "29463-7", "Body weight"), "vital-signs", "kg", 1),
        ObservationSpec(
            "bmi",
            Code(LOINC, "39156-5", "Body mass index (BMI) [Ratio]"),
            "vital-signs",
            "kg/m2",
            1,
        ),
        ObservationSpec(
            "temperature", Code(LOINC, "8310-5", "Body temperature"), "vital-signs", "Cel", 1
        ),
    )
}

OBSERVATIONS: dict[str, ObservationSpec] = {**LABS, **VITALS}

BASIC_METABOLIC = ("glucose", "creatinine", "potassium", "sodium")


# --- Medications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedicationSpec:
    key: str
    code: Code
    dosage: str
    short: str
    """How a clinician writes it in a note."""


MEDICATIONS: dict[str, MedicationSpec] = {
    spec.key: spec
    for spec in (
        MedicationSpec(
            "metformin",
            rx("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
            "Take 1 tablet by mouth twice daily with meals",
            "metformin ER 500 mg BID",
        ),
        MedicationSpec(
            "insulin",
            rx(
                "106892",
                "insulin isophane, human 70 UNT/ML / insulin, "
                "regular, human 30 UNT/ML Injectable Suspension [Humulin]",
            ),
            "Inject 20 units subcutaneously before breakfast and 10 units before dinner",
            "Humulin 70/30 20 u AM / 10 u PM",
        ),
        MedicationSpec(
            "lisinopril",
            rx("314076", "lisinopril 10 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "lisinopril 10 mg daily",
        ),
        MedicationSpec(
            "hctz",
            rx("310798", "Hydrochlorothiazide 25 MG Oral Tablet"),
            "Take 1 tablet by mouth every morning",
            "HCTZ 25 mg qAM",
        ),
        MedicationSpec(
            "amlodipine",
            rx("197361", "Amlodipine 5 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "amlodipine 5 mg daily",
        ),
        MedicationSpec(
            "simvastatin",
            rx("314231", "Simvastatin 10 MG Oral Tablet"),
            "Take 1 tablet by mouth at bedtime",
            "simvastatin 10 mg qHS",
        ),
        MedicationSpec(
            "atorvastatin",
            rx("259255", "Atorvastatin 80 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "atorvastatin 80 mg daily",
        ),
        MedicationSpec(
            "warfarin",
            rx("855332", "Warfarin Sodium 5 MG Oral Tablet"),
            "Take 1 tablet by mouth daily or as directed per INR",
            "warfarin 5 mg daily",
        ),
        MedicationSpec(
            "apixaban",
            rx("1364445", "apixaban 5 MG Oral Tablet"),
            "Take 1 tablet by mouth twice daily",
            "apixaban 5 mg BID",
        ),
        MedicationSpec(
            "metoprolol",
            rx("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "metoprolol succinate 100 mg daily",
        ),
        MedicationSpec(
            "aspirin",
            rx("243670", "Aspirin 81 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "aspirin 81 mg daily",
        ),
        MedicationSpec(
            "nitroglycerin",
            rx("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"),
            "1 spray under the tongue every 5 minutes as needed for chest pain, up to 3 doses",
            "NTG SL spray PRN",
        ),
        MedicationSpec(
            "furosemide",
            rx("313988", "Furosemide 40 MG Oral Tablet"),
            "Take 1 tablet by mouth every morning",
            "furosemide 40 mg daily",
        ),
        MedicationSpec(
            "levothyroxine",
            rx("966222", "Levothyroxine Sodium 0.075 MG Oral Tablet"),
            "Take 1 tablet by mouth every morning on an empty stomach",
            "levothyroxine 75 mcg daily",
        ),
        MedicationSpec(
            "albuterol",
            rx("745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler"),
            "Inhale 2 puffs every 4 to 6 hours as needed for wheezing",
            "albuterol HFA 2 puffs q4-6h PRN",
        ),
        MedicationSpec(
            "fluticasone",
            rx("895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler"),
            "Inhale 2 puffs twice daily; rinse mouth after use",
            "fluticasone 44 mcg 2 puffs BID",
        ),
        MedicationSpec(
            "amoxicillin",
            rx("308192", "Amoxicillin 500 MG Oral Tablet"),
            "Take 1 tablet by mouth every 12 hours for 10 days",
            "amoxicillin 500 mg BID x10d",
        ),
        MedicationSpec(
            "amox_clav",
            rx("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"),
            "Take 1 tablet by mouth every 8 hours for 7 days",
            "Augmentin 250/125 TID x7d",
        ),
        MedicationSpec(
            "azithromycin",
            rx("308460", "azithromycin 250 MG Oral Tablet"),
            "Take 2 tablets by mouth on day 1, then 1 tablet daily on days 2 to 5",
            "azithromycin Z-pak",
        ),
        MedicationSpec(
            "clopidogrel",
            rx("309362", "Clopidogrel 75 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "clopidogrel 75 mg daily",
        ),
        MedicationSpec(
            "penicillin",
            rx("834102", "Penicillin V Potassium 500 MG Oral Tablet"),
            "Take 1 tablet by mouth twice daily for 10 days",
            "PCN VK 500 mg BID x10d",
        ),
        MedicationSpec(
            "nitrofurantoin",
            rx("311995", "NITROFURANTOIN, MACROCRYSTALS 50 MG Oral Capsule"),
            "Take 1 capsule by mouth four times daily for 5 days",
            "nitrofurantoin 50 mg QID x5d",
        ),
        MedicationSpec(
            "acetaminophen",
            rx("313782", "Acetaminophen 325 MG Oral Tablet"),
            "Take 2 tablets by mouth every 6 hours as needed for pain, max 3 g/day",
            "acetaminophen 650 mg q6h PRN",
        ),
        MedicationSpec(
            "naproxen",
            rx("849574", "Naproxen sodium 220 MG Oral Tablet"),
            "Take 1 tablet by mouth every 12 hours with food as needed",
            "naproxen 220 mg BID PRN",
        ),
        MedicationSpec(
            "ibuprofen",
            rx("310965", "Ibuprofen 200 MG Oral Tablet"),
            "Take 2 tablets by mouth every 6 hours as needed with food",
            "ibuprofen 400 mg q6h PRN",
        ),
        MedicationSpec(
            "ferrous_sulfate",
            rx("310325", "ferrous sulfate 325 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "FeSO4 325 mg daily",
        ),
        MedicationSpec(
            "alendronate",
            rx("904419", "Alendronic acid 10 MG Oral Tablet"),
            "Take 1 tablet by mouth every morning with a full glass of water; remain "
            "upright for 30 minutes",
            "alendronate 10 mg daily",
        ),
        MedicationSpec(
            "allopurinol",
            rx("197319", "Allopurinol 100 MG Oral Tablet"),
            "Take 1 tablet by mouth once daily",
            "allopurinol 100 mg daily",
        ),
        MedicationSpec(
            "carbidopa_levodopa",
            rx("197444", "carbidopa 25 MG / levodopa 100 MG Oral Tablet"),
            "Take 1 tablet by mouth three times daily",
            "carbidopa-levodopa 25/100 TID",
        ),
        MedicationSpec(
            "hydrocortisone",
            rx("197782", "hydrocortisone 10 MG Oral Tablet"),
            "Take 2 tablets every morning and 1 tablet in the early afternoon; double "
            "doses on sick days",
            "hydrocortisone 20 mg AM / 10 mg PM",
        ),
        MedicationSpec(
            "prednisone",
            rx("312617", "predniSONE 5 MG Oral Tablet"),
            "Take 8 tablets by mouth daily, taper by 1 tablet every 5 days",
            "prednisone taper from 40 mg",
        ),
        MedicationSpec(
            "epinephrine",
            rx("1870230", "NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector"),
            "Inject 0.3 mL into the outer thigh once as needed for anaphylaxis; call 911",
            "EpiPen 0.3 mg PRN",
        ),
        MedicationSpec(
            "loratadine",
            rx("665078", "Loratadine 5 MG Chewable Tablet"),
            "Chew 1 tablet by mouth once daily as needed for allergy symptoms",
            "loratadine 5 mg daily PRN",
        ),
    )
}


# --- Procedures, vaccines, allergies ----------------------------------------------------------

PROCEDURES: dict[str, Code] = {
    "echo": sct("40701008", "Echocardiography (procedure)"),
    "cardioversion": sct("180325003", "Electrical cardioversion"),
    "spirometry": sct("23426006", "Measurement of respiratory function (procedure)"),
    "knee_xray": sct("74016001", "Plain radiography of knee (procedure)"),
    "dexa": sct("312681000", "Bone density scan (procedure)"),
    "colonoscopy": sct("73761001", "Colonoscopy"),
    "chemoradiation": sct("703423002", "Combined chemotherapy and radiation therapy (procedure)"),
    "throat_culture": sct("117015009", "Throat culture (procedure)"),
    "ankle_xray": sct("19490002", "Ankle X-ray"),
    "suture": sct("288086009", "Suture open wound"),
    "mammography": sct("24623002", "Screening mammography (procedure)"),
    "depression_screening": sct("171207006", "Depression screening (procedure)"),
    "medication_reconciliation": sct("430193006", "Medication Reconciliation (procedure)"),
    "hearing_screen": sct("398171003", "Hearing examination (procedure)"),
}


@dataclass(frozen=True)
class VaccineDose:
    code: Code
    ages_days: tuple[int, ...]
    """Ages at which doses are given (infant and child schedule)."""


def cvx(code: str, display: str) -> Code:
    return Code(CVX, code, display)


CHILD_VACCINES: tuple[VaccineDose, ...] = (
    VaccineDose(cvx("08", "Hep B, adolescent or pediatric"), (0, 30, 183)),
    VaccineDose(cvx("20", "DTaP"), (61, 122, 183, 456, 1644)),
    VaccineDose(cvx("10", "IPV"), (61, 122, 183, 1644)),
    VaccineDose(cvx("49", "Hib (PRP-OMP)"), (61, 122, 365)),
    VaccineDose(cvx("133", "Pneumococcal conjugate PCV 13"), (61, 122, 183, 365)),
    VaccineDose(cvx("119", "rotavirus, monovalent"), (61, 122)),
    VaccineDose(cvx("03", "MMR"), (365, 1644)),
    VaccineDose(cvx("21", "varicella"), (365, 1644)),
    VaccineDose(cvx("83", "Hep A, ped/adol, 2 dose"), (365, 547)),
    VaccineDose(cvx("115", "Tdap"), (4018,)),
    VaccineDose(cvx("62", "HPV, quadrivalent"), (4018, 4200)),
    VaccineDose(cvx("114", "meningococcal MCV4P"), (4018, 5844)),
)

INFLUENZA = cvx("140", "Influenza, seasonal, injectable, preservative free")
TD_ADULT = cvx("113", "Td (adult) preservative free")
COVID = cvx(
    "208",
    "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose",
)
ZOSTER = cvx("187", "zoster vaccine recombinant")
PNEUMOCOCCAL = cvx("33", "pneumococcal polysaccharide vaccine, 23 valent")


@dataclass(frozen=True)
class AllergenSpec:
    key: str
    code: Code
    category: Literal["food", "medication", "environment"]
    phrase: str
    manifestations: tuple[Code, ...]
    high_risk: bool = False
    treatment: str | None = None
    """Medication key prescribed because of this allergy (an epinephrine auto-injector)."""


URTICARIA = sct("126485001", "Urticaria (disorder)")
ANAPHYLAXIS = sct("39579001", "Anaphylaxis (disorder)")
RASH = sct("271807003", "Eruption of skin (disorder)")
WHEEZING = sct("56018004", "Wheezing (finding)")
ANGIOEDEMA = sct("41291007", "Angioedema (disorder)")
NAUSEA = sct("422587007", "Nausea (finding)")
SNEEZING = sct("76067001", "Sneezing (finding)")
ITCHING = sct("418290006", "Itching (finding)")

ALLERGENS: tuple[AllergenSpec, ...] = (
    AllergenSpec(
        "penicillin", rx("7980", "Penicillin G"), "medication", "penicillin", (URTICARIA, RASH)
    ),
    AllergenSpec(
        "sulfa",
        rx("10831", "Sulfamethoxazole / Trimethoprim"),
        "medication",
        "sulfa drugs",
        (RASH, ITCHING),
    ),
    AllergenSpec("aspirin", rx("1191", "Aspirin"), "medication", "aspirin", (WHEEZING, URTICARIA)),
    AllergenSpec("codeine", rx("2670", "Codeine"), "medication", "codeine", (NAUSEA,)),
    AllergenSpec(
        "lisinopril",
        rx("29046", "Lisinopril"),
        "medication",
        "ACE inhibitors",
        (ANGIOEDEMA,),
        high_risk=True,
    ),
    AllergenSpec(
        "peanut",
        sct("91935009", "Allergy to peanuts"),
        "food",
        "peanuts",
        (ANAPHYLAXIS, URTICARIA),
        high_risk=True,
        treatment="epinephrine",
    ),
    AllergenSpec(
        "shellfish",
        sct("300913006", "Shellfish allergy"),
        "food",
        "shellfish",
        (URTICARIA, ANGIOEDEMA),
        high_risk=True,
        treatment="epinephrine",
    ),
    AllergenSpec("egg", sct("91930004", "Allergy to eggs"), "food", "eggs", (RASH,)),
    AllergenSpec(
        "latex", sct("300916003", "Latex allergy"), "environment", "latex", (URTICARIA, ITCHING)
    ),
    AllergenSpec(
        "bee_venom",
        sct("424213003", "Allergy to bee venom"),
        "environment",
        "bee stings",
        (ANAPHYLAXIS,),
        high_risk=True,
        treatment="epinephrine",
    ),
    AllergenSpec(
        "tree_pollen",
        sct("419263009", "Allergy to tree pollen"),
        "environment",
        "tree pollen",
        (SNEEZING, ITCHING),
        treatment="loratadine",
    ),
    AllergenSpec(
        "dust_mite",
        sct("232350006", "House dust mite allergy"),
        "environment",
        "dust mites",
        (SNEEZING,),
    ),
)

ALLERGEN_BY_KEY: dict[str, AllergenSpec] = {spec.key: spec for spec in ALLERGENS}


@dataclass(frozen=True)
class EncounterType:
    code: Code
    act_class: Literal["AMB", "EMER", "VR"]


ENCOUNTER_TYPES: dict[str, EncounterType] = {
    "wellness": EncounterType(sct("185349003", "Encounter for check up (procedure)"), "AMB"),
    "well_child": EncounterType(sct("410620009", "Well child visit (procedure)"), "AMB"),
    "newborn": EncounterType(sct("270161001", "Newborn examination (procedure)"), "AMB"),
    "followup": EncounterType(sct("390906007", "Follow-up encounter (procedure)"), "AMB"),
    "acute": EncounterType(sct("185345009", "Encounter for symptom (procedure)"), "AMB"),
    "emergency": EncounterType(sct("50849002", "Emergency room admission (procedure)"), "EMER"),
    "telephone": EncounterType(sct("185317003", "Telephone encounter (procedure)"), "VR"),
}

ACT_CLASS_DISPLAY: dict[str, str] = {
    "AMB": "ambulatory",
    "EMER": "emergency",
    "VR": "virtual",
}


@dataclass(frozen=True)
class NoteType:
    code: Code
    title: str


def loinc(code: str, display: str) -> Code:
    return Code(LOINC, code, display)


NOTE_TYPES: dict[str, NoteType] = {
    "history_physical": NoteType(
        loinc("34117-2", "History and physical note"), "History and Physical"
    ),
    "progress": NoteType(loinc("11506-3", "Progress note"), "Progress Note"),
    "telephone": NoteType(loinc("34748-4", "Telephone encounter Note"), "Telephone Encounter"),
    "emergency": NoteType(
        loinc("34111-5", "Emergency department note"), "Emergency Department Note"
    ),
    "consult": NoteType(loinc("11488-4", "Consult note"), "Consultation"),
}

EPONYM_MENTIONS: tuple[tuple[str, str], ...] = (
    ("Parkinson", "No resting tremor or cogwheeling to suggest {eponym} disease."),
    ("Crohn", "Family history notable for {eponym} disease in a maternal aunt."),
    ("Hodgkin", "Father had {eponym} lymphoma, treated in the 1990s."),
    ("Cushing", "Cortisol screen for {eponym} syndrome was considered and deferred."),
    ("Addison", "No hyperpigmentation or salt craving to suggest {eponym} disease."),
    ("Murphy", "Abdomen soft, negative {eponym} sign."),
    ("Babinski", "Neuro: {eponym} sign absent bilaterally."),
    ("Graves", "No exophthalmos; {eponym} disease unlikely."),
)
"""Sentences with clinical eponyms (not PHI) that any note may carry."""
