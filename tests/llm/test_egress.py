from __future__ import annotations

import pytest

from clinvault.errors import EgressBlocked
from clinvault.llm.base import Message
from clinvault.llm.egress import EgressGuard
from clinvault.llm.prompt import SYSTEM_PROMPT


def _messages(text: str) -> list[Message]:
    return [
        {"role": "system", "content": "Answer from evidence."},
        {"role": "user", "content": text},
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call 555-867-5309 tomorrow", "phone number"),
        ("call (555) 867-5309", "phone number"),
        ("call +1 555.867.5309", "phone number"),
        ("mail jane.doe@example.org", "email address"),
        ("ssn 123-45-6789 on file", "SSN"),
        ("MRN: 1234567", "labelled record number"),
        ("medical record number #A-99812", "labelled record number"),
        ("see https://portal.example-hospital.org/chart?id=3", "URL"),
        ("visit www.evil.example", "URL"),
        ("login from 192.168.10.4 noted", "IP address"),
        ("host 2001:db8::8a2e:370:7334", "IP address"),
    ],
)
def test_identifier_patterns_block_and_name_kind_and_index_but_not_value(
    text: str, kind: str
) -> None:
    with pytest.raises(EgressBlocked) as caught:
        EgressGuard().check(_messages(text), deny_values=[])
    message = str(caught.value)
    assert kind in message
    assert "message 1" in message
    assert text not in message
    for word in text.split():
        if any(ch.isdigit() for ch in word) or "@" in word or "." in word:
            assert word not in message


@pytest.mark.parametrize(
    "text",
    [
        "Seen by [NAME-7F3A2C91]; phone [PHONE-12345678]; email [EMAIL-ABCDEF12]",
        "MRN [MRN-12345678] and SSN [SSN-98765432] for PT-3F9A1C0B7D2E4A61 RES-9C0FE2D4A1B37755",
        "Hemoglobin A1c 6.8 % on 2021-03-04T10:30:00+01:00, BP 120/80 mmHg, weight 81.5 kg",
        "Code http://loinc.org|4548-4 and http://snomed.info/sct|44054006, version 2.16.840.1.113883",
        "Glucose 105 mg/dL (ref 70-99), 3 x 250 mg, dose 1.5.2, at 10:30:00, plan :: rest",
    ],
)
def test_pseudonymized_clinical_text_passes(text: str) -> None:
    EgressGuard().check(_messages(text), deny_values=["Jane Doe", "555-867-5309"])


def test_known_values_match_case_and_whitespace_insensitively() -> None:
    with pytest.raises(EgressBlocked, match="message 1 contains a known identifier value"):
        EgressGuard().check(_messages("patient JANE\n   doe was seen"), deny_values=["Jane Doe"])


def test_short_known_values_match_whole_words_only() -> None:
    guard = EgressGuard()
    guard.check(_messages("clinical follow-up"), deny_values=["Li"])
    with pytest.raises(EgressBlocked):
        guard.check(_messages("seen by Li today"), deny_values=["Li"])


def test_long_known_values_match_inside_words() -> None:
    with pytest.raises(EgressBlocked):
        EgressGuard().check(_messages("id XQ7781234ZZ"), deny_values=["Q7781234"])


def test_known_numbers_match_with_any_separators() -> None:
    guard = EgressGuard()
    with pytest.raises(EgressBlocked):
        guard.check(_messages("born 1980/05/17"), deny_values=["1980-05-17"])
    with pytest.raises(EgressBlocked):
        guard.check(_messages("member 44 1298 7"), deny_values=["4412987"])
    guard.check(_messages("value 144129870"), deny_values=["4412987"])


def test_known_value_in_system_message_is_reported_with_its_index() -> None:
    messages: list[Message] = [{"role": "system", "content": "about jane doe"}]
    with pytest.raises(EgressBlocked, match="message 0"):
        EgressGuard().check(messages, deny_values=["Jane Doe"])


def test_blank_known_values_are_ignored() -> None:
    EgressGuard().check(_messages("fine"), deny_values=["", "   "])


def test_text_parts_are_inspected() -> None:
    message: Message = {"role": "user", "content": [{"type": "text", "text": "a@b.example"}]}
    with pytest.raises(EgressBlocked, match="email address"):
        EgressGuard().check([message], deny_values=[])


@pytest.mark.parametrize(
    "message",
    [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:..."}}]},
        {"role": "user", "content": {"nested": "object"}},
        "not a mapping",
    ],
)
def test_anything_the_guard_cannot_inspect_is_blocked(message: object) -> None:
    with pytest.raises(EgressBlocked, match="could not inspect"):
        EgressGuard().check([message], deny_values=[])  # type: ignore[list-item]


def test_an_internal_guard_failure_blocks() -> None:
    with pytest.raises(EgressBlocked, match="could not inspect"):
        EgressGuard().check(_messages("fine"), deny_values=[None])  # type: ignore[list-item]


def test_allowed_hosts_are_configurable() -> None:
    guard = EgressGuard(allowed_hosts=frozenset({"fhir.example-terminology.org"}))
    guard.check(_messages("system https://fhir.example-terminology.org/cs"), deny_values=[])
    with pytest.raises(EgressBlocked, match="URL"):
        guard.check(_messages("system http://loinc.org"), deny_values=[])


def test_short_names_match_only_in_their_own_case() -> None:
    guard = EgressGuard()
    guard.check(_messages("what do you see? an x-ray"), deny_values=["Do", "An"])
    with pytest.raises(EgressBlocked):
        guard.check(_messages("Mr. Do called about the x-ray"), deny_values=["Do"])
    with pytest.raises(EgressBlocked):
        guard.check(_messages("her sister An came"), deny_values=["An"])


def test_the_fixed_system_instructions_are_not_searched_for_patient_values() -> None:
    guard = EgressGuard()
    assert "Do not" in SYSTEM_PROMPT
    fixed = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "ok"}]
    guard.check(fixed, deny_values=["Do"])
    altered = [{"role": "system", "content": SYSTEM_PROMPT + " Mr. Do"}, fixed[1]]
    with pytest.raises(EgressBlocked):
        guard.check(altered, deny_values=["Do"])
    leaking = [{"role": "system", "content": SYSTEM_PROMPT + " call 555-867-5309"}]
    with pytest.raises(EgressBlocked):
        guard.check(leaking, deny_values=[])
