#!/usr/bin/env bash
# Checks the deployment files without a Docker engine:
#   - docker-compose.yml with the Compose CLI (`docker compose` v2, or Debian's docker-compose 1.29:
#     `apt-get install -y docker-compose`), with the defaults and with .env.example;
#   - the credentials that go unencoded into MONGODB_URI / RABBITMQ_URL (from .env when present,
#     else .env.example) are URL-safe;
#   - docker/Dockerfile.gateway and .worker are in sync with docker/Dockerfile.
# The structural checks (healthchecks, depends_on, scaling, env vars) are in test/deploy/.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else echo "check-compose: no Compose CLI (apt-get install -y docker-compose)" >&2; exit 1; fi
echo "check-compose: $("${compose[@]}" version | head -n 1)"
# JWT_SECRET has no default (compose refuses to start without one): validate with a stand-in,
# and check that without one it really refuses.
check_secret=check-compose-stand-in-secret-0123456789abcdef
JWT_SECRET=$check_secret "${compose[@]}" -f docker-compose.yml config -q
JWT_SECRET=$check_secret "${compose[@]}" --env-file .env.example -f docker-compose.yml config -q
if env -u JWT_SECRET "${compose[@]}" --env-file .env.example -f docker-compose.yml config -q 2>/dev/null; then
  echo "check-compose: docker-compose.yml starts without JWT_SECRET: it must require one" >&2
  exit 1
fi
echo "check-compose: docker-compose.yml is valid"

envfile=.env; [[ -f $envfile ]] || envfile=.env.example
status=0
for name in MONGO_ROOT_USERNAME MONGO_ROOT_PASSWORD MONGO_DATABASE RABBITMQ_USER RABBITMQ_PASSWORD; do
  value=$(sed -n "s/^$name=//p" "$envfile" | tail -n 1)
  if [[ -n "$value" && ! "$value" =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "check-compose: $name in $envfile has characters that break the connection URL: use [A-Za-z0-9._~-]" >&2
    status=1
  fi
done

bash scripts/sync-dockerfiles.sh --check || status=1
[[ $status == 0 ]] && echo "check-compose: OK"
exit $status
