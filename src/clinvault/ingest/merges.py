"""Patient merges at ingest: a Patient whose ``link`` says ``replaced-by`` (HL7 A40/A34,
or any FHIR input saying so) is merged into the patient it names.

The run's patient groups are split: the merged patient's own Patient resource (the
merged-away stub) is not stored as a patient of its own; the pipeline asks the vault to
merge (``VaultClient.merge_patients``), and files the merged patient's earlier records,
and anything else of it in this run, under the survivor with their references re-pointed.
The survivor's Patient keeps the ``replaces`` link, so the merge stays in its record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clinvault.fhir.sources import SourceResource

REPLACED_BY = "replaced-by"


def survivor_of(patient: Mapping[str, Any]) -> str | None:
    """``Patient/<id>`` that ``patient`` is replaced by, if its links say so (one only)."""
    found = []
    for link in patient.get("link") or []:
        if not isinstance(link, Mapping) or link.get("type") != REPLACED_BY:
            continue
        other = link.get("other")
        ref = other.get("reference") if isinstance(other, Mapping) else None
        if isinstance(ref, str) and ref.startswith("Patient/") and len(ref) > len("Patient/"):
            found.append(ref)
    return found[0] if len(set(found)) == 1 else None


def split_merges(
    by_patient: Mapping[str, Sequence[SourceResource]],
) -> tuple[dict[str, list[SourceResource]], dict[str, tuple[str, list[SourceResource]]]]:
    """(groups ingested as they are, merged ref -> (survivor ref, its other resources)).

    A merge into itself, or into a patient that is itself merged in this run, is not
    followed (the group is ingested as it is)."""
    survivors: dict[str, str] = {}
    for ref, items in by_patient.items():
        for item in items:
            resource = item.resource
            if resource.get("resourceType") == "Patient" and f"Patient/{resource.get('id')}" == ref:
                survivor = survivor_of(resource)
                if survivor is not None and survivor != ref:
                    survivors[ref] = survivor
    survivors = {m: s for m, s in survivors.items() if s not in survivors}
    kept = {ref: list(items) for ref, items in by_patient.items() if ref not in survivors}
    merged = {
        ref: (survivor, [i for i in by_patient[ref] if not _is_patient(i, ref)])
        for ref, survivor in survivors.items()
    }
    return kept, merged


def _is_patient(item: SourceResource, ref: str) -> bool:
    resource = item.resource
    return resource.get("resourceType") == "Patient" and f"Patient/{resource.get('id')}" == ref


def rehome(value: Any, merged_ref: str, survivor_ref: str) -> Any:
    """A copy of ``value`` with every reference to ``merged_ref`` pointing at the survivor."""
    if isinstance(value, dict):
        out = {k: rehome(v, merged_ref, survivor_ref) for k, v in value.items()}
        if out.get("reference") == merged_ref:
            out["reference"] = survivor_ref
        return out
    if isinstance(value, list):
        return [rehome(v, merged_ref, survivor_ref) for v in value]
    return value
