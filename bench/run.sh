#!/usr/bin/env bash
# bench/run.sh: sipp load against ours and the Kamailio reference; raw figures in bench/results/.
#
#   bench/run.sh [rate|latency|steady|memory|restart|disk|idle|all|pair ...]  (default: all)
#
# Systems, run alternately within every round: ours (dist/registrar-linux-x64, SQLite,
# synchronous=FULL), kam-mem (Kamailio usrloc in memory), kam-sql (usrloc written through to
# SQLite). Not in the default list: kam-mem-authdb, kam-mem whose auth looks each user's HA1 up in
# a SQLite subscriber table (auth_db) as ours looks in its users table, where kam-mem computes the
# password from the username; without auth it is kam-mem. The order rotates from round to round
# (A B C, B C A, C A B, ...): in an A/B of two builds run both ways round, the one run first read
# about 2 us (4 %) more CPU per REGISTER, which a fixed order charges to one system
# (bench/RESULTS.md, sixth sitting).
# Every server is started and stopped here, on 127.0.0.1 only, under `timeout`.
# Environment (defaults in brackets):
#   ROUNDS [3]          rounds of the rate and latency phases
#   SYSTEMS ["ours kam-mem kam-sql"], AUTHS ["noauth auth"]
#   STEP_SECONDS [10]   length of one load step
#   LADDER              REGISTER/s steps of the rate search ["1000 1500 2000 3000 4000 5000 6000
#                       7000 8000 10000 12000 14000 16000 18000 20000 24000 28000 32000 36000
#                       40000"]
#   PRELOAD_SECONDS [2] in the rate and latency phases, every fresh server (each system alike)
#                       first runs at the step's rate for this many whole seconds, not measured,
#                       on the first PRELOAD_USERS [5000] users of the file (past them sipp
#                       starts over: re-registrations); the step then registers the others. So a
#                       step measures a server running at that rate, not its first second: on a
#                       fresh server ours answered 12,000/s with auth at p99 92-440 ms, nearly all
#                       of it in the first 0.5 s (Bun's JIT still compiling), and after such a
#                       preload at 8-24 ms in five runs of six (RESULTS, nineteenth sitting).
#                       0: none, as up to then
#   PRELOAD_RATE        the preload's rate instead of the step's
#   LAT_RATE [2000]     the fixed moderate rate of the latency phase (plus half of ours' max)
#   STEADY_RATE [4000]  rate of the steady phase: CPU per REGISTER of a warmed-up server
#                       (STEADY_WARM_SECONDS [30] of load first, then STEADY_SECONDS [15] measured)
#   PAIR_RATE [2000]    the pair phase (not in "all"): the two PAIR_SYSTEMS ["ours ours-base"] at
#                       once, each loaded by its own sipp at this rate (half with auth), warmed
#                       and measured as in the steady phase, on OURS_PORT and OURS_PORT + 2
#                       (swapped each round); e.g. PAIR_SYSTEMS="ours kam-mem"
#   USERS [400000]      distinct users in the injection file (10 s at 40,000/s never wraps)
#   SIPP_BUFFER [4194304] sipp's socket buffers (-buff_size): one sipp socket stands for all the
#                       phones, and its 64 KiB default overflowed when a server answered a batch
#                       at once (the kernel caps this at net.core.rmem_max / wmem_max)
#   IDLE_SECONDS [60]   idle CPU window
#   BIN [dist/registrar-linux-x64]; OURS_PORT [5180] KAM_PORT [5170] SIPP_PORT [5192]
#   KAMAILIO_RCVBUF [2097152] the most Kamailio may raise its UDP receive buffer to (its `-b`;
#                       bench/kamailio/run.sh): by default what ours asks for its own socket
#   BASE_BIN            a second build of ours, run as system "ours-base" (before/after figures)
#   WARM_UP [10000]     ours' `--warm-up`: registrations through an in-memory copy of its request
#                       path before its socket opens, so that a fresh server per step is not
#                       measured while its JIT compiles (0: none)
#   BASE_WARM_UP        ours-base's `--warm-up` (unset: not passed; builds before fee09e3 lack it)
#   OURS_ENV            variables ours runs with, "NAME=value ..." [the Environment= lines of
#                       deploy/registrar.service: the installed configuration]; "" for none
#   BASE_ENV            the same for ours-base [OURS_ENV]
#   COUNTERS [auto]     the steady phase also reads the servers' instructions and cycles with
#                       `perf stat` (linux-perf) when it can; "off" skips them
#   BENCH_WORK [/tmp/registrar-bench] data directories (must be a real disk: disk phase);
#   logs go to /dev/shm so they do not count as disk writes.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/bench
ROUNDS=${ROUNDS:-3}
SYSTEMS=${SYSTEMS:-"ours kam-mem kam-sql"}
AUTHS=${AUTHS:-"noauth auth"}
STEP_SECONDS=${STEP_SECONDS:-10}
LADDER=${LADDER:-"1000 1500 2000 3000 4000 5000 6000 7000 8000 10000 12000 14000 16000 18000 20000 24000 28000 32000 36000 40000"}
LAT_RATE=${LAT_RATE:-2000}
STEADY_RATE=${STEADY_RATE:-4000}
STEADY_WARM_SECONDS=${STEADY_WARM_SECONDS:-30}
STEADY_SECONDS=${STEADY_SECONDS:-15}
PAIR_RATE=${PAIR_RATE:-2000}
PRELOAD_SECONDS=${PRELOAD_SECONDS:-2}
PRELOAD_RATE=${PRELOAD_RATE:-}
PRELOAD_USERS=${PRELOAD_USERS:-5000}
PAIR_SYSTEMS=${PAIR_SYSTEMS:-"ours ours-base"}
USERS=${USERS:-400000}
SIPP_BUFFER=${SIPP_BUFFER:-4194304}
IDLE_SECONDS=${IDLE_SECONDS:-60}
BIN=${BIN:-$root/dist/registrar-linux-x64}
WARM_UP=${WARM_UP:-10000}
# Unset takes the default; set and empty means none.
OURS_ENV=${OURS_ENV-$(sed -n 's/^Environment=//p' "$root/deploy/registrar.service" | paste -sd ' ' -)}
BASE_ENV=${BASE_ENV-$OURS_ENV}
OURS_PORT=${OURS_PORT:-5180}
KAM_PORT=${KAM_PORT:-5170}
SIPP_PORT=${SIPP_PORT:-5192}
SIPP_MEDIA_PORT=${SIPP_MEDIA_PORT:-26000}
WORK=${BENCH_WORK:-/tmp/registrar-bench}
LOGS=${BENCH_LOGS:-/dev/shm/registrar-bench-logs}
OUT=${BENCH_OUT:-$here/results}
SERVER_TIMEOUT=${SERVER_TIMEOUT:-900} # no server outlives this, whatever happens to this script
MAX_P99_MS=50
MAX_FAIL_RATIO=0.001
CLK_TCK=$(getconf CLK_TCK)
COUNTERS=${COUNTERS:-auto}
HAVE_COUNTERS=0 # set by check_prerequisites

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- prerequisites
check_prerequisites() {
  local missing=()
  command -v sipp >/dev/null || missing+=("sipp (apt-get install sip-tester)")
  command -v kamailio >/dev/null || missing+=("kamailio (apt-get install kamailio)")
  [[ -r /usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so ]] ||
    missing+=("Kamailio's SQLite module (apt-get install kamailio-sqlite-modules)")
  command -v sqlite3 >/dev/null || missing+=("sqlite3 CLI (apt-get install sqlite3)")
  command -v node >/dev/null || missing+=("node (for bench/tools/sip_probe.mjs)")
  command -v timeout >/dev/null || missing+=("timeout (coreutils)")
  [[ -x $BIN ]] || missing+=("$BIN (run: make build)")
  [[ -r /proc/self/io ]] || missing+=("/proc/PID/io (kernel task I/O accounting, for the disk phase)")
  if ((${#missing[@]} > 0)); then
    echo "bench: missing prerequisites:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  # Hardware counters are optional: a VM may not expose them, and perf may be missing.
  # (perf's output is read whole first: `grep -q` ending a pipe early fails it under pipefail.)
  HAVE_COUNTERS=0
  if [[ $COUNTERS != off ]] && command -v perf >/dev/null; then
    local probe
    probe=$(perf stat -x, -e instructions,cycles -- true 2>&1) || true
    [[ $probe =~ (^|$'\n')[0-9]+,[^,]*,instructions ]] && HAVE_COUNTERS=1
  fi
  local port
  for port in "$OURS_PORT" "$KAM_PORT" "$SIPP_PORT"; do
    if ss -Huln "sport = :$port" | grep -q .; then
      die "UDP port $port is in use; set OURS_PORT/KAM_PORT/SIPP_PORT to free ones"
    fi
  done
}

# ---------------------------------------------------------------- processes and /proc
STARTED=() # wrapper pids of every server we started, stopped on exit
SRV_WRAPPER="" SRV_SYS="" SRV_PORT="" SRV_RUNDIR=""

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  [[ -n $SRV_SYS ]] && stop_server || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server's processes: ours is the child of its `timeout`; Kamailio is the pid file's process
# and its children (UDP workers, timers).
server_pids() {
  if [[ $SRV_SYS == ours* ]]; then
    pgrep -P "$SRV_WRAPPER" || true
  else
    local main
    main=$(cat "$SRV_RUNDIR/kamailio.pid" 2>/dev/null) || return 0
    echo "$main"
    pgrep -P "$main" || true
  fi
}

# utime+stime of every thread of the server's processes, one "TID TICKS" line each.
thread_ticks() {
  local pid
  for pid in $(server_pids); do
    # A thread's name may hold spaces: fields are counted after its closing parenthesis.
    awk '{ sub(/^.*\) /, ""); print FILENAME, $12 + $13 }' /proc/"$pid"/task/*/stat 2>/dev/null || true
  done
}

# The idle ticks of all CPUs together (idle + iowait; the first line of /proc/stat).
box_ticks() {
  awk '$1 == "cpu" { print $5 + $6; exit }' /proc/stat
}

# step_cores THREAD_TICKS BOX_TICKS SECONDS TIMES_FILE: where the box's CPU went over SECONDS
# since the two snapshots, in cores (1.00 = one core all the time): the server's busiest thread
# (ours' JavaScript thread, one of Kamailio's processes), sipp (TIMES_FILE: `times` of the
# subshell that ran it), and what no process used. They tell what limited a step: the server's
# one thread, sipp, or the box.
step_cores() {
  local hz top sipp idle
  hz=$(getconf CLK_TCK)
  top=$(awk -v w="$3" -v hz="$hz" 'NR == FNR { before[$1] = $2; next }
    ($1 in before) && $2 - before[$1] > max { max = $2 - before[$1] }
    END { printf "%.2f\n", (w > 0 ? max / hz / w : 0) }' <(echo "$1") <(thread_ticks))
  # `times`' second line: the children's user and system time, as "XmY.YYYs XmY.YYYs".
  sipp=$(awk -v w="$3" 'NR == 2 {
    s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
    printf "%.2f\n", (w > 0 ? s / w : 0) }' "$4")
  # Idle time over the wall clock, not over /proc/stat's total: with tick-based accounting and
  # an idle CPU's tick stopped, the busy fields miss time (the total grew by 1.6 of 2 cores a
  # second here under load), while the idle field is measured in time.
  idle=$(awk -v a="$2" -v b="$(box_ticks)" -v hz="$hz" -v w="$3" 'BEGIN {
    printf "%.2f\n", (w > 0 ? (b - a) / hz / w : 0) }')
  echo "$top $sipp $idle"
}

# utime+stime of all server processes, in clock ticks.
cpu_ticks() {
  local total=0 pid t
  for pid in $(server_pids); do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + t))
  done
  echo "$total"
}

# Sum of a `key: value kB` line of /proc/PID/status or smaps_rollup over the server's processes.
sum_kb() {
  local file=$1 key=$2 total=0 pid v
  for pid in $(server_pids); do
    v=$(awk -v k="$key:" '$1 == k { print $2 }' "/proc/$pid/$file" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# Bytes the server processes caused to be written to storage (/proc/PID/io write_bytes).
write_bytes() {
  local total=0 pid v
  for pid in $(server_pids); do
    v=$(awk '$1 == "write_bytes:" { print $2 }' "/proc/$pid/io" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# start_server SYSTEM AUTH DATADIR: starts and waits until it answers OPTIONS.
start_server() {
  local sys=$1 auth=$2 dir=$3
  SRV_SYS=$sys
  mkdir -p "$LOGS" "$dir"
  local logfile=$LOGS/$sys-$(date +%s%N).log
  case $sys in
    ours | ours-base)
      SRV_PORT=$OURS_PORT
      local authArgs=(--auth off) bin=$BIN
      local warmArgs=(--warm-up "$WARM_UP") envArgs
      read -r -a envArgs <<<"$OURS_ENV"
      if [[ $sys == ours-base ]]; then
        bin=${BASE_BIN:?ours-base needs BASE_BIN}
        warmArgs=()
        [[ -n ${BASE_WARM_UP:-} ]] && warmArgs=(--warm-up "$BASE_WARM_UP")
        read -r -a envArgs <<<"$BASE_ENV"
      fi
      [[ $auth == auth ]] && authArgs=(--auth required --digest-algorithms MD5)
      env "${envArgs[@]}" timeout -k 5 "$SERVER_TIMEOUT" "$bin" serve --listen "127.0.0.1:$SRV_PORT" --data "$dir" \
        --domain 127.0.0.1 --rate-limit 0 --log-level warn "${authArgs[@]}" "${warmArgs[@]}" >"$logfile" 2>&1 &
      SRV_WRAPPER=$!
      ;;
    kam-mem | kam-sql | kam-mem-authdb)
      SRV_PORT=$KAM_PORT
      SRV_RUNDIR=$dir/run
      mkdir -p "$SRV_RUNDIR"
      rm -f "$SRV_RUNDIR/kamailio.pid"
      local mode=memory extra=()
      [[ $sys == kam-sql ]] && mode=sqlite
      [[ $auth == auth ]] && extra=(-A WITH_AUTH)
      [[ $auth == auth && $sys == kam-mem-authdb ]] &&
        extra+=(-A WITH_AUTH_DB -A "AUTH_DB_URL=\"sqlite://$(subscribers_db)\"")
      KAMAILIO_TIMEOUT=$SERVER_TIMEOUT KAMAILIO_LISTEN="udp:127.0.0.1:$SRV_PORT" \
        KAMAILIO_RUNDIR=$SRV_RUNDIR KAMAILIO_DB=$dir/kamailio.sqlite KAMAILIO_SHM=512 \
        KAMAILIO_PKG=$([[ $mode == sqlite ]] && echo 256 || echo 8) \
        KAMAILIO_KEEP_DB=${KAMAILIO_KEEP_DB:-0} \
        bash "$here/kamailio/run.sh" "$mode" "${extra[@]}" >"$logfile" 2>&1 &
      SRV_WRAPPER=$!
      ;;
    *) die "unknown system $sys" ;;
  esac
  STARTED+=("$SRV_WRAPPER")
  if ! node "$here/tools/sip_probe.mjs" "$SRV_PORT" OPTIONS 30000 >/dev/null; then
    tail -20 "$logfile" >&2
    die "$sys did not answer on 127.0.0.1:$SRV_PORT (log: $logfile)"
  fi
  # Kamailio answers from its first worker while others may still be starting.
  [[ $sys != ours* ]] && sleep 0.5
  return 0
}

stop_server() {
  [[ -z $SRV_SYS ]] && return 0
  local pids
  pids=$(server_pids)
  if [[ -n $pids ]]; then
    if [[ $SRV_SYS == ours* ]]; then
      kill -TERM $pids 2>/dev/null || true
    else
      kill -TERM "$(head -1 <<<"$pids")" 2>/dev/null || true # main kamailio stops its children
    fi
  fi
  wait "$SRV_WRAPPER" 2>/dev/null || true
  local keep=()
  for p in "${STARTED[@]}"; do [[ $p != "$SRV_WRAPPER" ]] && keep+=("$p"); done
  STARTED=("${keep[@]}")
  SRV_SYS="" SRV_WRAPPER=""
}

# ---------------------------------------------------------------- data
# The injection file sipp reads; SIPP_USERS names another (the steady phase's second half).
users_csv() { echo "${SIPP_USERS:-$WORK/users-$USERS.csv}"; }
second_half_csv() { echo "$WORK/users-second-half-$USERS.csv"; }
preload_csv() { echo "$WORK/users-first-$PRELOAD_USERS-of-$USERS.csv"; }
after_preload_csv() { echo "$WORK/users-after-$PRELOAD_USERS-of-$USERS.csv"; }
# The rate and latency steps' users: all of them, or those after the preload's.
step_csv() {
  if ((PRELOAD_SECONDS > 0)); then after_preload_csv; else users_csv; fi
}
auth_template() { echo "$WORK/auth-template-$USERS"; }
subscribers_db() { echo "$WORK/kamailio-subscribers-$USERS.sqlite"; }

prepare_users() {
  mkdir -p "$WORK"
  local csv
  csv=$(users_csv)
  if [[ ! -s $csv ]]; then
    bash "$root/tests/interop/make_users.sh" "$USERS" 127.0.0.1 "$csv" 2>/dev/null
  fi
  # The steady phase warms up on the first half of the users and measures on the second.
  if [[ ! -s $(second_half_csv) ]]; then
    awk -v half=$((USERS / 2)) 'NR == 1 || NR > half + 1' "$csv" >"$(second_half_csv)"
  fi
  # The preload's users are the first ones; the steps take the rest (at 40,000/s, 10 s wraps
  # around to refreshes for the last 1.25 % of the calls).
  if [[ ! -s $(preload_csv) ]]; then
    awk -v n="$PRELOAD_USERS" 'NR <= n + 1' "$csv" >"$(preload_csv)"
    awk -v n="$PRELOAD_USERS" 'NR == 1 || NR > n + 1' "$csv" >"$(after_preload_csv)"
  fi
  # ours with auth: the same users as digest users of realm 127.0.0.1 (imported once, copied).
  if [[ ! -s $(auth_template)/registrar.db ]]; then
    log "importing $USERS digest users for ours (once)"
    rm -rf "$(auth_template)"
    awk -F';' 'NR > 1 { print $1 "@" $2 ":" $4 }' "$csv" >"$WORK/users.txt"
    timeout 600 "$BIN" user import "$WORK/users.txt" --data "$(auth_template)" >/dev/null
  fi
  # kam-mem-authdb: the same users and HA1s in Kamailio's subscriber table (read only, shared).
  if [[ " $SYSTEMS $PAIR_SYSTEMS " == *" kam-mem-authdb "* && ! -s $(subscribers_db) ]]; then
    bash "$here/kamailio/create-subscribers.sh" "$(auth_template)/registrar.db" "$(subscribers_db)"
  fi
}

# fresh_dir SYSTEM AUTH: an empty data directory (ours with auth: a copy of the user template).
fresh_dir() {
  local dir=$WORK/data-$1-$2
  rm -rf "$dir"
  mkdir -p "$dir"
  if [[ $1 == ours* && $2 == auth ]]; then
    sqlite3 "$(auth_template)/registrar.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    cp "$(auth_template)/registrar.db" "$dir/"
  fi
  echo "$dir"
}

# ---------------------------------------------------------------- sipp
# run_sipp SCENARIO RATE SECONDS|-m:N [extra sipp args]: prints
#   "created succ fail retrans elapsed_s p50_ms p99_ms"
run_sipp() {
  local scenario=$1 rate=$2 length=$3
  shift 3
  local dir threads0 box0 t0 t1
  dir=$(mktemp -d "$WORK/sipp.XXXXXX")
  threads0=$(thread_ticks)
  box0=$(box_ticks)
  t0=$(date +%s.%N)
  local limit=(-timeout "${length}s")
  [[ $length == -m:* ]] && limit=(-m "${length#-m:}" -timeout 300s)
  (
    cd "$dir"
    timeout -k 5 400 sipp "127.0.0.1:$SRV_PORT" -sf "$here/sipp/$scenario.xml" -inf "$(users_csv)" \
      -key expires 3600 -i 127.0.0.1 -p "$SIPP_PORT" -mp "$SIPP_MEDIA_PORT" -timer_resol 1 \
      -buff_size "$SIPP_BUFFER" \
      -default_behaviors all,-bye -nostdin -r "$rate" -l 5000 "${limit[@]}" \
      -trace_stat -stf stat.csv -fd 3600 -trace_rtt -rtt_freq 1000 "$@" >sipp.out 2>&1 || true
    # The CPU this subshell's children used: sipp's, and timeout's negligible share.
    times >"$dir/times.txt"
  )
  t1=$(date +%s.%N)
  step_cores "$threads0" "$box0" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    "$dir/times.txt" >"$WORK/step-cores.txt"
  local stat=$dir/stat.csv
  [[ -s $stat ]] || { tail -5 "$dir/sipp.out" >&2; die "sipp wrote no statistics ($dir)"; }
  local created succ fail retrans elapsed
  # StartTime and CurrentTime end in epoch seconds with microseconds ("... 1795306681.094908").
  read -r created succ fail retrans elapsed < <(awk -F';' 'END {
    n = split($1, a, /[ \t]/); m = split($3, b, /[ \t]/)
    printf "%d %d %d %d %.3f\n", $12, $16, $18, $58, b[m] - a[n] }' "$stat")
  local pct
  pct=$(cat "$dir"/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 { print $2 }' | sort -g | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "NA NA"; exit }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%d %d\n", v[i50], v[i99] }')
  rm -rf "$dir"
  echo "$created $succ $fail $retrans $elapsed $pct"
}

scenario_of() { [[ $1 == auth ]] && echo register_auth || echo register; }

# socket_drops PORT: datagrams the kernel dropped at the server's socket on 127.0.0.1:PORT because
# its receive buffer was full (the last column of /proc/net/udp). A sipp retransmission follows
# each one after T1 (500 ms).
socket_drops() {
  awk -v p=":$(printf '%04X' "$1")" 'substr($2, length($2) - 4) == p { d += $NF } END { print d + 0 }' \
    /proc/net/udp
}

# preload AUTH RATE: PRELOAD_SECONDS of load at RATE (or PRELOAD_RATE) on the preload users, not
# measured, then a pause for the last answers; nothing when PRELOAD_SECONDS is 0.
preload() {
  ((PRELOAD_SECONDS > 0)) || return 0
  SIPP_USERS=$(preload_csv) run_sipp "$(scenario_of "$1")" "${PRELOAD_RATE:-$2}" "$PRELOAD_SECONDS" >/dev/null
  sleep 0.5
}

# measured_step AUTH RATE: one STEP_SECONDS step on the step users (measured_sipp), its fields
# followed by the datagrams the server's socket dropped during it and by where the box's CPU went
# while sipp ran (run_sipp's step-cores.txt).
measured_step() {
  local drops fields
  drops=$(socket_drops "$SRV_PORT")
  fields=$(SIPP_USERS=$(step_csv) measured_sipp "$(scenario_of "$1")" "$2" "$STEP_SECONDS")
  echo "$fields $(($(socket_drops "$SRV_PORT") - drops)) $(cat "$WORK/step-cores.txt")"
}

# ---------------------------------------------------------------- phases
# The systems in round $1's order: SYSTEMS rotated left by round - 1 (see the header).
systems_of_round() {
  local list=($SYSTEMS) n k out=()
  n=${#list[@]}
  for ((k = 0; k < n; k++)); do out+=("${list[$(((k + $1 - 1) % n))]}"); done
  echo "${out[*]}"
}

# Rate: for each round, auth mode and system, walk the ladder from the last result until a step
# passes and the next one fails. A step passes when sipp achieved >= 97 % of the rate, fewer than
# 0.1 % of calls failed and p99 < 50 ms. A fresh server (empty database) per step, preloaded first
# (see PRELOAD_SECONDS).
phase_rate() {
  local tsv=$OUT/rate.tsv
  echo -e "round\tsystem\tauth\trate\tcreated\tsuccessful\tfailed\tretrans\tdrops\tachieved\tp50_ms\tp99_ms\tcpu_us_per_register\tpass\tserver_top_thread_cores\tsipp_cores\tidle_cores" >"$tsv"
  local ladder=($LADDER)
  declare -A start
  local round auth sys first=0 k
  # The first round starts at the step nearest 4,000/s; later rounds where the last one ended.
  for k in "${!ladder[@]}"; do ((ladder[k] <= 4000)) && first=$k; done
  for ((round = 1; round <= ROUNDS; round++)); do
    for auth in $AUTHS; do
      for sys in $(systems_of_round "$round"); do
        local i=${start[$sys-$auth]:-$first} best=-1 lowest_fail=${#ladder[@]}
        while ((i >= 0 && i < ${#ladder[@]})); do
          local rate=${ladder[$i]} dir
          dir=$(fresh_dir "$sys" "$auth")
          start_server "$sys" "$auth" "$dir"
          preload "$auth" "$rate"
          local created succ fail retrans elapsed p50 p99 cpu drops top sipp idle
          read -r created succ fail retrans elapsed p50 p99 cpu drops top sipp idle \
            < <(measured_step "$auth" "$rate")
          stop_server
          local achieved pass
          achieved=$(awk -v s="$succ" -v e="$elapsed" 'BEGIN { printf "%.0f", (e > 0 ? s / e : 0) }')
          pass=$(awk -v a="$achieved" -v r="$rate" -v f="$fail" -v c="$created" -v p="$p99" \
            -v maxp="$MAX_P99_MS" -v maxf="$MAX_FAIL_RATIO" 'BEGIN {
              ok = a >= 0.97 * r && c > 0 && f / c < maxf && p != "NA" && p + 0 < maxp
              print ok ? "yes" : "no" }')
          echo -e "$round\t$sys\t$auth\t$rate\t$created\t$succ\t$fail\t$retrans\t$drops\t$achieved\t$p50\t$p99\t$cpu\t$pass\t$top\t$sipp\t$idle" >>"$tsv"
          log "rate round $round $sys $auth: $rate/s -> achieved $achieved, failed $fail, dropped $drops, p99 $p99 ms, cpu $cpu us/REGISTER, cores: server thread $top, sipp $sipp, idle $idle: $pass"
          if [[ $pass == yes ]]; then
            ((i > best)) && best=$i
            ((i + 1 >= lowest_fail)) && break
            i=$((i + 1))
          else
            ((i < lowest_fail)) && lowest_fail=$i
            ((best >= 0 && best + 1 >= lowest_fail)) && break
            i=$((i - 1))
          fi
        done
        ((best >= 0)) && start[$sys-$auth]=$best
        local max=0
        ((best >= 0)) && max=${ladder[$best]}
        echo -e "$round\t$sys\t$auth\tMAX\t\t\t\t\t\t$max\t\t\t\t\t\t\t" >>"$tsv"
      done
    done
  done
}

# Latency and CPU per REGISTER at fixed rates: LAT_RATE, and half of ours' median max rate; each
# fresh server preloaded first, as in the rate phase.
phase_latency() {
  local tsv=$OUT/latency.tsv
  echo -e "round\tsystem\tauth\trate\tsuccessful\tfailed\tretrans\tdrops\tp50_ms\tp99_ms\tcpu_us_per_register\tserver_top_thread_cores\tsipp_cores\tidle_cores" >"$tsv"
  local round auth sys rate
  for ((round = 1; round <= ROUNDS; round++)); do
    for auth in $AUTHS; do
      local rates=$LAT_RATE half
      half=$(half_of_ours_max "$auth")
      [[ -n $half && $half != "$LAT_RATE" ]] && rates="$rates $half"
      for rate in $rates; do
        for sys in $(systems_of_round "$round"); do
          local dir
          dir=$(fresh_dir "$sys" "$auth")
          start_server "$sys" "$auth" "$dir"
          preload "$auth" "$rate"
          local created succ fail retrans elapsed p50 p99 cpu drops top sipp idle
          read -r created succ fail retrans elapsed p50 p99 cpu drops top sipp idle \
            < <(measured_step "$auth" "$rate")
          stop_server
          echo -e "$round\t$sys\t$auth\t$rate\t$succ\t$fail\t$retrans\t$drops\t$p50\t$p99\t$cpu\t$top\t$sipp\t$idle" >>"$tsv"
          log "latency round $round $sys $auth $rate/s: p50 $p50 ms, p99 $p99 ms, cpu $cpu us/REGISTER, failed $fail"
        done
      done
    done
  done
}

# Steady: CPU per REGISTER of a server past its start-up. The rate and latency phases start a
# fresh server for every 10 s step, so their CPU figures include start-up work that their 2 s
# preload has not absorbed (for ours, Bun's JIT compiling the code). Here each server first
# takes STEADY_WARM_SECONDS of load, then CPU is counted over a second sipp run of STEADY_SECONDS
# on other users (new bindings, as in the rate phase). Same rate for every system. 30 s, not 5:
# with auth at 2,000/s, Bun's JIT threads still spent ≈ 26 k cycles per call 5-15 s in, none
# 30-40 s in (bench/RESULTS.md, fourteenth sitting).
phase_steady() {
  local tsv=$OUT/steady.tsv
  echo -e "round\tsystem\tauth\trate\tsuccessful\tfailed\tp50_ms\tp99_ms\tcpu_us_per_register\tkinstructions_per_register\tkcycles_per_register" >"$tsv"
  local round auth sys rate
  for ((round = 1; round <= ROUNDS; round++)); do
    for auth in $AUTHS; do
      rate=$STEADY_RATE
      [[ $auth == auth ]] && rate=$((STEADY_RATE / 2))
      for sys in $(systems_of_round "$round"); do
        local dir
        dir=$(fresh_dir "$sys" "$auth")
        start_server "$sys" "$auth" "$dir"
        local created succ fail retrans elapsed p50 p99 cpu kinstr kcycles
        run_sipp "$(scenario_of "$auth")" "$rate" "$STEADY_WARM_SECONDS" >/dev/null
        read -r created succ fail retrans elapsed p50 p99 cpu kinstr kcycles < <(
          SIPP_USERS=$(second_half_csv) counted_sipp "$(scenario_of "$auth")" "$rate" "$STEADY_SECONDS"
        )
        stop_server
        echo -e "$round\t$sys\t$auth\t$rate\t$succ\t$fail\t$p50\t$p99\t$cpu\t$kinstr\t$kcycles" >>"$tsv"
        log "steady round $round $sys $auth $rate/s: cpu $cpu us, $kinstr k instructions, $kcycles k cycles per REGISTER, p99 $p99 ms, failed $fail"
      done
    done
  done
}

# Pair: two systems side by side (PAIR_SYSTEMS; by default ours = BIN and ours-base = BASE_BIN),
# started together and each loaded by its own sipp at PAIR_RATE (auth: half), STEADY_WARM_SECONDS
# then STEADY_SECONDS measured. Both see the same moments of a shared box: in A/A rounds two
# copies of one build read within 3 % of each other, where one server at a time moved ±15 %
# between runs (RESULTS, seventeenth sitting). With two servers and two sipps on the cores, each
# server's batches and wake-ups are not those of a server alone: the figures compare the systems
# under one load, not what either costs alone.
phase_pair() {
  local systems=($PAIR_SYSTEMS)
  ((${#systems[@]} == 2)) || die "PAIR_SYSTEMS must name two systems, got \"$PAIR_SYSTEMS\""
  local first=$OURS_PORT second=$((OURS_PORT + 2)) sipp2=$((SIPP_PORT + 2)) p
  for p in "$second" "$sipp2"; do
    if ss -Huln "sport = :$p" | grep -q .; then die "UDP port $p (pair phase) is in use"; fi
  done
  local tsv=$OUT/pair.tsv
  echo -e "round\tauth\trate\tsystem\tport\tsuccessful\tfailed\tcpu_us_per_register" >"$tsv"
  local round auth rate sys a=${systems[0]} b=${systems[1]}
  for ((round = 1; round <= ROUNDS; round++)); do
    for auth in $AUTHS; do
      rate=$PAIR_RATE
      [[ $auth == auth ]] && rate=$((PAIR_RATE / 2))
      # Odd rounds: the first system on OURS_PORT; even rounds: the second one there.
      local -A port=([$a]=$first [$b]=$second) sippPort=([$a]=$SIPP_PORT [$b]=$sipp2)
      if ((round % 2 == 0)); then
        port=([$a]=$second [$b]=$first)
        sippPort=([$a]=$sipp2 [$b]=$SIPP_PORT)
      fi
      local -A wrapper=() rundir=() t0=() t1=()
      for sys in "$a" "$b"; do
        OURS_PORT=${port[$sys]} KAM_PORT=${port[$sys]} start_server "$sys" "$auth" "$(fresh_dir "$sys" "$auth")"
        wrapper[$sys]=$SRV_WRAPPER rundir[$sys]=$SRV_RUNDIR
        SRV_SYS="" SRV_WRAPPER="" SRV_RUNDIR=""
      done
      pair_sipps "$auth" "$rate" "$STEADY_WARM_SECONDS" "" port sippPort "$a" "$b" >/dev/null
      for sys in "$a" "$b"; do t0[$sys]=$(pair_do "$sys" cpu_ticks); done
      pair_sipps "$auth" "$rate" "$STEADY_SECONDS" "$(second_half_csv)" port sippPort "$a" "$b"
      for sys in "$a" "$b"; do t1[$sys]=$(pair_do "$sys" cpu_ticks); done
      for sys in "$a" "$b"; do
        pair_do "$sys" stop_server
        local succ fail cpu
        read -r _ succ fail _ <"$LOGS/pair-$sys.out"
        cpu=$(cpu_per_register $((t1[$sys] - t0[$sys])) "$succ")
        echo -e "$round\t$auth\t$rate\t$sys\t${port[$sys]}\t$succ\t$fail\t$cpu" >>"$tsv"
        log "pair round $round $auth $rate/s $sys (port ${port[$sys]}): cpu $cpu us per REGISTER, failed $fail"
      done
    done
  done
}

# pair_do SYSTEM COMMAND: runs a server helper (cpu_ticks, stop_server) on one server of the pair
# (the wrapper and rundir maps of phase_pair).
pair_do() {
  SRV_SYS=$1 SRV_WRAPPER=${wrapper[$1]} SRV_RUNDIR=${rundir[$1]} "$2"
}

# pair_sipps AUTH RATE SECONDS CSV PORTS SIPP_PORTS SYSTEM SYSTEM: one sipp per server of the pair,
# at once (CSV empty: the usual users); each one's run_sipp line goes to $LOGS/pair-SYSTEM.out.
pair_sipps() {
  local -n ports=$5 sipps=$6
  local sys pid pids=() media=$SIPP_MEDIA_PORT failed=0
  for sys in "$7" "$8"; do
    rm -f "$LOGS/pair-$sys.out"
    SRV_PORT=${ports[$sys]} SIPP_PORT=${sipps[$sys]} SIPP_MEDIA_PORT=$media SIPP_USERS=$4 \
      run_sipp "$(scenario_of "$1")" "$2" "$3" >"$LOGS/pair-$sys.out" &
    pids+=($!)
    media=$((media + 1000)) # sipp binds media ports from here up
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "a sipp of the pair phase failed (see $LOGS/pair-*.out)"
}

# CPU µs per successful REGISTER from clock ticks spent and REGISTERs answered 200.
cpu_per_register() {
  awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (s > 0 ? t / hz * 1e6 / s : 0) }'
}

# run_sipp (same arguments) against the running server, printing run_sipp's fields followed by the
# server's CPU µs per successful REGISTER over the run: the one measurement of every load phase.
measured_sipp() {
  local c0 c1 fields created succ
  c0=$(cpu_ticks)
  fields=$(run_sipp "$@")
  c1=$(cpu_ticks)
  read -r created succ _ <<<"$fields"
  echo "$fields $(cpu_per_register $((c1 - c0)) "$succ")"
}

# measured_sipp (same arguments), with the server processes' instructions and cycles per successful
# REGISTER appended, in thousands, from `perf stat` over the run ("- -" without counters). Counted
# only while a process runs on a CPU, they move far less than utime+stime with the VM's steal time
# and the other load of a shared box (ninth sitting: ±2 % for instructions where /proc read ±20 %).
counted_sipp() {
  local file=$LOGS/perf-stat.txt perf_pid="" fields succ
  rm -f "$file"
  if [[ $HAVE_COUNTERS == 1 ]]; then
    perf stat -x, -e instructions,cycles -p "$(server_pids | paste -sd, -)" -o "$file" &
    perf_pid=$!
  fi
  fields=$(measured_sipp "$@")
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi
  read -r _ succ _ <<<"$fields"
  echo "$fields $(per_register_k "$file" instructions "$succ") $(per_register_k "$file" cycles "$succ")"
}

# per_register_k FILE EVENT SUCC: EVENT's count in perf stat's CSV output / SUCC / 1000, or "-".
per_register_k() {
  [[ -s $1 ]] || { echo "-"; return; }
  awk -F, -v e="$2" -v n="$3" '$3 == e && $1 ~ /^[0-9]+$/ { v = $1 }
    END { if (v != "" && n > 0) printf "%.1f\n", v / n / 1000; else print "-" }' "$1"
}

# Half of ours' median max rate from rate.tsv, rounded down to 100/s; empty without data.
half_of_ours_max() {
  [[ -s $OUT/rate.tsv ]] || return 0
  awk -F'\t' -v a="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "achieved") col = i }
    $2 == "ours" && $3 == a && $4 == "MAX" { print $col }' "$OUT/rate.tsv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%d\n", int(v[int((NR + 1) / 2)] / 200) * 100 }'
}

# fill SCENARIO N RATE [extra]: registers N users (one sipp run); prints "succ fail".
fill() {
  local created succ fail retrans elapsed p50 p99
  read -r created succ fail retrans elapsed p50 p99 < <(run_sipp "$1" "$3" "-m:$2" "${@:4}")
  echo "$succ $fail"
}

# Memory: RSS (and PSS: Kamailio's processes share its shm) with 0 and 100,000 bindings.
# Leaves each system's 100,000-binding data directory for the restart phase.
phase_memory() {
  local tsv=$OUT/memory.tsv
  echo -e "system\tbindings\tseconds_after\trss_kb\tpss_kb\tprocesses" >"$tsv"
  local sys
  for sys in $SYSTEMS; do
    local dir
    dir=$(fresh_dir "$sys" noauth)
    start_server "$sys" noauth "$dir"
    sleep 2
    echo -e "$sys\t0\t2\t$(sum_kb status VmRSS)\t$(sum_kb smaps_rollup Pss)\t$(server_pids | wc -l)" >>"$tsv"
    local succ fail
    read -r succ fail < <(fill register 100000 4000)
    # +3 s: right after the load (ours still remembers ~32 s of server transactions, RFC 3261
    # Timer J); +45 s: those have expired, only the bindings remain, as on a real office server.
    sleep 3
    echo -e "$sys\t$succ\t3\t$(sum_kb status VmRSS)\t$(sum_kb smaps_rollup Pss)\t$(server_pids | wc -l)" >>"$tsv"
    sleep 42
    echo -e "$sys\t$succ\t45\t$(sum_kb status VmRSS)\t$(sum_kb smaps_rollup Pss)\t$(server_pids | wc -l)" >>"$tsv"
    stop_server
    # A restart with the 100,000 bindings stored (the steady state of a server that keeps no copy
    # of them in memory); Kamailio's in-memory usrloc has nothing to reload.
    if [[ $sys != kam-mem* ]]; then
      KAMAILIO_KEEP_DB=1 start_server "$sys" noauth "$dir"
      sleep 5
      echo -e "$sys\t$succ\trestart+5\t$(sum_kb status VmRSS)\t$(sum_kb smaps_rollup Pss)\t$(server_pids | wc -l)" >>"$tsv"
      stop_server
    fi
    log "memory $sys: $(grep "^$sys" "$tsv" | cut -f2,3,4 | tr '\n\t' '  ') (failed $fail)"
    [[ $succ -ge 99900 ]] && touch "$dir/.filled-100000"
    rm -rf "$WORK/restart-$sys"
    mv "$dir" "$WORK/restart-$sys"
  done
}

# Restart: from exec until the first REGISTER is answered, with 100,000 stored bindings (3 times).
phase_restart() {
  local tsv=$OUT/restart.tsv
  echo -e "system\tbindings\ttry\tms_to_first_answer" >"$tsv"
  local sys try
  for sys in $SYSTEMS; do
    local dir=$WORK/restart-$sys
    if [[ $sys != kam-mem* && ! -e $dir/.filled-100000 ]]; then
      dir=$(fresh_dir "$sys" noauth)
      start_server "$sys" noauth "$dir"
      fill register 100000 4000 >/dev/null
      stop_server
      rm -rf "$WORK/restart-$sys"
      mv "$dir" "$WORK/restart-$sys"
      dir=$WORK/restart-$sys
    fi
    mkdir -p "$dir"
    local bindings=100000
    [[ $sys == kam-mem* ]] && bindings=0 # nothing survives a restart of the in-memory usrloc
    for try in 1 2 3; do
      node "$here/tools/sip_probe.mjs" "$([[ $sys == ours* ]] && echo "$OURS_PORT" || echo "$KAM_PORT")" \
        REGISTER 30000 >"$WORK/probe.out" &
      local probe=$!
      sleep 0.3 # the probe is sending before the server starts
      local t0
      t0=$(date +%s%N)
      KAMAILIO_KEEP_DB=1 start_server "$sys" noauth "$dir"
      wait "$probe" || die "restart probe of $sys failed"
      local ms
      ms=$(awk -v t0="$t0" '{ printf "%.0f", $1 - t0 / 1e6 }' "$WORK/probe.out")
      echo -e "$sys\t$bindings\t$try\t$ms" >>"$tsv"
      log "restart $sys ($bindings bindings) try $try: $ms ms ($(cut -d' ' -f2- "$WORK/probe.out"))"
      stop_server
    done
  done
}

# Disk: bytes written per 1,000 new bindings and per 1,000 refreshes (same Call-ID, CSeq+1, same
# contact and source: only the expiry moves). Counted after a 6 s settle, so deferred writes count.
phase_disk() {
  local tsv=$OUT/disk.tsv
  echo -e "system\twhat\tregisters\tbytes_written\tbytes_per_1000" >"$tsv"
  local sys n=20000
  for sys in $SYSTEMS; do
    local dir
    dir=$(fresh_dir "$sys" noauth)
    start_server "$sys" noauth "$dir"
    local w0 w1 succ fail cseq
    w0=$(write_bytes)
    read -r succ fail < <(fill refresh "$n" 2000 -set cseq 1 -cid_str "bench-%u@%s")
    sleep 6
    w1=$(write_bytes)
    echo -e "$sys\tnew\t$succ\t$((w1 - w0))\t$(((w1 - w0) * 1000 / (succ > 0 ? succ : 1)))" >>"$tsv"
    local total=0 bytes=0
    for cseq in 2 3; do
      w0=$(write_bytes)
      read -r succ fail < <(fill refresh "$n" 2000 -set cseq "$cseq" -cid_str "bench-%u@%s")
      sleep 6
      w1=$(write_bytes)
      total=$((total + succ)) bytes=$((bytes + w1 - w0))
    done
    echo -e "$sys\trefresh\t$total\t$bytes\t$((bytes * 1000 / (total > 0 ? total : 1)))" >>"$tsv"
    log "disk $sys: $(tail -2 "$tsv" | cut -f2,5 | tr '\n\t' '  ')"
    stop_server
  done
}

# Idle: CPU of the server with 10,000 bindings and no traffic, over IDLE_SECONDS.
phase_idle() {
  local tsv=$OUT/idle.tsv
  echo -e "system\tbindings\tseconds\tcpu_ms\tcpu_percent" >"$tsv"
  local sys
  for sys in $SYSTEMS; do
    local dir succ fail
    dir=$(fresh_dir "$sys" noauth)
    start_server "$sys" noauth "$dir"
    read -r succ fail < <(fill register 10000 2000)
    sleep 3
    local c0 c1
    c0=$(cpu_ticks)
    sleep "$IDLE_SECONDS"
    c1=$(cpu_ticks)
    local ms=$(((c1 - c0) * 1000 / CLK_TCK))
    echo -e "$sys\t$succ\t$IDLE_SECONDS\t$ms\t$(awk -v m=$ms -v s="$IDLE_SECONDS" 'BEGIN { printf "%.3f", m / 10 / s }')" >>"$tsv"
    log "idle $sys ($succ bindings): $ms ms CPU in $IDLE_SECONDS s"
    stop_server
  done
}

# ---------------------------------------------------------------- summary
summarize() {
  node "$here/tools/summarize.mjs" "$OUT" >"$OUT/summary.md" && log "summary: $OUT/summary.md"
}

main() {
  local phases=("$@")
  ((${#phases[@]} == 0)) && phases=(all)
  [[ ${phases[0]} == all ]] && phases=(memory restart disk idle rate latency steady)
  local p
  for p in "${phases[@]}"; do
    case $p in
      rate | latency | steady | memory | restart | disk | idle | pair) ;;
      -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown phase \"$p\" (expected rate, latency, steady, memory, restart, disk, idle, pair or all)" ;;
    esac
  done
  check_prerequisites
  mkdir -p "$WORK" "$OUT"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "uptime: $(uptime)"
    echo "ours: $("$BIN" --version 2>&1 | head -1), $BIN (checkout: $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'))"
    [[ -n ${BASE_BIN:-} ]] && echo "ours-base: $BASE_BIN"
    echo "kamailio: $(kamailio -v 2>&1 | head -1)"
    echo "kamailio's UDP receive buffer: at most ${KAMAILIO_RCVBUF:-2097152} bytes (-b; ours asks 2097152)"
    echo "sipp: $(sipp -v 2>&1 | grep -m1 SIPp | sed 's/^ *//')"
    echo "phases: ${phases[*]}; rounds: $ROUNDS; step: ${STEP_SECONDS}s"
    echo "systems: $SYSTEMS; pair phase: $PAIR_SYSTEMS; auth modes: $AUTHS"
    local preloading="none"
    ((PRELOAD_SECONDS > 0)) && preloading="${PRELOAD_SECONDS}s at ${PRELOAD_RATE:-the rate of each step}${PRELOAD_RATE:+/s} on the first $PRELOAD_USERS users, the steps on the others"
    echo "preload (rate, latency): $preloading"
    echo "ours: --warm-up $WARM_UP$([[ -n ${BASE_BIN:-} ]] && echo "; ours-base: --warm-up ${BASE_WARM_UP:-(not passed)}")"
    echo "ours' environment: ${OURS_ENV:-(none)}$([[ -n ${BASE_BIN:-} ]] && echo "; ours-base's: ${BASE_ENV:-(none)}")"
    echo "hardware counters (steady phase): $( ((HAVE_COUNTERS)) && echo "perf stat instructions, cycles" || echo none)"
  } >"$OUT/environment.txt"
  prepare_users
  for p in "${phases[@]}"; do
    log "phase $p"
    "phase_$p"
  done
  summarize
}

main "$@"
exit
