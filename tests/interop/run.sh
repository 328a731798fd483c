#!/usr/bin/env bash
# Real-client interop suite: sipp, sipsak, baresip, linphonec, sipvicious, qemu (arm64) and Deno
# against the compiled registrar, all on 127.0.0.1.
#
#   bash tests/interop/run.sh [CASE...]      (make interop builds dist/ first)
#
# Cases: sipp_auth sipsak baresip linphonec expires restart svcrack svwar arm64 deno (default: all).
# Each case starts its own `serve` on a free 127.0.0.1 port with its own temporary --data dir and
# stops it; it prints `PASS name (details)` or `FAIL name: why`, and the run ends with
# `N passed, N failed`; the exit code is 1 when anything failed. A missing tool is a FAIL.
# Environment: REGISTRAR_BIN / REGISTRAR_ARM64_BIN (binaries under test), INTEROP_VERBOSE=1 (print
# the logs of failed cases), INTEROP_KEEP=1 (keep the work dir), INTEROP_NETNS=always (run the
# baresip case in a loopback-only network namespace even when this machine has a network; needs
# root; without a non-loopback address that happens by itself).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
# shellcheck source=tests/interop/lib.sh
source "$here/lib.sh"

ALL_CASES=(sipp_auth sipsak baresip linphonec expires restart svcrack svwar arm64 deno)

# True when some interface has a non-loopback address (baresip 1.0 needs one, see maybe_netns).
has_global_address() { [[ -n $(ip -o addr show scope global 2>/dev/null) ]]; }

# maybe_netns CASE: baresip 1.0 will not register when loopback is the only interface ("SIP
# register failed: Protocol not supported"), and containers/CI sandboxes may have no other. Then
# the case runs in a fresh network namespace (root + unshare) whose lo also carries the
# documentation address 192.0.2.200/32; all traffic still goes to 127.0.0.1 inside it.
maybe_netns() {
  local name=$1
  [[ ${IN_NETNS:-0} == 1 ]] && return 0
  if [[ ${INTEROP_NETNS:-auto} != always ]] && has_global_address; then return 0; fi
  need ip unshare
  [[ $(id -u) == 0 ]] || fail "only loopback here: $name needs a non-loopback address, or root for unshare -n (see deploy/INSTALL.md)"
  timeout -k 5 120 unshare -n env IN_NETNS=1 WORK="$WORK" bash "$here/run.sh" --netns-case "$name"
  exit $?
}

# 1. 1,000 distinct users, digest auth, 300 REGISTER/s.
case_sipp_auth() {
  need sipp jq node
  local d=$CASE_DIR/data n=1000
  gen_users $n user 127.0.0.1 "$CASE_DIR/users.csv" "$CASE_DIR/users.txt"
  reg user import "$CASE_DIR/users.txt" --data "$d" >"$CASE_DIR/import.log" 2>&1 ||
    fail "user import: $(cat "$CASE_DIR/import.log")"
  # sipp answers only the first WWW-Authenticate and knows MD5 only ("createAuthHeader: authentication
  # must use MD5"); at 300/s from one address the default --rate-limit 50 drops most first REGISTERs.
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --digest-algorithms MD5,SHA-256 --rate-limit 1000
  local t0 t1 rc
  t0=$(now_ms)
  sipp_run sipp register_auth.xml "$SRV_PORT" -inf "$CASE_DIR/users.csv" -key expires 3600 -r 300 -m $n
  rc=$?
  t1=$(now_ms)
  local ok failed retrans
  ok=$(sipp_stat "$CASE_DIR/sipp.stat" 'SuccessfulCall(C)')
  failed=$(sipp_stat "$CASE_DIR/sipp.stat" 'FailedCall(C)')
  retrans=$(sipp_stat "$CASE_DIR/sipp.stat" 'Retransmissions(C)')
  [[ $rc == 0 && $ok == "$n" && $failed == 0 ]] || fail "sipp exit $rc, $ok successful, $failed failed calls"
  local count
  count=$(binding_count "$d")
  [[ $count == "$n" ]] || fail "list --json counts $count bindings, expected $n"
  stop_serve
  pass "$ok/$n calls 401+200 in $(secs $((t1 - t0))) s, $retrans retransmissions, list --json $count; --digest-algorithms MD5,SHA-256 --rate-limit 1000"
}

