"""The API process of a split deployment holds none of the cohort's real values (issue 15).

The API side runs as its own process (``api_process_probe.py``, started here with the split
deployment's API settings: remote vault, records key, no master key), so that nothing the
test process itself did (writing the synthetic cohort, ingesting it on the vault's side,
reading ``truth.jsonl``) can be mistaken for something the API holds. The probe reads the
needles (the cohort's full names, relatives' names, MRNs, SSNs, phones, e-mail and street
addresses the vault knows, from ``truth.jsonl``: see ``split.NEEDLE_TYPES``) into one list that its scan skips,
and reports hits by needle index and container type only.

How "holds nothing" and "not retained" are checked: ``gc.collect()``, then every object
``gc.get_objects()`` returns (the GC-tracked ones: dicts, lists, tuples, sets, instances,
frames, ...) is opened one level: dict keys and values, container items and ``__slots__``
values that are ``str``, ``bytes`` or ``bytearray`` are searched for every needle (a
substring match, so a name inside a longer text counts). Three phases:

1. after the researcher's asks (pseudonymized view): no hit;
2. while the clinician's re-identified answer is still referenced: hits (this proves the
   scan sees a retained answer: if the ask service kept re-identified text anywhere
   reachable, phase 3 would find it the same way);
3. after that answer is dropped and collected: no hit.

Limits, stated plainly: strings are not GC-tracked, so a string is found only through a
tracked object that holds it directly; a string reachable only from C state (an extension's
buffer, a socket's kernel buffer, the TLS library), from a running frame's fast locals, or
held two levels down in an untracked object is not seen. Freed memory is not searched:
CPython's freelists and the allocator's arenas may still hold the bytes of a dropped string
until they are reused, which only a core dump would show (no ``/proc/<pid>/mem`` read here).
Interned strings are a non-issue for these values (CPython interns identifiers and names
in code, not text decoded from JSON), and any interned one would still be found, through
the interpreter's interned dict, which is tracked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clinvault.settings import PROJECT_ROOT

from .split import CLINICIAN, RESEARCHER, Split

RESEARCHER_QUESTIONS = (
    "What is the latest HbA1c?",
    "What medications is the patient taking?",
    "What is the patient's MRN?",
    "Who is the patient's emergency contact?",
)
"""Two of them retrieve the note naming the patient, the MRN, the emergency contact and the
phones: the researcher sees their tokens."""
CLINICIAN_QUESTION = "What is the patient's MRN?"
"""Re-identified, the answer names the patient and the MRN (so phase 2 has hits)."""


def test_the_api_process_holds_no_real_value_and_keeps_no_reidentified_answer(
    split: Split, tmp_path: Path
) -> None:
    settings = split.api_settings()
    plan = {
        "settings": {
            "home": str(settings.home),
            "vault": {
                "url": settings.vault.url,
                "tls_ca": str(settings.vault.tls_ca),
                "tls_cert": str(settings.vault.tls_cert),
                "tls_key": str(settings.vault.tls_key),
                "records_key_file": str(settings.vault.records_key_file),
            },
            "access": {"url": split.access_url},
            "index": {"embedder": {"backend": "hashing"}, "path": str(split.index_path)},
        },
        "patient": split.patients[0],
        "researcher": RESEARCHER,
        "clinician": CLINICIAN,
        "questions": list(RESEARCHER_QUESTIONS),
        "clinician_question": CLINICIAN_QUESTION,
    }
    needles = split.needles()
    assert len(needles) >= 10
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "needles.json").write_text(json.dumps(needles))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINVAULT_")}
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.vault_service.api_process_probe",
            str(tmp_path / "plan.json"),
            str(tmp_path / "needles.json"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])

    def named(hits: list[list[object]]) -> list[tuple[str, object]]:
        return sorted({(needles[int(str(n))], where) for n, where in hits})

    assert report["after_researcher"] == [], named(report["after_researcher"])
    assert report["answer_pseudonymous"] is False
    assert report["while_answer_held"], "the scan did not see the re-identified answer"
    assert report["after_answer_dropped"] == [], named(report["after_answer_dropped"])
