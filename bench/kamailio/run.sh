#!/usr/bin/env bash
# Start the reference Kamailio registrar in the foreground on 127.0.0.1:5070.
#
#   bench/kamailio/run.sh memory|sqlite [extra kamailio args, e.g. -A WITH_AUTH -A WITH_423]
#
# Runs "kamailio -DD -E" (no daemonizing, log to stderr, still forks the
# configured UDP children: 2 for memory, 1 for sqlite) under "timeout" (KAMAILIO_TIMEOUT seconds,
# default 3600).  Stop it with Ctrl-C or kill of the printed pid.
# Environment (all optional; bench/run.sh sets them): KAMAILIO_LISTEN (udp:HOST:PORT, default
# udp:127.0.0.1:5070), KAMAILIO_RUNDIR (pid file dir), KAMAILIO_SHM / KAMAILIO_PKG (MB of shared /
# per-process memory; 100,000 bindings need more than the defaults), KAMAILIO_DB, KAMAILIO_KEEP_DB,
# KAMAILIO_RCVBUF (bytes; the most Kamailio's probe may raise its UDP receive buffer to, `-b`).
# KAMAILIO_RCVBUF defaults to the 2 MiB registrar asks for its own socket (src/transport/
# udp_transport.ts), so that both servers hold the same burst; Kamailio's own default is 256 KiB
# (the kernel reports twice either figure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?usage: run.sh memory|sqlite [kamailio args]}; shift
case $mode in
  memory) cfg=$here/registrar-memory.cfg; rundir=${KAMAILIO_RUNDIR:-/tmp/kamailio-mem} ;;
  sqlite) cfg=$here/registrar-sqlite.cfg; rundir=${KAMAILIO_RUNDIR:-/tmp/kamailio-sqlite}
          db=${KAMAILIO_DB:-/tmp/kamailio-registrar.sqlite}
          [[ ${KAMAILIO_KEEP_DB:-0} == 1 && -f $db ]] || "$here/create-db.sh" "$db"
          set -- -A "DBURL=\"sqlite://$db\"" "$@" ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
mkdir -p "$rundir"
children=2 pkg=8
# sqlite: one worker (see registrar-sqlite.cfg); bigger pkg memory because at
# startup usrloc preloads the whole location table and db_sqlite keeps the
# full result set in pkg memory (-M 8 fails with ~12k rows: "no private memory left").
[[ $mode == sqlite ]] && children=1 pkg=64
[[ -n ${KAMAILIO_LISTEN:-} ]] && set -- -A "LISTEN=$KAMAILIO_LISTEN" "$@"
timeout -k 5 "${KAMAILIO_TIMEOUT:-3600}" kamailio -f "$cfg" -DD -E -n $children \
  -m "${KAMAILIO_SHM:-64}" -M "${KAMAILIO_PKG:-$pkg}" -b "${KAMAILIO_RCVBUF:-2097152}" \
  -Y "$rundir" -P "$rundir/kamailio.pid" "$@"
