#!/usr/bin/env bash
# `make demo-split`: the demo flow with the vault as its own process (issue 15), on loopback.
#
#   vault side  $DIR/vault-home  master key (keys/), vault database, the vault's audit chain;
#                                ingest runs here (it reads raw records), then
#                                `clinvault vault serve` serves the vault over mutual TLS
#   API side    $DIR/api-home    its client certificate and its own audit chain; no master key:
#                                every ask reaches the vault through the remote client
#                                (CLINVAULT_VAULT__URL=https://127.0.0.1:PORT)
#   shared      $DIR/shared      the records key (audit log and access store keys, not the
#                                master key), the access store, the vector index (in a
#                                deployment: a secret, PostgreSQL and a Qdrant server)
#
#   synth -> ingest (vault side) -> dev certs -> vault serve -> users and a grant
#   -> cited answers as a clinician (re-identified by the vault service) and as a researcher
#   (pseudonymized) -> stop the vault service -> audit verify on both sides
#
# Safe to re-run: the cohort, keys and certificates are kept, ingestion is idempotent,
# existing users are kept. DEMO_SPLIT_DIR (default .clinvault-split), DEMO_PATIENTS (20).
set -euo pipefail
CLINVAULT=${CLINVAULT:-.venv/bin/clinvault}
PY=${PY:-.venv/bin/python}
DIR=${DEMO_SPLIT_DIR:-.clinvault-split}
PATIENTS=${DEMO_PATIENTS:-20}
QUESTIONS=(
  "What is the latest HbA1c?"
  "What are the active conditions?"
  "What allergies does the patient have?"
)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$DIR" && chmod 700 "$DIR"
DIR=$(cd "$DIR" && pwd)
VAULT_HOME=$DIR/vault-home
API_HOME=$DIR/api-home
SHARED=$DIR/shared
COHORT=$DIR/cohort
for d in "$VAULT_HOME" "$API_HOME" "$API_HOME/certs" "$SHARED"; do mkdir -p "$d" && chmod 700 "$d"; done

# Both sides: the records key, the access store and the index are shared; nothing else is.
export CLINVAULT_VAULT__RECORDS_KEY_FILE=$SHARED/records.key
export CLINVAULT_ACCESS__URL=sqlite:///$SHARED/access.db
export CLINVAULT_INDEX__PATH=$SHARED/index
unset CLINVAULT_VAULT__URL CLINVAULT_VAULT__TLS_CA CLINVAULT_VAULT__TLS_CERT CLINVAULT_VAULT__TLS_KEY
vault_side() { CLINVAULT_HOME=$VAULT_HOME "$@"; }
api_side() {
  CLINVAULT_HOME=$API_HOME \
  CLINVAULT_VAULT__URL=$VAULT_URL \
  CLINVAULT_VAULT__TLS_CA=$API_HOME/certs/ca.crt \
  CLINVAULT_VAULT__TLS_CERT=$API_HOME/certs/client-api.crt \
  CLINVAULT_VAULT__TLS_KEY=$API_HOME/certs/client-api.key \
  "$@"
}

step "1. synthetic cohort ($PATIENTS patients)"
if [ -f "$COHORT/truth.jsonl" ]; then
  echo "kept the cohort already in $COHORT (delete it to regenerate)"
else
  "$CLINVAULT" synth --patients "$PATIENTS" --seed 42 --out "$COHORT"
fi

step "2. the records key (shared by both sides; the master key stays in the vault home)"
if [ -f "$SHARED/records.key" ]; then
  echo "kept $SHARED/records.key"
else
  "$PY" -c 'import sys; from pathlib import Path; from clinvault.keys import write_records_key; write_records_key(Path(sys.argv[1]))' "$SHARED/records.key"
  echo "wrote $SHARED/records.key (0600)"
fi

step "3. ingest on the vault side: originals sealed in the vault, pseudonymized chunks indexed"
vault_side "$CLINVAULT" ingest "$COHORT"

step "4. development certificates (CA, vault server, client 'api'), the API's copy 0600"
if [ -f "$VAULT_HOME/certs/ca.crt" ]; then
  echo "kept the certificates in $VAULT_HOME/certs"
else
  vault_side "$CLINVAULT" vault certs --server-name 127.0.0.1 --server-name localhost --client api --client ingest
fi
for name in ca.crt client-api.crt client-api.key; do
  install -m 600 "$VAULT_HOME/certs/$name" "$API_HOME/certs/$name"
done

