#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine; does nothing when all is present.
# Idempotent: every step checks first. As root it runs apt-get; otherwise it prints the command.
set -euo pipefail
cd "$(dirname "$0")/.."

# debian packages: toolchain, core, trainer, tests, benchmarks, browser tests, fuzzing, and
# gnuplot for the SVG plots the trainer writes next to each model (trainer/src/report/plot.h)
pkgs=(build-essential cmake ninja-build git pkg-config
      libeigen3-dev nlohmann-json3-dev catch2 libcli11-dev libfmt-dev
      libdnnl-dev ocl-icd-opencl-dev libonnx-dev libprotobuf-dev protobuf-compiler
      libbenchmark-dev liborocos-kdl-dev libnanoflann-dev
      emscripten chromium clang-14 libclang-rt-14-dev
      gnuplot-nox)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# node 20 with npm: the machine's nodejs package bundles npm (Debian's npm package conflicts with it)
command -v npm >/dev/null 2>&1 || missing+=(nodejs)

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run as root:  sudo sh -c '$cmd'" >&2
    exit 1
  fi
fi

# npm packages: installed from the lock file when node_modules is missing or older than it
for dir in . web; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "bootstrap: npm ci in $dir"
    # onnxruntime-node's install script downloads from outside; its CPU binaries ship in the package.
    # --prefer-offline: what npm's cache holds is used without asking the registry again (the
    # lock file pins every version and hash), so a slow or flaky network costs nothing on reruns
    (cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
done
