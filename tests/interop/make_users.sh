#!/usr/bin/env bash
# Generate a sipp injection file of N distinct users.
#
#   tests/interop/make_users.sh N [DOMAIN] [OUTFILE]
#
# DOMAIN defaults to 127.0.0.1, OUTFILE to tests/interop/sipp/users.csv.
# Fields (0-based, as sipp numbers them):
#   [field0] user        user000001
#   [field1] domain      127.0.0.1
#   [field2] a whole sipp auth keyword:
#            [authentication username=user000001 password=pw-user000001]
#            (sipp 3.6 only expands [authentication ...] when the entire keyword
#            comes from one injection field, so it must live here.)
#   [field3] password    pw-user000001  (for provisioning the registrar side)
# Passwords follow the fixed pattern pw-<user>.
set -euo pipefail
n=${1:?usage: make_users.sh N [DOMAIN] [OUTFILE]}
domain=${2:-127.0.0.1}
here=$(cd "$(dirname "$0")" && pwd)
out=${3:-$here/sipp/users.csv}
{
  echo "SEQUENTIAL"
  for ((i = 1; i <= n; i++)); do
    u=$(printf 'user%06d' "$i")
    echo "$u;$domain;[authentication username=$u password=pw-$u];pw-$u"
  done
} > "$out"
echo "wrote $n users to $out" >&2
