#!/usr/bin/env bash
# The Debian package, made by cpack from this build's install rules (node/package):
#   1. its file list: the three programs, mpp-ca, the schema, the units, the configuration;
#      its control files: conffiles, maintainer scripts that parse, shared-library Depends;
#   2. extracted: mppctl --version, mpp-node and mpp-central --help; mpp-ca finds the
#      installed schema; mpp-node and mpp-central start with the shipped node.json and
#      central.json (the data and key paths pointed at this test's files);
#   3. systemd-analyze verify of the extracted units in a root made of the extracted package
#      and this machine's own unit files, so every ExecStart the package provides must be in
#      the package; and a broken copy must be refused (the check is not vacuous);
#   4. only as root with MPP_PACKAGE_INSTALL=1, on a machine without mppsync, its user or its
#      directories: dpkg -i, the service user, the installed units, mpp-node run as that user,
#      a reinstall, dpkg --purge keeping a data directory that is not empty (and its user),
#      and a purge that leaves the machine as it was.
#
#   bash tests/package/deb_test.sh BUILD_DIR      (ctest -L package runs it)
set -euo pipefail

build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
installed=0
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ "$installed" = 1 ]; then  # a failure half-way: put the machine back as it was
    dpkg --purge mppsync >/dev/null 2>&1 || true
    rm -rf /var/lib/mppsync /var/lib/mpp-central /etc/mppsync /etc/mpp-central
    userdel mppsync 2>/dev/null || true
    groupdel mppsync 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "deb_test: FAIL: $*" >&2
  exit 1
}
step() { echo "deb_test: $*"; }

