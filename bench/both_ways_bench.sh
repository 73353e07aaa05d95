#!/usr/bin/env bash
# Both ways: `flowsync status`, a no-op `sync` and `pull`, and a `pull` of workflows changed in the database.
#
#   bench/both_ways_bench.sh [options] BUILD_DIR
#
# Options:
#   -n N          synthetic workflows (default 10000)
#   -c CHANGED    workflows changed in the database only (default 1000)
#   --runs R      timed runs per scenario (default 10, after 2 warm-ups where nothing is restored)
#   --seed S      generator seed (default 1)
#   --pg          also run everything against a throwaway PostgreSQL server
#                 (tests/pg/cluster.sh; needs postgresql-15)
#   --out FILE    also write the results as markdown to FILE
#   --keep        keep the temporary directory
#
# Builds nothing: uses BUILD_DIR/flowsync. Needs python3, sqlite3, hyperfine and GNU time (/usr/bin/time).
# For SQLite (and PostgreSQL with --pg), on a warm page cache:
#   1. N bundles from gen_bundles.py, synced into a fresh database (A).
#   2. On that unchanged state: `status --json`, a no-op `sync` and a no-op `pull`.
#   3. CHANGED workflows changed in the database only, as a migration does it: a copy of the tree with
#      CHANGED/N of it edited (gen_bundles.py --mutate) is synced into a second database (SQLite: its own
#      file, ATTACHed; PostgreSQL: a second schema of the same database), and those rows' content,
#      content_hash, metadata, documentation (and on PostgreSQL definition) are copied into A's rows of the
#      same path, with source_sig = '' and the base (base_hash, base_path) left as it was. `status --json`
#      must then list exactly CHANGED in changed_in_database and no conflicts.
#   4. `status --json`, `sync` (which must keep all CHANGED: changed_in_database in its --json) and `pull`
#      of them. sync and pull restore a snapshot of the database (SQLite: a copy of the file; PostgreSQL:
#      CREATE DATABASE ... TEMPLATE, STRATEGY FILE_COPY) and of the pulled folders (tar) before each run
#      (hyperfine --prepare). After one more pull, its --json must say written = CHANGED, and a sync after
#      it must change nothing and find changed_in_database = 0.
#   5. Peak RSS ("Maximum resident set size" of /usr/bin/time -v) of every scenario, from one more run.
# Times are hyperfine medians, with the fastest and slowest run.
set -euo pipefail

