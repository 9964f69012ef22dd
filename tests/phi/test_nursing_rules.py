"""The rules member alone (no model): what it finds in nursing notes and what it leaves."""

from __future__ import annotations

import pytest

from clinvault.phi.base import PhiType
from clinvault.phi.nursing_rules import NursingRulesDetector


@pytest.fixture(scope="module")
def rules() -> NursingRulesDetector:
    return NursingRulesDetector()


def found(rules: NursingRulesDetector, text: str) -> set[tuple[str, PhiType]]:
    return {(span.text, span.type) for span in rules.detect(text)}


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("paged dr, pager 41234, no answer", "41234", PhiType.PHONE),
        ("beeper # 5-1234", "5-1234", PhiType.PHONE),
        ("call team x 4-1234 with results", "4-1234", PhiType.PHONE),
        ("ext. 51234 for pharmacy", "51234", PhiType.PHONE),
        ("?transfer to 6W in am", "6W", PhiType.ADDR),
        ("tx to Farr 5 tonight", "Farr 5", PhiType.ADDR),
        ("moved to rm 612", "612", PhiType.ADDR),
        ("tx from Mercy Hospital for GIB", "Mercy Hospital", PhiType.ORG),
        ("d/c to Youville", "Youville", PhiType.ORG),
        ("lives in malden, MA with wife", "malden", PhiType.ADDR),
        ("s/p CABG in 1999", "1999", PhiType.DATE),
        ("MI in '99", "99", PhiType.DATE),
        ("NPN 3-11 oct 2", "oct 2", PhiType.DATE),
        ("md aware, dr fischer notified", "fischer", PhiType.NAME),
        ("wife mary in to visit", "mary", PhiType.NAME),
        ("dtr frank patel called", "patel", PhiType.NAME),
        ("mrs kelly comfortable", "kelly", PhiType.NAME),
        ("np novak made aware", "novak", PhiType.NAME),
        ("cont to monitor. --JD RN", "JD", PhiType.NAME),
        ("cont to monitor. - am", "am", PhiType.NAME),
        ("wean vent. /RMM", "RMM", PhiType.NAME),
        ("plan as above. P. Ryan, RN", "P. Ryan", PhiType.NAME),
    ],
)
def test_finds_nursing_phi(
    rules: NursingRulesDetector, text: str, value: str, kind: PhiType
) -> None:
    assert (value, kind) in found(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "tx from OSH to MICU for SOB. NKDA.",
        "to CCU on levophed, BP 120/80, HR 88",
        "lasix 40mg iv q4h PRN, K 3.4, hct 28.1",
        "dr aware, wife called, son in to visit",
        "HOB 30 deg, GCS 15, RASS -2, sats 95% on 2L NC",
        "u/o 50cc/hr. cont to monitor - prn",
        "given 2000 units heparin in 2000 ml",
        "neuro: a+ox3, mae. plan: wean",
    ],
)
def test_leaves_clinical_text_alone(rules: NursingRulesDetector, text: str) -> None:
    assert rules.detect(text) == []


def test_spans_point_into_the_text(rules: NursingRulesDetector) -> None:
    text = "wife mary at bedside, pager 1234. tx to 7N. --KL RN"
    for span in rules.detect(text):
        assert text[span.start : span.end] == span.text
        assert span.source == "rules"
