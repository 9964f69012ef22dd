"""The rule-based recognizers alone (no NLP model)."""

from __future__ import annotations

import pytest

from clinvault.phi.base import DetectionContext, KnownIdentifier, PhiType
from clinvault.phi.recognizer_config import RecognizerConfig
from clinvault.phi.recognizers.addresses import StreetAddressRecognizer, ZipCodeRecognizer
from clinvault.phi.recognizers.ages import AgeOver89Recognizer
from clinvault.phi.recognizers.base import TextRecognizer
from clinvault.phi.recognizers.dates import ClinicalDateRecognizer, is_date_expression
from clinvault.phi.recognizers.facilities import FacilityRecognizer
from clinvault.phi.recognizers.identifiers import IdentifierRecognizer
from clinvault.phi.recognizers.known_identifiers import KnownIdentifierRecognizer
from clinvault.phi.recognizers.person_cues import PersonCueRecognizer
from clinvault.phi.recognizers.phones import PhoneNumberRecognizer
from clinvault.settings import PhiSettings

EMPTY = DetectionContext()


def found(recognizer: TextRecognizer, text: str, context: DetectionContext = EMPTY) -> list[str]:
    spans = recognizer.find(text, context)
    assert all(text[s.start : s.end] == s.text for s in spans)
    return [s.text for s in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seen 7/22 in clinic", "7/22"),
        ("follow up Tues 3/4", "Tues 3/4"),
        ("on 03-04-2021 she fell", "03-04-2021"),
        ("admitted 2023-05-22T10:00:00Z", "2023-05-22T10:00:00Z"),
        ("since Mar 4th, 2020 pain", "Mar 4th, 2020"),
        ("onset 2 days ago", "2 days ago"),
        ("visit on 04.01.2023", "04.01.2023"),
    ],
)
def test_clinical_dates(text: str, expected: str) -> None:
    assert expected in found(ClinicalDateRecognizer(), text)


@pytest.mark.parametrize(
    "text", ["take 1/2 tab daily", "K 4.1 today", "BP 120/80", "Sinemet 25/100", "score 13/15"]
)
def test_quantities_are_not_dates(text: str) -> None:
    assert found(ClinicalDateRecognizer(), text) == []


@pytest.mark.parametrize(
    ("text", "is_date"),
    [
        ("3 days", False),
        ("45 years old", False),
        ("daily", False),
        ("HR 85", False),
        ("the 1990s", False),
        ("March 2020", True),
        ("2019", True),
        ("2 days ago", True),
    ],
)
def test_ner_date_sanity(text: str, is_date: bool) -> None:
    assert is_date_expression(text) is is_date


def test_ages_over_89_only_the_number() -> None:
    text = "92 yo F; her husband is a 101-year-old; aged 95; son is 45 years old"
    assert found(AgeOver89Recognizer(), text) == ["92", "101", "95"]


def test_us_and_international_street_addresses_with_following_lines() -> None:
    text = "Lives at 1234 Elm Street, Apt 5, Springfield, IL 62704 with wife."
    assert "1234 Elm Street, Apt 5, Springfield, IL 62704" in found(StreetAddressRecognizer(), text)
    assert "Puruntie 82" in found(StreetAddressRecognizer(), "moved to Puruntie 82 last year")
    assert "P.O. Box 255" in found(StreetAddressRecognizer(), "mail to P.O. Box 255 please")


def test_lab_lines_are_not_addresses() -> None:
    text = "Prior LDL 120 on 04/10/2025. Take 2 tablets by mouth. K 4.1 on 3/4."
    assert found(StreetAddressRecognizer(), text) == []


def test_zip_after_state_or_label() -> None:
    assert found(ZipCodeRecognizer(), "Denver, CO 80202") == ["80202"]
    assert found(ZipCodeRecognizer(), "zip code is 28245.") == ["28245"]


def test_phone_numbers_labelled_and_bare_but_not_lab_values() -> None:
    recognizer = PhoneNumberRecognizer()
    assert found(recognizer, "Phone: 451 5986") == ["451 5986"]
    assert found(recognizer, "call him at 555-234-9876 today") == ["555-234-9876"]
    assert found(recognizer, "Na 138 K 4.1 Cl 102 HCO3 24 BUN 12") == []


def test_configured_identifier_patterns_mark_the_value_only() -> None:
    config = RecognizerConfig.load(PhiSettings().recognizers_file)
    recognizer = IdentifierRecognizer(config.identifier_patterns())
    spans = recognizer.find("MRN: A1234567, acct # 88812345, SSN 999-12-3456", EMPTY)
    assert {(s.text, s.type) for s in spans} >= {
        ("A1234567", PhiType.MRN),
        ("88812345", PhiType.ID),
        ("999-12-3456", PhiType.SSN),
    }


