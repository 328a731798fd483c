#!/usr/bin/env bash
# Re-capture the REGISTER/OPTIONS requests real SIP clients send into
# tests/fixtures/sip/clients/*.sip (raw datagrams, byte for byte).
#
#   sudo tests/interop/capture/capture_clients.sh [OUTDIR]
#
# Needs: node, sipsak, sipp (sip-tester), baresip, linphonec (linphone-cli),
# unshare + ip (root).  The whole run happens inside a fresh network namespace
# whose only interface is lo, so no client can send anything anywhere but
# 127.0.0.1.  The responder is tests/interop/capture/sip_capture.mjs on
# 127.0.0.1:5090.  Every step is bounded with timeout.
#
# Call-IDs, tags, branches, nonces, +sip.instance UUIDs and baresip's contact
# user (alice-0x<pointer>) change on every run, so a re-capture changes bytes
# but not structure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-$root/tests/fixtures/sip/clients}

if [[ "${IN_NETNS:-}" != 1 ]]; then
  exec timeout 300 unshare -n env IN_NETNS=1 bash "$0" "$out"
fi
ip link set lo up
# baresip 1.0 refuses to start a UA when the only interface is loopback
# ("SIP register failed: Protocol not supported"), so give lo one extra,
# namespace-local documentation address.  Its sip_listen is 127.0.0.1, so the
# Contact/Via still say 127.0.0.1.
ip addr add 192.0.2.200/32 dev lo

work=$(mktemp -d /tmp/sipcap.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
port=5090
cap_pid=

start_cap() { # name [--challenge]
  local name=$1; shift
  mkdir -p "$work/$name"
  timeout 120 node "$here/sip_capture.mjs" --port $port --out "$work/$name" "$@" > "$work/$name.log" 2>&1 &
  cap_pid=$!
  for _ in $(seq 50); do grep -q listening "$work/$name.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "capture server did not start" >&2; cat "$work/$name.log" >&2; exit 1
}
stop_cap() { kill "$cap_pid" 2>/dev/null || true; wait "$cap_pid" 2>/dev/null || true; }
take() { # capture-name seq fixture-name
  local src
  src=$(ls "$work/$1/$(printf '%03d' "$2")-"*.sip)
  cp "$src" "$out/$3.sip"
  echo "  $3.sip  <- $(head -1 "$src" | tr -d '\r')"
}

echo "sipsak $(sipsak -V 2>&1 | head -1)"
start_cap sipsak-reg --challenge
timeout 10 sipsak -U -s sip:alice@127.0.0.1:5090 -u alice -a secret -H 127.0.0.1 -i >/dev/null
stop_cap
take sipsak-reg 1 sipsak-register
take sipsak-reg 2 sipsak-register-auth

start_cap sipsak-misc
timeout 10 sipsak -U -x 0 -s sip:alice@127.0.0.1:5090 -u alice -a secret -H 127.0.0.1 -i >/dev/null
timeout 10 sipsak -s sip:alice@127.0.0.1:5090 -H 127.0.0.1 >/dev/null
stop_cap
take sipsak-misc 1 sipsak-unregister
take sipsak-misc 2 sipsak-options

echo "sipp"
users=$work/users.csv
"$root/tests/interop/make_users.sh" 2 127.0.0.1 "$users" 2>/dev/null
sippargs=(-i 127.0.0.1 -p 5092 -mp 16000 -timer_resol 1 -nostdin -default_behaviors all,-bye -inf "$users")
start_cap sipp-reg
(cd "$work" && timeout 20 sipp 127.0.0.1:5090 -sf "$root/tests/interop/sipp/register.xml" -key expires 3600 -m 1 "${sippargs[@]}" >/dev/null)
(cd "$work" && timeout 20 sipp 127.0.0.1:5090 -sf "$root/tests/interop/sipp/expires_contact.xml" -set expires 600 -m 1 "${sippargs[@]}" >/dev/null)
stop_cap
take sipp-reg 1 sipp-register
take sipp-reg 2 sipp-expires-contact
start_cap sipp-auth --challenge
(cd "$work" && timeout 20 sipp 127.0.0.1:5090 -sf "$root/tests/interop/sipp/register_auth.xml" -key expires 3600 -m 1 "${sippargs[@]}" >/dev/null)
stop_cap
take sipp-auth 2 sipp-register-auth

run_baresip() { # confdir
  cp -r "$1" "$work/bsconf"
  # stdin commands: wait for registration, /quit (baresip then unREGISTERs), let it finish
  (sleep 3; echo "/quit"; sleep 3) | timeout 15 baresip -f "$work/bsconf" >"$work/baresip.out" 2>&1 || true
  rm -rf "$work/bsconf"
}
echo "baresip $(dpkg-query -W -f='${Version}' baresip-core)"
start_cap baresip --challenge
run_baresip "$here/baresip-plain"
stop_cap
take baresip 1 baresip-register
take baresip 2 baresip-register-auth
take baresip 3 baresip-unregister
take baresip 4 baresip-unregister-auth
start_cap baresip-ob --challenge
run_baresip "$here/baresip-outbound"
stop_cap
take baresip-ob 1 baresip-outbound-register
take baresip-ob 2 baresip-outbound-register-auth
take baresip-ob 3 baresip-outbound-unregister
take baresip-ob 4 baresip-outbound-unregister-auth

echo "linphonec $(dpkg-query -W -f='${Version}' linphone-cli)"
# linphonec opens its SIP port only if $HOME/.local/share/linphone exists.
mkdir -p "$work/lphome/.local/share/linphone"
cp "$here/linphone/linphonerc" "$work/linphonerc"   # linphonec rewrites it
start_cap linphonec --challenge
(sleep 5; echo unregister; sleep 3; echo quit; sleep 3) |
  HOME=$work/lphome timeout 20 linphonec -c "$work/linphonerc" >"$work/linphonec.out" 2>&1 || true
stop_cap
take linphonec 1 linphonec-register
take linphonec 2 linphonec-register-auth
take linphonec 3 linphonec-unregister-auth
echo "done: $out"