step "5. the vault service: its own process, the only one holding the master key"
PORT=${DEMO_VAULT_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
VAULT_URL=https://127.0.0.1:$PORT
VAULT_LOG=$DIR/vault-service.log
# exec: $! is the service itself (not a subshell around it), so stopping it stops the service
(CLINVAULT_HOME=$VAULT_HOME exec "$CLINVAULT" vault serve --port "$PORT" --allow api --allow ingest \
  >"$VAULT_LOG" 2>&1) &
VAULT_PID=$!
stop_vault() {  # SIGTERM: uvicorn shuts down gracefully, then re-raises it (exit status 143)
  if kill -0 "$VAULT_PID" 2>/dev/null; then
    kill -TERM "$VAULT_PID"
    status=0
    wait "$VAULT_PID" || status=$?
    if { [ "$status" = 0 ] || [ "$status" = 143 ]; } \
        && grep -q "Finished server process \[$VAULT_PID\]" "$VAULT_LOG"; then
      echo "vault service (pid $VAULT_PID) stopped cleanly (graceful shutdown, exit status $status)"
    else
      echo "vault service (pid $VAULT_PID) did not stop cleanly (exit status $status); its log:" >&2
      tail -20 "$VAULT_LOG" >&2
      return 1
    fi
  fi
}
trap 'stop_vault >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 300); do
  if ! kill -0 "$VAULT_PID" 2>/dev/null; then
    echo "the vault service exited; its log ($VAULT_LOG):" >&2
    cat "$VAULT_LOG" >&2
    exit 1
  fi
  if curl -sf --cacert "$API_HOME/certs/ca.crt" --cert "$API_HOME/certs/client-api.crt" \
      --key "$API_HOME/certs/client-api.key" "$VAULT_URL/readyz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.2
done
curl -sf --cacert "$API_HOME/certs/ca.crt" --cert "$API_HOME/certs/client-api.crt" \
  --key "$API_HOME/certs/client-api.key" "$VAULT_URL/readyz" >/dev/null \
  || { echo "the vault service is not ready; its log ($VAULT_LOG):" >&2; cat "$VAULT_LOG" >&2; exit 1; }
echo "vault service ready at $VAULT_URL (pid $VAULT_PID, log $VAULT_LOG)"
if curl -s -o /dev/null --cacert "$API_HOME/certs/ca.crt" "$VAULT_URL/readyz" 2>/dev/null; then
  echo "a caller without a client certificate was served" >&2
  exit 1
fi
echo "without a client certificate: refused (mutual TLS)"
if [ -e "$API_HOME/keys" ]; then
  echo "the API home holds keys/ ($API_HOME/keys)" >&2
  exit 1
fi

step "6. users: a clinician with a grant, a researcher, an auditor (the shared access store)"
# The demo patient: the oldest adult in the cohort (the richest record).
PATIENT=$("$PY" - "$COHORT/truth.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
print(max(rows, key=lambda r: r["demographics"]["age"])["patient_id"])
PYEOF
)
ensure_user() {  # name role
  api_side "$CLINVAULT" access list --user "$1" >/dev/null 2>&1 \
    || api_side "$CLINVAULT" access add-user --user "$1" --role "$2"
}
ensure_user demo-clinician clinician
ensure_user demo-researcher researcher
ensure_user demo-auditor auditor
api_side "$CLINVAULT" access grant --user demo-clinician --patient "Patient/$PATIENT"

step "7. the clinician asks through the vault service (answers re-identified by it, cited)"
for question in "${QUESTIONS[@]}"; do
  printf '\n\033[36m? %s\033[0m\n' "$question"
  api_side "$CLINVAULT" ask --user demo-clinician --patient "Patient/$PATIENT" "$question"
done

step "8. the same question as a researcher (pseudonyms and shifted dates only)"
api_side "$CLINVAULT" ask --user demo-researcher --purpose HRESCH --patient "Patient/$PATIENT" \
  "${QUESTIONS[0]}"

step "9. stop the vault service"
trap - EXIT
stop_vault

step "10. both audit chains verify; the vault's records the re-identifications it served"
echo "API side:"
api_side "$CLINVAULT" audit verify
echo "vault side:"
vault_side "$CLINVAULT" audit verify
api_side "$CLINVAULT" audit list --limit 10000 --json >"$DIR/api-audit.json"
vault_side "$CLINVAULT" audit list --limit 10000 --json >"$DIR/vault-audit.json"
"$PY" - "$DIR/api-audit.json" "$DIR/vault-audit.json" "${#QUESTIONS[@]}" <<'PYEOF'
import json, sys
api = json.load(open(sys.argv[1], encoding="utf-8"))
vault = json.load(open(sys.argv[2], encoding="utf-8"))
asked = int(sys.argv[3])
# this run's clinician asks: the newest ones on the API side
asks = [r for r in api if r["kind"] == "ask" and r["principal"] == "demo-clinician"][:asked]
reveals = {
    r["seq"]: r
    for r in vault
    if r["principal"] == "demo-clinician" and r["outcome"] == "allowed"
    and str(r["reason"]).startswith("reidentify-")
}
print(f"vault chain: {len(vault)} records, {len(reveals)} re-identifications for demo-clinician")
for ask in asks:
    ref = ask.get("vault_audit_ref")
    if ref is None:
        sys.exit(f"the API's record of {ask['response_id']} points at no vault record")
    _, seq, digest = ref.split(":")
    pointed = reveals.get(int(seq))
    if pointed is None or pointed["hash"] != digest:
        sys.exit(f"{ask['response_id']}: {ref} is not a re-identification in the vault chain")
    print(f"{ask['response_id']} -> vault record {seq} ({pointed['reason']})")
if len(asks) != asked:
    sys.exit(f"expected {asked} clinician asks on the API side, found {len(asks)}")
PYEOF
echo
echo "split demo done: $DIR (re-run at will; delete it to start over)"
