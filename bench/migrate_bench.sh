#!/usr/bin/env bash
# End-to-end benchmark of `flowsync migrate up` against dbmate applying the same migration files.
#
#   bench/migrate_bench.sh [options] BUILD_DIR
#
# Options:
#   -n N          synthetic workflows, hence migration files (default 1000)
#   --runs R      timed runs per tool and backend, in alternating rounds (default 5, after a warm-up
#                 round); also the timed runs of `migration create`
#   --seed S      generator seed (default 1)
#   --dbmate BIN  the dbmate binary (default: the native binary that `npm install --prefix build-npm dbmate`
#                 installed, build-npm/node_modules/@dbmate/linux-ARCH/bin/dbmate, which the npm wrapper
#                 build-npm/node_modules/.bin/dbmate spawns; timing the wrapper would add node's start-up)
#   --out FILE    also write the results as markdown to FILE
#   --keep        keep the temporary directory
#   --pg          also run against a throwaway PostgreSQL server (tests/pg/cluster.sh; needs postgresql-15)
#
# Builds nothing. Needs python3, hyperfine, sqlite3 (and psql with --pg). Steps:
#   1. gen_bundles.py N bundles, `flowsync sync` into a "dev" SQLite database;
#   2. `flowsync migration create --format dbmate` of every workflow, once per dialect (sqlite, and
#      postgres with --pg): N files VERSION_slug.sql with `-- migrate:up` / `-- migrate:down` sections,
#      which both tools read; the create of the sqlite dialect is timed too (R runs into a fresh folder);
#   3. a template target: an empty database with flowsync's schema (`flowsync migrate up` of an empty
#      folder); per backend, one run of each tool on a copy of it, checked: N workflows whose ids and
#      content hashes are those the files' headers name, N migration_metadata rows 'created', N rows in
#      the tool's history (dbmate: schema_migrations; flowsync: flowsync_migrations, whose checksums must
#      be the sha256 of the files, and N 'applied' rows in flowsync_migration_events);
#   4. hyperfine of both tools: a warm-up round, then R rounds of one run per tool, the order alternating
#      (the load of a shared machine drifts within minutes: this spreads it over both tools); every run on
#      a fresh copy of the template made by --prepare, the same for both: SQLite `cp` of the template
#      file; PostgreSQL DROP DATABASE ... WITH (FORCE) + CREATE DATABASE ... TEMPLATE.
#
#   flowsync  flowsync migrate up --dir DIR --db URL: per file one transaction holding the file's SQL, its
#             history row (sha256 checksum, applied_by, execution_ms, installed_rank) and an 'applied'
#             event; the migration lock (flock / advisory lock) for the whole run.
#   dbmate    dbmate --url URL --migrations-dir DIR --no-dump-schema up: per file one transaction holding
#             the up section and a schema_migrations version row; no checksum.
#
# On PostgreSQL flowsync's tables live in schema `flowsync` (`?schema=flowsync`); dbmate reaches them with
# `search_path=flowsync` (its schema_migrations then lands there too) and `sslmode=disable`.
# Times are medians of the R rounds; "client CPU" is the user + system time of the tool's own process (on
# PostgreSQL the server's work is not in it); "× dbmate" divides flowsync's median by dbmate's on the same
# backend in the same run. The machine is shared: compare the ratios, not the seconds.
set -euo pipefail

