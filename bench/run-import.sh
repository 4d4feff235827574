#!/usr/bin/env bash
# Builds Tarn and runs the import/export benchmark (org.tarn.bench.ImportExportBench), with zfs-fuse
# as the comparison when it can be had; every argument is passed on.
#
#   bench/run-import.sh                              # defaults: 4, 64, 256 devices of 64 MiB, 5 cycles each
#   bench/run-import.sh --devices=4,64 --runs=3      # smaller
#   bench/run-import.sh --zfs=false                  # Tarn only: no zfs-fuse install, no daemon
#   bench/run-import.sh --out=/tmp/import.md         # also write the Markdown report to a file
#   bench/run-import.sh --help
#
# zfs-fuse: when `zpool` is missing and this runs as root, the script installs it
# (apt-get update && apt-get install -y zfs-fuse). When no zfs-fuse daemon answers `zpool list`, it
# starts one (`zfs-fuse --pidfile ...`, which daemonizes), waits until `zpool list` answers, and
# stops that daemon again at exit by its process id. A daemon that was already running is used
# and left running. When any of this fails, the run goes on without the comparison and the report
# says why.
#
# Environment: BENCH_SKIP_BUILD=1 skips the Maven install (the classes must be built already);
# BENCH_JAVA_OPTS replaces the JVM options (default, as bench/run.sh: -Xms4g -Xmx4g -XX:+AlwaysPreTouch);
# BENCH_REVISION names the measured engine revision when this tree is not a git checkout.
# The report (Markdown) goes to standard output, progress to standard error. Device files go to
# bench/target/import-data and are deleted after each device count.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for arg in "$@"; do
  if [[ "$arg" == --help || "$arg" == -h ]]; then
    help=1
  fi
done

if [[ -z "${help:-}" ]]; then
  bench_build
fi
# separate from the other bench scripts' classpath copies and data, so that they can run side by side
bench_classpath import import-bench tarn-api tarn-engine tarn-vdev-file
if [[ -n "${help:-}" ]]; then
  exec "${java_cmd[@]}" org.tarn.bench.ImportExportBench --help
fi
bench_revision
data_dir="$bench_dir/target/import-data"
mkdir -p "$data_dir"

# ---- zfs-fuse -------------------------------------------------------------------------------
want_zfs=1
for arg in "$@"; do
  [[ "$arg" == --zfs=false ]] && want_zfs=0
done
zfs_args=()
zfs_pidfile="$bench_dir/target/import-zfs-fuse.pid"
started_pid=""

zpool_answers() { timeout 10 zpool list >/dev/null 2>&1; }

stop_zfs_fuse() {
  if [[ -n "$started_pid" ]]; then
    echo "stopping the zfs-fuse daemon this script started (pid $started_pid)" >&2
    kill "$started_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$started_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$started_pid" 2>/dev/null; then
      echo "zfs-fuse (pid $started_pid) did not stop within 30 s; sending SIGKILL" >&2
      kill -9 "$started_pid" 2>/dev/null || true
    fi
    started_pid=""
  fi
  rm -f "$zfs_pidfile"
}

if [[ $want_zfs == 1 ]]; then
  skip=""
  if ! command -v zpool >/dev/null || ! command -v zfs-fuse >/dev/null; then
    if [[ $(id -u) != 0 ]]; then
      skip="zfs-fuse is not installed, and installing it needs root"
    else
      echo "installing zfs-fuse: apt-get update && apt-get install -y zfs-fuse" >&2
      if ! (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y zfs-fuse) >&2; then
        skip="apt-get install zfs-fuse failed"
      fi
    fi
  fi
  if [[ -z "$skip" ]] && ! zpool_answers; then
    if [[ ! -e /dev/fuse ]]; then
      skip="no /dev/fuse on this machine"
    else
      echo "starting the zfs-fuse daemon" >&2
      rm -f "$zfs_pidfile"
      if zfs-fuse --pidfile "$zfs_pidfile" >&2; then
        trap stop_zfs_fuse EXIT
        for _ in $(seq 1 60); do
          [[ -s "$zfs_pidfile" ]] && started_pid=$(cat "$zfs_pidfile")
          zpool_answers && break
          sleep 0.5
        done
        [[ -s "$zfs_pidfile" ]] && started_pid=$(cat "$zfs_pidfile")
        if ! zpool_answers; then
          skip="the zfs-fuse daemon did not answer zpool list within 30 s"
          stop_zfs_fuse
        fi
      else
        skip="zfs-fuse (the daemon) failed to start"
      fi
    fi
  elif [[ -z "$skip" ]]; then
    echo "a zfs-fuse daemon is already running; using it and leaving it running" >&2
  fi
  if [[ -n "$skip" ]]; then
    echo "import-bench: no zfs-fuse comparison: $skip" >&2
    zfs_args=(--zfs=false "--zfsSkipReason=$skip")
  fi
fi

# --dir comes first so that a --dir among the arguments wins (the last value of an option counts);
# the zfs arguments come last, so that a failed zfs-fuse set-up turns the comparison off.
status=0
"${java_cmd[@]}" -Dtarn.bench.revision="$revision" \
    org.tarn.bench.ImportExportBench --dir="$data_dir" "$@" "${zfs_args[@]}" || status=$?
stop_zfs_fuse
exit $status