# 2. sipsak: register/unregister several users one after another, wrong password, OPTIONS.
case_sipsak() {
  need sipsak jq
  local d=$CASE_DIR/data i count
  printf 'sak%d@127.0.0.1:pw-sak%d\n' 1 1 2 2 3 3 | reg user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 ||
    fail "user import failed"
  # sipsak computes its answer from the FIRST WWW-Authenticate only and knows MD5 only.
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --digest-algorithms MD5,SHA-256
  # sipsak truncates a 5-digit port in the URI (sip:a@127.0.0.1:15060 -> :1506), so the port goes in -r.
  local sak=(sipsak -H 127.0.0.1 -r "$SRV_PORT")
  timeout 10 "${sak[@]}" -vv -s sip:ping@127.0.0.1 >"$CASE_DIR/options.out" 2>&1 ||
    fail "OPTIONS: sipsak exit $? ($(grep -m1 '^SIP/2.0' "$CASE_DIR/options.out"))"
  grep -q '^SIP/2.0 200' "$CASE_DIR/options.out" || fail "OPTIONS: no 200"
  # A fixed Contact (-C): sipsak's default Contact carries its random local port, so an -x 0 run
  # would name a contact that was never registered.
  for i in 1 2 3; do
    timeout 15 "${sak[@]}" -U -i -x 3600 -s "sip:sak$i@127.0.0.1" -u "sak$i" -a "pw-sak$i" \
      -C "sip:sak$i@127.0.0.1:5999" >"$CASE_DIR/reg$i.out" 2>&1 || fail "register sak$i: sipsak exit $?: $(tail -n 2 "$CASE_DIR/reg$i.out")"
    count=$(binding_count "$d")
    [[ $count == "$i" ]] || fail "after registering sak$i: $count bindings, expected $i"
  done
  timeout 15 "${sak[@]}" -U -i -x 3600 -s sip:sak1@127.0.0.1 -u sak1 -a wrong-password \
    -C sip:sak1@127.0.0.1:5998 >"$CASE_DIR/wrong.out" 2>&1 && fail "wrong password: sipsak reported success"
  count=$(binding_count "$d")
  [[ $count == 3 ]] || fail "after a wrong password: $count bindings, expected 3"
  for i in 1 2 3; do
    timeout 15 "${sak[@]}" -U -i -x 0 -s "sip:sak$i@127.0.0.1" -u "sak$i" -a "pw-sak$i" \
      -C "sip:sak$i@127.0.0.1:5999" >"$CASE_DIR/unreg$i.out" 2>&1 || fail "unregister sak$i: sipsak exit $?"
    count=$(binding_count "$d")
    [[ $count == $((3 - i)) ]] || fail "after unregistering sak$i: $count bindings, expected $((3 - i))"
  done
  stop_serve
  pass "--digest-algorithms MD5,SHA-256: OPTIONS 200, 3 users registered 1,2,3 then removed 2,1,0, wrong password refused"
}

# wait_count DATA N SECONDS: polls list --json until it counts N.
wait_count() {
  local i count
  for ((i = 0; i < $3 * 5; i++)); do
    count=$(binding_count "$1")
    [[ $count == "$2" ]] && return 0
    sleep 0.2
  done
  echo "$count"
  return 1
}

# 3. baresip headless: digest auth, User-Agent stored, /quit unregisters.
case_baresip() {
  need baresip jq node
  maybe_netns baresip
  local d=$CASE_DIR/data conf=$CASE_DIR/baresip got
  echo 'alice@127.0.0.1:pw-alice' | reg user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 || fail "user import failed"
  # baresip 1.0 / libre 1.1 gives up ("Register: Function not implemented") when ANY challenge
  # is SHA-256, even the second one: it must be offered MD5 only.
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --digest-algorithms MD5
  mkdir -p "$conf"
  sed "s/^sip_listen.*/sip_listen\t\t127.0.0.1:$(free_port)/" "$INTEROP/capture/baresip-plain/config" >"$conf/config"
  echo "<sip:alice@127.0.0.1:$SRV_PORT;transport=udp>;auth_pass=pw-alice;regint=600" >"$conf/accounts"
  mkfifo "$CASE_DIR/baresip.in"
  timeout -k 5 60 baresip -f "$conf" <"$CASE_DIR/baresip.in" >"$CASE_DIR/baresip.out" 2>&1 &
  local bpid=$!
  CASE_PIDS+=("$bpid")
  exec 3>"$CASE_DIR/baresip.in"
  got=$(wait_count "$d" 1 10) || fail "no binding after 10 s (count $got): $(grep -m1 -i 'fail' "$CASE_DIR/baresip.out")"
  local ua contact
  ua=$(jq -r '.[0].userAgent' "$CASE_DIR/list.json")
  contact=$(jq -r '.[0].contact' "$CASE_DIR/list.json")
  [[ $ua == baresip* ]] || fail "User-Agent stored as '$ua'"
  printf '/quit\n' >&3
  exec 3>&-
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$bpid" 2>/dev/null && fail "baresip still running 10 s after /quit"
  got=$(wait_count "$d" 0 3) || fail "after /quit: $got bindings, expected 0"
  stop_serve
  local where="normal network"
  [[ ${IN_NETNS:-0} == 1 ]] && where="lo-only netns + 192.0.2.200/32 on lo"
  pass "--digest-algorithms MD5, $where: registered as '$ua' ${contact%%;*}, /quit unregistered (0 left)"
}