die() { echo "both_ways_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
n=10000 changed=1000 runs=10 seed=1 out="" keep=0 pg=0
args=()
while (($#)); do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    -c) changed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --pg) pg=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]} == 1)) || die "usage: both_ways_bench.sh [options] BUILD_DIR (see --help)"
flowsync="$(realpath "${args[0]}/flowsync")"
[[ -x "$flowsync" ]] || die "no flowsync binary at $flowsync"
((changed >= 1 && changed <= n)) || die "-c CHANGED must be between 1 and N ($n)"
for tool in python3 sqlite3 hyperfine tar; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is not installed"

export PGOPTIONS="-c client_min_messages=warning"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-bothways.XXXXXX")"
cleanup() {
  if ((pg)); then "$repo/tests/pg/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; fi
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), \
Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
rows=()
failed=0
log() { echo "$@" >&2; }

# json_get FILE KEY: a field of the JSON object FILE holds (pretty or on its last line; '' when absent;
# a list gives its length).
json_get() {
  python3 -c 'import json,sys
text = open(sys.argv[1]).read().strip()
try:
    d = json.loads(text)
except Exception:
    try:
        d = json.loads(text.splitlines()[-1])
    except Exception:
        d = {}
v = d.get(sys.argv[2], "")
print(v if not isinstance(v, list) else len(v))' "$1" "$2"
}

# check FILE KEY=VALUE...: "ok", or what differs from the expected --json fields.
check() {
  local file="$1" verdict="" kv key want got
  shift
  for kv in "$@"; do
    key="${kv%%=*}" want="${kv#*=}"
    got="$(json_get "$file" "$key")"
    [[ "$got" == "$want" ]] || verdict+="${verdict:+, }$key=$got (want $want)"
  done
  if [[ -z "$verdict" ]]; then echo ok; else failed=1; echo "MISMATCH $verdict"; fi
}

# timed NAME PREPARE WARMUP CMD: "median (min-max)" in seconds of hyperfine runs; JSON in $tmp/NAME.hf.json.
timed() {
  local name="$1" prepare="$2" warmup="$3" cmd="$4"
  local hf=(hyperfine --style none --warmup "$warmup" --runs "$runs" --export-json "$tmp/$name.hf.json")
  [[ -n "$prepare" ]] && hf+=(--prepare "$prepare")
  "${hf[@]}" "$cmd" >/dev/null 2>"$tmp/$name.hf.err" || { cat "$tmp/$name.hf.err" >&2; return 1; }
  python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f (%.3f-%.3f)" % (r["median"], r["min"], r["max"]))' "$tmp/$name.hf.json"
}

# measured NAME CMD: one run under /usr/bin/time -v, stdout in $tmp/NAME.out; prints the peak RSS in MB.
measured() {
  local name="$1" cmd="$2" rc=0
  /usr/bin/time -v bash -c "$cmd" >"$tmp/$name.out" 2>"$tmp/$name.time" || rc=$?
  if ((rc != 0)); then
    log "$name: exit $rc"; tail -n 30 "$tmp/$name.time" >&2; failed=1
  fi
  awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/$name.time"
}

add_row() {  # backend scenario time rss check target
  rows+=("| $1 | $2 | $3 | $4 | $5 | ${6:--} |")
  log "  $1 | $2 | $3 s | $4 MB | $5 | ${6:--}"
}

# The database under test (A) and the one the edited copy goes into (B).
backend=sqlite pg_admin=""
pg_base() { echo "${pg_admin%/*}"; }
db_url() {  # a|b
  if [[ $backend == pg ]]; then
    if [[ $1 == a ]]; then echo "$(pg_base)/bothways"; else echo "$(pg_base)/bothways?schema=edited"; fi
  else
    echo "sqlite:$tmp/$backend-$1.db"
  fi
}
psql_a() { psql -qXAt -v ON_ERROR_STOP=1 "$(pg_base)/bothways" "$@"; }
psql_admin() { psql -qX -v ON_ERROR_STOP=1 "$pg_admin" "$@"; }

db_fresh() {
  if [[ $backend == pg ]]; then
    psql_admin -c 'DROP DATABASE IF EXISTS bothways WITH (FORCE)' -c 'CREATE DATABASE bothways' >/dev/null
  else
    rm -f "$tmp/$backend-a.db"* "$tmp/$backend-b.db"*
  fi
}

# Copies the rows of the edited copy (B) whose content differs into A, as a migration would.
copy_edits() {
  local cols="content = e.content, content_hash = e.content_hash, metadata = e.metadata,
    documentation = e.documentation, source_sig = ''"
  local where="e.path = w.path AND e.project = w.project AND e.content_hash <> w.content_hash
    AND e.deleted_at IS NULL AND w.deleted_at IS NULL"
  if [[ $backend == pg ]]; then
    psql_a -c "UPDATE workflows AS w SET $cols, definition = e.definition
               FROM edited.workflows AS e WHERE $where" \
      -c 'DROP SCHEMA edited CASCADE' -c 'VACUUM ANALYZE' >/dev/null
    psql_a -c "SELECT path FROM workflows WHERE source_sig = '' ORDER BY path" >"$tmp/$backend.paths"
  else
    sqlite3 "$tmp/$backend-a.db" "ATTACH '$tmp/$backend-b.db' AS e_db;
      UPDATE workflows AS w SET $cols FROM e_db.workflows AS e WHERE $where;
      DETACH e_db; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    sqlite3 "$tmp/$backend-a.db" "SELECT path FROM workflows WHERE source_sig = '' ORDER BY path" \
      >"$tmp/$backend.paths"
  fi
}

db_snapshot() {
  if [[ $backend == pg ]]; then
    psql_admin -c 'DROP DATABASE IF EXISTS bothways_snap' \
      -c 'CREATE DATABASE bothways_snap TEMPLATE bothways STRATEGY FILE_COPY' >/dev/null
  else
    local db="$tmp/$backend-a.db"
    sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    rm -f "$db.snap"*
    cp "$db" "$db.snap"
    if [[ -s "$db-wal" ]]; then cp "$db-wal" "$db.snap-wal"; fi
  fi
}

# A script that puts back the snapshot of the database and of the folders a pull writes.
write_restore() {
  local tree="$1" script="$tmp/$backend-restore.sh"
  {
    echo "set -e"
    if [[ $backend == pg ]]; then
      echo "psql -qX -v ON_ERROR_STOP=1 '$pg_admin' -c 'DROP DATABASE IF EXISTS bothways WITH (FORCE)' \\"
      echo "  -c 'CREATE DATABASE bothways TEMPLATE bothways_snap STRATEGY FILE_COPY' >/dev/null"
    else
      local db="$tmp/$backend-a.db"
      echo "rm -f '$db' '$db-wal' '$db-shm'; cp '$db.snap' '$db'"
      echo "if [ -e '$db.snap-wal' ]; then cp '$db.snap-wal' '$db-wal'; fi"
    fi
    echo "cd '$tree'; tr '\\n' '\\0' <'$tmp/$backend.paths' | xargs -0 rm -rf; tar -xf '$tmp/$backend-tree.tar'"
  } >"$script"
  echo "$script"
}

run_backend() {
  local tree="$tmp/$backend-tree" copy="$tmp/$backend-copy" a b t mb verdict pct count
  local sync status pull
  log "== $backend"
  rm -rf "$tree" "$copy"
  cp -a "$tmp/pristine" "$tree"
  db_fresh
  a="$(db_url a)" b="$(db_url b)"
  sync="'$flowsync' sync '$tree' --db '$a' --json"
  status="'$flowsync' status --root '$tree' --db '$a' --json"
  pull="'$flowsync' pull --root '$tree' --db '$a' --json"

  # 1. the initial sync
  mb="$(measured "$backend-initial" "$sync")"
  verdict="$(check "$tmp/$backend-initial.out" added="$n" errors=0)"
  add_row "$backend" "initial sync ($n)" "-" "$mb" "$verdict"

  # 2. nothing changed
  t="$(timed "$backend-status0" "" 2 "$status")"
  mb="$(measured "$backend-status0" "$status")"
  verdict="$(check "$tmp/$backend-status0.out" changed_in_database=0 conflicts=0)"
  add_row "$backend" "status --json, nothing changed" "$t" "$mb" "$verdict" "≈ 0.2 s"
  t="$(timed "$backend-sync0" "" 2 "$sync")"
  mb="$(measured "$backend-sync0" "$sync")"
  verdict="$(check "$tmp/$backend-sync0.out" added=0 updated=0 renamed=0 deleted=0 unchanged="$n" \
    changed_in_database=0 conflicts=0)"
  add_row "$backend" "no-op sync" "$t" "$mb" "$verdict" "≈ 0.2 s"
  t="$(timed "$backend-pull0" "" 2 "$pull")"
  mb="$(measured "$backend-pull0" "$pull")"
  verdict="$(check "$tmp/$backend-pull0.out" written=0 moved=0 removed=0 conflicts=0 refused=0)"
  add_row "$backend" "no-op pull" "$t" "$mb" "$verdict" "≈ 0.2 s"

  # 3. CHANGED workflows edited in the database only
  cp -a "$tmp/pristine" "$copy"
  pct="$(python3 -c 'import sys; print(100.0 * int(sys.argv[1]) / int(sys.argv[2]))' "$changed" "$n")"
  count="$(python3 "$here/gen_bundles.py" --mutate "$pct" "$copy" --seed "$seed" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
  [[ "$count" == "$changed" ]] || die "gen_bundles.py --mutate $pct edited $count workflows, not $changed"
  "$flowsync" sync "$copy" --db "$b" --json >"$tmp/$backend-copy.out"
  copy_edits
  rm -rf "$copy"
  [[ "$(wc -l <"$tmp/$backend.paths")" == "$changed" ]] ||
    die "$(wc -l <"$tmp/$backend.paths") rows changed in the database, not $changed"
  (cd "$tree" && tr '\n' '\0' <"$tmp/$backend.paths" | xargs -0 tar -cf "$tmp/$backend-tree.tar")
  db_snapshot
  local restore
  restore="bash '$(write_restore "$tree")'"

  # 4. with them
  t="$(timed "$backend-status1" "" 2 "$status")"
  mb="$(measured "$backend-status1" "$status")"
  verdict="$(check "$tmp/$backend-status1.out" changed_in_database="$changed" conflicts=0)"
  add_row "$backend" "status --json, $changed changed in the database" "$t" "$mb" "$verdict" "≈ 0.2 s"
  t="$(timed "$backend-sync1" "$restore" 0 "$sync")"
  eval "$restore"
  mb="$(measured "$backend-sync1" "$sync")"
  verdict="$(check "$tmp/$backend-sync1.out" added=0 updated=0 renamed=0 deleted=0 \
    changed_in_database="$changed" conflicts=0)"
  add_row "$backend" "sync keeping $changed changed in the database" "$t" "$mb" "$verdict" "≈ 0.2 s"
  t="$(timed "$backend-pull1" "$restore" 0 "$pull")"
  eval "$restore"
  mb="$(measured "$backend-pull1" "$pull")"
  verdict="$(check "$tmp/$backend-pull1.out" written="$changed" moved=0 removed=0 conflicts=0 refused=0)"
  measured "$backend-sync2" "$sync" >/dev/null
  if [[ $verdict == ok ]]; then
    verdict="$(check "$tmp/$backend-sync2.out" added=0 updated=0 renamed=0 deleted=0 unchanged="$n" \
      changed_in_database=0 conflicts=0)"
    [[ $verdict == ok ]] || verdict="sync after pull: $verdict"
  fi
  add_row "$backend" "pull of $changed changed in the database" "$t" "$mb" "$verdict" "< 1 s"
  t="$(timed "$backend-pull2" "" 2 "$pull")"
  mb="$(measured "$backend-pull2" "$pull")"
  verdict="$(check "$tmp/$backend-pull2.out" written=0 moved=0 removed=0 conflicts=0 refused=0)"
  add_row "$backend" "no-op pull after that pull" "$t" "$mb" "$verdict" "≈ 0.2 s"
}

log "machine: $machine"
log "generating $n bundles (seed $seed)..."
python3 "$here/gen_bundles.py" "$n" "$tmp/pristine" --seed "$seed" >/dev/null

run_backend
if ((pg)); then
  command -v psql >/dev/null || die "psql is not installed"
  "$repo/tests/pg/cluster.sh" start "$tmp/pg" >&2
  pg_admin="$(cat "$tmp/pg/url")"
  backend=pg
  run_backend
fi

report="$(
  echo "Machine: $machine; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "$("$flowsync" --version 2>/dev/null | head -n 1 || echo "flowsync (version unknown)"), N = $n, \
changed in the database = $changed. Median (fastest-slowest) of $runs runs, warm page cache; peak RSS of one run."
  echo
  echo "| backend | scenario | median s (min-max) | peak RSS MB | check | target |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)"
echo
echo "$report"
if [[ -n "$out" ]]; then echo "$report" >"$out"; fi
exit "$failed"
