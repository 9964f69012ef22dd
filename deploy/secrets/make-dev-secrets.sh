#!/bin/sh
# Development secrets for docker-compose.yml, written 0600 into deploy/secrets/ (git-ignored).
# Production: provide these files from your secret store instead.
set -eu
cd "$(dirname "$0")"
umask 077
rand() { python3 -c 'import secrets,sys; sys.stdout.write(secrets.token_urlsafe(32))'; }
key() { python3 -c 'import os,sys; sys.stdout.buffer.write(os.urandom(32))'; }
[ -f vault_master_key ] || key > vault_master_key
[ -f records_key ] || key > records_key
for name in vault_db_password postgres_password metrics_token keycloak_admin_password \
  ray_auth_token; do
  [ -f "$name" ] || rand > "$name"
done
printf 'postgres:5432:clinvault:clinvault:%s\n' "$(cat postgres_password)" > postgres_pgpass
{ printf 'vault-db:5432:vault:vault:%s\n' "$(cat vault_db_password)"; cat postgres_pgpass; } \
  > vault_side_pgpass
[ -f certs/ca.crt ] || clinvault vault certs --directory certs --server-name vault \
  --client api --client ingest --client prometheus
# the dev CA of the Ray cluster's mutual TLS (each Ray container makes its node certificate)
[ -f ray/ca.crt ] || python3 -m clinvault.ingest.ray_tls ca ray
