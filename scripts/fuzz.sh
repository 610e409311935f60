#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for SECONDS, FUZZ_JOBS (default: the cores) at a time, from the seed
# corpus the build made (BUILD/seeds) plus what earlier runs found (BUILD/corpus, kept).
# A crash, a sanitizer finding, a leak, a timeout (> 10 s for one input) or memory over
# 2 GB fails the run: the input is saved under BUILD/artifacts/<fuzzer>/ and the end of the
# fuzzer's log is printed. Reproduce with: BUILD/bin/<fuzzer> BUILD/artifacts/<fuzzer>/crash-...
#   usage: scripts/fuzz.sh BUILD SECONDS [FUZZER...]   (default: every fuzzer in BUILD/bin)
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD SECONDS [FUZZER...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD SECONDS [FUZZER...]}
shift 2
fuzzers=("$@")
if [ ${#fuzzers[@]} -eq 0 ]; then
  for f in "$build"/bin/fuzz_*; do
    name=$(basename "$f")
    [ "$name" = fuzz_seeds ] || fuzzers+=("$name")
  done
fi
[ ${#fuzzers[@]} -gt 0 ] || { echo "fuzz: no fuzzers in $build/bin (make fuzz-build)" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/logs"
# one fuzzer per core at a time (FUZZ_JOBS, default nproc): each is single-threaded
jobs=${FUZZ_JOBS:-$(nproc)}

# runs one fuzzer; its verdict goes to BUILD/logs/NAME.status (ok / FAILED)
run_one() {
  local name=$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1 log=$build/logs/$1.log
  mkdir -p "$corpus" "$artifacts"
  if "$build/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$corpus" "$build/seeds/$name" >"$log" 2>&1; then
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $name ok: ${seconds} s, ${runs:-?} inputs, ${cov:-cov: ?} edges, corpus $(ls "$corpus" | wc -l) files"
    echo ok >"$build/logs/$name.status"
  else
    echo FAILED >"$build/logs/$name.status"
  fi
}

for name in "${fuzzers[@]}"; do
  rm -f "$build/logs/$name.status"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$name" &
done
wait
failed=()
for name in "${fuzzers[@]}"; do
  if [ "$(cat "$build/logs/$name.status" 2>/dev/null)" != ok ]; then
    echo "fuzz: $name FAILED (log $build/logs/$name.log, input under $build/artifacts/$name/):" >&2
    grep -v '^#[0-9]' "$build/logs/$name.log" | tail -40 >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
