#!/usr/bin/env bash
# Builds Tarn and runs the resilver/scrub harness (org.tarn.bench.ScanBench): resilver of a mirror side and
# scrub of a mirror against a raw copy and read of the same bytes, and foreground writes during a scrub.
#
#   bench/run-scan.sh              # 1024 MiB, 3 runs, files under bench/target/scan-data
#   bench/run-scan.sh 256 1        # smaller
#
# Environment as bench/run.sh (BENCH_SKIP_BUILD, BENCH_JAVA_OPTS). The table goes to standard output.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_build
bench_classpath scan scan-bench tarn-api tarn-engine tarn-vdev-file
data_dir="$bench_dir/target/scan-data"
mkdir -p "$data_dir"
exec "${java_cmd[@]}" org.tarn.bench.ScanBench "$data_dir" "${1:-1024}" "${2:-3}"
