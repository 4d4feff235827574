#!/usr/bin/env bash
# Builds Tarn and runs the failover benchmark (org.tarn.bench.FailoverBench); every argument is passed on.
#
#   bench/run-failover.sh                           # defaults: 9 force exports per situation, 9 throughput pairs of 6 s
#   bench/run-failover.sh --only=latency --reps=15  # force export latency only
#   bench/run-failover.sh --out=/tmp/failover.md    # also write the Markdown report to a file
#   bench/run-failover.sh --help
#
# Environment: BENCH_SKIP_BUILD=1 skips the Maven install (the classes must be built already);
# BENCH_JAVA_OPTS replaces the JVM options (default, as bench/run.sh: -Xms4g -Xmx4g -XX:+AlwaysPreTouch);
# BENCH_REVISION names the measured engine revision when this tree is not a git checkout.
# The report (Markdown) goes to standard output, progress to standard error. Device files go to
# bench/target/failover-data and are deleted after each run.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_build
# separate from bench/run.sh's classpath copy and data, so that the two can run side by side
bench_classpath failover failover-bench tarn-api tarn-engine tarn-vdev-file tarn-vdev-fault
bench_revision
data_dir="$bench_dir/target/failover-data"
mkdir -p "$data_dir"

# --dir comes first so that a --dir among the arguments wins (the last value of an option counts).
exec "${java_cmd[@]}" -Dtarn.bench.revision="$revision" org.tarn.bench.FailoverBench --dir="$data_dir" "$@"
