"""hl7apy structure check: findings name elements, never values; never blocks conversion."""

from __future__ import annotations

from clinvault.interop.hl7v2 import Converter, parse_message
from clinvault.interop.hl7v2.validation import check_structure
from tests.interop.hl7v2.conftest import msh

GOOD = "\r".join(
    [
        "MSH|^~\\&|APP|FAC|RCV|RFAC|20240101120000||ADT^A01^ADT_A01|C1|P|2.5",
        "EVN|A01|20240101120000",
        "PID|1||12345^^^HOSP^MR||DOE^JANE||19800102|F",
        "PV1|1|I",
    ]
)


def test_a_standard_message_is_valid() -> None:
    report = check_structure(parse_message(GOOD))
    assert report.checked
    assert report.valid, report.findings


def test_a_missing_required_segment_is_named() -> None:
    report = check_structure(parse_message(GOOD.replace("\rPV1|1|I", "")))
    assert report.findings == ("Missing required child ADT_A01.PV1",)


def test_a_trailing_z_segment_is_valid_and_kept() -> None:
    message = parse_message(GOOD + "\rZPI|SECRET-VALUE")
    assert check_structure(message).valid
    assert Converter().convert(message).unmapped == ("EVN", "ZPI")


def test_a_repeated_segment_is_named_without_its_value() -> None:
    message = parse_message(GOOD.replace("\rPV1", "\rPID|2||SECRET-VALUE^^^H^MR\rPV1"))
    report = check_structure(message)
    assert report.findings == ("Child limit exceeded ADT_A01.PID",)
    assert all("SECRET" not in f for f in report.findings)
    assert Converter().convert(message).bundle["entry"]  # still converted


def test_a_missing_required_field_is_named() -> None:
    report = check_structure(parse_message(GOOD.replace("PID|1||12345^^^HOSP^MR", "PID|1||")))
    assert report.findings == ("Missing required child PID.PID_3",)


def test_versions_outside_2_3_to_2_8_are_not_checked() -> None:
    report = check_structure(
        parse_message("\r".join([msh("ADT^A01", version="2.2"), "PID|1||1^^^H^MR"]))
    )
    assert (report.checked, report.valid) == (False, False)
