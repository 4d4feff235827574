#!/usr/bin/env bash
# Builds Tarn and runs the failover benchmark (org.tarn.bench.FailoverBench); every argument is passed on.
#
#   bench/run-failover.sh                           # defaults: 9 force exports per situation, 9 throughput pairs of 6 s
#   bench/run-failover.sh --only=latency --reps=15  # force export latency only
#   bench/run-failover.sh --out=/tmp/failover.md    # also write the Markdown report to a file
#   bench/run-failover.sh --help
#
# Environment: BENCH_SKIP_BUILD=1 skips the Maven install (the classes must be built already);
# BENCH_JAVA_OPTS replaces the JVM options (default, as bench/run.sh: -Xms4g -Xmx4g -XX:+AlwaysPreTouch).
# The report (Markdown) goes to standard output, progress to standard error. Device files go to
# bench/target/failover-data and are deleted after each run.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "building: mvn -B -q -DskipTests install (in $root)" >&2
  (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests install) >&2
fi

# A private copy of the runtime classpath, separate from bench/run.sh's so the two can run side by side.
# Tarn's own jars come from this tree's target/ folders, not from ~/.m2 (see bench/run.sh).
lib_dir="$bench_dir/target/failover-lib"
rm -rf "$lib_dir"
(cd "$bench_dir" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.tarn \
    -DoutputDirectory="$lib_dir" -Dstyle.color=never) >&2
for module in tarn-api tarn-engine tarn-vdev-file tarn-vdev-fault; do
  jar=$(ls "$root/bundles/$module/target/$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -1)
  if [[ -z "$jar" ]]; then
    echo "failover-bench: no jar of $module in bundles/$module/target; build first (drop BENCH_SKIP_BUILD)" >&2
    exit 1
  fi
  cp "$jar" "$lib_dir/"
done
classes_dir="$bench_dir/target/failover-classes"
rm -rf "$classes_dir"
cp -r "$bench_dir/target/classes" "$classes_dir"

# Which engine was measured: the commit, and "+dirty" when the engine's sources differ from it.
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git -C "$root" status --porcelain -- bundles pom.xml 2>/dev/null)" ]]; then
  revision="$revision+dirty"
fi

data_dir="$bench_dir/target/failover-data"
mkdir -p "$data_dir"

# --dir comes first so that a --dir among the arguments wins (the last value of an option counts).
# shellcheck disable=SC2086
exec java ${BENCH_JAVA_OPTS:--Xms4g -Xmx4g -XX:+AlwaysPreTouch} -Dtarn.bench.revision="$revision" \
    -cp "$classes_dir:$lib_dir/*" \
    org.tarn.bench.FailoverBench --dir="$data_dir" "$@"
