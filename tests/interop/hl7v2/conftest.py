from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clinvault.fhir.validate import validate
from clinvault.interop.hl7v2 import Converter, Options

Convert = Callable[..., dict[str, Any]]


def msh(kind: str, control: str = "CTRL1", facility: str = "FAC", version: str = "2.5") -> str:
    return f"MSH|^~\\&|APP|{facility}|RCV|RFAC|20240101120000||{kind}|{control}|P|{version}"


PID = (
    "PID|1||12345^^^HOSP^MR~999887777^^^SSA^SS||DOE^JANE^Q^JR^DR^^L~SMITH^JANE^^^^^M||19800102|F|"
    "JD^ALIAS|2106-3^White^CDCREC|12 MAIN ST^APT 4^SPRINGFIELD^IL^62701^USA^H||"
    "^PRN^PH^^1^217^5551234~^NET^Internet^jane@example.org|(217)555-9999|spa^Spanish^ISO639|M||"
    "ACCT1|123-45-6789|||N^Not Hispanic^CDCREC|||||||20240105083000|Y"
)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(bundle, kind)
    assert len(found) == 1, (kind, len(found))
    return found[0]


@pytest.fixture
def convert() -> Convert:
    def run(*segments: str, options: Options | None = None) -> dict[str, Any]:
        result = Converter(options or Options()).convert_text(
            "\r".join(segments) + "\r", "test.hl7"
        )
        assert not result.errors, result.errors
        assert len(result.conversions) == 1
        bundle = result.conversions[0].bundle
        for entry in bundle["entry"]:
            problem = validate(entry["resource"], "test.hl7")
            assert problem is None, problem
        return bundle

    return run
