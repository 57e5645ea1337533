#!/bin/bash
# One benchmark round of docs/benchmarks.md "Single sign-on": the argon2id bound, the
# node peer in PostgreSQL (with one argon2id verification per sign-in) and in memory,
# flask-ceiling, and one or more Guichet variants, interleaved, with the CPU the
# workers spent per flow (from /proc, warm-up included).
#
#   bench/sso_round.sh "guichet=.|WEB_WORKERS=2 WEB_THREADS=2" ["label=DIR|SETTINGS" ...]
#
# DIR is a checkout of Guichet (`.` for this one; another checkout, e.g. main exported
# with `git archive`, runs with this virtualenv). SETTINGS are environment assignments
# for `guichet serve` (WEB_WORKERS, WEB_THREADS…: docs/operations.md «Serving»), the
# production server, so that what is measured is what runs. Environment: DATABASE_URL
# (a database prepared by bench/sso_setup.py), PEER_DATABASE_URL (a database of its
# own for the node peer; unset: no PostgreSQL peer), PEER_DIR (an `npm install`ed
# copy of ../shared/peers/node-oidc-provider), CEILING_DIR
# (../shared/peers/flask-ceiling), CEILING_FLAGS (gunicorn flags of the ceiling,
# default its README's `--preload -w 2`), SECS/WARM (seconds per line, default 6/1),
# SCEN ("sso login"), CONC ("1 4"), NOPEERS=1 to skip the peers, G_PORT, NODE_PORT,
# NODE_PG_PORT, CEILING_PORT (8400, 3400, 3401, 39420). The server-software
# experiment: a variant whose SETTINGS hold `SERVER=granian` runs under granian instead
# of `guichet serve`, and CEILING_GRANIAN=1 adds the ceiling under granian
# (CEILING_PORT2, 39421) beside the one under gunicorn.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
GUNICORN=$ROOT/.venv/bin/gunicorn
BENCH=$ROOT/bench/sso_bench.py
SECS=${SECS:-6}; WARM=${WARM:-1}; SCEN=${SCEN:-"sso login"}; CONC=${CONC:-"1 4"}
PEER_DIR=${PEER_DIR:-/tmp/perf_peer}
CEILING_DIR=${CEILING_DIR:-$ROOT/../shared/peers/flask-ceiling}  # run from /work/main
CEILING_FLAGS=${CEILING_FLAGS:-"--preload -w 2"}
# Ports (another round may run beside on a shared machine: move them all).
G_PORT=${G_PORT:-8400}; NODE_PORT=${NODE_PORT:-3400}; NODE_PG_PORT=${NODE_PG_PORT:-3401}
CEILING_PORT=${CEILING_PORT:-39420}; CEILING_PORT2=${CEILING_PORT2:-39421}
GRANIAN=$ROOT/.venv/bin/granian
export SECRET_KEY=${SECRET_KEY:-bench-secret} PUBLIC_URL=http://127.0.0.1:$G_PORT \
       LOGIN_RATE_LIMIT=1000000/minute   # the sign-in limit would stop scenario (b)
USERS="--user b.essai0 --user b.essai1 --user b.essai2 --user b.essai3"
COMMON="--seconds $SECS --warmup $WARM"

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT

