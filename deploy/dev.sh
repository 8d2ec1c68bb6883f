#!/usr/bin/env bash
# vigil's developer entry point; every command installs what it needs first.
#   deploy/dev.sh demo       install deps, build, run `vigil demo`
#   deploy/dev.sh test       install deps, build, run the whole test suite,
#                            then fuzz each parser for VIGIL_FUZZ_SECONDS (30)
#   deploy/dev.sh sanitize   the test suite under AddressSanitizer + UBSan
#   deploy/dev.sh bench      build and run the benchmarks (tests/bench/)
#   deploy/dev.sh tidy       clang-tidy over every source (slow: CAF headers)
#   deploy/dev.sh stress TEST CASE [N]
#                            one test case N times (20) with every core busy
#   deploy/dev.sh image      the container image `vigil` (docker, or podman)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

build() { # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

cmd=${1:-}
case "$cmd" in
  demo)
    bash deploy/install-deps.sh
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    shift
    exec ./build/vigil demo "$@"
    ;;
  test)
    bash deploy/install-deps.sh
    # Formatting is part of the suite: .clang-format at the root.
    git ls-files '*.cpp' '*.hpp' | xargs clang-format-14 --dry-run --Werror
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    (cd build && ctest --output-on-failure -j "$jobs")
    # The libFuzzer targets (tests/fuzz/): a separate clang project.
    CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz >/dev/null
    cmake --build build-fuzz -j "$jobs"
    (cd build-fuzz && VIGIL_FUZZ_SECONDS=${VIGIL_FUZZ_SECONDS:-30} ctest --output-on-failure)
    ;;
  sanitize)
    bash deploy/install-deps.sh
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON
    cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs"
    ;;
  bench)
    bash deploy/install-deps.sh
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    for b in build/tests/*_bench; do "$b"; done
    ;;
  stress)
    # One test case run N times in a row while every core is kept busy by
    # another process (CI and users' machines are loaded):
    #   deploy/dev.sh stress console_test a_group_rebalance_mid_stream_counts_every_event_once 20
    test=${2:?usage: deploy/dev.sh stress TEST CASE [N]}
    case_name=${3:?usage: deploy/dev.sh stress TEST CASE [N]}
    n=${4:-20}
    bash deploy/install-deps.sh
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    burners=()
    for _ in $(seq "$jobs"); do
      (while :; do :; done) &
      burners+=($!)
    done
    trap 'kill "${burners[@]}" 2>/dev/null' EXIT
    for i in $(seq "$n"); do
      if ! VIGIL_BIN="$root/build/vigil" VIGIL_SOURCE_DIR="$root" \
        VIGIL_CONSOLE_PORT=0 "build/tests/$test" --run_test="$case_name" \
        >"build/stress-$test.log" 2>&1; then
        echo "stress: run $i of $n failed; build/stress-$test.log:" >&2
        tail -40 "build/stress-$test.log" >&2
        exit 1
      fi
      echo "stress: $i of $n passed"
    done
    echo "stress: $test/$case_name passed $n times in a row with $jobs busy cores"
    ;;
  image)
    # deploy/Dockerfile; docs/deploy.md. Extra arguments go to the builder.
    shift
    builder=docker
    command -v docker >/dev/null && docker info >/dev/null 2>&1 || builder=podman
    exec "$builder" build -f deploy/Dockerfile -t vigil "$@" .
    ;;
  tidy)
    bash deploy/install-deps.sh
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    git ls-files 'actors/*.cpp' 'runtime/*.cpp' \
      | xargs -P "$jobs" -n 4 clang-tidy-14 -p build --quiet
    ;;
  *)
    echo "usage: deploy/dev.sh demo|test|sanitize|bench|tidy|stress|image" >&2
    exit 2
    ;;
esac
