#!/bin/bash
# One benchmark round of docs/benchmarks.md "Single sign-on": the argon2id bound, the
# node peer, flask-ceiling and one or more Guichet variants, interleaved, with the CPU
# the gunicorn workers spent per flow (from /proc, warm-up included).
#
#   bench/sso_round.sh "guichet=.|--workers 2 --threads 4" ["label=DIR|GUNICORN FLAGS" ...]
#
# DIR is a checkout of Guichet (`.` for this one; another checkout, e.g. main exported
# with `git archive`, runs with this virtualenv). Environment: DATABASE_URL (a database
# prepared by bench/sso_setup.py), PEER_DIR (an `npm install`ed copy of
# ../shared/peers/node-oidc-provider), CEILING_DIR (../shared/peers/flask-ceiling), SECS/WARM (seconds per line, default 6/1),
# SCEN ("sso login"), CONC ("1 4"), NOPEERS=1 to skip the peers.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
GUNICORN=$ROOT/.venv/bin/gunicorn
BENCH=$ROOT/bench/sso_bench.py
SECS=${SECS:-6}; WARM=${WARM:-1}; SCEN=${SCEN:-"sso login"}; CONC=${CONC:-"1 4"}
PEER_DIR=${PEER_DIR:-/tmp/perf_peer}
CEILING_DIR=${CEILING_DIR:-$ROOT/../shared/peers/flask-ceiling}  # run from /work/main
export SECRET_KEY=${SECRET_KEY:-bench-secret} PUBLIC_URL=http://127.0.0.1:8400 \
       LOGIN_RATE_LIMIT=1000000/minute   # the sign-in limit would stop scenario (b)
USERS="--user b.essai0 --user b.essai1 --user b.essai2 --user b.essai3"
COMMON="--seconds $SECS --warmup $WARM"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT

worker_ticks() {  # CPU ticks (1/100 s) of the children of gunicorn master $1
  local total=0
  for child in $(pgrep -P "$1"); do
    read -r utime stime < <(cut -d' ' -f14,15 "/proc/$child/stat")
    total=$((total + utime + stime))
  done
  echo $total
}

timed() {  # timed MASTER_PID bench arguments...: one bench line + workers' CPU per flow
  local master=$1; shift
  local before after out rate
  before=$(worker_ticks "$master")
  out=$("$PY" "$BENCH" "$@" $COMMON)
  after=$(worker_ticks "$master")
  rate=$(echo "$out" | awk '{print $4}')
  echo "$out  | workers $(python3 -c "r=float('$rate'); print(round(($after-$before)*10/(r*($SECS+$WARM)),1) if r else '-')") ms CPU/flow"
}

if [ -z "${NOPEERS:-}" ]; then
  (cd "$PEER_DIR" && PORT=3400 exec node provider.mjs >/tmp/sso_round_node.log 2>&1) & pids+=($!)
  (cd "$CEILING_DIR" && exec "$GUNICORN" --preload -w 2 -b 127.0.0.1:39420 'null_op:app' \
      >/tmp/sso_round_ceiling.log 2>&1) & pids+=($!)
  sleep 3
  "$PY" "$ROOT/bench/hash_bound.py" --seconds "$SECS"
fi
uptime
for variant in "$@"; do
  label=${variant%%=*}; rest=${variant#*=}; dir=${rest%%|*}; flags=${rest#*|}
  (cd "$dir" && exec "$GUNICORN" $flags --bind 127.0.0.1:8400 'guichet:create_app()' \
      >"/tmp/sso_round_$label.log" 2>&1) &
  master=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:8400/healthz >/dev/null && break; sleep 0.2; done
  sleep 4  # every worker has imported the app: its boot is not counted as flow CPU
  if [ -z "${NOPEERS:-}" ]; then
    for sc in $SCEN; do for c in $CONC; do
      "$PY" "$BENCH" --issuer http://127.0.0.1:3400 --label node --scenario "$sc" --concurrency "$c" $COMMON
    done; done
    for c in $CONC; do
      timed "${pids[1]}" --issuer http://127.0.0.1:39420 --label ceiling --scenario sso --concurrency "$c"
    done
  fi
  for sc in $SCEN; do for c in $CONC; do
    timed "$master" --issuer http://127.0.0.1:8400 $USERS --password Bench1234 --label "$label" \
        --scenario "$sc" --concurrency "$c"
  done; done
  kill "$master"; wait "$master" 2>/dev/null
done
uptime
