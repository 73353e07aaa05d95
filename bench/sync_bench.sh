#!/usr/bin/env bash
# End-to-end benchmark of `flowsync sync` against the baseline_load lower bound.
#
#   bench/sync_bench.sh [options] BUILD_DIR
#   bench/sync_bench.sh [options] FLOWSYNC_BIN BASELINE_BIN
#
# Options:
#   -n N          synthetic workflows (default 10000)
#   --runs R      timed runs per scenario (default 5; the no-op re-sync uses 2R after 2 warm-ups)
#   --seed S      generator seed (default 1)
#   --shared DIR  the shared folder with corpus/n8n/zie619 (default $FLOWSYNC_SHARED, else ../shared
#                 relative to the repository root)
#   --out FILE    also write the results as markdown to FILE
#   --no-corpus   skip the real-corpus scenarios
#   --keep        keep the temporary directory
#   --pg          also run every data set against a throwaway PostgreSQL server
#                 (tests/pg/cluster.sh; needs postgresql-15)
#
# Builds nothing. Needs python3, hyperfine and GNU time (/usr/bin/time). For each data set (synthetic N
# bundles, and a writable copy of the real corpus) it runs, in this order, on a warm page cache:
#   baseline     baseline_load into a fresh database (the lower bound: read + hash + insert)
#   tree walk    find -printf of every file's size and mtime (the floor of a no-op re-sync)
#   initial      flowsync sync into a fresh database
#   no-op        flowsync sync again, nothing changed
#   mutate 1%    after gen_bundles.py --mutate 1 (an edit in 1 % of the workflows)
#   delete 1%    flowsync sync --full after gen_bundles.py --delete 1
#   rename 2%    after gen_bundles.py --rename 2 (folders moved; content unchanged)
# Times are hyperfine medians; a scenario that changes files is repeated by restoring a snapshot of the
# database before each run (hyperfine --prepare). Peak RSS is "Maximum resident set size" of one more run
# under /usr/bin/time -v, whose --json report is also checked against the counts the scenario expects.
# Ratios divide by the baseline's median of the same data set in the same run: compare those across
# machines and runs, not the absolute times.
set -euo pipefail

die() { echo "sync_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
n=10000 runs=5 seed=1 out="" keep=0 corpus=1 pg=0
shared="${FLOWSYNC_SHARED:-$repo/../shared}"
args=()
while (($#)); do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --shared) shared="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-corpus) corpus=0; shift ;;
    --keep) keep=1; shift ;;
    --pg) pg=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
case ${#args[@]} in
  1) flowsync="${args[0]}/flowsync"; baseline="${args[0]}/bench/baseline_load" ;;
  2) flowsync="${args[0]}"; baseline="${args[1]}" ;;
  *) die "usage: sync_bench.sh [options] BUILD_DIR | FLOWSYNC_BIN BASELINE_BIN (see --help)" ;;
esac
flowsync="$(realpath "$flowsync")"
baseline="$(realpath "$baseline")"
[[ -x "$baseline" ]] || die "no baseline binary at $baseline (build with -DFLOWSYNC_BENCH=ON)"
command -v hyperfine >/dev/null || die "hyperfine is not installed"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is not installed"

flowsync_ready=0
if [[ -x "$flowsync" ]] && "$flowsync" sync --help 2>&1 | grep -q -- --db; then flowsync_ready=1; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-bench.XXXXXX")"
cleanup() {
  if ((pg)); then "$repo/tests/pg/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; fi
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), \
Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
rows=()  # markdown table rows
log() { echo "$@" >&2; }

# json_get FILE KEY: a field of the one-line JSON object that FILE holds ('' when absent).
json_get() {
  python3 -c 'import json,sys
try:
    d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
except Exception:
    d = {}
v = d.get(sys.argv[2], "")
print(v if not isinstance(v, list) else len(v))' "$1" "$2"
}

# median_s JSON: median wall time (seconds) of a hyperfine --export-json file.
median_s() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }

# peak_mb STDERR_FILE: "Maximum resident set size" of /usr/bin/time -v, in MB.
peak_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

