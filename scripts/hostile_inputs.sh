#!/usr/bin/env bash
# Hostile inputs against the neurokin command line (docs/reliability.md). Each case makes a
# bad file in a fresh directory, runs a command on it, and passes when the command exits 1
# with a message containing the expected text (the field, line or reason), no crash or
# sanitizer report, and no output file; input that is odd but valid (a target out of reach)
# passes when it gets a result instead. Prints a Markdown table of what actually happened.
#   usage: scripts/hostile_inputs.sh NEUROKIN [--markdown docs/reliability.md]
# (ctest runs it as cli:hostile_inputs; --markdown rewrites the table between the file's
# <!-- hostile_inputs:begin/end --> markers)
set -uo pipefail
source "$(dirname "$0")/markdown_table.sh"
cli=$(realpath "${1:?usage: scripts/hostile_inputs.sh NEUROKIN [--markdown FILE]}")
markdown=${3:+$(realpath -m "$3")}
[ "${2:-}" = --markdown ] || [ -z "${2:-}" ] || { echo "usage: $0 NEUROKIN [--markdown FILE]" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fixture=$src/models/fixtures/tiny_planar2.json
cp "$fixture" model.json
cp "$src/models/arms/planar2.json" arm.json
printf 'x,y\n1,1\n0.5,-0.5\n' >targets.csv
printf 'joint1,joint2\n0,0\n0.1,0.2\n' >joints.csv

# node (a dependency of the tests already) edits JSON: mutate IN OUT 'JS statement on j'
mutate() { node -e "const fs=require('fs');const j=JSON.parse(fs.readFileSync('$1'));$3;fs.writeFileSync('$2',JSON.stringify(j))"; }

# nested PREFIX OUT: PREFIX then 100000 opening brackets (a parser that recurses overflows its stack)
nested() { { printf '%s' "$1"; head -c 100000 /dev/zero | tr '\0' '['; } >"$2"; }

rows=()
failures=0
# hostile INPUT EXPECTED -- COMMAND...: INPUT describes the file, EXPECTED is a part of the message
hostile() {
  local input=$1 expected=$2
  shift 3
  rm -f out.csv out.onnx run.json run.onnx
  timeout 300 "$cli" "$@" >stdout.txt 2>stderr.txt
  local code=$?
  local message
  # the error line (commands that report progress on stderr print it last)
  message=$({ grep -m1 '^neurokin: ' stderr.txt || head -n 1 stderr.txt; } | head -c 400 | sed 's/^neurokin: //')
  local verdict=ok
  if [ $code -ne 1 ]; then verdict="exit $code, expected 1"; fi
  if ! grep -qF -- "$expected" stderr.txt; then verdict="message lacks '$expected'"; fi
  if grep -qE 'Sanitizer|runtime error|LeakSanitizer' stderr.txt; then verdict="sanitizer report"; fi
  local outputs=none
  if [ -e out.csv ] || [ -e out.onnx ] || [ -e run.json ] || [ -e run.onnx ]; then
    outputs=WRITTEN verdict="wrote an output file"
  fi
  if [ "$verdict" != ok ]; then
    failures=$((failures + 1))
    echo "hostile: FAIL: $input (neurokin ${*}): $verdict" >&2
    sed 's/^/  | /' stderr.txt | head -20 >&2
  fi
  local shown=${message//|/\\|}
  [ ${#shown} -le 220 ] || shown="${shown:0:217}..."
  rows+=("| $input | \`neurokin ${*//$src\//}\` | $code | $outputs | $shown |")
}

# accepted INPUT EXPECTED -- COMMAND...: input that is odd but valid gets a result, not an
# error: exit 0, the output file written, EXPECTED in it (a status such as "unreachable")
accepted() {
  local input=$1 expected=$2
  shift 3
  rm -f out.csv out.onnx run.json run.onnx
  timeout 300 "$cli" "$@" >stdout.txt 2>stderr.txt
  local code=$?
  local verdict=ok outputs=none
  if [ -e out.csv ] || [ -e run.json ]; then outputs=written; fi
  if [ $code -ne 0 ]; then verdict="exit $code, expected 0"; fi
  if ! grep -qsF -- "$expected" out.csv stdout.txt stderr.txt; then verdict="no '$expected' in the output"; fi
  if grep -qE 'Sanitizer|runtime error' stderr.txt; then verdict="sanitizer report"; fi
  if [ "$verdict" != ok ]; then
    failures=$((failures + 1))
    echo "hostile: FAIL: $input (neurokin ${*}): $verdict" >&2
    sed 's/^/  | /' stderr.txt | head -20 >&2
  fi
  rows+=("| $input | \`neurokin ${*//$src\//}\` | $code | $outputs | a result, not an error: the output says \"$expected\" |")
}

# ---- model files (predict; the same loader serves ik, classify, eval, export, info) ----
head -c 3000 "$fixture" >m_truncated.json
hostile "model truncated half way" "not valid JSON" -- predict --model m_truncated.json --in targets.csv --out out.csv
: >m_empty.json
hostile "model file empty" "not valid JSON" -- predict --model m_empty.json --in targets.csv --out out.csv
head -c 4096 /dev/urandom >m_binary.json
hostile "model file of random bytes" "model file 'm_binary.json'" -- predict --model m_binary.json --in targets.csv --out out.csv
mutate model.json m_type.json 'j.layers="dense"'
hostile "model: layers a string" "model.layers: expected an array of layers" -- predict --model m_type.json --in targets.csv --out out.csv
mutate model.json m_type2.json 'j.input.size="2"'
hostile "model: input.size a string" "model.input.size: expected an integer" -- predict --model m_type2.json --in targets.csv --out out.csv
mutate model.json m_huge.json 'j.layers[3].out=1e9'
hostile "model: a layer 10^9 wide" "model.layers[3].out: expected an integer in [1, 65536]" -- predict --model m_huge.json --in targets.csv --out out.csv
mutate model.json m_budget.json 'j.layers[2].width=65536; j.layers[0].out=65536; j.layers[3].in=65536'
hostile "model: widths 65536 (17 G parameters declared)" "at most 50000000 parameters" -- predict --model m_budget.json --in targets.csv --out out.csv
mutate model.json m_negative.json 'j.layers[0].in=-5'
hostile "model: negative dimension" "model.layers[0].in: expected an integer in [1, 65536]" -- predict --model m_negative.json --in targets.csv --out out.csv
mutate model.json m_short.json 'j.layers[3].weight=j.layers[3].weight.slice(0,-8)'
hostile "model: weights shorter than in x out" "model.layers[3].weight: expected 64 floats (4 x 16)" -- predict --model m_short.json --in targets.csv --out out.csv
# a NaN and an infinity as float32 bits (base64 of 00 00 c0 7f and 00 00 80 7f)
mutate model.json m_nan.json 'j.layers[3].bias="AADAfw"+j.layers[3].bias.slice(6)'
hostile "model: NaN weight (float32 bits)" "model.layers[3].bias[0]: expected a finite number, got nan" -- predict --model m_nan.json --in targets.csv --out out.csv
mutate model.json m_inf.json 'j.layers[3].bias="AACAfw"+j.layers[3].bias.slice(6)'
hostile "model: infinite weight (float32 bits)" "model.layers[3].bias[0]: expected a finite number, got inf" -- predict --model m_inf.json --in targets.csv --out out.csv
mutate model.json m_big.json 'j.input.mean[0]=1e39'
hostile "model: 1e39 in a number array (beyond float32)" "model.input.mean[0]: expected a finite float32" -- predict --model m_big.json --in targets.csv --out out.csv
sed 's/"size": 2,/"size": 2e5005,/' "$fixture" >m_overflow.json
hostile "model: a number beyond a double (2e5005)" "model file 'm_overflow.json': model: not valid JSON: [json.exception.out_of_range.406] number overflow" -- predict --model m_overflow.json --in targets.csv --out out.csv
mutate model.json m_std.json 'j.input.std[1]=0'
hostile "model: zero standard deviation" "model.input.std[1]: expected a finite positive number, got 0" -- predict --model m_std.json --in targets.csv --out out.csv
nested '{"format":"neurokin-model","metadata":' m_nested.json
hostile "model: JSON nested 100000 deep" "JSON nested at most 64 deep" -- predict --model m_nested.json --in targets.csv --out out.csv
truncate -s 1G m_1gb.json
hostile "model file of 1 GB (sparse)" "expected at most 536870912 bytes, got 1073741824 bytes" -- predict --model m_1gb.json --in targets.csv --out out.csv
mutate model.json m_task.json 'j.task="position"'
hostile "model: task not its arm's" "model.task: expected \"planar_xy\" (the arm's task)" -- predict --model m_task.json --in targets.csv --out out.csv
mutate model.json m_kind.json 'j.kind="feasibility"'
hostile "model: ik weights labelled feasibility" "model.output.decoding" -- predict --model m_kind.json --in targets.csv --out out.csv
printf 'x,y,z\n0.5,0,0.5\n' >puma_targets.csv
hostile "a planar2 model for arm puma3" "the model is for arm 'planar2'" -- ik --arm puma3 --model model.json --in puma_targets.csv --out out.csv
hostile "an ik model given to classify" "classify needs a feasibility model" -- classify --model model.json --in targets.csv --out out.csv
hostile "model export to ONNX, model truncated" "not valid JSON" -- export --model m_truncated.json --onnx out.onnx
hostile "info on a model nested 100000 deep" "JSON nested at most 64 deep" -- info m_nested.json
hostile "info on a 1 GB file" "expected at most" -- info m_1gb.json

# ---- arm files (fk; the same loader serves every --arm, info, and the arm inside a model) ----
mutate arm.json a_zero.json 'j.joints=[]'
hostile "arm with zero joints" "arm.joints: expected an array of 1 to 12 joints, got array []" -- fk --arm a_zero.json --in joints.csv --out out.csv
mutate arm.json a_many.json 'j.joints=Array(13).fill(j.joints[0])'
hostile "arm with 13 joints" "arm.joints: expected an array of 1 to 12 joints" -- fk --arm a_many.json --in joints.csv --out out.csv
mutate arm.json a_axis.json 'j.joints[1].axis=[0,0,0]'
hostile "arm: zero rotation axis" "arm.joints[1].axis: expected a non-zero 3-vector, got array [0,0,0]" -- fk --arm a_axis.json --in joints.csv --out out.csv
mutate arm.json a_axis_tiny.json 'j.joints[1].axis=[1e-300,0,0]'
hostile "arm: axis of length 1e-300" "arm.joints[1].axis: expected a non-zero 3-vector" -- fk --arm a_axis_tiny.json --in joints.csv --out out.csv
mutate arm.json a_limits.json 'j.joints[0].limits=[1,-1]'
hostile "arm: limits lower > upper" "arm.joints[0].limits: expected lower <= upper" -- fk --arm a_limits.json --in joints.csv --out out.csv
mutate arm.json a_type.json 'j.joints[0].origin.xyz=[0,"0",0]'
hostile "arm: a string for a coordinate" "arm.joints[0].origin.xyz[1]: expected a number" -- fk --arm a_type.json --in joints.csv --out out.csv
mutate arm.json a_huge.json 'j.joints[1].origin.xyz=[1e308,0,0]'
hostile "arm: links 1e308 m long" "arm.joints[1].origin.xyz: expected coordinates within +-1e6 m" -- fk --arm a_huge.json --in joints.csv --out out.csv
mutate arm.json a_dh.json 'delete j.joints[0].origin; delete j.joints[0].axis; j.joints[0].dh={a:1,alpha:0,d:-1e7}'
hostile "arm: DH offset d = -1e7 m" "arm.joints[0].dh.d: expected a length within +-1e6 m" -- fk --arm a_dh.json --in joints.csv --out out.csv
mutate arm.json a_analytic.json 'j.joints[1].origin.xyz=[1,0,0.5]; j.joints[1].axis=[0,1,0]'
accepted "arm: planar2r solver named on a geometry it does not fit" "converged" -- ik --arm a_analytic.json --in targets.csv --out out.csv
head -c 200 arm.json >a_truncated.json
hostile "arm file truncated" "not valid JSON" -- fk --arm a_truncated.json --in joints.csv --out out.csv
nested '{"format":"neurokin-arm","joints":' a_nested.json
hostile "arm: JSON nested 100000 deep" "JSON nested at most 64 deep" -- fk --arm a_nested.json --in joints.csv --out out.csv
truncate -s 1G a_1gb.json
hostile "arm file of 1 GB (sparse)" "expected at most 16777216 bytes" -- fk --arm a_1gb.json --in joints.csv --out out.csv
mutate model.json m_arm0.json 'j.arm.joints=[]'
hostile "model whose arm has zero joints" "model.arm.joints: expected an array of 1 to 12 joints" -- predict --model m_arm0.json --in targets.csv --out out.csv

# ---- CSV inputs (fk/ik/predict/classify --in) ----
printf 'joint1,joint2\n0\n' >c_missing.csv
hostile "CSV row with a missing column" "c_missing.csv:2: expected 2 columns (joint1,joint2), got 1" -- fk --arm planar2 --in c_missing.csv --out out.csv
printf 'joint1,joint2\n0,0,0\n' >c_extra.csv
hostile "CSV row with an extra column" "c_extra.csv:2: expected 2 columns (joint1,joint2), got 3" -- fk --arm planar2 --in c_extra.csv --out out.csv
printf 'joint1,joint2\n0,0\n0.1,abc\n' >c_text.csv
hostile "CSV: text in a number" "c_text.csv:3: column 2 (joint2): expected a number, got \"abc\"" -- fk --arm planar2 --in c_text.csv --out out.csv
printf 'joint1,joint2\n0,1.5e\n' >c_half.csv
hostile "CSV: a number cut short (1.5e)" "column 2 (joint2): expected a number, got \"1.5e\"" -- fk --arm planar2 --in c_half.csv --out out.csv
printf 'x,y\nnan,0\n' >c_nan.csv
hostile "CSV: NaN target" "c_nan.csv:2: column 1 (x): expected a finite number, got \"nan\"" -- predict --model model.json --in c_nan.csv --out out.csv
printf 'x,y\n1e999,0\n' >c_inf.csv
hostile "CSV: 1e999 (overflows a double)" "column 1 (x): expected a finite number, got \"1e999\"" -- predict --model model.json --in c_inf.csv --out out.csv
printf 'x,y\n1e300,0\n' >c_1e300.csv
hostile "CSV: target 1e300 into a float32 network" "c_1e300.csv:2" -- predict --model model.json --in c_1e300.csv --out out.csv
printf 'x,y\n3,0\n' >c_far.csv
accepted "target out of the arm's reach" "unreachable" -- ik --arm planar2 --in c_far.csv --out out.csv
printf 'x,y,z,pitch\n1.099125421991228e+37,0.0356,0.342,-1.376\n' >c_1e37.csv
accepted "target 1.1e37 m away, network overflows (NaN guess)" "unreachable" -- ik --model "$src/models/omx4/ik.json" --in c_1e37.csv --out out.csv
printf '0,0\n0.1,0.2\n' >c_noheader.csv
hostile "CSV without a header row" "expected a header row (joint1,joint2), got numbers" -- fk --arm planar2 --in c_noheader.csv --out out.csv
: >c_empty.csv
hostile "CSV file empty" "got an empty file" -- fk --arm planar2 --in c_empty.csv --out out.csv
head -c 65536 /dev/urandom >c_binary.csv
hostile "CSV of random bytes" "c_binary.csv:" -- fk --arm planar2 --in c_binary.csv --out out.csv
printf 'x,y,z,qx,qy,qz,qw\n0.9,0,0.4,0,0,0,2\n' >c_quat.csv
hostile "CSV: pose target, quaternion not unit" "c_quat.csv:2: target quaternion (qx, qy, qz, qw): expected unit norm" -- ik --arm kr6 --in c_quat.csv --out out.csv
truncate -s 1G c_1gb.csv
hostile "CSV file of 1 GB (sparse, no newline)" "c_1gb.csv" -- fk --arm planar2 --in c_1gb.csv --out out.csv
hostile "CSV file of 1 GB (sparse, no newline) into predict, which streams" "c_1gb.csv:1: expected a line of at most 1048576 bytes" -- predict --model model.json --in c_1gb.csv --out out.csv
hostile "CSV file missing" "nope.csv: cannot open" -- fk --arm planar2 --in nope.csv --out out.csv
hostile "output into a missing directory" "no_dir/out.csv" -- fk --arm planar2 --in joints.csv --out no_dir/out.csv

# ---- training files (train --cache, --resume): a tiny run of one epoch ----
cat >tiny.json <<'JSON'
{"arm": "planar2", "data": {"n": 300, "seed": 3}, "network": {"hidden": [8]}, "epochs": 1, "batch": 32, "threads": 1}
JSON
head -c 4096 /dev/urandom >cache.bin
accepted "dataset cache of random bytes" "not a neurokin dataset (bad magic)" -- train --config tiny.json --out run --quiet --cache cache.bin
head -c 100 cache.bin >run.ckpt
hostile "checkpoint of random bytes (--resume)" "checkpoint 'run.ckpt': not a neurokin checkpoint" -- train --config tiny.json --out run --quiet --resume
mutate tiny.json c_cfg.json 'j.network.hidden=[1e9]'
hostile "training config: a layer 10^9 wide" "config.network.hidden" -- train --config c_cfg.json --out run --quiet
nested '{"arm":' c_cfg_nested.json
hostile "training config nested 100000 deep" "JSON nested at most 64 deep" -- train --config c_cfg_nested.json --out run --quiet

print_table hostile_inputs "$markdown" "hostile input | command | exit | output file | message (stderr)" "${rows[@]}" || exit 1
echo "hostile: ${#rows[@]} cases, $failures failed" >&2
[ $failures -eq 0 ]
