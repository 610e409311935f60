#!/usr/bin/env bash
# The kill/resume soak (docs/reliability.md): trains the config once without interruption, then
# again killed with SIGKILL at random moments KILLS times, each time continued with --resume
# (or started afresh while no checkpoint exists yet), and checks that the two models are
# bit-identical: the same weights, normalisation and per-epoch curves (timings aside), and the
# same ONNX bytes. Same seed, same thread count (1).
#   usage: scripts/soak_resume.sh NEUROKIN CONFIG [KILLS] [SEED]
#   e.g.   scripts/soak_resume.sh build/native/bin/neurokin tests/soak/planar2.json 6
set -euo pipefail
cli=${1:?usage: scripts/soak_resume.sh NEUROKIN CONFIG [KILLS] [SEED]}
config=${2:?usage: scripts/soak_resume.sh NEUROKIN CONFIG [KILLS] [SEED]}
kills=${3:-6}
RANDOM=${4:-$$}
work=$(mktemp -d "${TMPDIR:-/tmp}/neurokin-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT

# both runs write DIR/model.* (the ONNX graph is named after the file)
mkdir -p "$work/whole" "$work/part"
train() {  # train DIR [--resume]
  "$cli" train --config "$config" --out "$work/$1/model" --threads 1 --quiet "${@:2}" >>"$work/$1.out" 2>&1
}

start=$(date +%s.%N)
train whole
whole_s=$(echo "$(date +%s.%N) - $start" | bc)
echo "soak: uninterrupted run ${whole_s%.*} s"

# kill at a random moment within the uninterrupted run's length, KILLS times
killed=0 resumed=0 fresh=0
while [ "$killed" -lt "$kills" ]; do
  flag=()
  if [ -f "$work/part/model.ckpt" ]; then flag=(--resume); resumed=$((resumed + 1)); else fresh=$((fresh + 1)); fi
  # the CLI itself in the background (not a function's subshell): $! is the process to kill
  "$cli" train --config "$config" --out "$work/part/model" --threads 1 --quiet "${flag[@]}" >>"$work/part.out" 2>&1 &
  pid=$!
  # 5% to 95% of the whole run, in milliseconds
  ms=$(echo "$whole_s * 1000 * (5 + $RANDOM % 91) / 100" | bc)
  sleep "$(echo "scale=3; $ms / 1000" | bc)"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    killed=$((killed + 1))
    echo "soak: killed after ${ms} ms ($( [ -f "$work/part/model.ckpt" ] && echo "checkpoint present" || echo "no checkpoint yet"))"
  else
    wait "$pid" || { echo "soak: a run failed on its own:" >&2; tail -20 "$work/part.out" >&2; exit 1; }
    echo "soak: the run finished before the kill; training it again from scratch"
    rm -f "$work"/part/model.*
  fi
done
# then to the end
if [ -f "$work/part/model.ckpt" ]; then train part --resume; resumed=$((resumed + 1)); else train part; fi
pgrep -f -- "--out $work/part/model" >/dev/null && { echo "soak: FAILED: a killed run is still running" >&2; exit 1; }
echo "soak: $killed kills, $resumed resumes, $fresh fresh starts"

# the same model: weights, normalisation, curves (timings aside), and the ONNX bytes
node - "$work/whole/model.json" "$work/part/model.json" <<'EOF'
const fs = require('fs');
const [a, b] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const strip = (m) => {
  const c = { ...m.metadata.curves };
  delete c.seconds;
  delete c.samples_per_s;
  return JSON.stringify({ layers: m.layers, input: m.input, output: m.output, curves: c });
};
if (strip(a) !== strip(b)) {
  console.error('soak: FAILED: the resumed model differs from the uninterrupted one');
  process.exit(1);
}
EOF
cmp -s "$work/whole/model.onnx" "$work/part/model.onnx" || { echo "soak: FAILED: the ONNX files differ" >&2; exit 1; }
echo "soak: the resumed model is bit-identical to the uninterrupted one (weights, curves, ONNX)"