# start NAME COMMAND...: runs COMMAND in the background and waits (at most 20 s) for its
# first line, which must be "listening HOST:PORT"; sets $address.
start() {
  local name=$1 line fd
  shift
  exec {fd}< <(exec "$@" 2>"$tmp/$name.err")
  pids+=($!)
  if ! read -r -t 20 -u "$fd" line || [[ "$line" != "listening "* ]]; then
    cat "$tmp/$name.err" >&2
    fail "$name did not start: '${line:-}'"
  fi
  address=${line#listening }
}
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# --- 1. the package and what it holds ---------------------------------------------------------
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb_name="mppsync_${version}_$(dpkg --print-architecture).deb"
(cd "$build" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB"; }
deb="$tmp/out/$deb_name"
[ -f "$deb" ] || { cat "$tmp/cpack.log" >&2; fail "cpack made no $deb_name"; }
step "built $deb_name, $(stat -c %s "$deb") bytes"

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
expected=(
  ./usr/bin/mpp-node ./usr/bin/mpp-central ./usr/bin/mppctl ./usr/bin/mpp-ca
  ./lib/systemd/system/mpp-node.service ./lib/systemd/system/mpp-central.service
  ./etc/mppsync/node.json ./etc/mpp-central/central.json
  ./usr/share/mppsync/schema/merge_rules.json ./usr/share/doc/mppsync/operations.md
)
for sql in "$source_dir"/schema/migrations/*.sql; do
  expected+=("./usr/share/mppsync/schema/migrations/$(basename "$sql")")
done
for f in "${expected[@]}"; do
  grep -qxF "$f" "$tmp/files" || fail "the package lacks $f"
done
for f in ./usr/bin/mpp-node ./usr/bin/mpp-central ./usr/bin/mppctl ./usr/bin/mpp-ca; do
  dpkg-deb -c "$deb" | awk -v f="$f" '$6 == f {print $1}' | grep -q '^-rwxr-xr-x$' ||
    fail "$f is not mode 0755 in the package"
done

dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = $'/etc/mppsync/node.json\n/etc/mpp-central/central.json' ] ||
  fail "conffiles: $(cat "$tmp/control/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "no executable $s"
  sh -n "$tmp/control/$s" || fail "$s does not parse"
done
grep -q '^Depends:.*libssl3' "$tmp/control/control" || fail "no shared-library Depends"
grep -q "^Version: $version\$" "$tmp/control/control" || fail "not version $version"
step "file list, conffiles, maintainer scripts and Depends as expected"

# --- 2. the programs, run from the extracted package ------------------------------------------
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
bin="$root/usr/bin"
[[ "$("$bin/mppctl" --version)" == "mppctl $version "* ]] ||
  fail "mppctl --version: $("$bin/mppctl" --version)"
"$bin/mpp-node" --help | grep -q -- '--config FILE' || fail "mpp-node --help"
"$bin/mpp-central" --help | grep -q -- '--config FILE' || fail "mpp-central --help"

pki="$tmp/pki"
"$bin/mpp-ca" init "$pki" >/dev/null
"$bin/mpp-ca" central "$pki" central >/dev/null
"$bin/mpp-ca" nik-keys "$pki" >/dev/null
if "$bin/mpp-ca" site "$pki" MPP0001 >"$tmp/ca.out" 2>&1 ||
  ! grep -q "share/mppsync/schema/migrations" "$tmp/ca.out"; then
  cat "$tmp/ca.out" >&2
  fail "the installed mpp-ca does not check a site code against the installed schema"
fi

"$bin/mppctl" init --site MPP7301 --data "$tmp/site" >/dev/null 2>&1 || fail "mppctl init"
start node "$bin/mpp-node" --config "$root/etc/mppsync/node.json" --data "$tmp/site" \
  --listen 127.0.0.1:0
curl -sf "http://$address/api/v1/status" | grep -q MPP7301 || fail "node status"
start central "$bin/mpp-central" --config "$root/etc/mpp-central/central.json" \
  --data "$tmp/central" --listen 127.0.0.1:0 --cert "$pki/central.crt" \
  --key "$pki/central.key" --ca "$pki/ca.crt" --crl "$pki/crl.pem" \
  --nik-sealing-key "$pki/nik-sealing.key" --citizen-key "$pki/citizen.key"
stop_all
step "extracted programs run; mpp-node and mpp-central start with the shipped configuration"

# --- 3. the units ----------------------------------------------------------------------------
# The extracted package, plus this machine's unit files (targets, slices) and the commands
# the units take from the system (chown): never one of the package's own, mpp-*.
mkdir -p "$root/usr/lib/systemd/system"
find /lib/systemd/system -maxdepth 1 ! -name 'mpp-*' ! -path /lib/systemd/system \
  -exec cp -a -t "$root/usr/lib/systemd/system" {} +
units=("$root"/lib/systemd/system/mpp-*.service)
while read -r cmd; do
  if [ ! -e "$root$cmd" ] && [[ "$(basename "$cmd")" != mpp* ]] && [ -x "$cmd" ]; then
    mkdir -p "$root$(dirname "$cmd")"
    cp "$cmd" "$root$cmd"
  fi
done < <(sed -n 's/^Exec[A-Za-z]*=[-+@!:]*\([^ ]*\).*/\1/p' "${units[@]}" | sort -u)
while read -r config; do
  [ -f "$root$config" ] || fail "a unit names $config, which the package does not hold"
done < <(sed -n 's/^ExecStart=.* --config \([^ ]*\).*/\1/p' "${units[@]}")
verify() { systemd-analyze verify --root="$root" "$@" 2>&1; }
out=$(verify mpp-node.service mpp-central.service) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
grep -q '^ConditionPathExists=/var/lib/mppsync/site.db$' \
  "$root/lib/systemd/system/mpp-node.service" ||
  fail "mpp-node.service does not wait for mppctl init"
for u in "${units[@]}"; do
  grep -q '^WantedBy=multi-user.target$' "$u" || fail "$u cannot be enabled"
  grep -q '^User=mppsync$' "$u" || fail "$u does not run as mppsync"
done
sed 's|^ExecStart=/usr/bin/mpp-node|ExecStart=/usr/bin/mpp-nod|' \
  "$root/lib/systemd/system/mpp-node.service" >"$root/lib/systemd/system/mpp-broken.service"
out=$(verify mpp-broken.service) && [ -z "$out" ] &&
  fail "verify accepts a unit whose program is missing"
rm "$root/lib/systemd/system/mpp-broken.service"
step "systemd-analyze verify: both units clean (and a broken one refused)"

# --- 4. installed on this machine --------------------------------------------------------------
if [ "${MPP_PACKAGE_INSTALL:-}" != 1 ]; then
  step "not installed on this machine (MPP_PACKAGE_INSTALL=1, as root, does)"
  echo "deb_test: passed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  step "MPP_PACKAGE_INSTALL=1 but not root: not installed on this machine"
  echo "deb_test: passed"
  exit 0
fi
dpkg-query -W -f='${Status}' mppsync 2>/dev/null | grep -q 'ok installed' &&
  fail "mppsync is installed on this machine already: the test would purge it"
for d in /var/lib/mppsync /var/lib/mpp-central /etc/mppsync /etc/mpp-central; do
  [ ! -e "$d" ] || fail "$d exists already: the test would remove it"
done
! getent passwd mppsync >/dev/null || fail "a user mppsync exists already"
! getent group mppsync >/dev/null || fail "a group mppsync exists already"

installed=1
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i"; }
entry=$(getent passwd mppsync) || fail "postinst made no user mppsync"
uid=$(echo "$entry" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "mppsync is not a system user: $entry"
[ "$(echo "$entry" | cut -d: -f7)" = /usr/sbin/nologin ] || fail "mppsync can log in: $entry"
[ "$(stat -c '%U:%G %a' /etc/mppsync)" = "root:mppsync 750" ] ||
  fail "/etc/mppsync is $(stat -c '%U:%G %a' /etc/mppsync)"
[ "$(stat -c '%U:%G %a' /etc/mpp-central)" = "root:mppsync 750" ] ||
  fail "/etc/mpp-central is $(stat -c '%U:%G %a' /etc/mpp-central)"
out=$(systemd-analyze verify /lib/systemd/system/mpp-node.service \
  /lib/systemd/system/mpp-central.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify (installed): $out"
[[ "$(/usr/bin/mppctl --version)" == "mppctl $version "* ]] || fail "/usr/bin/mppctl --version"
[ ! -e /var/lib/mppsync ] || fail "postinst made /var/lib/mppsync (mppctl init does)"

# As the technician and the unit do: init as root, the directory handed to mppsync (the
# unit's ExecStartPre), mpp-node as mppsync reading /etc/mppsync/node.json.
chmod 711 "$tmp"
/usr/bin/mppctl init --site MPP7302 --data "$tmp/svc" >/dev/null 2>&1 || fail "mppctl init"
chown -R mppsync:mppsync "$tmp/svc"
start service-node setpriv --reuid=mppsync --regid=mppsync --init-groups \
  /usr/bin/mpp-node --config /etc/mppsync/node.json --data "$tmp/svc" --listen 127.0.0.1:0
curl -sf "http://$address/api/v1/status" | grep -q MPP7302 || fail "node status as mppsync"
stop_all

chmod 700 /etc/mppsync  # the administrator's choice, which a reinstall keeps
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i again"; }
[ "$(stat -c %a /etc/mppsync)" = 700 ] || fail "a reinstall changed the mode of /etc/mppsync"
[ "$(getent passwd mppsync | cut -d: -f3)" = "$uid" ] || fail "a reinstall changed the user"

mkdir -m 700 /var/lib/mppsync && touch /var/lib/mppsync/site.db
dpkg --purge mppsync >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --purge"; }
[ -f /var/lib/mppsync/site.db ] || fail "purge deleted a site database"
getent passwd mppsync >/dev/null || fail "purge removed the user that owns a kept database"
[ ! -e /lib/systemd/system/mpp-node.service ] || fail "purge left mpp-node.service"
[ ! -e /etc/mppsync/node.json ] || fail "purge left /etc/mppsync/node.json"
rm -rf /var/lib/mppsync

dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i after purge"; }
dpkg --purge mppsync >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --purge"; }
installed=0
! getent passwd mppsync >/dev/null || fail "purge left the user mppsync"
! getent group mppsync >/dev/null || fail "purge left the group mppsync"
for d in /etc/mppsync /etc/mpp-central /var/lib/mppsync /var/lib/mpp-central; do
  [ ! -e "$d" ] || fail "purge left $d"
done
! dpkg-query -W -f='${Status}' mppsync 2>/dev/null | grep -q 'ok installed' ||
  fail "still installed"
step "installed: user, modes, units, mpp-node as mppsync, reinstall, purge (data kept, then none)"
echo "deb_test: passed"
