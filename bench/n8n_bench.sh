#!/usr/bin/env bash
# The shared n8n corpus (2,047 workflows) into a fresh n8n database: flowsync against n8n's own import, and
# flowsync's unchanged re-run, measured in the same run.
#
#   bench/n8n_bench.sh [--pg PG_DIR] [--version V] [--corpus DIR] BUILD_DIR
#
# Options:
#   --pg PG_DIR   also on PostgreSQL: a cluster started by tests/pg/cluster.sh start PG_DIR
#   --version V   the n8n release (default 1.123.0; installed by scripts/install-n8n.sh)
#   --corpus DIR  the workflows (default ../shared/corpus/n8n/zie619 beside the repository)
#
# n8n first creates its database once (a template, not timed); each measured run gets a copy of it (SQLite:
# the folder; PostgreSQL: createdb -T). Timed: `n8n import:workflow --separate --input=FLAT` (the corpus
# flattened into one folder, as --separate reads no sub-folders), `flowsync sync TREE --db n8n+...` (first),
# and the same sync again (nothing changed). Prints wall seconds and the ratio. Builds nothing.
set -euo pipefail

die() { echo "n8n_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version=1.123.0 pg_dir="" corpus="$here/../../shared/corpus/n8n/zie619" build=""
while (($#)); do
  case "$1" in
    --pg) pg_dir="$(realpath "$2")"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) build="$(realpath "$1")"; shift ;;
  esac
done
[[ -n $build && -x $build/flowsync ]] || die "usage: n8n_bench.sh [options] BUILD_DIR (with BUILD_DIR/flowsync)"
[[ -d $corpus ]] || die "no corpus at $corpus"
cache="${FLOWSYNC_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowsync}"
n8n_dir="$cache/n8n-$version"
[[ -f $n8n_dir/.installed ]] || "$here/../scripts/install-n8n.sh" "$version"

work="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-n8n-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$work/tree" flat="$work/flat"
cp -r "$corpus" "$tree"
# n8n's import gives up on the whole batch at the first file that is no workflow (the corpus holds 10 such
# JSON files): it gets the 2,047 workflows only; flowsync reads the tree as it is and ignores those files.
# It also gives up on a workflow without a versionId or a name (it upserts the file's object as it is: NOT
# NULL constraints) or marked active (a foreign key on activeVersionId): its copies get a versionId, the
# file's name when they have none, and are inactive, as n8n's own export writes them and as flowsync writes
# them into n8n. Tags without the ids of the instance they came from fail its import too (NOT NULL on
# workflows_tags.tagId): n8n's copies have none (flowsync writes the tags: n8n gets the lighter job).
python3 - "$tree" "$flat" <<'PY'
import json, os, shutil, sys, uuid
tree, flat = sys.argv[1:]
os.makedirs(flat)
for d, _, names in os.walk(tree):
    for n in names:
        if not n.endswith(".json"):
            continue
        p = os.path.join(d, n)
        try:
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("nodes"), list) and isinstance(doc.get("connections"), dict):
            out = os.path.join(flat, os.path.relpath(p, tree).replace("/", "__"))
            if not doc.get("versionId") or doc.get("active") or not isinstance(doc.get("name"), str) \
                    or not doc["name"] or "tags" in doc:
                doc.pop("tags", None)
                doc["versionId"] = doc.get("versionId") or str(uuid.uuid4())
                doc["active"] = False
                if not isinstance(doc.get("name"), str) or not doc["name"]:
                    doc["name"] = os.path.splitext(n)[0]
                with open(out, "w", encoding="utf-8") as f:
                    json.dump(doc, f)
            else:
                shutil.copy(p, out)
PY
files=$(find "$flat" -name '*.json' | wc -l)

n8n() {  # n8n HOME [PG_DB] ARGS...
  local home="$1" db="$2"; shift 2
  local -a env=(PATH="$n8n_dir/node/bin:$PATH" N8N_USER_FOLDER="$home" N8N_DIAGNOSTICS_ENABLED=false
                N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false)
  if [[ -n $db ]]; then
    env+=(DB_TYPE=postgresdb DB_POSTGRESDB_HOST=127.0.0.1 DB_POSTGRESDB_PORT="$(cat "$pg_dir/port")"
          DB_POSTGRESDB_USER=flowsync DB_POSTGRESDB_PASSWORD="$(cat "$pg_dir/password")" DB_POSTGRESDB_DATABASE="$db")
  fi
  env "${env[@]}" "$n8n_dir/node_modules/.bin/n8n" "$@"
}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d "$(cat "$pg_dir/url")" -c "$1"; }
seconds() {  # seconds COMMAND...: wall time, the command's output to $work/last.log
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/last.log" 2>&1 || { tail -20 "$work/last.log" >&2; die "failed: $*"; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}

bench_backend() {  # bench_backend sqlite|postgres
  local backend="$1"
  local tpl="$work/template-$backend" tpl_db="" a b a_db="" b_db="" url_b
  mkdir -p "$tpl"
  if [[ $backend == postgres ]]; then
    tpl_db="bench_tpl_$$"
    psql_admin "CREATE DATABASE $tpl_db"
  fi
  n8n "$tpl" "$tpl_db" list:workflow >/dev/null 2>&1
  a="$work/a-$backend" b="$work/b-$backend"
  cp -r "$tpl" "$a"; cp -r "$tpl" "$b"
  if [[ $backend == postgres ]]; then
    a_db="bench_a_$$" b_db="bench_b_$$"
    psql_admin "CREATE DATABASE $a_db TEMPLATE $tpl_db"
    psql_admin "CREATE DATABASE $b_db TEMPLATE $tpl_db"
    url_b="n8n+$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$(cat "$pg_dir/url")" "$b_db")"
  else
    url_b="n8n+sqlite:$b/.n8n/database.sqlite"
  fi
  local t_n8n t_first t_rerun
  t_n8n=$(seconds n8n "$a" "$a_db" import:workflow --separate --input="$flat")
  t_first=$(seconds "$build/flowsync" sync "$tree" --db "$url_b")
  grep -o 'sync of .*' "$work/last.log" | sed 's/^/  flowsync: /' >&2
  t_rerun=$(seconds "$build/flowsync" sync "$tree" --db "$url_b")
  grep -o 'sync of .*' "$work/last.log" | sed 's/^/  flowsync: /' >&2
  python3 - "$backend" "$t_n8n" "$t_first" "$t_rerun" <<'PY'
import sys
backend, n8n, first, rerun = sys.argv[1], *map(float, sys.argv[2:])
print(f"| {backend} | {n8n:.2f} s | {first:.3f} s | {n8n / first:.1f}x | {rerun:.3f} s |")
PY
  if [[ $backend == postgres ]]; then
    psql_admin "DROP DATABASE $a_db" && psql_admin "DROP DATABASE $b_db" && psql_admin "DROP DATABASE $tpl_db"
  fi
}

echo "n8n $version, $files workflows of $corpus, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| database | n8n import:workflow --separate | flowsync sync (first) | ratio | flowsync re-run (unchanged) |"
echo "|---|---|---|---|---|"
bench_backend sqlite
[[ -z $pg_dir ]] || bench_backend postgres
