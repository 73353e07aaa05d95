#!/usr/bin/env bash
# The initial sync against the baseline_load floor, interleaved: the ratio to watch while working on
# the speed of a first sync, on a machine whose load changes from minute to minute.
#
#   bench/initial_bench.sh [options] BUILD_DIR [OTHER_BUILD_DIR...]
#
# Options:
#   -n N          synthetic bundles (default 10000)
#   --rounds R    rounds (default 7)
#   --seed S      generator seed (default 1)
#   --tree DIR    use this tree instead of generating one (e.g. a copy of the real corpus)
#
# Each round runs baseline_load (of BUILD_DIR) and `flowsync sync` of each build (sync1 is BUILD_DIR's,
# sync2... the others': builds of flowsync compared in the same rounds) once each into a fresh SQLite database, in an
# order that rotates from round to round, so that a change of load falls on all of them alike.
# Prints, per program, the median wall time and the median of the per-round ratios to the baseline
# (the figure sync_bench.sh's "× baseline" estimates from two separate series), and the same for the
# CPU time (user + system), which other processes on the machine disturb less than the wall time. Needs python3 and
# GNU time; builds nothing.
set -euo pipefail

die() { echo "initial_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
n=10000 rounds=7 seed=1 tree=""
builds=()
while (($#)); do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --tree) tree="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) builds+=("$(realpath "$1")"); shift ;;
  esac
done
((${#builds[@]} >= 1)) || die "usage: initial_bench.sh [options] BUILD_DIR [OTHER_BUILD_DIR...]"
baseline="${builds[0]}/bench/baseline_load"
[[ -x "$baseline" ]] || die "no $baseline (build with -DFLOWSYNC_BENCH=ON)"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is not installed"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-initial.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if [[ -z "$tree" ]]; then
  tree="$tmp/tree"
  python3 "$here/gen_bundles.py" "$n" "$tree" --seed "$seed" >/dev/null
fi

names=(baseline)
cmds=("'$baseline' '$tree' '$tmp/db'")
for i in "${!builds[@]}"; do
  names+=("sync$((i + 1))")
  cmds+=("'${builds[$i]}/flowsync' sync '$tree' --db 'sqlite:$tmp/db' --json")
done

# One warm-up of each (page cache, and the first run's one-time costs).
for c in "${cmds[@]}"; do rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm"; bash -c "$c" >/dev/null; done

: >"$tmp/times"
k=${#cmds[@]}
for ((r = 0; r < rounds; r++)); do
  for ((j = 0; j < k; j++)); do
    i=$(((j + r) % k))
    rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm"
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" bash -c "${cmds[$i]}" >/dev/null 2>"$tmp/err" || {
      # exit status 1 only means "some files failed" for flowsync
      (($? == 1)) || { cat "$tmp/err" >&2; exit 1; }
    }
    echo "$r ${names[$i]} $(tail -n 1 "$tmp/t")" >>"$tmp/times"
  done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds; tree: $(find "$tree" -type f | wc -l) files"
python3 - "$tmp/times" <<'EOF'
import collections, statistics, sys
t = collections.defaultdict(dict)
cpu = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, name, wall, user, system = line.split()
    t[name][r] = float(wall)
    cpu[name][r] = float(user) + float(system)
base, base_cpu = t["baseline"], cpu["baseline"]
for name in sorted(t, key=lambda x: (x != "baseline", x)):
    times = t[name]
    ratios = [times[r] / base[r] for r in times]
    cpu_ratios = [cpu[name][r] / base_cpu[r] for r in times]
    print(f"{name:9} median {statistics.median(times.values()):.3f} s"
          f"  ratio median {statistics.median(ratios):.2f}"
          f"  (min {min(ratios):.2f}, max {max(ratios):.2f})"
          f"  | CPU (user+sys) median {statistics.median(cpu[name].values()):.3f} s"
          f"  ratio {statistics.median(cpu_ratios):.2f}")
EOF
