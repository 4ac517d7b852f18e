#!/usr/bin/env bash
# The C++ core's GPU check, for a machine with nvcc and CMake (Node not needed).
# Run from the repository root:
#   scripts/gpu-check.sh            # writes to $OUT if set, else ./gpu-check-out
# Steps (each logged to its own file; the summary says which failed):
#   1. machine.txt   nvidia-smi, nvcc, cmake, CPU
#   2. build.txt     configure + build native/core standalone (tests and benchmark),
#                    for this GPU's architecture only (CUDA_ARCHS overrides: e.g. "90")
#   3. ctest.txt     ctest: CPU kernels, kernel bodies, every CUDA kernel vs the CPU (the hybrid
#                    LU and Cholesky solves among them)
#   4. bench.txt     sad_core_bench (paper's sizes, sweep to 2^24; BENCH_ARGS adds flags)
#   5. cupy.txt      scripts/cupy_bench.py, when python3 can import cupy (CUPY_ARGS adds flags)
# On an H100 or an H200 the whole check took under 3 minutes with
#   CUDA_ARCHS=90 BENCH_ARGS="--gpu-only --reps 20 --max-chain-log2n 16" CUPY_ARGS="--reps 20 --max-chain-log2n 16"
# (SpTRSV's chain of N dependent rows takes seconds per call past 2^16-2^18, in both benchmarks.)
#   6. node.txt      the addon built with CUDA and the TypeScript device tests run on this
#                    GPU, when a node binary is at hand (on PATH, or .gpu/node.xz) and the
#                    bundled tests are in .gpu/tests: on the dev machine run
#                    `node scripts/bundle-device-tests.mjs --node` and carry .gpu and
#                    node_modules/node-addon-api, node_modules/node-api-headers
#                    (SKIP_CORE=1 skips steps 2-5)
# Libraries the GPU machine may lack (SuiteSparse KLU and CHOLMOD) can be carried in
# .gpu/prefix (include/suitesparse, lib): `node scripts/bundle-device-tests.mjs --prefix`.
# The shared matrices are read from SAD_DATA_DIR (default ../shared/data); when
# absent the real-matrix cases are left out and the tests say so.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
BUILD="${BUILD:-build-gpu-check}"
JOBS="$(nproc 2>/dev/null || echo 4)"
status=0
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }

log "gpu-check $(date -u +%FT%TZ) in $PWD, output in $OUT"
if [ -d .gpu/prefix ]; then
  export CMAKE_PREFIX_PATH="$PWD/.gpu/prefix${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$PWD/.gpu/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
{
  nvidia-smi || echo "nvidia-smi: not available"
  nvcc --version || echo "nvcc: not found"
  cmake --version | head -1
  lscpu 2>/dev/null | grep -E "Model name|^CPU\(s\)" || true
  git rev-parse HEAD 2>/dev/null || true
} > "$OUT/machine.txt" 2>&1

# This GPU's architecture (compute capability 9.0 -> 90) unless CUDA_ARCHS is given.
ARCHS="${CUDA_ARCHS:-}"
if [ -z "$ARCHS" ] && command -v nvidia-smi > /dev/null; then
  ARCHS="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')"
fi
ARCH_FLAG=()
[ -n "$ARCHS" ] && ARCH_FLAG=("-DCMAKE_CUDA_ARCHITECTURES=$ARCHS")

# With node at hand (step 6), one build of the addon with the core's tests in it;
# otherwise the core alone.
NODE_OK=0
NODE_SKIP="no .gpu/tests bundle or no node binary"
if [ -d .gpu/tests ] && { [ ! -f node_modules/node-addon-api/napi.h ] || [ ! -d node_modules/node-api-headers/include ]; }; then
  NODE_SKIP="node_modules/node-addon-api or node_modules/node-api-headers was not carried (the addon cannot build)"
elif [ -d .gpu/tests ] && { command -v node > /dev/null || [ -f .gpu/node.xz ]; }; then
  NODE_OK=1
  if ! command -v node > /dev/null; then
    mkdir -p /tmp/sad-node
    python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.gpu/node.xz'), open('/tmp/sad-node/node', 'wb'))" ||
      xz -dc .gpu/node.xz > /tmp/sad-node/node
    chmod +x /tmp/sad-node/node
    export PATH="/tmp/sad-node:$PATH"
  fi