# timed NAME PREPARE WARMUP RUNS CMD: hyperfine median (s) into $tmp/NAME.hf.json.
timed() {
  local name="$1" prepare="$2" warmup="$3" count="$4" cmd="$5"
  # -i: exit status 1 only means "some files failed"; the counts check below catches real trouble.
  local hf=(hyperfine -i --style none --warmup "$warmup" --runs "$count" --export-json "$tmp/$name.hf.json")
  [[ -n "$prepare" ]] && hf+=(--prepare "$prepare")
  "${hf[@]}" "$cmd" >/dev/null 2>"$tmp/$name.hf.err" || { cat "$tmp/$name.hf.err" >&2; return 1; }
  median_s "$tmp/$name.hf.json"
}

# measured NAME CMD: one run under /usr/bin/time -v; stdout in $tmp/NAME.out; prints the peak RSS in MB.
measured() {
  local name="$1" cmd="$2"
  local rc=0
  /usr/bin/time -v bash -c "$cmd" >"$tmp/$name.out" 2>"$tmp/$name.time" || rc=$?
  if ((rc > 1)); then tail -n 30 "$tmp/$name.time" >&2; return 1; fi
  peak_mb "$tmp/$name.time"
}

snapshot() { rm -f "$2"*; for f in "$1" "$1-wal"; do [[ -e "$f" ]] && cp "$f" "$2${f#"$1"}"; done; true; }
restore_cmd() { echo "rm -f '$1' '$1-wal' '$1-shm'; cp '$2' '$1'; if [ -e '$2-wal' ]; then cp '$2-wal' '$1-wal'; fi"; }

# check NAME KEY=VALUE...: compares the --json report of run NAME with the expected counts.
check() {
  local name="$1" verdict="ok" kv key want got
  shift
  for kv in "$@"; do
    key="${kv%%=*}" want="${kv#*=}"
    got="$(json_get "$tmp/$name.out" "$key")"
    [[ "$got" == "$want" ]] || verdict="MISMATCH $key=$got (want $want)"
  done
  echo "$verdict"
}

counts() {
  local f="$tmp/$1.out" k s=""
  for k in added updated renamed deleted restored unchanged errors; do
    s+="$(json_get "$f" "$k")/"
  done
  echo "${s%/}"
}

add_row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | ${8:--} |"); log "  $1 | $2 | $3 s | $4 MB | $5 | $6 | $7 | ${8:--}"; }

ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

# bench_set LABEL TREE [TARGETS]: all scenarios on one tree.
# The database under test: an SQLite file, or (backend=pg) a database on the
# throwaway PostgreSQL server, snapshotted and restored through templates.
backend=sqlite
pg_admin=""
pg_db() { echo "bench_${1//[^a-z0-9]/_}"; }
db_url() {  # label
  if [[ $backend == pg ]]; then echo "${pg_admin%/*}/$(pg_db "$1")"; else echo "sqlite:$tmp/$1.db"; fi
}
db_fresh_cmd() {  # label
  if [[ $backend == pg ]]; then
    echo "psql -qX '$pg_admin' -c 'DROP DATABASE IF EXISTS $(pg_db "$1") WITH (FORCE)' -c 'CREATE DATABASE $(pg_db "$1")'"
  else
    echo "rm -f '$tmp/$1.db' '$tmp/$1.db-wal' '$tmp/$1.db-shm'"
  fi
}
db_snapshot() {  # label
  if [[ $backend == pg ]]; then
    psql -qX "$pg_admin" -c "DROP DATABASE IF EXISTS $(pg_db "$1")_snap" \
      -c "CREATE DATABASE $(pg_db "$1")_snap TEMPLATE $(pg_db "$1")" >/dev/null
  else
    snapshot "$tmp/$1.db" "$tmp/$1.snap.db"
  fi
}
db_restore_cmd() {  # label
  if [[ $backend == pg ]]; then
    echo "psql -qX '$pg_admin' -c 'DROP DATABASE IF EXISTS $(pg_db "$1") WITH (FORCE)' -c 'CREATE DATABASE $(pg_db "$1") TEMPLATE $(pg_db "$1")_snap'"
  else
    restore_cmd "$tmp/$1.db" "$tmp/$1.snap.db"
  fi
}
declare -A baseline_of  # data set -> baseline seconds, for the PostgreSQL ratios

