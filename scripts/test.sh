#!/bin/bash
# scripts/test.sh: the whole test suite, as CI runs it (.ci/run).
#
#   1. scripts/setup.sh (apt only when something is missing)
#   2. build-asan/: -DTESSERA_SANITIZE=ON (ASan+UBSan); ctest unit + integration
#   3. build/:      normal -O2 -g build;              ctest unit + integration
#   4. build-fuzz/: clang -DTESSERA_FUZZ=ON; every tests/fuzz/fuzz_*.c target
#                   runs for FUZZ_SECONDS (default 20) with -max_total_time
#
# Every stage runs even if an earlier one failed (except a failed build of
# that stage); the summary at the end lists what failed, and the exit code
# is non-zero if anything did.
# Knobs (environment): TESSERA_SKIP_ASAN=1, TESSERA_SKIP_FUZZ=1,
# FUZZ_SECONDS=N, CTEST_ARGS="-R basic" (extra ctest arguments), JOBS=N.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
CTEST_ARGS=${CTEST_ARGS:-}
failed=()
t_start=$(date +%s)

stage() { echo; echo "==== $* ($(($(date +%s) - t_start)) s) ===="; }

stage "setup"
bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }

# build DIR [cmake args...]: configure + build; returns non-zero on failure.
build() {
  local dir=$1; shift
  mkdir -p "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/tessera-configure.log" 2>&1 \
    || { cat "$dir/tessera-configure.log"; return 1; }
  if ! cmake --build "$dir" -j "$JOBS" >"$dir/tessera-build.log" 2>&1; then
    grep -E "error|Error" "$dir/tessera-build.log" | head -40
    tail -20 "$dir/tessera-build.log"
    echo "build of $dir failed (full log: $dir/tessera-build.log)"
    return 1
  fi
  echo "built $dir ($(grep -c 'warning:' "$dir/tessera-build.log") compiler warnings; log: $dir/tessera-build.log)"
}

# run_ctest DIR LABEL: unit then integration tests of one build.
run_ctest() {
  local dir=$1 name=$2
  # Unit tests in parallel; integration tests too (disjoint port blocks).
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" -L unit $CTEST_ARGS \
    || failed+=("$name: unit tests")
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" --output-on-failure -j 2 -L integration $CTEST_ARGS \
    || failed+=("$name: integration tests")
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "${TESSERA_SKIP_ASAN:-0}" != 1 ]; then
  stage "build-asan (ASan+UBSan)"
  mkdir -p build-asan
  # -O1: sanitizer builds of the GoogleTest sources are the slowest part of
  # the suite at -O2, and -O1 keeps ASan reports exact.
  if build build-asan -DTESSERA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 -DCMAKE_CXX_FLAGS=-O1; then
    stage "ctest build-asan"
    run_ctest build-asan asan
  else
    failed+=("asan: build")
  fi
fi

stage "build (normal)"
mkdir -p build
if build build; then
  stage "ctest build"
  run_ctest build normal
else
  failed+=("normal: build")
fi

if [ "${TESSERA_SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzz smoke (${FUZZ_SECONDS}s per target)"
  targets=()
  for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] && targets+=("$(basename "$src" .c)")
  done
  if [ ${#targets[@]} -eq 0 ]; then
    echo "no fuzz targets (tests/fuzz/fuzz_*.c)"
  else
    mkdir -p build-fuzz
    if CC=clang CXX=clang++ build build-fuzz -DTESSERA_FUZZ=ON; then
      for t in "${targets[@]}"; do
        bin=build-fuzz/tests/fuzz/$t
        if [ ! -x "$bin" ]; then
          failed+=("fuzz: $t not built"); continue
        fi
        work=$(mktemp -d /tmp/tessera-fuzz-XXXXXX)
        corpus=$ROOT/tests/fuzz/corpus_${t#fuzz_}
        dirs=("$work/corpus")
        mkdir -p "$work/corpus"
        [ -d "$corpus" ] && dirs+=("$corpus")   # read-only seed; new inputs go to $work
        echo "-- $t: ${FUZZ_SECONDS}s"
        if (cd "$work" && timeout $((FUZZ_SECONDS + 120)) "$ROOT/$bin" -max_total_time="$FUZZ_SECONDS" \
              -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dirs[@]}" \
              >"$work/log" 2>&1); then
          grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -2
          rm -rf "$work"
        else
          tail -60 "$work/log"
          echo "fuzz $t failed; crash input and log kept in $work"
          failed+=("fuzz: $t (see $work)")
        fi
      done
    else
      failed+=("fuzz: build")
    fi
  fi
fi

stage "summary"
if [ ${#failed[@]} -eq 0 ]; then
  echo "ALL PASSED in $(($(date +%s) - t_start)) s"
  exit 0
fi
echo "FAILED:"
printf '  - %s\n' "${failed[@]}"
echo "($(($(date +%s) - t_start)) s)"
exit 1
