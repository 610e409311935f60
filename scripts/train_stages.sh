#!/usr/bin/env bash
# A shipped model in stages (make models): models/configs/ARM-KIND.json, then every
# models/configs/ARM-KIND-finetune*.json in name order, each fine-tuned (--init) from the stage
# before. The last stage writes models/ARM/KIND; earlier ones build/models/ARM-KIND-stageN.
# Usage: scripts/train_stages.sh NEUROKIN ARM KIND [more `neurokin train` options...]
set -euo pipefail
cli=$1 arm=$2 kind=$3
shift 3
shopt -s nullglob
configs=("models/configs/$arm-$kind.json" "models/configs/$arm-$kind"-finetune*.json)
[ -f "${configs[0]}" ] || { echo "train_stages: ${configs[0]} is missing" >&2; exit 1; }
mkdir -p build/models "models/$arm"
init=()
last=$((${#configs[@]} - 1))
for i in "${!configs[@]}"; do
  out="build/models/$arm-$kind-stage$i"
  [ "$i" = "$last" ] && out="models/$arm/$kind"
  echo "train_stages: $arm $kind, stage $((i + 1)) of $((last + 1)): ${configs[$i]} -> $out" >&2
  "$cli" train --config "${configs[$i]}" --out "$out" ${init[@]+"${init[@]}"} --quiet "$@"
  init=(--init "$out.json")
done
