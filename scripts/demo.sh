#!/usr/bin/env bash
# `make demo`: the main job on the embedded defaults, step by step, with the commands a
# user would type. Safe to re-run: ingestion is idempotent and existing users are kept.
#   synth -> ingest -> users and a grant -> cited answers (clinician, re-identified)
#   -> the same question as a researcher (pseudonymized) -> audit verify -> serve
set -euo pipefail
CLINVAULT=${CLINVAULT:-.venv/bin/clinvault}
PY=${PY:-.venv/bin/python}
HOME_DIR=${CLINVAULT_HOME:?CLINVAULT_HOME must be set}
COHORT=${DEMO_COHORT:-$HOME_DIR/cohort}
PATIENTS=${DEMO_PATIENTS:-20}
SERVE=${DEMO_SERVE:-1}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ensure_user() {  # name role
  "$CLINVAULT" access list --user "$1" >/dev/null 2>&1 || "$CLINVAULT" access add-user --user "$1" --role "$2"
}

# The home is the deployment's data: its user's alone (`clinvault serve` refuses it otherwise).
mkdir -p "$HOME_DIR" && chmod 700 "$HOME_DIR"

step "1. synthetic cohort ($PATIENTS patients, FHIR R4 bundles + truth.jsonl)"
if [ -f "$COHORT/truth.jsonl" ]; then
  echo "kept the cohort already in $COHORT (delete it to regenerate)"
else
  "$CLINVAULT" synth --patients "$PATIENTS" --seed 42 --out "$COHORT"
fi

step "2. ingest: originals sealed in the vault, pseudonymized chunks indexed"
"$CLINVAULT" ingest "$COHORT"
"$CLINVAULT" show

step "3. users: a clinician with a grant, a researcher, an auditor"
# The demo patient: the oldest adult in the cohort (the richest record).
PATIENT=$("$PY" - "$COHORT/truth.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
print(max(rows, key=lambda r: r["demographics"]["age"])["patient_id"])
PYEOF
)
ensure_user demo-clinician clinician
ensure_user demo-researcher researcher
ensure_user demo-auditor auditor
"$CLINVAULT" access grant --user demo-clinician --patient "Patient/$PATIENT"

step "4. the clinician asks (answers re-identified, citations resolve to source resources)"
for question in \
  "What is the latest HbA1c?" \
  "What are the active conditions?" \
  "What allergies does the patient have?" \
  "What are the current medications?"; do
  printf '\n\033[36m? %s\033[0m\n' "$question"
  "$CLINVAULT" ask --user demo-clinician --patient "Patient/$PATIENT" "$question"
done

step "5. the same question as a researcher (pseudonyms and shifted dates only)"
"$CLINVAULT" ask --user demo-researcher --purpose HRESCH --patient "Patient/$PATIENT" \
  "What is the latest HbA1c?"

step "6. every answer is in the hash-chained audit log"
"$CLINVAULT" audit verify

if [ "$SERVE" = 1 ]; then
  step "7. the chat service (Ctrl-C to stop); sign in on the page with a token below"
  exec "$CLINVAULT" serve --demo
fi