fi
if [ "$NODE_OK" = 1 ]; then
  CORE="$BUILD/native/core"
  CONFIGURE=(cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "${ARCH_FLAG[@]}" -DSAD_BUILD_CORE_TESTS=ON
             "-DCMAKE_JS_INC=$PWD/node_modules/node-api-headers/include;$PWD/node_modules/node-addon-api"
             -DCMAKE_CXX_FLAGS=-DBUILDING_NODE_EXTENSION)
else
  CORE="$BUILD"
  CONFIGURE=(cmake -S native/core -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "${ARCH_FLAG[@]}")
fi

start=$(date +%s)
if "${CONFIGURE[@]}" > "$OUT/build.txt" 2>&1 && cmake --build "$BUILD" -j "$JOBS" >> "$OUT/build.txt" 2>&1; then
  log "build: ok ($(( $(date +%s) - start )) s, CUDA architectures: ${ARCHS:-CMake default}$([ "$NODE_OK" = 1 ] && echo ", with the addon"))"
  grep -E "sparse-ad core" "$OUT/build.txt" | sort -u | tee -a "$OUT/summary.txt"
else
  log "build: FAILED (see build.txt)"
  grep -E "error" "$OUT/build.txt" | head -20
  tail -30 "$OUT/build.txt"
  exit 1
fi

if [ "${SKIP_CORE:-0}" != 1 ]; then
# The real matrices: SAD_DATA_DIR, else shared/data inside the checkout, else the build's default (../shared/data).
if [ -z "${SAD_DATA_DIR:-}" ] && [ -d "$PWD/shared/data/matrices" ]; then export SAD_DATA_DIR="$PWD/shared/data"; fi

# -V: every test's output, so the skip reasons (and the test names) are in the log.
if ctest --test-dir "$CORE" -V --timeout 900 > "$OUT/ctest.txt" 2>&1; then
  log "ctest: ok"
else
  log "ctest: FAILED (see ctest.txt)"
  status=1
fi
grep -E "\[ (SKIP|FAIL) \]|note: |tests passed|tests failed" "$OUT/ctest.txt" | tee -a "$OUT/summary.txt"

fi  # SKIP_CORE

# 6. The TypeScript device tests (bundled: no npm packages or TypeScript needed here).
if [ "$NODE_OK" = 1 ]; then
  export SPARSE_AD_ADDON="$PWD/$BUILD/Release/sparse_ad_lab.node"
  [ -f "$SPARSE_AD_ADDON" ] || export SPARSE_AD_ADDON="$(find "$PWD/$BUILD" -name sparse_ad_lab.node | head -1)"
  [ -n "${SAD_DATA_DIR:-}" ] && export SPARSE_AD_SHARED_DATA="$SAD_DATA_DIR"
  log "node $(node --version), addon $SPARSE_AD_ADDON"
  if node --test --test-reporter=spec .gpu/tests/*.mjs > "$OUT/node.txt" 2>&1; then
    log "node device tests: ok"
  else
    log "node device tests: FAILED (see node.txt)"
    status=1
  fi
  grep -E "^ℹ (tests|pass|fail|skipped)|✖|running on|skipped" "$OUT/node.txt" | head -40 | tee -a "$OUT/summary.txt"
else
  log "node device tests: skipped ($NODE_SKIP)"
fi
# 4-5. The benchmarks last (the longest step).
if [ "${SKIP_CORE:-0}" != 1 ]; then
# shellcheck disable=SC2086
if timeout "${BENCH_TIMEOUT:-3600}" stdbuf -oL "$CORE/tests/sad_core_bench" --csv "$OUT/bench.csv" ${BENCH_ARGS:-} > "$OUT/bench.txt" 2>&1; then
  log "bench: ok"
else
  log "bench: FAILED (see bench.txt)"
  status=1
fi
grep -E "^# GPU" "$OUT/bench.txt" | tee -a "$OUT/summary.txt"

if python3 -c "import cupy, cupyx.scipy.sparse" > /dev/null 2>&1; then
  if python3 scripts/cupy_bench.py --csv "$OUT/cupy.csv" ${CUPY_ARGS:-} > "$OUT/cupy.txt" 2>&1; then
    log "cupy: ok"
  else
    log "cupy: FAILED (see cupy.txt)"
  fi
else
  log "cupy: skipped (python3 cannot import cupy)"
fi
fi
log "done: status $status"
exit $status
