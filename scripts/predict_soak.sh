#!/usr/bin/env bash
# The CLI's batch predict on a long file (issue 7, docs/reliability.md): N seeded reachable
# targets of an arm through `neurokin predict`, its peak resident set (/usr/bin/time -v) next to
# the same on N/100 rows, and K rows drawn at random predicted again on their own, each of which
# must give the same line (the streaming reader and writer keep every row in its place).
# Usage: scripts/predict_soak.sh NEUROKIN MODEL.json ARM [N=10000000] [K=1000]
set -euo pipefail
cli=$1 model=$2 arm=$3 n=${4:-10000000} k=${5:-1000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
peak_kb() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1"; }

"$cli" sample --arm "$arm" --n "$n" --seed 7 --task --out "$dir/big.csv"
head -n $((n / 100 + 1)) "$dir/big.csv" > "$dir/small.csv"
/usr/bin/time -v "$cli" predict --model "$model" --in "$dir/small.csv" --out "$dir/small.out" 2> "$dir/small.time"
start=$(date +%s.%N)
/usr/bin/time -v "$cli" predict --model "$model" --in "$dir/big.csv" --out "$dir/big.out" 2> "$dir/big.time"
seconds=$(echo "$(date +%s.%N) - $start" | bc)
rows=$(($(wc -l < "$dir/big.out") - 1))
[ "$rows" = "$n" ] || { echo "predict_soak: $rows output rows for $n targets" >&2; exit 1; }

# K random rows on their own, against their lines in the long run's output
shuf -i 2-$((n + 1)) -n "$k" --random-source=<(yes) | sort -n > "$dir/lines"
{ head -n 1 "$dir/big.csv"; awk 'NR==FNR { want[$1]; next } FNR in want' "$dir/lines" "$dir/big.csv"; } > "$dir/pick.csv"
"$cli" predict --model "$model" --in "$dir/pick.csv" --out "$dir/pick.out"
awk 'NR==FNR { want[$1]; next } FNR in want' "$dir/lines" "$dir/big.out" > "$dir/pick.expected"
wrong=$(diff <(tail -n +2 "$dir/pick.out") "$dir/pick.expected" | grep -c '^>' || true)
echo "predict_soak: $n rows of $arm in $(printf %.1f "$seconds") s ($(printf %.0f "$(echo "$n / $seconds" | bc -l)") rows/s); peak RSS $(peak_kb "$dir/small.time") KB on $((n / 100)) rows, $(peak_kb "$dir/big.time") KB on $n; $k rows predicted again alone: $wrong differ"
[ "$wrong" = 0 ]
