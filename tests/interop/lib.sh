# Helpers for run.sh: work dirs, free ports, starting/stopping `serve`, sipp counters, PASS/FAIL lines.
# Sourced by run.sh; every external command is bounded with timeout and every process started here
# is recorded in $CASE_PIDS so the case's EXIT trap stops it.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
INTEROP=$ROOT/tests/interop
BIN=${REGISTRAR_BIN:-$ROOT/dist/registrar-linux-x64}
ARM_BIN=${REGISTRAR_ARM64_BIN:-$ROOT/dist/registrar-linux-arm64}
DENO=$ROOT/node_modules/.bin/deno
SIPP_SCEN=$INTEROP/sipp
# How long one `serve` may live at most (a safety net; cases stop theirs long before).
SERVE_LIMIT=${SERVE_LIMIT:-300}

CASE=${CASE:-}
CASE_DIR=${CASE_DIR:-}
CASE_PIDS=()
CASE_START=0

# ms since the epoch
now_ms() { date +%s%3N; }

# Seconds since the case started, one decimal.
elapsed() { awk -v a="$CASE_START" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# secs MS: milliseconds as seconds with one decimal.
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# Stops every process this case started (TERM, then KILL after 3 s), children of `timeout` included.
stop_case_pids() {
  local pid child
  for pid in "${CASE_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 30); do
    local alive=0
    for pid in "${CASE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${CASE_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      for child in $(pgrep -P "$pid" 2>/dev/null); do kill -KILL "$child" 2>/dev/null || true; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  CASE_PIDS=()
}

# begin_case NAME: called first in a case's subshell.
begin_case() {
  CASE=$1
  CASE_DIR=$WORK/$CASE
  mkdir -p "$CASE_DIR"
  CASE_START=$(now_ms)
  trap stop_case_pids EXIT
}

pass() {
  echo "PASS $CASE ($*, $(elapsed) s)"
  echo PASS >>"$WORK/results"
  exit 0
}

# fail WHY: prints the FAIL line (and, with INTEROP_VERBOSE=1, the case's logs) and ends the case.
fail() {
  echo "FAIL $CASE: $* [$(elapsed) s; logs in $CASE_DIR]"
  echo FAIL >>"$WORK/results"
  if [[ ${INTEROP_VERBOSE:-0} == 1 ]]; then
    for f in "$CASE_DIR"/*.log "$CASE_DIR"/*.out; do
      [[ -f $f ]] && { echo "----- $f"; tail -n 40 "$f"; }
    done
  fi
  exit 1
}

# need TOOL...: a missing tool fails the case (CI installs them).
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || [[ -x $t ]] || fail "missing tool: $t (see deploy/INSTALL.md, 'Interop suite')"
  done
}

# A UDP port on 127.0.0.1 that was free a moment ago (for clients that need a fixed local port).
free_port() {
  timeout 5 node -e 'const s=require("node:dgram").createSocket("udp4");s.bind(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_serve LOG CMD... : runs CMD (a registrar `serve` command line) with --listen 127.0.0.1:0
# in the background and waits up to $READY_WAIT s for its `ready` line; sets SRV_PID (the
# `timeout` wrapper) and SRV_PORT (the port it bound).
start_serve() {
  local log=$1
  shift
  timeout -k 5 "$SERVE_LIMIT" "$@" --listen 127.0.0.1:0 >"$log" 2>&1 &
  SRV_PID=$!
  CASE_PIDS+=("$SRV_PID")
  SRV_PORT=
  local i limit=$((${READY_WAIT:-15} * 10))
  for ((i = 0; i < limit; i++)); do
    SRV_PORT=$(sed -n 's/.* ready listen=udp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    [[ -n $SRV_PORT ]] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "serve did not log ready: $(tail -n 3 "$log" | tr '\n' ' ')"
}

# stop_serve: SIGTERM, as systemd and Ctrl-C do; waits up to 5 s for a clean exit.
stop_serve() {
  kill -TERM "$SRV_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SRV_PID" 2>/dev/null; then
    fail "serve did not stop within 5 s of SIGTERM"
  fi
  wait "$SRV_PID" 2>/dev/null || true
}

# kill9_serve: kill -9 the registrar process itself (not its timeout wrapper).
kill9_serve() {
  local child
  child=$(pgrep -P "$SRV_PID" | head -n 1)
  [[ -n $child ]] || fail "cannot find the serve process under pid $SRV_PID"
  kill -KILL "$child"
  wait "$SRV_PID" 2>/dev/null || true
}

# reg ARGS...: the compiled CLI, bounded.
reg() { timeout 30 "$BIN" "$@"; }

# binding_count DATA_DIR [CLI...]: number of bindings `list --json` reports (via a file: never a pipe).
binding_count() {
  local data=$1
  shift
  local cli=("$@")
  ((${#cli[@]})) || cli=("$BIN")
  local out=$CASE_DIR/list.json
  timeout 60 "${cli[@]}" list --data "$data" --json >"$out" 2>"$CASE_DIR/list.err" || {
    echo "list failed: $(cat "$CASE_DIR/list.err")" >&2
    echo -1
    return
  }
  jq length "$out" 2>/dev/null || echo -1
}

# sipp_stat FILE COLUMN: the cumulative counter COLUMN (e.g. SuccessfulCall(C)) on the last line of
# a sipp -trace_stat file.
sipp_stat() {
  awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
    { last = $c } END { print (c ? last : "?") }' "$1"
}

# gen_users N PREFIX DOMAIN CSV TXT: a sipp injection file (the make_users.sh layout) and the
# matching `registrar user import` file.
gen_users() {
  local n=$1 prefix=$2 domain=$3 csv=$4 txt=$5
  awk -v n="$n" -v p="$prefix" -v d="$domain" -v csv="$csv" -v txt="$txt" 'BEGIN {
    print "SEQUENTIAL" > csv
    for (i = 1; i <= n; i++) {
      u = sprintf("%s%04d", p, i); pw = "pw-" u
      printf "%s;%s;[authentication username=%s password=%s];%s\n", u, d, u, pw, pw > csv
      printf "%s@%s:%s\n", u, d, pw > txt
    }
  }'
}

# sipp_run NAME SCENARIO TARGET_PORT ARGS...: runs sipp from $CASE_DIR (its files land there) with
# the options tests/interop/README.md found necessary; stats in NAME.stat, screen in NAME.out.
sipp_run() {
  local name=$1 scen=$2 port=$3
  shift 3
  local lport mport
  lport=$(free_port)
  mport=$(free_port)
  (cd "$CASE_DIR" && timeout -k 5 "${SIPP_LIMIT:-60}" sipp "127.0.0.1:$port" -sf "$SIPP_SCEN/$scen" \
    -i 127.0.0.1 -p "$lport" -mp "$mport" -timer_resol 1 -default_behaviors all,-bye -nostdin \
    -trace_err -error_file "$CASE_DIR/$name.err" -trace_stat -stf "$CASE_DIR/$name.stat" "$@" \
    >"$CASE_DIR/$name.out" 2>&1)
}
