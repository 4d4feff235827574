#!/usr/bin/env bash
# Builds Tarn and runs the target protocol benchmark (org.tarn.bench.TargetBench): the same bytes written
# through the engine locally and through the target protocol over loopback, alternately; every argument
# is passed on.
#
#   bench/run-targets.sh                       # defaults: 256 MiB per run, 128 KiB writes, 3 runs each, 16 in flight
#   bench/run-targets.sh --mib=512 --reps=5
#
# Environment as bench/run.sh (BENCH_SKIP_BUILD, BENCH_JAVA_OPTS). The table (Markdown) goes to standard
# output, progress to standard error. The device file goes to bench/target/target-data and is deleted.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_build
bench_classpath targets target-bench tarn-api tarn-engine tarn-vdev-file tarn-target tarn-target-server tarn-client
data_dir="$bench_dir/target/target-data"
mkdir -p "$data_dir"
exec "${java_cmd[@]}" org.tarn.bench.TargetBench --dir="$data_dir" "$@"
