#!/usr/bin/env bash
# The benchmark suite: mppsync and the PouchDB peer on the same workload in one run, then a
# markdown + JSON report (build/bench/report.md, report.json). Not part of the tests.
#
#   bash tests/bench/run.sh [--quick]     (--quick: 10k only, no 1M, 20 sites, no link profiles)
#
# Needs the project's packages (bash .ci/install-deps) and Node.js with npm for the peer;
# the PouchDB harness is copied from ../shared/bench into build/bench/pouchdb and installed
# there with npm ci, so shared/ stays untouched.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/build/bench"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
mkdir -p "$out"

echo "== build (Release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DMPP_BUILD_TESTS=ON >/dev/null
cmake --build build/release -j"${MPP_JOBS:-2}" --target mpp_bench api_bench mpp-central mppctl mpp-node >/dev/null

echo "== PouchDB peer (../shared/bench)"
shared="$root/../shared/bench"
[ -d "$shared" ] || { echo "no $shared: the PouchDB harness lives beside the project" >&2; exit 1; }
mkdir -p "$out/pouchdb"
cp "$shared"/{bench.js,client.js,server.js,workload.js,package.json,package-lock.json} "$out/pouchdb/"
(cd "$out/pouchdb" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
ns=10000,100000
[ "$quick" = 1 ] && ns=10000
(cd "$out/pouchdb" && node bench.js --n "$ns" --runs 1 --out "$out/pouch.json" | tail -12)

echo "== mppsync"
args=(--n "$ns" --out "$out/mpp.json" --dir "$out")
if [ "$quick" = 1 ]; then
  args+=(--sites 20)
else
  args+=(--big 1000000 --sites 200 --profiles)
fi
build/release/tests/bench/mpp_bench "${args[@]}"
build/release/tests/bench/api_bench --records 5000 --dir "$out" | tee "$out/api.txt"

echo "== report"
node tests/bench/report.js "$out/pouch.json" "$out/mpp.json" "$out/api.txt" "$out/report.md" "$out/report.json"
cat "$out/report.md"
