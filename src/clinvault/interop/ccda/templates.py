"""C-CDA R2.1 template ids (``templateId/@root``) the mappers recognize."""

from __future__ import annotations

_E = "2.16.840.1.113883.10.20.22.4."

PROBLEM_OBSERVATION = _E + "4"
PROBLEM_STATUS = _E + "6"
PROBLEM_CONCERN = _E + "3"
DIAGNOSIS_ACTS = frozenset({_E + "33", _E + "34", _E + "80", _E + "65", _E + "51"})
"""Hospital discharge / admission, encounter, pre- and post-operative diagnosis acts."""
ALLERGY_CONCERN = _E + "30"
ALLERGY_OBSERVATION = _E + "7"
ALLERGY_STATUS = _E + "28"
REACTION_OBSERVATION = _E + "9"
SEVERITY_OBSERVATION = _E + "8"
MEDICATION_ACTIVITY = _E + "16"
MEDICATION_SUPPLY_ORDER = _E + "17"
MEDICATION_DISPENSE = _E + "18"
RESULT_ORGANIZER = _E + "1"
RESULT_OBSERVATION = _E + "2"
VITAL_SIGNS_ORGANIZER = _E + "26"
VITAL_SIGN_OBSERVATION = _E + "27"
IMMUNIZATION_ACTIVITY = _E + "52"
IMMUNIZATION_REFUSAL = _E + "53"
PROCEDURE_ACTIVITIES = frozenset({_E + "14", _E + "13", _E + "12"})
ENCOUNTER_ACTIVITY = _E + "49"
ENCOUNTER_DIAGNOSIS = _E + "80"
INDICATION = _E + "19"
SOCIAL_OBSERVATIONS = frozenset({_E + "38", _E + "78", _E + "85", _E + "200"})
"""Social history, smoking status, tobacco use, birth sex."""
PLANNED_MEDICATION = _E + "42"
PLANNED_REQUESTS = frozenset({_E + "39", _E + "41", _E + "44", _E + "40", _E + "140"})
"""Planned act, procedure, observation, encounter; patient referral act."""
