#!/usr/bin/env bash
# The long fault budget: every fault test of CI, run far longer. Prints each test's figures
# and ends with a summary; exits non-zero on the first violation.
#
#   bash tests/fault/long-budget.sh [--no-fuzz]
#
# Budgets (environment; defaults in brackets): MPP_SIM_SEEDS [100000] simulation seeds,
# MPP_FAULT_KILLS [200] kill -9 of mpp-central, mppctl and mpp-node during syncs,
# MPP_FAULT_CUTS [100] link cuts at random byte offsets, MPP_FUZZ_SECONDS [600] per fuzz
# target. With the defaults it takes about 1 h 30 min on 2 cores. Builds in build/long and
# build/fuzz (clang); run `bash .ci/install-deps` first on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzz=1
[ "${1:-}" = "--no-fuzz" ] && fuzz=0
jobs=${MPP_JOBS:-2}
export MPP_SIM_SEEDS=${MPP_SIM_SEEDS:-100000}
export MPP_FAULT_KILLS=${MPP_FAULT_KILLS:-200}
export MPP_FAULT_CUTS=${MPP_FAULT_CUTS:-100}
export MPP_FUZZ_SECONDS=${MPP_FUZZ_SECONDS:-600}
log=build/long/long-budget.log
start=$(date +%s)

cmake -S . -B build/long -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPP_BUILD_BENCH=OFF >/dev/null
cmake --build build/long -j"$jobs" >/dev/null
: >"$log"
run() {  # run NAME COMMAND...: its output to the log, its figures to the screen
  echo "== $1" | tee -a "$log"
  shift
  "$@" >>"$log" 2>&1 || { echo "FAILED; see $log" >&2; tail -40 "$log" >&2; exit 1; }
}
figures() { grep -E "$1" "$log" | sed 's/^[0-9]*: //' | tee -a "$log.summary"; }

run "simulation: $MPP_SIM_SEEDS seeds" \
  bash -c "cd build/long && ctest -R Simulation -j$jobs -V"
figures "^([0-9]+: )?(simulation shard|planted)"
run "crash points under SQLite" build/long/tests/fault_crash_point_test
figures "operations:"
run "kill -9: $MPP_FAULT_KILLS kills" build/long/tests/fault_kill_test
figures "^kill -9"
run "link cuts at every message boundary" \
  build/long/tests/sync_test --gtest_filter='*EveryMessage*'
figures "^cuts at every"
run "link cuts at $MPP_FAULT_CUTS random byte offsets" \
  build/long/tests/sync_integration_test --gtest_filter='*RandomByte*'
figures "^cuts at random"
run "hostile clients" build/long/tests/fault_hostile_client_test
figures "^(flood|slow drip)"
if [ "$fuzz" = 1 ]; then
  cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMPP_FUZZ=ON >/dev/null
  cmake --build build/fuzz -j"$jobs" --target fuzz_router fuzz_batch fuzz_merge >/dev/null
  run "fuzzing, $MPP_FUZZ_SECONDS s per target" bash -c "cd build/fuzz && ctest -L fuzz -V -j$jobs"
  figures "(Test *#|stat::number_of_executed_units)"
fi
echo "== long budget passed in $(( $(date +%s) - start )) s; figures in $log.summary"
