"""Run as the API process of a split deployment; report where the cohort's real values are.

    python -m tests.vault_service.api_process_probe <plan.json> <needles.json>

``plan.json`` (no PHI): the API settings' overrides, the patient, the principals and the
questions. ``needles.json``: the real values to look for, read once into one list whose
identity the scan skips. The process opens the API-side runtime (remote vault), then

1. asks as the researcher (pseudonymized view) and scans;
2. asks as the authorized clinician and scans while the re-identified answer is held (the
   scan must find the values there: it proves the scan can see a retained answer);
3. drops the answer, runs ``gc.collect()`` and scans again.

It prints one JSON object: for each phase, the hits as ``[needle index, container type]``
(indexes only, so no value is printed). See :func:`scan` for what the scan covers.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STRINGS = (str, bytes, bytearray)


def _load(path: str) -> list[str]:
    values: list[str] = json.loads(Path(path).read_text())
    return values


def _strings(obj: Any) -> Iterator[str | bytes | bytearray]:
    """The str/bytes values an object holds directly: a container's items (dict keys and
    values, list/tuple/set members), a slotted object's slots (dataclasses with slots keep
    no ``__dict__``; an object's ``__dict__`` is a dict of its own, scanned as one)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, STRINGS):
                yield key
            if isinstance(value, STRINGS):
                yield value
        return
    if isinstance(obj, list | tuple | set | frozenset):
        for item in obj:
            if isinstance(item, STRINGS):
                yield item
        return
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            value = getattr(obj, name, None)
            if isinstance(value, STRINGS):
                yield value


def scan(needles: list[str], encoded: list[bytes], skip: set[int]) -> list[list[Any]]:
    """Every GC-tracked object's str/bytes values (see :func:`_strings`) searched for every
    needle. Strings are not GC-tracked themselves; they are found through what holds them."""
    gc.collect()
    hits: list[list[Any]] = []
    for obj in gc.get_objects():
        if id(obj) in skip:
            continue
        try:
            values = list(_strings(obj))
        except Exception:  # noqa: BLE001, S112  (an exotic object's slots: not a string holder)
            continue
        for value in values:
            probes = needles if isinstance(value, str) else encoded
            for n, needle in enumerate(probes):
                if needle in value:  # type: ignore[operator]
                    hits.append([n, type(obj).__name__])
    return hits


def main(plan_path: str, needles_path: str) -> None:
    from clinvault.runtime import Runtime
    from clinvault.settings import Settings

    plan = json.loads(Path(plan_path).read_text())
    settings = Settings.load(**plan["settings"])
    report: dict[str, Any] = {}
    with Runtime.open(settings) as runtime:
        # warm up the model route and the stores before reading the needles
        runtime.ask_service().ask(
            plan["researcher"], plan["patient"], plan["questions"][0], purpose="HRESCH"
        )
        needles = _load(needles_path)
        encoded = [n.encode() for n in needles]
        skip = {id(needles), id(encoded)}
        for question in plan["questions"]:
            runtime.ask_service().ask(
                plan["researcher"], plan["patient"], question, purpose="HRESCH"
            )
        report["after_researcher"] = scan(needles, encoded, skip | {id(report)})
        result = runtime.ask_service().ask(
            plan["clinician"], plan["patient"], plan["clinician_question"]
        )
        report["answer_pseudonymous"] = result.pseudonymous
        report["while_answer_held"] = scan(needles, encoded, skip | {id(report)})
        del result
        report["after_answer_dropped"] = scan(needles, encoded, skip | {id(report)})
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