# 4. linphonec: digest auth with the default challenges, `unregister` removes the binding.
case_linphonec() {
  need linphonec jq node
  # Unlike baresip, linphonec 5.1 registers fine when loopback is the only interface.
  local d=$CASE_DIR/data home=$CASE_DIR/home got
  echo 'carol@127.0.0.1:pw-carol' | reg user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 || fail "user import failed"
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d"
  # linphonec opens its SIP port only if $HOME/.local/share/linphone exists; it rewrites its -c file.
  mkdir -p "$home/.local/share/linphone"
  sed -e "s/127\.0\.0\.1:5090/127.0.0.1:$SRV_PORT/g" -e "s/^sip_port=.*/sip_port=$(free_port)/" \
    -e 's/^passwd=.*/passwd=pw-carol/' -e "s/^domain=.*/domain=127.0.0.1:$SRV_PORT/" \
    "$INTEROP/capture/linphone/linphonerc" >"$CASE_DIR/linphonerc"
  mkfifo "$CASE_DIR/linphonec.in"
  HOME=$home timeout -k 5 60 linphonec -c "$CASE_DIR/linphonerc" <"$CASE_DIR/linphonec.in" >"$CASE_DIR/linphonec.out" 2>&1 &
  local lpid=$!
  CASE_PIDS+=("$lpid")
  exec 3>"$CASE_DIR/linphonec.in"
  got=$(wait_count "$d" 1 15) || fail "no binding after 15 s (count $got)"
  local ua contact
  ua=$(jq -r '.[0].userAgent' "$CASE_DIR/list.json")
  contact=$(jq -r '.[0].contact' "$CASE_DIR/list.json")
  [[ $ua == Linphone* ]] || fail "User-Agent stored as '$ua'"
  # `quit` alone sends no unREGISTER (tests/fixtures/sip/clients/README.md).
  printf 'unregister\n' >&3
  got=$(wait_count "$d" 0 10) || fail "after unregister: $got bindings, expected 0"
  printf 'quit\n' >&3
  exec 3>&-
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$lpid" 2>/dev/null && fail "linphonec still running 10 s after quit"
  stop_serve
  pass "default SHA-256,MD5 challenges: registered as '$ua' ${contact%%>*}>, unregister left 0"
}

# expires_run LABEL SCENARIO VALUE EXPECT: 5 fresh users; each 200 must grant exactly EXPECT.
expires_run() {
  local label=$1 scen=$2 value=$3 expect=$4 m=5
  gen_users $m "$label" 127.0.0.1 "$CASE_DIR/$label.csv" /dev/null
  sipp_run "$label" "$scen" "$SRV_PORT" -inf "$CASE_DIR/$label.csv" -set expires "$value" -m $m \
    -trace_logs -log_file "$CASE_DIR/$label.granted" || fail "$label: sipp exit $? ($(head -c 300 "$CASE_DIR/$label.err" 2>/dev/null))"
  local lines bad
  lines=$(grep -c ' granted ' "$CASE_DIR/$label.granted")
  bad=$(grep ' granted ' "$CASE_DIR/$label.granted" | grep -vc " granted $expect requested ")
  [[ $lines == "$m" && $bad == 0 ]] || fail "$label: asked $value, expected $expect: $(grep -m1 ' granted ' "$CASE_DIR/$label.granted")"
}

