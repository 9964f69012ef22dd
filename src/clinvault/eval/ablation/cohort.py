"""A verified synthetic cohort: the only input the privacy ablation accepts.

The folder must be exactly what ``clinvault synth`` writes: one transaction Bundle per
patient and a ``truth.jsonl`` line per patient naming its bundle (``file``), its Patient id
and the PHI planted in it. Any other file, a bundle that ``truth.jsonl`` does not list, or
a bundle whose Patient is not the listed one makes the folder unusable: real records are
never ingested without pseudonymization.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinvault.errors import UnusableInputError
from clinvault.synth.writer import TRUTH_FILE

_VERIFIED = object()


@dataclass(frozen=True)
class SyntheticCohort:
    """Built only by :func:`open_synthetic_cohort`."""

    folder: Path
    bundles: tuple[Path, ...]
    truth: dict[str, dict[str, Any]]
    """``truth.jsonl`` records of the chosen patients, by ``Patient/<id>``."""
    _proof: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._proof is not _VERIFIED:
            raise TypeError("a SyntheticCohort comes from open_synthetic_cohort(folder)")


def open_synthetic_cohort(folder: Path, patients: int | None = None) -> SyntheticCohort:
    """The first ``patients`` patients of a ``clinvault synth`` folder (all when ``None``)."""
    where = str(folder)
    truth_file = folder / TRUTH_FILE
    if not folder.is_dir():
        raise UnusableInputError("cohort folder not found", where=where)
    if not truth_file.is_file():
        raise UnusableInputError(
            f"not a synthetic cohort: no {TRUTH_FILE} (the ablation runs on `clinvault synth` "
            "output only)",
            where=where,
        )
    records = _truth_records(truth_file)
    listed = {str(r["file"]): r for r in records}
    others = sorted(
        p.name for p in folder.iterdir() if p.name != TRUTH_FILE and p.name not in listed
    )
    if others:
        raise UnusableInputError(
            f"not a synthetic cohort: {len(others)} file(s) not listed in {TRUTH_FILE}",
            where=where,
        )
    chosen = records if patients is None else records[:patients]
    bundles = []
    for record in chosen:
        bundle = folder / str(record["file"])
        _check_bundle(bundle, str(record["patient_id"]))
        bundles.append(bundle)
    return SyntheticCohort(
        folder,
        tuple(bundles),
        {f"Patient/{r['patient_id']}": r for r in chosen},
        _VERIFIED,
    )


def _truth_records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise UnusableInputError("not valid JSON", where=f"{path}:{number}") from None
            if not isinstance(record, dict) or not all(
                isinstance(record.get(k), t)
                for k, t in (("patient_id", str), ("file", str), ("phi", list), ("facts", dict))
            ):
                raise UnusableInputError(
                    "not a synthetic truth record (patient_id, file, phi, facts)",
                    where=f"{path}:{number}",
                )
            records.append(record)
    if not records:
        raise UnusableInputError("no patients in the truth file", where=str(path))
    return records


def _check_bundle(path: Path, patient_id: str) -> None:
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise UnusableInputError("not a readable JSON Bundle", where=str(path)) from None
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    patients = [
        e["resource"].get("id")
        for e in entries or []
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Patient"
    ]
    if patients != [patient_id]:
        raise UnusableInputError(
            "the bundle's Patient is not the one its truth record names", where=str(path)
        )
