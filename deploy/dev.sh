#!/usr/bin/env bash
# vigil's developer entry point; every command installs what it needs first.
#   deploy/dev.sh demo       install deps, build, run `vigil demo`
#   deploy/dev.sh test       install deps, build, run the whole test suite,
#                            then fuzz each parser for VIGIL_FUZZ_SECONDS (30)
#   deploy/dev.sh sanitize   the test suite under AddressSanitizer + UBSan
#   deploy/dev.sh bench      build and run the benchmarks (tests/bench/)
#   deploy/dev.sh tidy       clang-tidy over every source (slow: CAF headers)
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
    echo "usage: deploy/dev.sh demo|test|sanitize|bench|tidy|image" >&2
    exit 2
    ;;
esac