# 5. Expires negotiation: Contact ;expires=, Expires header, capping, 423 + Min-Expires.
case_expires() {
  need sipp jq node
  local d=$CASE_DIR/data
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --auth off --min-expires 60 --max-expires 7200
  expires_run cpar expires_contact.xml 600 600
  expires_run cmax expires_contact.xml 9000 7200
  expires_run hdr expires_header.xml 900 900
  expires_run hmax expires_header.xml 100000 7200
  expires_run cmin expires_contact.xml 60 60
  gen_users 5 brief 127.0.0.1 "$CASE_DIR/brief.csv" /dev/null
  sipp_run brief expires_too_brief.xml "$SRV_PORT" -inf "$CASE_DIR/brief.csv" -set expires 30 -m 5 \
    -trace_logs -log_file "$CASE_DIR/brief.log" || fail "expires=30: sipp exit $? (expected 423 + Min-Expires)"
  local n
  n=$(grep -c 'min-expires 60 requested 30' "$CASE_DIR/brief.log")
  [[ $n == 5 ]] || fail "expires=30: $n of 5 answers had 423 with Min-Expires: 60"
  n=$(binding_count "$d")
  [[ $n == 25 ]] || fail "$n bindings stored, expected 25 (the 423s must store nothing)"
  stop_serve
  pass "Contact ;expires=600->600, 9000->7200, 60->60; Expires: 900->900, 100000->7200; 30->423 Min-Expires: 60; 25 stored"
}

# 6. kill -9: every acknowledged binding survives, with the same id.
case_restart() {
  need sipp jq node
  local d=$CASE_DIR/data n=300
  gen_users 2000 r 127.0.0.1 "$CASE_DIR/users.csv" /dev/null
  start_serve "$CASE_DIR/serve1.log" "$BIN" serve --data "$d" --auth off
  sipp_run calm register.xml "$SRV_PORT" -inf "$CASE_DIR/users.csv" -key expires 3600 -r 300 -m $n ||
    fail "sipp exit $? registering $n users"
  local before after
  timeout 30 "$BIN" list --data "$d" --json >"$CASE_DIR/before.json" || fail "list failed"
  before=$(jq -r '.[] | [.id, .aor, .contact, .expiresAt] | join(" ")' "$CASE_DIR/before.json" | sort)
  [[ $(wc -l <<<"$before") == "$n" ]] || fail "$(wc -l <<<"$before") bindings before kill -9, expected $n"
  kill9_serve
  start_serve "$CASE_DIR/serve2.log" "$BIN" serve --data "$d" --auth off
  timeout 30 "$BIN" list --data "$d" --json >"$CASE_DIR/after.json" || fail "list failed"
  after=$(jq -r '.[] | [.id, .aor, .contact, .expiresAt] | join(" ")' "$CASE_DIR/after.json" | sort)
  [[ $before == "$after" ]] || fail "bindings differ after kill -9 + restart: $(diff <(echo "$before") <(echo "$after") | head -n 3 | tr '\n' ' ')"
  # Now kill -9 in the middle of a 500/s load: every REGISTER that got its 200 must be stored.
  SIPP_LIMIT=30 sipp_run load register_logged.xml "$SRV_PORT" -inf "$CASE_DIR/users.csv" -key expires 3600 \
    -r 500 -m 2000 -recv_timeout 1000 -trace_logs -log_file "$CASE_DIR/acked.log" &
  local spid=$!
  CASE_PIDS+=("$spid")
  sleep 2
  kill9_serve
  wait "$spid" 2>/dev/null
  local acked
  acked=$(sed -n 's/.*ACKED \(.*\)$/sip:\1@127.0.0.1/p' "$CASE_DIR/acked.log" | sort -u)
  local nacked
  nacked=$(grep -c . <<<"$acked")
  ((nacked > n)) || fail "only $nacked acknowledged REGISTERs before the kill (expected some of the load run)"
  start_serve "$CASE_DIR/serve3.log" "$BIN" serve --data "$d" --auth off
  timeout 30 "$BIN" list --data "$d" --json >"$CASE_DIR/after2.json" || fail "list failed"
  local stored missing
  stored=$(jq -r '.[].aor' "$CASE_DIR/after2.json" | sort -u)
  missing=$(comm -23 <(echo "$acked") <(echo "$stored"))
  [[ -z $missing ]] || fail "$(grep -c . <<<"$missing") acknowledged bindings lost after kill -9, e.g. $(head -n 1 <<<"$missing")"
  stop_serve
  pass "$n bindings identical (id, aor, contact, expiresAt) after kill -9; kill -9 under 500/s load: $nacked acknowledged, all $nacked kept ($(grep -c . <<<"$stored") stored)"
}

