#!/usr/bin/env bash
# Writes docker/Dockerfile.gateway and docker/Dockerfile.worker from docker/Dockerfile:
# the shared stages plus one target section, so `docker build -f docker/Dockerfile.<x> .`
# builds the same image as `--target <x>`. With --check, fails if they are out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

render() { # $1 = target name
  printf '# GENERATED from docker/Dockerfile by scripts/sync-dockerfiles.sh: edit that file, then run the script.\n'
  printf '# Builds the %s runtime: docker build -f docker/Dockerfile.%s -t swiftpay-%s .\n' "$1" "$1" "$1"
  awk -v want="$1" '
    /^# ---- target: / { section = $4; }
    section == "" || section == want { print }
  ' docker/Dockerfile
}

status=0
for target in gateway worker; do
  file="docker/Dockerfile.$target"
  if [[ "${1:-}" == "--check" ]]; then
    if ! diff -u "$file" <(render "$target") >/dev/null 2>&1; then
      echo "$file is out of date: run scripts/sync-dockerfiles.sh" >&2
      status=1
    fi
  else
    render "$target" >"$file"
    echo "wrote $file"
  fi
done
exit $status
