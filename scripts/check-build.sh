#!/usr/bin/env bash
# Does what docker/Dockerfile does, without Docker, and checks the result runs:
#   1. `npm run build` into a temporary dist/ (the build stage),
#   2. `npm ci --omit=dev` beside it (the prod-deps stage; CHECK_BUILD_PROD_DEPS=0 links
#      the repo's node_modules instead, faster but blind to a runtime import of a dev dependency),
#   3. starts `node dist/gateway/main.js` (PORT) and `node dist/worker/main.js`
#      (WORKER_HEALTH_PORT) on random free ports, waits for GET /api/health/live = 200 on each
#      (with docker/healthcheck.cjs, the image's HEALTHCHECK), then sends SIGTERM (the image's
#      STOPSIGNAL) and checks both exit within the grace period.
#
# Dependencies come from the environment: REDIS_URL or REDIS_HOST/..., RABBITMQ_URL
# (defaults: the local Redis and RabbitMQ). MONGODB_URI: when unset, an in-process CongoServer
# (dev dependency @push.rocks/smartmongo) is started for the run.
# Knobs: CHECK_BUILD_TIMEOUT (s, default 60) for each runtime to become live,
#        CHECK_BUILD_STOP_TIMEOUT (s, default 30, compose's stop_grace_period) to exit on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

live_timeout=${CHECK_BUILD_TIMEOUT:-60}
stop_timeout=${CHECK_BUILD_STOP_TIMEOUT:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/swiftpay-check-build.XXXXXX")
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "check-build: FAIL: $*" >&2; exit 1; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

for main in src/gateway/main.ts src/worker/main.ts; do
  [[ -f "$main" ]] || fail "$main does not exist yet: nothing to build and start"
done

echo "check-build: build stage: npm run build -> $work/app/dist"
mkdir -p "$work/app"
npm run --silent build -- --outDir "$work/app/dist"
for js in dist/gateway/main.js dist/worker/main.js; do
  [[ -f "$work/app/$js" ]] || fail "the build produced no $js"
done
if find "$work/app/dist" -name '*.test.js' | grep -q .; then fail "tests were compiled into dist/"; fi

cp package.json package-lock.json "$work/app/"
if [[ "${CHECK_BUILD_PROD_DEPS:-1}" == "1" ]]; then
  echo "check-build: prod-deps stage: npm ci --omit=dev"
  (cd "$work/app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
else
  ln -s "$repo/node_modules" "$work/app/node_modules"
fi
cp docker/healthcheck.cjs "$work/app/healthcheck.cjs"

if [[ -z "${MONGODB_URI:-}" ]]; then
  mongo_port=$(free_port)
  echo "check-build: MONGODB_URI unset: starting CongoServer on 127.0.0.1:$mongo_port"
  node --input-type=module -e "
    const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js')
    const server = new CongoServer({ port: $mongo_port, host: '127.0.0.1' })
    await server.start()
    const stop = () => server.stop().finally(() => process.exit(0))
    process.on('SIGTERM', stop); process.on('SIGINT', stop)
    setInterval(() => {}, 1 << 30)
  " >"$work/congo.log" 2>&1 &
  pids+=($!)
  export MONGODB_URI="mongodb://127.0.0.1:$mongo_port/swiftpay_check_build?serverMonitoringMode=poll"
  for _ in $(seq 1 40); do
    node -e "require('net').connect($mongo_port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" && break
    sleep 0.25
  done
fi

export JWT_SECRET="${JWT_SECRET:-check-build-secret-0123456789abcdef0123456789}"
export NODE_ENV=production
gateway_port=$(free_port)
worker_port=$(free_port)

start() { # name, then env assignments for it
  local name=$1; shift
  (cd "$work/app" && exec env -u PORT -u WORKER_HEALTH_PORT "$@" node "dist/$name/main.js") >"$work/$name.log" 2>&1 &
  pids+=($!)
  eval "${name}_pid=$!"
}

wait_live() { # name, pid, port
  local name=$1 pid=$2 port=$3 deadline=$((SECONDS + live_timeout))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- $name log ---" >&2; tail -n 50 "$work/$name.log" >&2
      fail "$name exited before answering /api/health/live"
    fi
    if node "$work/app/healthcheck.cjs" "$port"; then echo "check-build: $name live on :$port"; return 0; fi
    sleep 0.5
  done
  echo "--- $name log ---" >&2; tail -n 50 "$work/$name.log" >&2
  fail "$name not live on :$port after ${live_timeout}s"
}

stops_on_sigterm() { # name, pid
  local name=$1 pid=$2 deadline=$((SECONDS + stop_timeout)) code
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "--- $name log ---" >&2; tail -n 50 "$work/$name.log" >&2
      fail "$name still running ${stop_timeout}s after SIGTERM"
    fi
    sleep 0.25
  done
  code=0; wait "$pid" || code=$?
  echo "check-build: $name stopped on SIGTERM (exit $code)"
}

start gateway PORT="$gateway_port"
start worker WORKER_HEALTH_PORT="$worker_port"
# shellcheck disable=SC2154 # set by start()
wait_live gateway "$gateway_pid" "$gateway_port"
# shellcheck disable=SC2154
wait_live worker "$worker_pid" "$worker_port"
stops_on_sigterm gateway "$gateway_pid"
stops_on_sigterm worker "$worker_pid"
echo "check-build: OK"