worker_ticks() {  # CPU ticks (1/100 s) of the children of server process $1
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

node_lines() {  # node_lines PORT LABEL: every scenario and concurrency against a node peer
  for sc in $SCEN; do for c in $CONC; do
    "$PY" "$BENCH" --issuer "http://127.0.0.1:$1" --label "$2" --scenario "$sc" --concurrency "$c" $COMMON
  done; done
}

if [ -z "${NOPEERS:-}" ]; then
  (cd "$PEER_DIR" && PORT=$NODE_PORT exec env -u PEER_DATABASE_URL -u PEER_ARGON2 node provider.mjs \
      >/tmp/sso_round_node.log 2>&1) & pids+=($!)
  if [ -n "${PEER_DATABASE_URL:-}" ]; then
    (cd "$PEER_DIR" && PORT=$NODE_PG_PORT PEER_ARGON2=1 exec node provider.mjs \
        >/tmp/sso_round_node_pg.log 2>&1) & pids+=($!)
  fi
  if [ "$CEILING_PORT" != 39420 ]; then  # its issuer names port 39420: a copy names ours
    copy=$(mktemp -d); sed "s/39420/$CEILING_PORT/" "$CEILING_DIR/null_op.py" >"$copy/null_op.py"
    CEILING_DIR=$copy
  fi
  (cd "$CEILING_DIR" && exec "$GUNICORN" $CEILING_FLAGS -b 127.0.0.1:$CEILING_PORT 'null_op:app' \
      >/tmp/sso_round_ceiling.log 2>&1) & ceiling=$!; pids+=($ceiling)
  if [ -n "${CEILING_GRANIAN:-}" ]; then  # the ceiling under granian too (2 workers)
    # granian has no --preload: its workers would each make a key, and a token signed by
    # one would fail against the JWKS served by the other. The copy reads one key made here.
    copy2=$(mktemp -d)
    "$PY" -c 'import sys; from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import rsa
k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
open(sys.argv[1], "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))' \
        "$copy2/key.pem"
    sed -e "s/39420/$CEILING_PORT2/" \
        -e 's|^_key = rsa.generate_private_key(.*|from cryptography.hazmat.primitives.serialization import load_pem_private_key; _key = load_pem_private_key(open("key.pem", "rb").read(), None)|' \
        "$CEILING_DIR/null_op.py" >"$copy2/null_op.py"
    grep -q load_pem_private_key "$copy2/null_op.py" || { echo "ceiling copy: key line not found" >&2; exit 1; }
    (cd "$copy2" && exec "$GRANIAN" --interface wsgi --workers 2 --host 127.0.0.1 \
        --port $CEILING_PORT2 null_op:app >/tmp/sso_round_ceiling_granian.log 2>&1) &
    ceiling_granian=$!; pids+=($ceiling_granian)
  fi
  sleep 3
  "$PY" "$ROOT/bench/hash_bound.py" --seconds "$SECS"
fi
uptime
for variant in "$@"; do
  label=${variant%%=*}; rest=${variant#*=}; dir=${rest%%|*}; settings=${rest#*|}
  if [[ " $settings " == *" SERVER=granian "* ]]; then
    # The server-software experiment (docs/benchmarks.md): the same application under
    # granian's WSGI interface, WEB_WORKERS processes of WEB_THREADS blocking threads.
    (cd "$dir" && eval "$settings" && exec "$GRANIAN" --interface wsgi --factory \
        --workers "${WEB_WORKERS:-2}" --blocking-threads "${WEB_THREADS:-2}" \
        --host 127.0.0.1 --port $G_PORT --working-dir "$dir" guichet:create_app \
        >"/tmp/sso_round_$label.log" 2>&1) &
  else
    # `guichet serve` from DIR's code (`python -c` puts the working directory first).
    (cd "$dir" && exec env $settings "$PY" -c 'from guichet.main import main; main()' \
        serve --bind 127.0.0.1:$G_PORT >"/tmp/sso_round_$label.log" 2>&1) &
  fi
  master=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$G_PORT/healthz >/dev/null && break; sleep 0.2; done
  sleep 4  # every worker has imported the app: its boot is not counted as flow CPU
  if [ -z "${NOPEERS:-}" ]; then
    [ -n "${PEER_DATABASE_URL:-}" ] && node_lines $NODE_PG_PORT node-pg
    node_lines $NODE_PORT node-mem
    for c in $CONC; do
      timed "$ceiling" --issuer http://127.0.0.1:$CEILING_PORT --label ceiling --scenario sso --concurrency "$c"
      if [ -n "${CEILING_GRANIAN:-}" ]; then
        timed "$ceiling_granian" --issuer http://127.0.0.1:$CEILING_PORT2 --label ceiling-granian \
            --scenario sso --concurrency "$c"
      fi
    done
  fi
  for sc in $SCEN; do for c in $CONC; do
    timed "$master" --issuer http://127.0.0.1:$G_PORT $USERS --password Bench1234 --label "$label" \
        --scenario "$sc" --concurrency "$c"
  done; done
  kill "$master"; wait "$master" 2>/dev/null
done
uptime
