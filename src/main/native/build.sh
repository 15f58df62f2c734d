#!/usr/bin/env bash
# Compiles the native kernels into OUT_DIR/libsnnkernels.so with the machine's C compiler (run by Maven in the
# generate-resources phase). Without a compiler it says so, records why in OUT_DIR/libsnnkernels.status (the tests
# that need the library read it and say so once) and succeeds: the Java side then runs the LibTorch path. With a
# compiler, a compilation that fails fails the build (exit status 1), with the compiler's messages.
#
#   build.sh OUT_DIR [CC]
#
# On x86-64 the kernel bodies (lif.c, dblock.c, projection.c) are compiled three times, for AVX-512 (x86-64-v4), AVX2 (x86-64-v3)
# and the portable baseline (x86-64-v2), each with its own symbols (snn_*_family_<isa>); the driver (common.c,
# baseline) picks one at load by CPUID, or the one SNN_CPU_ISA names. Elsewhere only the portable build exists.
# -ffp-contract=off keeps a*b+c as two roundings, as LibTorch computes it, so spikes match the torch path bit for bit
# where the arithmetic is the same.
set -u
out_dir=${1:?usage: build.sh OUT_DIR [CC]}
cc=${2:-${CC:-gcc}}
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$out_dir/libsnnkernels.so"
status="$out_dir/libsnnkernels.status"
flags=(-O3 -g -std=c11 -D_GNU_SOURCE -fopenmp -fPIC -fvisibility=hidden -ffp-contract=off -Wall -Wextra)

mkdir -p "$out_dir"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[snn native] WARNING: C compiler '$cc' not found; native kernels not built (the torch path will be used)." >&2
  rm -f "$lib"
  echo "not built: no C compiler '$cc' on this machine" >"$status"
  exit 0
fi
if [ -f "$lib" ]; then
  stale=0
  for f in "$src_dir"/*.c "$src_dir"/*.h "${BASH_SOURCE[0]}"; do
    [ "$f" -nt "$lib" ] && stale=1
  done
  if [ "$stale" = 0 ]; then
    echo "[snn native] $lib is up to date"
    echo "built" >"$status"
    exit 0
  fi
fi

case "$(uname -m)" in
  x86_64)
    base=(-march=x86-64-v2 -DSNN_X86_VARIANTS)
    variants=("portable:-march=x86-64-v2" "avx2:-march=x86-64-v3" "avx512:-march=x86-64-v4 -mprefer-vector-width=512")
    ;;
  *)
    base=()
    variants=("portable:")
    ;;
esac

objs_dir=$(mktemp -d "$out_dir/obj.XXXXXX")
trap 'rm -rf "$objs_dir"' EXIT
tmp="$lib.tmp.$$"
ok=1
"$cc" "${flags[@]}" "${base[@]}" -c -o "$objs_dir/common.o" "$src_dir/common.c" || ok=0
objs=("$objs_dir/common.o")
for v in "${variants[@]}"; do
  name=${v%%:*}
  # shellcheck disable=SC2206
  isa_flags=(${v#*:})
  for f in lif dblock projection; do
    if [ "$ok" = 1 ]; then
      "$cc" "${flags[@]}" "${isa_flags[@]}" -c -o "$objs_dir/$f.$name.o" "$src_dir/$f.c" || ok=0
      objs+=("$objs_dir/$f.$name.o")
    fi
  done
done
if [ "$ok" = 1 ] && "$cc" -shared -fopenmp -o "$tmp" "${objs[@]}" -lm; then
  mv -f "$tmp" "$lib"
  echo "built" >"$status"
  echo "[snn native] built $lib"
  exit 0
fi
rm -f "$tmp" "$lib"
echo "failed: compiling the native kernels with '$cc' failed (see the compiler's messages above)" >"$status"
echo "[snn native] ERROR: compiling the native kernels with '$cc' failed (messages above). Fix the sources, or build" \
  "on a machine without a C compiler to run the LibTorch path only." >&2
exit 1