die() { echo "migrate_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
n=1000 runs=5 seed=1 out="" keep=0 pg=0 dbmate=""
args=()
while (($#)); do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --dbmate) dbmate="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --pg) pg=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]} == 1)) || die "usage: migrate_bench.sh [options] BUILD_DIR (see --help)"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, got '$n'"
flowsync="$(realpath "${args[0]}/flowsync")"
[[ -x "$flowsync" ]] || die "no flowsync binary at $flowsync"
"$flowsync" migrate up --help >/dev/null 2>&1 || die "$flowsync has no 'migrate up'"
"$flowsync" migration create --help >/dev/null 2>&1 || die "$flowsync has no 'migration create'"
if [[ -z "$dbmate" ]]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  dbmate="$repo/build-npm/node_modules/@dbmate/linux-$arch/bin/dbmate"
  [[ -x "$dbmate" ]] || dbmate="$repo/build-npm/node_modules/.bin/dbmate"
fi
[[ -x "$dbmate" ]] || die "no dbmate at $dbmate (scripts/run installs it: npm install --prefix build-npm dbmate)"
dbmate="$(realpath "$dbmate")"
command -v hyperfine >/dev/null || die "hyperfine is not installed"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed"
if ((pg)); then command -v psql >/dev/null || die "psql is not installed (needed by --pg)"; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-migrate-bench.XXXXXX")"
cleanup() {
  if ((pg)); then "$repo/tests/pg/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; fi
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), \
Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
versions="$("$flowsync" --version 2>/dev/null | head -n 1 || echo "flowsync (version unknown)"), \
$("$dbmate" --version 2>/dev/null | head -n 1), SQLite $(sqlite3 --version | cut -d' ' -f1)"
rows=()   # markdown rows of the main table
notes=()  # lines printed under the tables
log() { echo "$@" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# hf_stats JSON I: "median min max" (seconds) of command I of a hyperfine --export-json file.
hf_stats() {
  python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print("%.3f %.3f %.3f" % (r["median"], r["min"], r["max"]))' "$1" "$2"
}
# hf_rounds BACKEND TOOL: "median min max cpu" (seconds; cpu = median user + system of the tool's process)
# over the timed rounds (1..R; round 0 is the warm-up) of that backend.
hf_rounds() {
  python3 -c 'import glob,json,statistics,sys
wall, cpu = [], []
for f in glob.glob(sys.argv[1] + ".*.hf.json"):
    if f.endswith(".0.hf.json"):
        continue
    for r in json.load(open(f))["results"]:
        if r["command"] == sys.argv[2]:
            wall += r["times"]
            cpu.append(r["user"] + r["system"])
print("%.3f %.3f %.3f %.2f" % (statistics.median(wall), min(wall), max(wall), statistics.median(cpu)))' \
    "$tmp/$1" "$2"
}
ms_per() { python3 -c 'import sys; print("%.2f" % (1000 * float(sys.argv[1]) / int(sys.argv[2])))' "$1" "$2"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

# ---- 1. data: N bundles in a dev database -------------------------------------------------------

dev="$tmp/dev.db"
log "machine: $machine; load $(load)"
log "generating $n bundles (seed $seed) and syncing them into $dev..."
python3 "$here/gen_bundles.py" "$n" "$tmp/tree" --seed "$seed" >/dev/null
"$flowsync" sync "$tmp/tree" --db "sqlite:$dev" --json >"$tmp/sync.json"
added="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["added"])' "$tmp/sync.json")"
[[ "$added" == "$n" ]] || die "sync added $added workflows, expected $n"

# ---- 2. the migration files, once per dialect -----------------------------------------------------

redact=()
create_cmd() {  # DIALECT DIR
  echo "'$flowsync' migration create --db 'sqlite:$dev' --since 7d --dir '$2' --dialect $1 --format dbmate ${redact[*]}"
}
make_migrations() {  # DIALECT DIR
  local rc=0
  bash -c "$(create_cmd "$1" "$2")" >"$tmp/create-$1.out" 2>"$tmp/create-$1.err" || rc=$?
  if ((rc == 3)) && ((${#redact[@]} == 0)); then
    # Refused: the synthetic data holds something the secret scanner takes for a literal secret.
    log "migration create refused (exit 3): $(head -n 3 "$tmp/create-$1.err")"
    redact=(--redact)
    notes+=("The synthetic workflows tripped the secret scanner: the files were created with \`--redact\`.")
    rm -rf "$2"
    rc=0
    bash -c "$(create_cmd "$1" "$2")" >"$tmp/create-$1.out" 2>"$tmp/create-$1.err" || rc=$?
  fi
  ((rc == 0)) || { cat "$tmp/create-$1.err" >&2; die "migration create --dialect $1 failed (exit $rc)"; }
  local files
  files="$(find "$2" -maxdepth 1 -name '*.sql' | wc -l)"
  ((files == n)) || die "migration create --dialect $1 wrote $files files, expected $n"
}

log "creating $n migrations per dialect..."
make_migrations sqlite "$tmp/mig-sqlite"
if ((pg)); then make_migrations postgres "$tmp/mig-postgres"; fi
mig_bytes="$(du -sb "$tmp/mig-sqlite" | cut -f1)"

# The create itself: R runs, each into a fresh folder.
hyperfine --style none --warmup 1 --runs "$runs" --export-json "$tmp/create.hf.json" \
  --prepare "rm -rf '$tmp/mig-timed'" "$(create_cmd sqlite "$tmp/mig-timed")" >/dev/null 2>"$tmp/create.hf.err" ||
  { cat "$tmp/create.hf.err" >&2; die "timing migration create failed"; }
read -r create_med create_min create_max <<<"$(hf_stats "$tmp/create.hf.json" 0)"
log "  migration create: $create_med s ($create_min-$create_max)"

# ---- 3. targets and checks --------------------------------------------------------------------------

mkdir -p "$tmp/empty"
backend=""
pg_admin="" pg_base=""
template_url() {
  if [[ $backend == postgres ]]; then echo "$pg_base/mb_template?schema=flowsync"; else echo "sqlite:$tmp/template.db"; fi
}
target_url() {  # TOOL: the URL that tool is given
  if [[ $backend == postgres ]]; then
    if [[ $1 == flowsync ]]; then echo "$pg_base/mb_$1?schema=flowsync"
    else echo "$pg_base/mb_$1?sslmode=disable&search_path=flowsync"; fi
  else
    echo "sqlite:$tmp/target-$1.db"
  fi
}
fresh_cmd() {  # TOOL: recreates that tool's target from the template
  if [[ $backend == postgres ]]; then
    echo "PGOPTIONS='-c client_min_messages=warning' psql -qX '$pg_admin' -c 'DROP DATABASE IF EXISTS mb_$1 WITH (FORCE)' -c 'CREATE DATABASE mb_$1 TEMPLATE mb_template'"
  else
    local t="$tmp/target-$1.db"
    echo "rm -f '$t' '$t-wal' '$t-shm' '$t-journal' '$t-migrate.lock' && cp '$tmp/template.db' '$t'"
  fi
}
tool_cmd() {  # TOOL
  local dir="$tmp/mig-$backend"
  if [[ $1 == flowsync ]]; then echo "'$flowsync' migrate up --dir '$dir' --db '$(target_url flowsync)'"
  else echo "'$dbmate' --url '$(target_url dbmate)' --migrations-dir '$dir' --no-dump-schema up"; fi
}
# sql TOOL QUERY: one value from that tool's target.
sql() {
  if [[ $backend == postgres ]]; then
    PGOPTIONS="-c search_path=flowsync" psql -qXAt "$pg_base/mb_$1" -c "$2"
  else
    sqlite3 "$tmp/target-$1.db" "$2"
  fi
}
make_template() {
  if [[ $backend == postgres ]]; then
    PGOPTIONS='-c client_min_messages=warning' psql -qX "$pg_admin" -c "DROP DATABASE IF EXISTS mb_template" -c "CREATE DATABASE mb_template" >/dev/null
  else
    rm -f "$tmp/template.db"*
  fi
  # `migrate up` of an empty folder creates the database with flowsync's schema and applies nothing.
  "$flowsync" migrate up --dir "$tmp/empty" --db "$(template_url)" >/dev/null
  if [[ $backend == sqlite ]]; then
    [[ ! -e "$tmp/template.db-wal" ]] || die "the template left a WAL file: copies would not be complete"
    rm -f "$tmp/template.db-migrate.lock"
  fi
}
# header_digest DIR: md5 of the sorted "ID CONTENT_HASH" lines of the files' headers: what a target
# must hold afterwards (not the dev database's hashes: credential ids are nulled in promoted content).
header_digest() {
  python3 -c 'import glob,os,sys
for f in glob.glob(os.path.join(sys.argv[1], "*.sql")):
    head = {}
    for line in open(f, encoding="utf-8"):
        if not line.startswith("-- "):
            break
        key, _, value = line[3:].rstrip("\n").partition(": ")
        head[key] = value
    print(head.get("Workflow id"), head.get("Content hash"))' "$1" | LC_ALL=C sort | md5sum | cut -d' ' -f1
}
# file_digest DIR: md5 of the sorted "VERSION sha256:HEX" lines of the files, as flowsync_migrations must hold them.
file_digest() {
  python3 -c 'import glob,hashlib,os,sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.sql"))):
    print(os.path.basename(f).split("_", 1)[0], "sha256:" + hashlib.sha256(open(f, "rb").read()).hexdigest())' "$1" |
    LC_ALL=C sort | md5sum | cut -d' ' -f1
}
# check TOOL: after one run of TOOL on a fresh target, "ok" or what is wrong.
check() {
  local tool="$1" bad=() v history digest
  v="$(sql "$tool" "SELECT count(*) FROM workflows")"
  [[ "$v" == "$n" ]] || bad+=("workflows=$v")
  digest="$(sql "$tool" "SELECT id || ' ' || content_hash FROM workflows ORDER BY id" | LC_ALL=C sort | md5sum | cut -d' ' -f1)"
  [[ "$digest" == "$(header_digest "$tmp/mig-$backend")" ]] || bad+=("ids/hashes differ from the file headers")
  v="$(sql "$tool" "SELECT count(*) FROM migration_metadata WHERE action = 'created'")"
  [[ "$v" == "$n" ]] || bad+=("migration_metadata created=$v")
  if [[ $tool == flowsync ]]; then
    history="$(sql "$tool" "SELECT count(*) FROM flowsync_migrations")"
    digest="$(sql "$tool" "SELECT version || ' ' || checksum FROM flowsync_migrations ORDER BY version" | LC_ALL=C sort | md5sum | cut -d' ' -f1)"
    [[ "$digest" == "$(file_digest "$tmp/mig-$backend")" ]] || bad+=("stored checksums differ from sha256 of the files")
    v="$(sql "$tool" "SELECT count(*) FROM flowsync_migration_events WHERE event = 'applied'")"
    [[ "$v" == "$n" ]] || bad+=("applied events=$v")
  else
    history="$(sql "$tool" "SELECT count(*) FROM schema_migrations")"
  fi
  [[ "$history" == "$n" ]] || bad+=("history=$history")
  if ((${#bad[@]})); then echo "MISMATCH ${bad[*]}"; else echo "ok"; fi
}

bench_backend() {
  backend="$1"
  local tool med min max
  declare -A verdicts
  log "== $backend: template, one checked run per tool"
  make_template
  for tool in flowsync dbmate; do
    bash -c "$(fresh_cmd "$tool")" >/dev/null
    bash -c "$(tool_cmd "$tool")" >"$tmp/$backend-$tool.out" 2>"$tmp/$backend-$tool.err" ||
      { tail -n 20 "$tmp/$backend-$tool.err" >&2; die "$tool up on $backend failed"; }
    verdicts[$tool]="$(check "$tool")"
    log "  $tool: ${verdicts[$tool]}"
  done
  # One warm-up round, then R rounds of one hyperfine run per tool, the order alternating, so that a
  # change of the machine's load in the middle does not fall on one tool alone.
  log "== $backend: hyperfine, $runs rounds of one run per tool (load $(load))"
  local round order=(flowsync dbmate) hf
  for ((round = 0; round <= runs; round++)); do
    hf=(hyperfine --style none --runs 1 --export-json "$tmp/$backend.$round.hf.json")
    for tool in "${order[@]}"; do hf+=(-n "$tool" --prepare "$(fresh_cmd "$tool")" "$(tool_cmd "$tool")"); done
    "${hf[@]}" >/dev/null 2>"$tmp/$backend.hf.err" || { cat "$tmp/$backend.hf.err" >&2; die "hyperfine on $backend failed"; }
    order=("${order[1]}" "${order[0]}")
  done
  local dm_med cpu
  read -r dm_med _ _ _ <<<"$(hf_rounds "$backend" dbmate)"
  for tool in flowsync dbmate; do
    read -r med min max cpu <<<"$(hf_rounds "$backend" "$tool")"
    rows+=("| $backend | $tool | $med | $min–$max | $(ms_per "$med" "$n") | $cpu | $(ratio "$med" "$dm_med") | ${verdicts[$tool]} |")
    log "  $tool: $med s ($min-$max), $(ms_per "$med" "$n") ms per migration, client CPU $cpu s, × dbmate $(ratio "$med" "$dm_med")"
  done
}

bench_backend sqlite
if ((pg)); then
  "$repo/tests/pg/cluster.sh" start "$tmp/pg" >&2
  pg_admin="$(cat "$tmp/pg/url")"
  pg_base="${pg_admin%/*}"
  notes+=("PostgreSQL: $(psql -qXAt "$pg_admin" -c 'SHOW server_version') from tests/pg/cluster.sh on the same machine \
(fsync, synchronous_commit and full_page_writes off), over TCP to 127.0.0.1.")
  bench_backend postgres
fi

report="$(
  echo "Machine: $machine. $versions."
  echo "N = $n migration files ($(awk -v b="$mig_bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB, SQLite dialect). Median of $runs rounds (after a warm-up \
round) of one run per tool, the order alternating; every run on a fresh copy of an empty flowsync database; \
range = min–max; client CPU = user + system time of the tool's process (median). Load average at the end: $(load)."
  echo
  echo "| backend | tool | median s | range s | ms per migration | client CPU s | × dbmate | check |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "\`flowsync migration create\` of the $n workflows (SQLite dialect, dbmate format, into an empty folder): \
median $create_med s (range $create_min–$create_max), $(ms_per "$create_med" "$n") ms per file."
  for note in "${notes[@]}"; do echo; echo "$note"; done
)"
echo
echo "$report"
if [[ -n "$out" ]]; then echo "$report" >"$out"; fi