bench_set() {
  local label="$1" tree="$2" targets="${3:-}" db="$tmp/$1.db"
  local base_s base_mb files t mb c sync expect
  log "== $label ($backend): $tree"
  if [[ $backend == pg ]]; then
    base_s="${baseline_of[${label%-pg}]}"
    sync="'$flowsync' sync '$tree' --db '$(db_url "$label")' --json"
    sync_scenarios
    return 0
  fi

  base_s="$(timed "$label-baseline" "rm -f '$db' '$db-wal' '$db-shm'" 0 "$runs" "'$baseline' '$tree' '$db'")"
  baseline_of[$label]="$base_s"
  rm -f "$db" "$db-wal" "$db-shm"
  base_mb="$(measured "$label-baseline" "'$baseline' '$tree' '$db'")"
  files="$(json_get "$tmp/$label-baseline.out" files)"
  add_row "$label" "baseline_load ($files files, $(($(json_get "$tmp/$label-baseline.out" bytes) / 1000000)) MB)" \
    "$base_s" "$base_mb" "1.00" "-" "-" "-"
  rm -f "$db" "$db-wal" "$db-shm"
  # The floor of any no-op check: list every folder and stat every file (one thread), nothing else.
  t="$(timed "$label-walk" "" 2 $((runs * 2)) "find '$tree' -printf '%s %T@\\n' >/dev/null")"
  add_row "$label" "tree walk (find -printf size, mtime)" "$t" "-" "$(ratio "$t" "$base_s")" "-" "-" "-"
  if ((!flowsync_ready)); then
    add_row "$label" "flowsync sync: not ready" "-" "-" "-" "-" "-" "-"
    return 0
  fi

  sync="'$flowsync' sync '$tree' --db '$(db_url "$label")' --json"
  sync_scenarios
}

# The flowsync scenarios of a data set; uses label, tree, targets, base_s, sync.
sync_scenarios() {
  local t mb c expect workflows initial_target noop_target
  if [[ $backend == pg ]]; then initial_target="≤ 3 s, ≤ 150 MB"; noop_target="≤ 0.3 s, ≤ 150 MB"
  else initial_target="≤ 1.5 s, ≤ 150 MB"; noop_target="≤ 0.25 s, ≤ 150 MB"; fi
  # initial sync
  t="$(timed "$label-initial" "$(db_fresh_cmd "$label")" 0 "$runs" "$sync")"
  eval "$(db_fresh_cmd "$label")" >/dev/null
  mb="$(measured "$label-initial" "$sync")"
  workflows="$(json_get "$tmp/$label-initial.out" added)"
  if [[ "$label" == synthetic* ]]; then expect="$(check "$label-initial" added="$n" errors=0)"
  else expect="$(check "$label-initial" updated=0 deleted=0)"; fi
  add_row "$label" "initial sync" "$t" "$mb" "$(ratio "$t" "$base_s")" "$(counts "$label-initial")" "$expect" \
    "${targets:+$initial_target}"

  # no-op re-sync
  t="$(timed "$label-noop" "" 2 $((runs * 2)) "$sync")"
  mb="$(measured "$label-noop" "$sync")"
  expect="$(check "$label-noop" added=0 updated=0 renamed=0 deleted=0 restored=0 unchanged="$workflows")"
  add_row "$label" "no-op re-sync" "$t" "$mb" "$(ratio "$t" "$base_s")" "$(counts "$label-noop")" "$expect" \
    "${targets:+$noop_target}"

  # 1 % of the workflows edited
  db_snapshot "$label"
  c="$(python3 "$here/gen_bundles.py" --mutate 1 "$tree" --seed "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
  t="$(timed "$label-mutate" "$(db_restore_cmd "$label")" 0 "$runs" "$sync")"
  eval "$(db_restore_cmd "$label")" >/dev/null
  mb="$(measured "$label-mutate" "$sync")"
  expect="$(check "$label-mutate" added=0 updated="$c" deleted=0)"
  add_row "$label" "re-sync after editing 1% ($c)" "$t" "$mb" "$(ratio "$t" "$base_s")" \
    "$(counts "$label-mutate")" "$expect" "${targets:+≤ 150 MB}"

  # 1 % deleted, full sync
  db_snapshot "$label"
  c="$(python3 "$here/gen_bundles.py" --delete 1 "$tree" --seed "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
  t="$(timed "$label-delete" "$(db_restore_cmd "$label")" 0 "$runs" "$sync --full")"
  eval "$(db_restore_cmd "$label")" >/dev/null
  mb="$(measured "$label-delete" "$sync --full")"
  expect="$(check "$label-delete" added=0 updated=0 deleted="$c")"
  add_row "$label" "full sync after deleting 1% ($c)" "$t" "$mb" "$(ratio "$t" "$base_s")" \
    "$(counts "$label-delete")" "$expect" "${targets:+≤ 150 MB}"

  # 2 % moved to other folders
  db_snapshot "$label"
  c="$(python3 "$here/gen_bundles.py" --rename 2 "$tree" --seed "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
  t="$(timed "$label-rename" "$(db_restore_cmd "$label")" 0 "$runs" "$sync")"
  eval "$(db_restore_cmd "$label")" >/dev/null
  mb="$(measured "$label-rename" "$sync")"
  expect="$(check "$label-rename" added=0 updated=0 renamed="$c")"
  add_row "$label" "re-sync after moving 2% ($c)" "$t" "$mb" "$(ratio "$t" "$base_s")" \
    "$(counts "$label-rename")" "$expect" "${targets:+≤ 150 MB}"
}

