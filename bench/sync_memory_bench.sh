#!/usr/bin/env bash
# Peak memory and time of whole-tree syncs, for one or more flowsync binaries
# in the same run (a build before a change and one after, say).
#
#   bench/sync_memory_bench.sh [--pg] [--mutate PCT] TREE BINARY [BINARY...]
#
# TREE is a generated tree (bench/gen_bundles.py N TREE). For each backend
# (SQLite; with --pg also a throwaway PostgreSQL server from
# tests/pg/cluster.sh) and each binary, into a fresh database:
#   initial   flowsync sync --full of the whole tree
#   no-op     the same again, nothing changed
#   change    after gen_bundles.py --mutate PCT (default 0.1 %) of the workflows
# each under /usr/bin/time: wall seconds and peak RSS. Prints a markdown table.
set -euo pipefail

die() { echo "sync_memory_bench.sh: $*" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
pg=0 mutate=0.1 args=()
while (($#)); do
  case "$1" in
    --pg) pg=1; shift ;;
    --mutate) mutate="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]} >= 2)) || die "usage: sync_memory_bench.sh [--pg] [--mutate PCT] TREE BINARY [BINARY...]"
tree="$(realpath "${args[0]}")"
[[ -d "$tree" ]] || die "no tree at ${args[0]} (bench/gen_bundles.py N DIR makes one)"
binaries=()
for b in "${args[@]:1}"; do
  [[ -x "$b" ]] || die "$b is not an executable"
  binaries+=("$(realpath "$b")")
done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is not installed"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-memory-bench.XXXXXX")"
cleanup() {
  if ((pg)); then "$repo/tests/pg/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

backends=(sqlite)
if ((pg)); then
  "$repo/tests/pg/cluster.sh" start "$tmp/pg" >/dev/null
  backends+=(postgres)
fi
n="$(find "$tree" -name workflow.json | wc -l)"
seed=1

# timed LABEL ARGS...: runs flowsync, prints "seconds MB"
timed() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; die "failed: $*"; }
  read -r secs kb <"$tmp/time"
  echo "$secs $((kb / 1024))"
}

echo "| backend | binary | initial s / MB | no-op s / MB | after --mutate $mutate % s / MB |"
echo "|---|---|---|---|---|"
for backend in "${backends[@]}"; do
  for i in "${!binaries[@]}"; do
    bin="${binaries[$i]}"
    if [[ "$backend" == sqlite ]]; then
      db="sqlite:$tmp/db$i.sqlite"
    else
      base="$(cat "$tmp/pg/url")"
      psql -q "$base" -c "CREATE DATABASE bench$i" >/dev/null
      db="${base%/*}/bench$i"
    fi
    sync=("$bin" sync "$tree" --db "$db" --full --force)
    initial="$(timed "${sync[@]}")"
    noop="$(timed "${sync[@]}")"
    python3 "$here/gen_bundles.py" --mutate "$mutate" "$tree" --seed "$seed" >/dev/null
    seed=$((seed + 1))
    change="$(timed "${sync[@]}")"
    fmt() { awk '{printf "%.2f / %d", $1, $2}' <<<"$1"; }
    echo "| $backend | $i: $(basename "$(dirname "$bin")")/$(basename "$bin") | $(fmt "$initial") | $(fmt "$noop") | $(fmt "$change") |"
  done
done
echo
echo "$n workflows in $tree; $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
