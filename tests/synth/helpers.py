"""Helpers to read generated bundles in tests."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from clinvault.synth import SyntheticPatient

Json = dict[str, Any]


def resources(patient: SyntheticPatient) -> Iterator[Json]:
    for entry in patient.bundle["entry"]:
        yield entry["resource"]


def of_type(patient: SyntheticPatient, resource_type: str) -> list[Json]:
    return [r for r in resources(patient) if r["resourceType"] == resource_type]


def by_id(patient: SyntheticPatient) -> dict[str, Json]:
    return {f"{r['resourceType']}/{r['id']}": r for r in resources(patient)}


def note_text(document: Json) -> str:
    return base64.b64decode(document["content"][0]["attachment"]["data"]).decode("utf-8")


def notes(patient: SyntheticPatient) -> dict[str, str]:
    return {d["id"]: note_text(d) for d in of_type(patient, "DocumentReference")}
