#!/usr/bin/env bash
# Compiles the native kernels into OUT_DIR/libsnnkernels.so with the machine's C compiler (run by Maven in the
# generate-resources phase). Never fails the build: without a compiler, or when compilation fails, it says so
# and the Java side falls back to the LibTorch path.
#
#   build.sh OUT_DIR [CC]
set -u
out_dir=${1:?usage: build.sh OUT_DIR [CC]}
cc=${2:-${CC:-gcc}}
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$out_dir/libsnnkernels.so"
# x86-64-v2 (SSE4.2, no AVX) runs on every CI machine; -ffp-contract=off keeps a*b+c as two roundings, as
# LibTorch computes it, so spikes match the torch path bit for bit where the arithmetic is the same.
flags=(-O3 -g -std=c11 -D_GNU_SOURCE -fopenmp -shared -fPIC -fvisibility=hidden -ffp-contract=off -Wall -Wextra)
case "$(uname -m)" in
  x86_64) flags+=(-march=x86-64-v2) ;;
esac

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[snn native] WARNING: C compiler '$cc' not found; native kernels not built (the torch path will be used)." >&2
  rm -f "$lib"
  exit 0
fi
mkdir -p "$out_dir"
sources=("$src_dir"/*.c)
if [ -f "$lib" ]; then
  stale=0
  for f in "${sources[@]}" "$src_dir"/*.h "${BASH_SOURCE[0]}"; do
    [ "$f" -nt "$lib" ] && stale=1
  done
  if [ "$stale" = 0 ]; then
    echo "[snn native] $lib is up to date"
    exit 0
  fi
fi
tmp="$lib.tmp.$$"
if "$cc" "${flags[@]}" -o "$tmp" "${sources[@]}" -lm; then
  mv -f "$tmp" "$lib"
  echo "[snn native] built $lib"
else
  rm -f "$tmp" "$lib"
  echo "[snn native] WARNING: compiling the native kernels failed; the torch path will be used." >&2
fi
exit 0
