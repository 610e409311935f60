#!/usr/bin/env bash
# The worked example: for each arm, joint angles -> forward kinematics -> the task target ->
# inverse kinematics (damped least squares from the middle of the limits) -> a table.
# Usage: scripts/demo.sh [path/to/neurokin]
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:-build/native/bin/neurokin}
[ -x "$cli" ] || { echo "demo: $cli not found; run 'make build' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# three configurations per arm, in radians, within the limits
declare -A configs=(
  [planar2]="joint1,joint2
0.3,1.2
-1.0,-0.8
2.5,0.4"
  [puma3]="J1,J2,J3
0.2,0.6,-0.9
-1.1,1.9,-2.5
2.4,0.1,0.3"
  [omx4]="joint1,joint2,joint3,joint4
0.5,-0.3,0.4,0.6
-1.2,0.6,-0.2,0.9
2.0,0.2,0.9,-0.5"
  [kr6]="a1,a2,a3,a4,a5,a6
0.3,-1.2,1.0,0.5,0.8,-0.4
-1.5,-0.5,0.2,-2.0,1.1,2.5
2.6,-2.2,1.9,1.0,-0.7,-3.0"
)

for arm in planar2 puma3 omx4 kr6; do
  echo
  "$cli" info "$arm" | head -n 3
  printf '%s\n' "${configs[$arm]}" > "$work/q.csv"
  # the targets these configurations reach, as the arm's task vectors
  "$cli" fk --arm "$arm" --in "$work/q.csv" --task --out "$work/targets.csv"
  # an unreachable target too: the first target's position scaled by 2.5, same orientation
  awk -F, -v arm="$arm" 'NR == 2 { OFS = ","; $1 *= 2.5; $2 *= 2.5; if (arm != "planar2") $3 *= 2.5; print }' \
    "$work/targets.csv" >> "$work/targets.csv"
  "$cli" ik --arm "$arm" --in "$work/targets.csv" --out "$work/ik.csv" --seed 1
  echo "  target | IK joint angles (rad) | status | position error (m) | iterations | time (us)"
  paste -d'|' "$work/targets.csv" "$work/ik.csv" | tail -n +2 | awk -F'|' -v n="$(head -1 "$work/q.csv" | tr ',' '\n' | wc -l)" '
    { split($1, t, ","); split($2, r, ",");
      target = ""; for (i = 1; i <= length(t); i++) target = target sprintf("%s%.3f", i > 1 ? " " : "", t[i]);
      q = ""; for (i = 1; i <= n; i++) q = q sprintf("%s%+.3f", i > 1 ? " " : "", r[i]);
      printf "  %-44s | %-42s | %-11s | %9.2e | %3d | %7.1f\n", target, q, r[n + 1], r[n + 2], r[n + 4], r[n + 5] }'
done
echo
echo "Every reachable target converged to 1e-5 m (and 1e-4 rad); the last row of each arm is out of reach."
