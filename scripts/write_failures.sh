#!/usr/bin/env bash
# Writes that fail, against the neurokin command line (docs/reliability.md): an output directory
# that takes no file and a disk that fills up, for train, predict and export. A tiny training run
# and its predictions make the "previous" files first; then each case runs a command into the
# same directory under one of three mechanisms, and passes when the command exits 1 with a
# message naming the path and the OS's reason, no crash or sanitizer report, every previous file
# byte for byte as it was, and no temporary file left behind.
#   read-only    the directory bind-mounted read-only (EROFS) in a user + mount namespace
#                (`unshare -rm`: chmod does not stop root, and CI runs as root)
#   full disk    a tmpfs mounted over the directory (same namespace), the previous files copied
#                in, the rest filled with a filler file until the tmpfs is full (ENOSPC)
#   file limit   RLIMIT_FSIZE of 1 KB with SIGXFSZ ignored (`ulimit -f 1`): a write past it
#                fails with EFBIG, as a quota would; needs no privilege
# and /dev/full (ENOSPC on every write) as an output path. A case whose mechanism is missing
# here (no user namespaces) is skipped with the reason; if every one is, the script exits 77.
#   usage: scripts/write_failures.sh NEUROKIN [--markdown docs/reliability.md]
# (ctest runs it as cli:write_failures; --markdown rewrites the table between the file's
# <!-- write_failures:begin/end --> markers)
set -uo pipefail
source "$(dirname "$0")/markdown_table.sh"
cli=$(realpath "${1:?usage: scripts/write_failures.sh NEUROKIN [--markdown FILE]}")
markdown=${3:+$(realpath -m "$3")}
[ "${2:-}" = --markdown ] || [ -z "${2:-}" ] || { echo "usage: $0 NEUROKIN [--markdown FILE]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# the previous files: a tiny model (with its ONNX twin, report, log and checkpoint), predictions
cat >tiny.json <<'JSON'
{"arm": "planar2", "data": {"n": 300, "seed": 3}, "network": {"hidden": [8]}, "epochs": 2, "batch": 32, "threads": 1}
JSON
node -e 'let s="x,y\n";for(let i=0;i<2000;++i)s+=`${(i%40)/40},${0.5+(i%7)/10}\n`;require("fs").writeFileSync("targets.csv",s)'
mkdir out
{ "$cli" train --config tiny.json --out out/m --quiet &&
  "$cli" predict --model out/m.json --in targets.csv --out out/pred.csv &&
  "$cli" export --model out/m.json --onnx out/e.onnx; } >setup.txt 2>&1 ||
  { echo "write_failures: the setup run failed:" >&2; cat setup.txt >&2; exit 1; }
(cd out && sha256sum -- *) >before.txt

# the mechanisms, each running "$@" and leaving the exit status in code.txt and the directory's
# checksums afterwards in after.txt (taken inside the namespace, where the tmpfs still exists)
snapshot='code=$?; echo $code >code.txt; rm -f out/filler; (cd out && sha256sum -- *) >after.txt; ls -A out >listing.txt'
readonly_dir() {
  unshare -rm sh -c 'mount --bind out out && mount -o remount,bind,ro out out || exit 99
                     "$@" >stdout.txt 2>stderr.txt; '"$snapshot" sh "$@"
}
full_disk() {
  unshare -rm sh -c 'cp -a out stash && mount -t tmpfs -o size=1m tmpfs out && cp -a stash/. out/ || exit 99
                     head -c 2000000 /dev/zero >out/filler 2>/dev/null; rm -rf stash
                     "$@" >stdout.txt 2>stderr.txt; '"$snapshot" sh "$@"
}
file_limit() {
  bash -c 'trap "" XFSZ; (ulimit -f 1; exec "$@") >stdout.txt 2>stderr.txt; '"$snapshot" sh "$@"
}
plain() {
  sh -c '"$@" >stdout.txt 2>stderr.txt; '"$snapshot" sh "$@"
}

# is the mechanism there? (unshare may be refused: no user namespaces for this user)
have_namespaces=1
unshare -rm sh -c 'mount -t tmpfs tmpfs "$1"' sh "$work/out" 2>/dev/null || have_namespaces=0

rows=()
failures=0
skipped=0
ran=0
# failing MECHANISM WHAT EXPECTED -- COMMAND...: EXPECTED is a part of the message
failing() {
  local mechanism=$1 what=$2 expected=$3
  shift 4
  if [ "$mechanism" != file_limit ] && [ "$mechanism" != plain ] && [ $have_namespaces -eq 0 ]; then
    echo "write_failures: SKIP: $what: 'unshare -rm' is refused here (no user namespaces)" >&2
    skipped=$((skipped + 1))
    rows+=("| $what | \`neurokin ${*}\` | skipped | | no user namespaces on this machine |")
    return
  fi
  rm -f code.txt after.txt listing.txt stdout.txt stderr.txt
  $mechanism "$cli" "$@"
  local code
  code=$(cat code.txt 2>/dev/null || echo "none (the mechanism failed: $?)")
  ran=$((ran + 1))
  local message
  message=$({ grep -m1 '^neurokin: ' stderr.txt || head -n 1 stderr.txt; } 2>/dev/null | head -c 400 | sed 's/^neurokin: //')
  local verdict=ok
  if [ "$code" != 1 ]; then verdict="exit $code, expected 1"; fi
  if ! grep -qF -- "$expected" stderr.txt 2>/dev/null; then verdict="message lacks '$expected'"; fi
  if grep -qE 'Sanitizer|runtime error' stderr.txt 2>/dev/null; then verdict="sanitizer report"; fi
  local previous=intact
  if ! diff -q before.txt after.txt >/dev/null 2>&1; then previous=CHANGED verdict="previous files changed"; fi
  if grep -q '\.tmp$' listing.txt 2>/dev/null; then previous="$previous, TEMPORARY LEFT" verdict="a temporary file was left"; fi
  if [ "$verdict" != ok ]; then
    failures=$((failures + 1))
    echo "write_failures: FAIL: $what (neurokin ${*}): $verdict" >&2
    sed 's/^/  | /' stderr.txt 2>/dev/null | tail -5 >&2
    diff before.txt after.txt 2>/dev/null | sed 's/^/  | /' >&2
  fi
  rows+=("| $what | \`neurokin ${*}\` | $code | $previous | ${message//|/\\|} |")
}

failing readonly_dir "train, output directory read-only" "out/m.json: cannot create a file in out: Read-only file system" \
  -- train --config tiny.json --out out/m --quiet
failing full_disk "train, disk full" "out/m.ckpt: write failed: No space left on device" \
  -- train --config tiny.json --out out/m --quiet
failing file_limit "train, file size limit (1 KB)" "out/m.ckpt: write failed: File too large" \
  -- train --config tiny.json --out out/m --quiet
failing readonly_dir "predict, output directory read-only" "out/pred.csv: cannot create a file in out: Read-only file system" \
  -- predict --model out/m.json --in targets.csv --out out/pred.csv
failing full_disk "predict, disk full" "out/pred.csv: write failed: No space left on device" \
  -- predict --model out/m.json --in targets.csv --out out/pred.csv
failing file_limit "predict, file size limit (1 KB)" "out/pred.csv: write failed: File too large" \
  -- predict --model out/m.json --in targets.csv --out out/pred.csv
failing plain "predict to /dev/full" "/dev/full: write failed: No space left on device" \
  -- predict --model out/m.json --in targets.csv --out /dev/full
failing readonly_dir "export, output directory read-only" "out/e.onnx: cannot create a file in out: Read-only file system" \
  -- export --model out/m.json --onnx out/e.onnx
failing full_disk "export, disk full" "out/e.onnx: write failed: No space left on device" \
  -- export --model out/m.json --onnx out/e.onnx

print_table write_failures "$markdown" "failure | command | exit | previous files | message (stderr)" "${rows[@]}" || exit 1
echo "write_failures: ${#rows[@]} cases, $ran ran, $skipped skipped, $failures failed" >&2
[ $failures -eq 0 ] || exit 1
[ $ran -gt 0 ] || exit 77
