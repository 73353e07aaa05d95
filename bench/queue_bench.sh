#!/usr/bin/env bash
# The execution queue against its peers, in one run on one PostgreSQL:
# drains N no-op tasks (default 100,000) through
#   flowsync worker --noop (PostgreSQL, then SQLite), the built-in no-op
#     handler, so the command's fork is not measured;
#   graphile-worker (defaults, and batched) and pg-boss (batched) from npm,
#     installed into build-npm as dbmate is (bench/queue_peers.js).
# Every queue gets the same N jobs added up front, then its worker runs until
# the last completed: jobs/s and client CPU seconds per 1,000 jobs (the
# database server's CPU is not counted, for any of them). Then flowsync's
# trigger-to-start latency: tasks enqueued one at a time at 50/s while a
# worker polls, p50/p99 of started_at - created_at.
#
#   bench/queue_bench.sh BUILD_DIR [N]
# Uses the cluster of $FLOWSYNC_PG_DIR (tests/pg/cluster.sh), else starts one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: bench/queue_bench.sh BUILD_DIR [N]}"
n="${2:-100000}"
flowsync="$(cd "$build" && pwd)/flowsync"
npm_dir="$here/build-npm"
[[ -d "$npm_dir/node_modules/graphile-worker" && -d "$npm_dir/node_modules/pg-boss" ]] ||
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
    graphile-worker@0.17.3 pg-boss@10.4.2 >/dev/null

work="$(mktemp -d /tmp/flowsync-queue-bench.XXXXXX)"
pg_dir="${FLOWSYNC_PG_DIR:-}"
cleanup() {
  [[ -z "${FLOWSYNC_PG_DIR:-}" ]] && "$here/tests/pg/cluster.sh" stop "$pg_dir" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "$pg_dir" ]]; then
  pg_dir="$work/pg"
  "$here/tests/pg/cluster.sh" start "$pg_dir" >/dev/null
fi
admin="$(cat "$pg_dir/url")"
export PGOPTIONS="-c client_min_messages=warning"


pg_url() {  # the admin URL with another database
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin" "$1"
}

make_db() {
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  pg_url "$1"
}

# N pending executions of topic bench, as flowsync run would write them.
enqueue_sql() {
  echo "INSERT INTO executions (project, workflow, task, topic, job, trigger_type, status,
          max_attempts, retry_delay_ms, timeout_ms, run_at_ms, created_at_ms, info, meta)
        SELECT 'default', 'bench.toml', 'bench', 'bench', '', 'manual', 'pending', 1, 1000,
               3600000, 0, 0, 'x' || i, 'workflow=bench.toml' FROM generate_series(1, $n) AS i;"
}

# flowsync_drain LABEL DBARGS...: prints a JSON line like queue_peers.js.
flowsync_drain() {
  local label="$1"; shift
  local out
  out="$( { /usr/bin/time -f '%e %U %S' "$flowsync" worker --topic bench --noop --exit-when-idle \
            --concurrency 2 --batch 100 --poll 0.01 "$@" >/dev/null; } 2>&1 | tail -1)"
  read -r secs user sys <<<"$out"
  python3 -c "import json,sys; n,s,u,y=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print(json.dumps({'peer': sys.argv[5], 'jobs': n, 'seconds': s, 'jobs_per_s': round(n/s), 'cpu_s_per_1000': round((u+y)/n*1000, 4)}))" \
    "$n" "$secs" "$user" "$sys" "$label"
}

echo "queue_bench: $n no-op jobs each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# flowsync on PostgreSQL
url="$(make_db fs_queue_bench)"
"$flowsync" worker --topic none --noop --exit-when-idle --db "$url" >/dev/null  # creates the schema
psql -q "$url" -c "$(enqueue_sql)" >/dev/null
flowsync_drain flowsync-pg --db "$url"
done_pg="$(psql -Atq "$url" -c "SELECT count(*) FROM executions WHERE status = 'completed'")"
[[ "$done_pg" == "$n" ]] || { echo "queue_bench: flowsync completed $done_pg of $n on PostgreSQL" >&2; exit 1; }

# flowsync on SQLite
db="$work/queue.db"
"$flowsync" worker --topic none --noop --exit-when-idle --db "sqlite:$db" >/dev/null
python3 - "$db" "$n" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.executemany(
    "INSERT INTO executions (project, workflow, task, topic, job, trigger_type, status, max_attempts,"
    " retry_delay_ms, timeout_ms, run_at_ms, created_at_ms, info, meta) VALUES ('default',"
    " 'bench.toml', 'bench', 'bench', '', 'manual', 'pending', 1, 1000, 3600000, 0, 0, ?,"
    " 'workflow=bench.toml')", (("x%d" % i,) for i in range(int(sys.argv[2]))))
con.commit()
PY
flowsync_drain flowsync-sqlite --db "sqlite:$db"
done_sqlite="$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM executions WHERE status = ?", ("completed",)).fetchone()[0])' "$db")"
[[ "$done_sqlite" == "$n" ]] || { echo "queue_bench: flowsync completed $done_sqlite of $n on SQLite" >&2; exit 1; }

# The peers, on databases of their own in the same cluster.
# pg-boss with its defaults (batchSize 1, a 2 s poll) waits out its poll
# between fetches: about one job per 2 s here, so only its batched form runs.
for peer in graphile graphile-batched pg-boss-batched; do
  url="$(make_db "q_${peer//-/_}")"
  NODE_PATH="$npm_dir/node_modules" node "$here/bench/queue_peers.js" "$peer" "$url" "$n"
done

# Trigger-to-start latency: 200 tasks enqueued 20 ms apart, each insert
# followed by the wake-up flowsync's own enqueue sends (pg_notify); a worker
# with the default poll (200 ms: what wakes it is the notification), then
# one polling every 10 ms with the notifications left out (polling alone).
latency() {  # latency NAME POLL NOTIFY(0|1)
  local url; url="$(make_db "fs_queue_latency_$1")"
  "$flowsync" worker --topic none --noop --exit-when-idle --db "$url" >/dev/null
  "$flowsync" worker --topic bench --noop --poll "$2" --db "$url" >/dev/null 2>&1 &
  local worker=$!
  sleep 1
  python3 - "$url" "$3" <<'PY'
import subprocess, sys, time
url, notify = sys.argv[1], sys.argv[2] == "1"
# One psql session inserts every 20 ms, stamping each row with the server's
# clock at the insert (the worker's started_at uses the same machine's clock).
now = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
wake = " SELECT pg_notify('flowsync_executions', '');" if notify else ""
script = "".join(
    "INSERT INTO executions (project, workflow, task, topic, job, trigger_type, status,"
    " max_attempts, retry_delay_ms, timeout_ms, run_at_ms, created_at_ms, info, meta) VALUES"
    f" ('default', 'b', 'bench', 'bench', '', 'manual', 'pending', 1, 0, 1, {now}, {now}, '', '');"
    f"{wake} SELECT pg_sleep(0.02);\n" for _ in range(200))
subprocess.run(["psql", "-q", "-o", "/dev/null", url], input=script, text=True, check=True)
time.sleep(1)
PY
  kill "$worker"; wait "$worker" 2>/dev/null || true
  psql -qAt "$url" -c "SELECT json_build_object('peer', 'flowsync-pg latency ($1)',
    'tasks', count(*), 'p50_ms', percentile_cont(0.5) WITHIN GROUP (ORDER BY started_at_ms - created_at_ms),
    'p99_ms', percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at_ms - created_at_ms))
    FROM executions WHERE status = 'completed'"
}
latency notify 0.2 1
latency poll 0.01 0
