"""Key-encryption-key rotation time for N patients, next to re-encrypting their resources.

    nice -n 10 .venv/bin/python benchmarks/bench_rotation.py --patients 100

1. synth a cohort of N patients; 2. seal every resource of every bundle into the vault of a
fresh home through the vault API (``patient_session``: pseudonymize, seal, flush; one
transaction per patient), timed: this is what re-encrypting everything would cost at
least, and what a KEK rotation avoids; no index, no embedder (rotation never touches the
index); 3. ``rotate_kek`` from the derived version 1 to a random version 2, timed, then
again to version 3 (the first rotation that destroys a stored version), timed; 4. check
every patient's Patient resource opens and ``kek_status``. The ratio rotation / sealing says
what a rotation costs beside re-encrypting the same vault (rotation re-wraps one 32-byte
data key per patient, whatever the number of resources).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import clinvault  # noqa: F401  (offline defaults before anything heavy)
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort


def seal_cohort(runtime: Runtime, cohort: Path) -> tuple[list[str], int]:
    """Seal every bundle's resources under its patient; the patient refs and resource count."""
    vault = runtime.vault
    patients: list[str] = []
    resources = 0
    for bundle_file in sorted(cohort.glob("*.json")):
        bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
        entries = [entry["resource"] for entry in bundle["entry"]]
        (patient,) = [r for r in entries if r["resourceType"] == "Patient"]
        ref = f"Patient/{patient['id']}"
        with vault.transaction():
            session = vault.patient_session(ref)
            session.pseudonymize(patient)
            for resource in entries:
                session.seal(f"{resource['resourceType']}/{resource['id']}", resource)
            session.flush()
        patients.append(ref)
        resources += len(entries)
    return patients, resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200, help="data keys per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinvault-bench-rotation-") as tmp:
        root = Path(tmp)
        cohort = root / "cohort"
        write_cohort(SynthConfig(patients=args.patients, seed=args.seed), cohort)
        home = root / "home"
        home.mkdir(mode=0o700)
        settings = Settings.load(home=home, index={"embedder": {"backend": "hashing"}})
        with Runtime.open(settings) as runtime:
            started = time.perf_counter()
            patients, resources = seal_cohort(runtime, cohort)
            seal_s = time.perf_counter() - started

            rotations = []
            for _ in range(2):
                started = time.perf_counter()
                rotation = runtime.vault.rotate_kek(batch=args.batch)
                rotations.append((rotation, time.perf_counter() - started))

            vault = runtime.vault
            opened = sum(
                1
                for ref in patients
                if (vault.patient_resource(vault.patient_token(ref)) or {}).get("id")
                == ref.split("/", 1)[1]
            )
            status = [(s.version, s.state, s.patients) for s in vault.kek_status()]
    print(f"patients {len(patients)}  resources sealed {resources}")
    print(f"sealing every resource (what re-encryption costs at least): {seal_s:.2f} s")
    for rotation, seconds in rotations:
        destroyed = ",".join(str(v) for v in rotation.destroyed) or "none"
        print(
            f"rotation to KEK version {rotation.version}: {rotation.rewrapped} data keys "
            f"re-wrapped in {seconds:.3f} s ({1000 * seconds / max(rotation.rewrapped, 1):.2f} "
            f"ms per patient; destroyed: {destroyed}); ratio rotation/sealing "
            f"{seconds / seal_s:.4f}"
        )
    print(f"patients readable after both rotations: {opened}/{len(patients)}")
    print(f"kek status (version, state, patients): {status}")
    if opened != len(patients):
        raise SystemExit("a patient did not open after rotation")


if __name__ == "__main__":
    main()