# log_ms LINE: the ISO timestamp at the start of a serve log line, in ms.
log_ms() { date -d "${1%% *}" +%s%3N; }

# 7. svcrack against a weak password: banned long before it reaches it.
case_svcrack() {
  need svcrack sipsak jq node
  local d=$CASE_DIR/data
  printf '1001@127.0.0.1:1234\n1002@127.0.0.1:pw-1002-long\n' | reg user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 ||
    fail "user import failed"
  # The password is the 20th guess of the dictionary.
  printf '%s\n' 0000 1111 password secret admin 123456 12345 qwerty 1000 1001 abc123 letmein 111111 \
    2222 9999 123 pass test 4321 1234 5555 6666 >"$CASE_DIR/dict.txt"
  # svcrack (sipvicious 0.3.3) knows MD5 only and crashes on a SHA-256 first challenge
  # (UnboundLocalError 'ha1'), so offer MD5 first to let it attack at all.
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --digest-algorithms MD5,SHA-256
  local t0 t1
  t0=$(now_ms)
  HOME=$CASE_DIR timeout -k 5 60 svcrack -u 1001 -d "$CASE_DIR/dict.txt" -p "$SRV_PORT" -P "$(free_port)" \
    -b 127.0.0.1 -x 127.0.0.1 --maximumtime=3 127.0.0.1 >"$CASE_DIR/svcrack.out" 2>&1
  t1=$(now_ms)
  grep -q '1234' "$CASE_DIR/svcrack.out" && fail "svcrack found the password: $(grep 1234 "$CASE_DIR/svcrack.out" | head -n 1)"
  local banline first guesses
  banline=$(grep -m1 ' banned source=127.0.0.1 user=1001' "$CASE_DIR/serve.log") || fail "no 'banned' line in the server log"
  first=$(grep -m1 'auth failed source=127.0.0.1 .*user=1001' "$CASE_DIR/serve.log")
  guesses=$(grep -c 'auth failed source=127.0.0.1 .*user=1001' "$CASE_DIR/serve.log")
  local to_ban=$(($(log_ms "$banline") - $(log_ms "$first")))
  reg bans --data "$d" --json >"$CASE_DIR/bans.json" || fail "bans failed"
  [[ $(jq -r '.[] | select(.address == "127.0.0.1") | .username' "$CASE_DIR/bans.json") == 1001 ]] ||
    fail "registrar bans does not list 127.0.0.1/1001: $(cat "$CASE_DIR/bans.json")"
  # Banned: even the right password gets no answer from this address.
  timeout 4 sipsak -H 127.0.0.1 -r "$SRV_PORT" -U -i -x 3600 -s sip:1001@127.0.0.1 -u 1001 -a 1234 \
    >"$CASE_DIR/after-ban.out" 2>&1
  local rc=$?
  grep -q '^SIP/2.0' "$CASE_DIR/after-ban.out" && fail "banned pair still answered: $(grep -m1 '^SIP/2.0' "$CASE_DIR/after-ban.out")"
  [[ $rc == 124 || $rc != 0 ]] || fail "banned REGISTER succeeded"
  # The ban is per (address, user): another user from the same address still registers.
  timeout 10 sipsak -H 127.0.0.1 -r "$SRV_PORT" -U -i -x 3600 -s sip:1002@127.0.0.1 -u 1002 -a pw-1002-long \
    >"$CASE_DIR/other.out" 2>&1 || fail "user 1002 from the same address refused after 1001's ban"
  stop_serve
  pass "--digest-algorithms MD5,SHA-256: $guesses wrong guesses in ${to_ban} ms then banned (password was guess 20); svcrack ran $(secs $((t1 - t0))) s (3 s without answers + its fixed 10 s end wait), found nothing; right password unanswered, user 1002 unaffected"
}

