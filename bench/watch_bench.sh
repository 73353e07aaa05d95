#!/usr/bin/env bash
# Benchmark of `flowsync sync --watch`: change-to-database latency and memory.
#
#   bench/watch_bench.sh [options] BUILD_DIR
#
# Options:
#   -n N          synthetic bundles (default 100000; gen_bundles.py, about 17 KB of disk each)
#   --edits E     single edits timed (default 100)
#   --checkout C  files changed at once, as a git checkout does (default 10000)
#   --tree DIR    use (and keep) the tree at DIR, generating it there first if it is missing
#   --pg          also run against a throwaway PostgreSQL server (tests/pg/cluster.sh)
#   --pg-only     only against that server (SQLite left out)
#   --out FILE    also write the results as markdown to FILE
#   --keep        keep the temporary directory
#
# Builds nothing. Needs python3 and GNU time (/usr/bin/time). For each backend, on a warm page cache:
#   initial   flowsync sync into a fresh database (peak RSS, time)
#   no-op     flowsync sync again, nothing changed (peak RSS, time)
#   watch     flowsync sync --watch --json --interval 0 under /usr/bin/time -v, then
#     E single edits: one bundle's workflow.json rewritten with a new name; the latency is from just
#       before the write to the moment the watch's report of the sync that stored it is read from its
#       stdout (it prints that line after the commit); the next edit waits until then;
#     a checkout: C bundles' workflow.json rewritten as fast as python can, timed from the first write
#       to the report that completes the C updates; how many syncs it took;
#     a branch switch: C other bundles' folders deleted (as git does, file by file), timed to the
#       report that completes their C sources missing, then put back (copied in), timed to the
#       report that has seen the C again; how many syncs each took;
#     then SIGTERM, and the watch's peak RSS over all of it. The tree is as it was, but for names.
set -euo pipefail

die() { echo "watch_bench.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
n=100000 edits=100 checkout=10000 tree="" pg=0 sqlite=1 out="" keep=0
args=()
while (($#)); do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    --edits) edits="$2"; shift 2 ;;
    --checkout) checkout="$2"; shift 2 ;;
    --tree) tree="$2"; shift 2 ;;
    --pg) pg=1; shift ;;
    --pg-only) pg=1 sqlite=0; shift ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
((${#args[@]} == 1)) || die "usage: watch_bench.sh [options] BUILD_DIR (see --help)"
flowsync="$(realpath "${args[0]}/flowsync")"
[[ -x "$flowsync" ]] || die "no flowsync binary in ${args[0]}"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is not installed"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flowsync-watch-bench.XXXXXX")"
cleanup() {
  if ((pg)); then "$repo/tests/pg/cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; fi
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
log() { echo "$@" >&2; }

[[ -n "$tree" ]] || tree="$tmp/tree"
if [[ ! -d "$tree" ]]; then
  log "generating $n bundles in $tree"
  python3 "$here/gen_bundles.py" "$n" "$tree" --seed 1 >/dev/null
fi

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), \
Linux $(uname -r), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
rows=()

peak_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() {
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i];
    printf "%.1f", s}' "$1"
}

bench_backend() {
  local backend="$1" db="$2" fresh="$3"
  log "[$backend] initial sync"
  eval "$fresh"
  # Without --json, as a user runs it: a JSON report lists every change (a
  # million for the initial sync of a million), a summary only the errors.
  /usr/bin/time -v "$flowsync" sync "$tree" --db "$db" >"$tmp/$backend-initial.out" \
    2>"$tmp/$backend-initial.time" || true
  local init_mb init_s noop_mb noop_s
  init_mb="$(peak_mb "$tmp/$backend-initial.time")" init_s="$(wall_s "$tmp/$backend-initial.time")"
  log "[$backend] no-op sync"
  /usr/bin/time -v "$flowsync" sync "$tree" --db "$db" >"$tmp/$backend-noop.out" \
    2>"$tmp/$backend-noop.time" || true
  noop_mb="$(peak_mb "$tmp/$backend-noop.time")" noop_s="$(wall_s "$tmp/$backend-noop.time")"
  log "[$backend] watch: $edits edits, a checkout of $checkout files"
  local result
  result="$(python3 - "$flowsync" "$tree" "$db" "$edits" "$checkout" "$tmp/$backend-watch.time" \
    "$tmp/$backend-away" <<'EOF'
import json, os, random, shutil, signal, subprocess, sys, time

flowsync, tree, db, edits, checkout, time_file, away = sys.argv[1:8]
edits, checkout = int(edits), int(checkout)
mains = []
for dirpath, dirnames, filenames in os.walk(tree):
    if "workflow.json" in filenames:
        mains.append(os.path.join(dirpath, "workflow.json"))
        dirnames[:] = []
    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
mains.sort()
rng = random.Random(7)

def rewrite(path, tag):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["name"] = doc.get("name", "") + " " + tag
    data = json.dumps(doc, indent=2)
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)

