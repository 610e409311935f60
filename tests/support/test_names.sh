#!/usr/bin/env bash
# ctest splits a test's name at ';' (catch_discover_tests registers "a; b" as two tests that
# match nothing and pass without running), so a Catch test name must not contain one.
# Usage: test_names.sh TEST_BINARY...
set -euo pipefail
bad=0
for bin in "$@"; do
  while IFS= read -r name; do
    if [[ $name == *";"* ]]; then
      echo "$(basename "$bin"): test name with ';' (ctest would not run it): $name" >&2
      bad=1
    fi
  done < <("$bin" --list-test-names-only)
done
[ $bad = 0 ] && echo "test names: $# binaries, none with ';'"
exit $bad
