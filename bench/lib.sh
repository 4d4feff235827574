# Shared by the benchmark scripts (run.sh, run-failover.sh, run-import.sh): sourced, not run.
#
# Sets bench_dir (this directory) and root (the tree), and defines
#   bench_build                        mvn -DskipTests install at the root, unless BENCH_SKIP_BUILD=1
#   bench_classpath NAME TAG MODULE... a private runtime classpath in target/NAME-lib and
#                                      target/NAME-classes; sets lib_dir, classes_dir and java_cmd
#                                      (java, the JVM options, -cp); TAG starts error messages
#   bench_revision                     sets revision: the engine revision the report names

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench_dir/.." && pwd)

bench_build() {
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    echo "building: mvn -B -q -DskipTests install (in $root)" >&2
    (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests install) >&2
  fi
}

# A private copy of the runtime classpath, one per script so that they can run side by side.
# Tarn's own jars come from this tree's target/ folders, not from ~/.m2: other checkouts on the
# same machine install the same snapshot version there, and a build installing while this runs
# must not swap a jar under the JVM.
# BENCH_JAVA_OPTS replaces the JVM options (default: a fixed 4 GiB heap, touched up front, so that
# heap resizing does not add noise).
bench_classpath() {
  local name=$1 tag=$2 module jar
  shift 2
  lib_dir="$bench_dir/target/$name-lib"
  rm -rf "$lib_dir"
  (cd "$bench_dir" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.tarn \
      -DoutputDirectory="$lib_dir" -Dstyle.color=never) >&2
  for module in "$@"; do
    jar=$(ls "$root/bundles/$module/target/$module"-*.jar 2>/dev/null | grep -v -e '-sources' -e '-tests' | head -1 \
        || true)
    if [[ -z "$jar" ]]; then
      echo "$tag: no jar of $module in bundles/$module/target; build first (drop BENCH_SKIP_BUILD)" >&2
      exit 1
    fi
    cp "$jar" "$lib_dir/"
  done
  classes_dir="$bench_dir/target/$name-classes"
  rm -rf "$classes_dir"
  cp -r "$bench_dir/target/classes" "$classes_dir"
  # shellcheck disable=SC2086
  java_cmd=(java ${BENCH_JAVA_OPTS:--Xms4g -Xmx4g -XX:+AlwaysPreTouch} -cp "$classes_dir:$lib_dir/*")
}

# Which engine was measured: the commit, and "+dirty" when the engine's sources differ from it;
# BENCH_REVISION names it instead (for a tree that is not a git checkout).
bench_revision() {
  revision=${BENCH_REVISION:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
  if [[ -z "${BENCH_REVISION:-}" && -n "$(git -C "$root" status --porcelain -- bundles pom.xml 2>/dev/null)" ]]; then
    revision="$revision+dirty"
  fi
}