# 8. svwar enumeration + sipvicious password spraying over distinct usernames.
case_svwar() {
  need svwar svcrack sipsak jq node
  local d=$CASE_DIR/data
  printf '%s\n' 1001@127.0.0.1:pw-a1001x 1005@127.0.0.1:pw-a1005x 1010@127.0.0.1:pw-a1010x |
    reg user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 || fail "user import failed"
  start_serve "$CASE_DIR/serve.log" "$BIN" serve --data "$d" --digest-algorithms MD5,SHA-256
  # svwar's sanity check already gives up: an unknown extension is challenged like a real one.
  HOME=$CASE_DIR timeout -k 5 30 svwar -e 1000-1030 -p "$SRV_PORT" -P "$(free_port)" -b 127.0.0.1 \
    -x 127.0.0.1 --maximumtime=3 127.0.0.1 >"$CASE_DIR/svwar.out" 2>&1
  grep -q 'authentication request for an unknown extension' "$CASE_DIR/svwar.out" ||
    fail "svwar did not see unknown extensions challenged: $(tail -n 2 "$CASE_DIR/svwar.out")"
  HOME=$CASE_DIR timeout -k 5 30 svwar --force -e 1000-1030 -p "$SRV_PORT" -P "$(free_port)" -b 127.0.0.1 \
    -x 127.0.0.1 --maximumtime=3 127.0.0.1 >"$CASE_DIR/svwar-force.out" 2>&1
  # Its report: table rows "| 1005 | reqauth |"; it must not single out the real users.
  local found real
  found=$(sed -n 's/^| *\([0-9][0-9]*\) *|.*/\1/p' "$CASE_DIR/svwar-force.out" | sort -u | tr '\n' ' ')
  real="1001 1005 1010 "
  [[ $found == "$real" ]] && fail "svwar --force told the real users apart: $found"
  [[ -n $found && $(wc -w <<<"$found") -lt 31 ]] && fail "svwar --force reported a subset: $found"
  # Password spraying: one guess for each of 12 usernames (3 real, 9 not) from one address, in
  # parallel (each svcrack run waits a fixed 10 s after its last password).
  local u t0 t1 pids=()
  printf 'Winter2026\n' >"$CASE_DIR/one.txt"
  t0=$(now_ms)
  for u in 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012; do
    HOME=$CASE_DIR timeout -k 5 20 svcrack -u "$u" -d "$CASE_DIR/one.txt" -p "$SRV_PORT" -P "$(free_port)" \
      -b 127.0.0.1 -x 127.0.0.1 --maximumtime=1 127.0.0.1 >"$CASE_DIR/spray-$u.out" 2>&1 &
    pids+=($!)
    CASE_PIDS+=($!)
  done
  wait "${pids[@]}"
  t1=$(now_ms)
  local banline
  banline=$(grep -m1 ' banned source=127.0.0.1' "$CASE_DIR/serve.log") || fail "spraying 12 usernames: no ban logged"
  reg bans --data "$d" --json >"$CASE_DIR/bans.json" || fail "bans failed"
  local who
  who=$(jq -r '.[] | select(.address == "127.0.0.1") | (.username // "*")' "$CASE_DIR/bans.json")
  [[ $who == "*" ]] || fail "expected a whole-address ban for 127.0.0.1, registrar bans says '$who': $banline"
  timeout 4 sipsak -vv -H 127.0.0.1 -r "$SRV_PORT" -s sip:ping@127.0.0.1 >"$CASE_DIR/options.out" 2>&1
  grep -q '^SIP/2.0' "$CASE_DIR/options.out" && fail "banned address still gets answers (OPTIONS)"
  local failures
  failures=$(sed -n '/ banned source=127.0.0.1/q;/auth failed source=127.0.0.1/p' "$CASE_DIR/serve.log" | grep -c .)
  stop_serve
  pass "svwar: unknown extensions challenged like real ones, --force report '${found:-nothing}' vs real $real; spraying: 12 parallel svcrack runs, one guess per username: address banned after $failures failures ($(secs $((t1 - t0))) s in all), OPTIONS unanswered"
}