def test_known_identifiers_match_names_by_part_and_numbers_by_digits() -> None:
    context = DetectionContext(
        known=(
            KnownIdentifier("Marine542 Ai120", PhiType.NAME),
            KnownIdentifier("(915) 555-0140", PhiType.PHONE),
        ),
        provider_names=("Duc Pham",),
        facility_names=("Eastfield Family Health Clinic",),
    )
    text = "Marine seen by Dr. Pham at Eastfield Family Health Clinic; cb 915.555.0140"
    spans = KnownIdentifierRecognizer().find(text, context)
    got = {(s.text, s.type) for s in spans}
    assert ("Marine", PhiType.NAME) in got
    assert ("Pham", PhiType.NAME) in got
    assert ("Eastfield Family Health Clinic", PhiType.ORG) in got
    assert ("915.555.0140", PhiType.PHONE) in got
    assert all(s.score == 1.0 for s in spans)


def test_person_cues_keep_the_cue_word_out() -> None:
    text = "Spoke with daughter Maria Lopez; Dr. Okafor agrees. Signed: Ann Lee"
    assert found(PersonCueRecognizer(), text) == ["Maria Lopez", "Okafor", "Ann Lee"]
    assert found(PersonCueRecognizer(), "Caller: Hope Dorsey (neighbor)") == ["Hope Dorsey"]
    assert found(PersonCueRecognizer(), "caused by Streptococcus") == []


def test_facility_names_by_head_word() -> None:
    text = "transferred to St. Vincent Medical Center from the clinic"
    assert found(FacilityRecognizer(), text) == ["St. Vincent Medical Center"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "meet at the corner of Dalbraut 99 and Frederikke Coves.",
            "the corner of Dalbraut 99 and Frederikke Coves",
        ),
        ("office is at Růžena and Király u. 15.", "Růžena and Király u. 15"),
        (
            "sent to 6400 12 Timms Drive Suite 215 NUNGATTA Australia last night",
            "6400 12 Timms Drive Suite 215 NUNGATTA Australia",
        ),
        ("address: 0269 Stensås terrasse 38", "0269 Stensås terrasse 38"),
        ("2224 Trenerys gate 232", "2224 Trenerys gate 232"),
    ],
)
def test_international_street_addresses(text: str, expected: str) -> None:
    assert expected in found(StreetAddressRecognizer(), text)


def test_postcode_ending_an_address_line() -> None:
    assert found(ZipCodeRecognizer(), "Riisa\n\n Estonia 62488\nthanks") == ["62488"]
    assert found(ZipCodeRecognizer(), "Glucose 97 on 6/1\nMRN 12345 noted") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "his address: 48334 36 rue de pologne, cite de l'interieur",
            "48334 36 rue de pologne, cite de l'interieur",
        ),
        ("at 010 63 Avenue du Golf Arabe Suite 910", "010 63 Avenue du Golf Arabe Suite"),
        ("USNS Bergman\nFPO AP 93757\nMobile:", "USNS Bergman\nFPO AP 93757"),
        ("6614 Luite tee 87\n Apt. 931\n Salumäe", "6614 Luite tee 87\n Apt. 931\n Salumäe"),
        ("C/ Señores Curas 88 street", "C/ Señores Curas 88"),
        ("Fuglie 41 Popović Dam", "41 Popović Dam"),
        ("Apt. 581, ΠΑΦΟΣ, Cyprus (Greek) 13475 in", "Apt. 581, ΠΑΦΟΣ, Cyprus (Greek) 13475"),
    ],
)
def test_number_first_military_and_further_street_forms(text: str, expected: str) -> None:
    assert expected in found(StreetAddressRecognizer(), text)


def test_lowercase_addresses_take_lowercase_place_lines() -> None:
    text = "meet me at 2407 tawastintie 6, sé, portugal"
    assert "2407 tawastintie 6, sé, portugal" in found(StreetAddressRecognizer(), text)
    text = "Lives at 12 Elm Street, and then went home"
    assert found(StreetAddressRecognizer(), text) == ["12 Elm Street"]
    text = "lives at 12 rue de la Paix after the concert"
    assert "12 rue de la Paix" in found(StreetAddressRecognizer(), text)
    assert not any("after" in f for f in found(StreetAddressRecognizer(), text))


@pytest.mark.parametrize(
    "text",
    [
        "had 2 recent falls at home",
        "Prior Glucose 77 on June 14, 2025.",
        "received 2 via PICC line",
        "3 mild springs",
    ],
)
def test_clinical_numbers_are_not_streets(text: str) -> None:
    assert found(StreetAddressRecognizer(), text) == []