with open(time_file, "w") as tf:
    proc = subprocess.Popen(["/usr/bin/time", "-v", flowsync, "sync", tree, "--db", db, "--watch",
                             "--json", "--interval", "0"],
                            stdout=subprocess.PIPE, stderr=tf, text=True)

def next_run():
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the watch stopped")
        d = json.loads(line)
        if "run_id" in d:
            return d

start = next_run()
state_folders = start["watch"]["folders"]
lat = []
for i in range(edits):
    path = rng.choice(mains)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["name"] = doc.get("name", "") + f" e{i}"
    data = json.dumps(doc, indent=2)
    t0 = time.monotonic()
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
    updated = 0
    while updated < 1:
        r = next_run()
        updated += r["updated"]
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(0.05)
lat.sort()
p50 = lat[len(lat) // 2]
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]

victims = rng.sample(mains, checkout)
docs = []
for path in victims:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["name"] = doc.get("name", "") + " checkout"
    docs.append((path, json.dumps(doc, indent=2)))
t0 = time.monotonic()
for path, data in docs:
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
written = time.monotonic() - t0
updated = syncs = 0
triggers = {}
while updated < checkout:
    r = next_run()
    updated += r["updated"]
    syncs += 1
    triggers[r["watch"]["trigger"]] = triggers.get(r["watch"]["trigger"], 0) + 1
checkout_s = time.monotonic() - t0

def until(count, want):
    done = syncs = 0
    while done < want:
        r = next_run()
        done += count(r)
        syncs += 1
    return syncs

# A branch without C bundles, then back: their folders deleted file by file
# (kept aside first), then copied back in.
gone = [os.path.dirname(p) for p in rng.sample(sorted(set(mains) - set(victims)), checkout)]
os.makedirs(away)
kept = []
for i, folder in enumerate(gone):
    aside = os.path.join(away, str(i))
    shutil.copytree(folder, aside)
    kept.append((folder, aside))
t0 = time.monotonic()
for folder, _ in kept:
    shutil.rmtree(folder)
# Without --full a source gone is reported missing, its workflow kept.
switch_syncs = until(lambda r: r["deleted"] + sum(c["kind"] == "missing" for c in r["changes"]),
                     checkout)
switch_s = time.monotonic() - t0
t0 = time.monotonic()
for folder, aside in kept:
    shutil.copytree(aside, folder)
# The same content again: unchanged (or restored, after a --full).
back_syncs = until(lambda r: r["unchanged"] + r["updated"] + r["added"] + r["restored"] +
                   r["renamed"], checkout)
back_s = time.monotonic() - t0
shutil.rmtree(away)
# SIGTERM to flowsync itself: GNU time would die of it without its report.
with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
    child = int(f.read().split()[0])
os.kill(child, signal.SIGTERM)
proc.wait(timeout=60)
print(json.dumps({"folders": state_folders, "p50": round(p50, 1), "p99": round(p99, 1),
                  "max": round(lat[-1], 1), "checkout_s": round(checkout_s, 2),
                  "written_s": round(written, 2), "syncs": syncs, "triggers": triggers,
                  "switch_s": round(switch_s, 2), "switch_syncs": switch_syncs,
                  "back_s": round(back_s, 2), "back_syncs": back_syncs}))
EOF
)"
  local watch_mb
  watch_mb="$(peak_mb "$tmp/$backend-watch.time")"
  log "[$backend] $result"
  local get
  get() { python3 -c 'import json,sys; v = json.loads(sys.argv[1])[sys.argv[2]]; print(v)' "$result" "$1"; }
  rows+=("| $backend | $(get folders) | $init_s s, $init_mb MB | $noop_s s, $noop_mb MB | $(get p50) / $(get p99) (max $(get max)) | $(get checkout_s) s in $(get syncs) syncs ($(get triggers | tr -d "{}'\"")) | $(get switch_s) s in $(get switch_syncs), $(get back_s) s in $(get back_syncs) | $watch_mb MB |")
}

if ((sqlite)); then
  bench_backend sqlite "$tmp/watch.db" "rm -f '$tmp/watch.db' '$tmp/watch.db-wal' '$tmp/watch.db-shm'"
fi
if ((pg)); then
  "$repo/tests/pg/cluster.sh" start "$tmp/pg" >&2
  pg_admin="$(cat "$tmp/pg/url")"
  pg_url="${pg_admin%/*}/bench_watch"
  bench_backend postgresql "$pg_url" \
    "psql -qX '$pg_admin' -c 'DROP DATABASE IF EXISTS bench_watch WITH (FORCE)' -c 'CREATE DATABASE bench_watch'"
fi

load="$(cut -d' ' -f1-3 /proc/loadavg)"
table="$(
  echo "Machine: $machine; load average at the end: $load."
  echo "Tree: $n bundles ($(du -sh "$tree" | cut -f1)); $edits single edits; a checkout of $checkout files."
  echo
  echo "| backend | folders watched | initial sync | no-op sync | edit → database p50 / p99 ms | checkout of $checkout | $checkout folders deleted, then back | watch peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)"
echo "$table"
if [[ -n "$out" ]]; then echo "$table" >"$out"; fi
