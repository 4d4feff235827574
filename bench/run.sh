#!/usr/bin/env bash
# Builds Tarn and runs the benchmark harness (org.tarn.bench.Bench); every argument is passed on.
#
#   bench/run.sh                          # defaults: 5 runs per row, files under bench/target/bench-data
#   bench/run.sh --runs=3 --seqMiB=64     # smaller
#   bench/run.sh --out=/tmp/report.md     # also write the Markdown report to a file
#   bench/run.sh --help
#
# Environment: BENCH_SKIP_BUILD=1 skips the Maven install (the classes must be built already);
# BENCH_JAVA_OPTS replaces the JVM options (default: a fixed 4 GiB heap, touched up front, so that
# heap resizing does not add noise: -Xms4g -Xmx4g -XX:+AlwaysPreTouch); BENCH_REVISION names the
# measured engine revision when this tree is not a git checkout. The shared steps are in bench/lib.sh.
# The report (Markdown) goes to standard output, progress to standard error.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_build
bench_classpath bench bench tarn-api tarn-engine tarn-vdev-file
bench_revision
data_dir="$bench_dir/target/bench-data"
mkdir -p "$data_dir"

# --dir comes first so that a --dir among the arguments wins (the last value of an option counts).
exec "${java_cmd[@]}" -Dtarn.bench.revision="$revision" org.tarn.bench.Bench --dir="$data_dir" "$@"