log "machine: $machine"
((flowsync_ready)) || log "flowsync at $flowsync does not run 'sync --help': timing the baseline only"

synthetic="$tmp/synthetic"
log "generating $n bundles (seed $seed)..."
python3 "$here/gen_bundles.py" "$n" "$synthetic" --seed "$seed" >/dev/null
bench_set "synthetic-$n" "$synthetic" targets

if ((corpus)); then
  if [[ -d "$shared/corpus/n8n/zie619" ]]; then
    cp -r "$shared/corpus/n8n/zie619" "$tmp/corpus"
    chmod -R u+w "$tmp/corpus"
    bench_set "corpus-zie619" "$tmp/corpus"
  else
    log "no corpus at $shared/corpus/n8n/zie619: skipped (use --shared DIR)"
  fi
fi

if ((pg)) && ((flowsync_ready)); then
  # The same data sets, freshly made (the runs above changed them), against
  # a PostgreSQL server on this machine. Ratios are to the SQLite baseline.
  "$repo/tests/pg/cluster.sh" start "$tmp/pg" >&2
  pg_admin="$(cat "$tmp/pg/url")"
  backend=pg
  rm -rf "$synthetic"
  python3 "$here/gen_bundles.py" "$n" "$synthetic" --seed "$seed" >/dev/null
  bench_set "synthetic-$n-pg" "$synthetic" targets
  if ((corpus)) && [[ -d "$shared/corpus/n8n/zie619" ]]; then
    rm -rf "$tmp/corpus"
    cp -r "$shared/corpus/n8n/zie619" "$tmp/corpus"
    chmod -R u+w "$tmp/corpus"
    bench_set "corpus-zie619-pg" "$tmp/corpus"
  fi
fi

report="$(
  echo "Machine: $machine. $("$flowsync" --version 2>/dev/null | head -n 1 || echo "flowsync (version unknown)")."
  echo "Median of $runs runs (no-op: $((runs * 2)) after 2 warm-ups), warm page cache; peak RSS of one run."
  echo "Counts are added/updated/renamed/deleted/restored/unchanged/errors from \`--json\`."
  echo
  echo "| data set | scenario | median s | peak RSS MB | × baseline | counts | check | target |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)"
echo
echo "$report"
if [[ -n "$out" ]]; then echo "$report" >"$out"; fi