# 9. arm64 binary under qemu-user.
case_arm64() {
  need qemu-aarch64-static sipsak jq
  [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || fail "missing /usr/aarch64-linux-gnu (apt-get install libc6-arm64-cross)"
  [[ -x $ARM_BIN ]] || fail "missing $ARM_BIN (make build)"
  local d=$CASE_DIR/data q=(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$ARM_BIN") t0 t1
  t0=$(now_ms)
  READY_WAIT=60 start_serve "$CASE_DIR/serve.log" "${q[@]}" serve --data "$d" --auth off
  t1=$(now_ms)
  timeout 10 sipsak -vv -H 127.0.0.1 -r "$SRV_PORT" -s sip:ping@127.0.0.1 >"$CASE_DIR/options.out" 2>&1
  grep -q '^SIP/2.0 200' "$CASE_DIR/options.out" || fail "OPTIONS: no 200"
  timeout 15 sipsak -H 127.0.0.1 -r "$SRV_PORT" -U -i -x 3600 -s sip:pi@127.0.0.1 >"$CASE_DIR/reg.out" 2>&1 ||
    fail "REGISTER: sipsak exit $?"
  local count
  count=$(binding_count "$d" "${q[@]}")
  [[ $count == 1 ]] || fail "list --json (arm64) counts $count"
  timeout 60 "${q[@]}" list --data "$d" >"$CASE_DIR/list.txt" 2>&1 || fail "list (arm64) failed"
  grep -q '^[a-z0-9]* *pi ' "$CASE_DIR/list.txt" || fail "list (arm64) does not show pi: $(cat "$CASE_DIR/list.txt")"
  stop_serve
  pass "qemu-aarch64-static -L /usr/aarch64-linux-gnu: ready in $(secs $((t1 - t0))) s, OPTIONS 200, REGISTER 200, list shows pi"
}

# 10. The source tree under Deno.
case_deno() {
  need sipsak jq
  [[ -x $DENO ]] || fail "missing $DENO (make setup)"
  cd "$ROOT" || fail "cannot cd $ROOT"
  local d=$CASE_DIR/data dn=("$DENO" run -A "$ROOT/mod.ts")
  echo 'dan@127.0.0.1:pw-dan' | timeout 60 "${dn[@]}" user import - --data "$d" >"$CASE_DIR/import.log" 2>&1 ||
    fail "user import (deno) failed: $(cat "$CASE_DIR/import.log")"
  READY_WAIT=60 start_serve "$CASE_DIR/serve.log" "${dn[@]}" serve --data "$d" --digest-algorithms MD5,SHA-256
  timeout 15 sipsak -H 127.0.0.1 -r "$SRV_PORT" -U -i -x 3600 -s sip:dan@127.0.0.1 -u dan -a pw-dan \
    >"$CASE_DIR/reg.out" 2>&1 || fail "REGISTER with digest: sipsak exit $?"
  local count ua
  count=$(binding_count "$d" "${dn[@]}")
  [[ $count == 1 ]] || fail "list --json (deno) counts $count"
  ua=$(jq -r '.[0].userAgent' "$CASE_DIR/list.json")
  stop_serve
  pass "deno run -A mod.ts serve: digest REGISTER 200, list --json (deno) shows dan ($ua)"
}

# --netns-case NAME: run one case inside the namespace maybe_netns created.
if [[ ${1:-} == --netns-case ]]; then
  ip link set lo up
  ip addr add 192.0.2.200/32 dev lo
  (begin_case "$2" && "case_$2")
  exit $?
fi

cases=("$@")
((${#cases[@]})) || cases=("${ALL_CASES[@]}")
for c in "${cases[@]}"; do
  declare -F "case_$c" >/dev/null || { echo "unknown case '$c' (cases: ${ALL_CASES[*]})" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/registrar-interop.XXXXXX)
export WORK
: >"$WORK/results"
[[ -x $BIN ]] || echo "note: $BIN is missing: run make build (make interop does)" >&2
for c in "${cases[@]}"; do
  before=$(wc -l <"$WORK/results")
  (begin_case "$c" && "case_$c")
  rc=$?
  # A case that ended without a PASS/FAIL line (a bug in this script) counts as failed.
  if [[ $(wc -l <"$WORK/results") == "$before" ]]; then
    echo "FAIL $c: ended without a result (exit $rc)"
    echo FAIL >>"$WORK/results"
  fi
done
passed=$(grep -c '^PASS' "$WORK/results")
failed=$(grep -c '^FAIL' "$WORK/results")
if ((failed == 0)) && [[ ${INTEROP_KEEP:-0} != 1 ]]; then
  rm -rf "$WORK"
else
  echo "work dir kept: $WORK" >&2
fi
echo "$passed passed, $failed failed"
((failed == 0))
