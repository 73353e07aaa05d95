#!/usr/bin/env bash
# Webhook requests to durable executions: `flowsync serve` answering signed
# POST /hooks/bench deliveries, each enqueueing an execution (with its
# delivery row) before the 202, driven by wrk at 1, 16 and 256 connections
# (keep-alive), on SQLite and on PostgreSQL. Prints requests/s, p50 and p99
# latency per run, and checks that every 202 left an execution (wrk counts
# only requests that completed within the run, so the stored executions may
# be a few more). Then the latency at a constant 1,000 requests/s
# (BUILD_DIR/bench/rate_load, open loop: latency counts from when each
# request was due). In the same run, n8n 1.123's own webhook endpoint (a
# workflow with a Webhook trigger, active, n8n on SQLite with its default
# settings: executions saved) under the same wrk runs and at a constant
# 50 requests/s. Then GET /api/v1/workflows over 10,000 stored workflows.
#
#   bench/serve_bench.sh BUILD_DIR [SECONDS] [--no-n8n]   (default 10 s a run)
# Uses the cluster of $FLOWSYNC_PG_DIR (tests/pg/cluster.sh), else starts one.
# n8n comes from scripts/install-n8n.sh (installed on first use).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: bench/serve_bench.sh BUILD_DIR [SECONDS]}"
seconds="${2:-10}"
with_n8n=1
[[ "${3:-}" == "--no-n8n" ]] && with_n8n=0
flowsync="$(cd "$build" && pwd)/flowsync"
rate_load="$(cd "$build" && pwd)/bench/rate_load"
[[ -x "$rate_load" ]] || { echo "no $rate_load: configure BUILD_DIR with -DFLOWSYNC_BENCH=ON" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

work="$(mktemp -d /tmp/flowsync-serve-bench.XXXXXX)"
pg_dir="${FLOWSYNC_PG_DIR:-}"
server=""
n8n_pid=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [[ -n "$n8n_pid" ]] && kill "$n8n_pid" 2>/dev/null && wait "$n8n_pid" 2>/dev/null
  [[ -z "${FLOWSYNC_PG_DIR:-}" && -n "$pg_dir" ]] && "$here/tests/pg/cluster.sh" stop "$pg_dir" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "$pg_dir" ]]; then
  pg_dir="$work/pg"
  "$here/tests/pg/cluster.sh" start "$pg_dir" >/dev/null
fi
admin="$(cat "$pg_dir/url")"
export PGOPTIONS="-c client_min_messages=warning"

mkdir -p "$work/root/phases"
cat > "$work/root/phases/bench.toml" <<'TOML'
[[phase]]
task = "bench"
rule = "cron=0 0 1 1 *"
template = "bench {yyyy}-{mm}-{dd}"
TOML
secret="bench-secret"
body='{"ref":"refs/heads/main","after":"0123456789abcdef","repository":{"name":"bench"}}'
signature="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = "$signature"
LUA

# wrk_runs LABEL URL: wrk at 1, 16 and 256 connections; adds the 2xx
# answers to $accepted.
wrk_runs() {
  local label="$1" target="$2"
  for c in 1 16 256; do
    local threads=$(( c < 2 ? 1 : 2 ))
    wrk -t "$threads" -c "$c" -d "${seconds}s" --latency -s "$work/post.lua" "$target" \
      > "$work/wrk.txt"
    local rps p50 p99 non2xx requests
    rps="$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")"
    p50="$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")"
    p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
    requests="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")"
    accepted=$(( accepted + requests - ${non2xx:-0} ))
    printf '%-10s %5d conns  %9s req/s  p50 %8s  p99 %8s  non-2xx %s\n' \
      "$label" "$c" "$rps" "$p50" "$p99" "${non2xx:-0}"
  done
}

# rate_run LABEL URL RATE: the latency at a constant RATE requests/s.
rate_run() {
  local label="$1" target="$2" rate="$3"
  printf '%s' "$body" > "$work/body"
  local line
  line="$("$rate_load" --url "$target" --rate "$rate" --seconds "$seconds" --connections 64 \
    --method POST --header "Content-Type: application/json" \
    --header "X-Hub-Signature-256: $signature" --body-file "$work/body" || true)"
  python3 - "$label" "$line" <<'PY'
import json, sys
label, r = sys.argv[1], json.loads(sys.argv[2])
print(f"{label:10} {r['rate']:5.0f}/s fixed  {r['achieved_per_s']:7.1f} answered/s  "
      f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  p99.9 {r['p999_ms']:.2f} ms  "
      f"non-2xx {r['non_2xx']}  errors {r['errors']}")
PY
  accepted=$(( accepted + $(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["answered"] - r["non_2xx"])' "$line") ))
}

pg_url() {
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$admin" "$1"
}

# start_server ARGS...: starts `flowsync serve` on a free port in the
# background ($server) and sets $url once /healthz answers.
start_server() {
  "$flowsync" serve --listen 127.0.0.1:0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  server=$!
  for _ in $(seq 200); do
    url="$(sed -n 's/^listening on //p' "$work/serve.out")"
    [[ -n "$url" ]] && curl -sf "$url/healthz" >/dev/null && return
    sleep 0.05
  done
  cat "$work/serve.err" >&2
  exit 1
}

# bench_backend LABEL DB: one server, then wrk at each connection count.
bench_backend() {
  local label="$1" db="$2"
  "$flowsync" sync "$work/root" --db "$db" >/dev/null
  "$flowsync" webhook add bench --task bench --secret-env BENCH_SECRET --db "$db" >/dev/null
  BENCH_SECRET="$secret" start_server --root "$work/root" --db "$db" --threads 8
  accepted=0
  wrk_runs "$label" "$url/hooks/bench"
  rate_run "$label" "$url/hooks/bench" 1000
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  local stored
  stored="$("$flowsync" executions list --db "$db" --limit 1000000 --json |
            python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
  echo "$label: $accepted deliveries answered 2xx, $stored executions stored"
}

# n8n_backend: n8n 1.123 on SQLite (its defaults), a workflow with a Webhook
# trigger answering when the request is received, activated; the same load
# (n8n checks no signature: the header is sent and ignored).
n8n_backend() {
  local version=1.123.0
  local cache="${FLOWSYNC_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowsync}"
  local n8n_dir="$cache/n8n-$version"
  [[ -f $n8n_dir/.installed ]] || "$here/scripts/install-n8n.sh" "$version" >&2
  local home="$work/n8n" port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  n8n() {
    env PATH="$n8n_dir/node/bin:$PATH" N8N_USER_FOLDER="$home" N8N_DIAGNOSTICS_ENABLED=false \
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false N8N_PORT="$port" N8N_LISTEN_ADDRESS=127.0.0.1 \
      "$n8n_dir/node_modules/.bin/n8n" "$@"
  }
  mkdir -p "$home" "$work/hooktree"
  # n8n creates its database; flowsync writes the workflow into it (n8n
  # 1.123's own import writes no history row, which activation needs).
  n8n list:workflow > "$work/n8n-setup.log" 2>&1
  cat > "$work/hooktree/hook.json" <<'JSON'
{"id": "BenchWebhook0001", "name": "bench webhook", "active": false,
 "versionId": "6f1d2c3b-0000-4000-8000-000000000001", "settings": {"executionOrder": "v1"},
 "nodes": [{"parameters": {"httpMethod": "POST", "path": "bench", "options": {}},
            "id": "6f1d2c3b-0000-4000-8000-000000000002", "name": "Webhook",
            "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0],
            "webhookId": "6f1d2c3b-0000-4000-8000-000000000003"}],
 "connections": {}}
JSON
  "$flowsync" sync "$work/hooktree" --db "n8n+sqlite:$home/.n8n/database.sqlite" >> "$work/n8n-setup.log" 2>&1
  n8n update:workflow --id=BenchWebhook0001 --active=true >> "$work/n8n-setup.log" 2>&1 ||
    { cat "$work/n8n-setup.log" >&2; return 1; }
  n8n start > "$work/n8n.log" 2>&1 &
  n8n_pid=$!
  local ready=0
  for _ in $(seq 240); do
    if curl -sf -X POST -H 'Content-Type: application/json' -d '{}' \
        "http://127.0.0.1:$port/webhook/bench" >/dev/null 2>&1; then
      ready=1; break
    fi
    sleep 0.5
  done
  if (( !ready )); then
    tail -20 "$work/n8n.log" >&2
    echo "n8n did not answer on /webhook/bench" >&2
    return 1
  fi
  accepted=0
  wrk_runs "n8n" "http://127.0.0.1:$port/webhook/bench"
  rate_run "n8n" "http://127.0.0.1:$port/webhook/bench" 50
  kill "$n8n_pid"; wait "$n8n_pid" 2>/dev/null || true; n8n_pid=""
  echo "n8n: $accepted deliveries answered 2xx"
}

# list_bench N: GET /api/v1/workflows over N stored workflows (SQLite): the
# first page of 100, and a search that reads them all, 20 times each; the
# median and slowest time.
list_bench() {
  local n="$1" db="sqlite:$work/list.db"
  python3 - "$work/many" "$n" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 500:03d}")
    os.makedirs(d, exist_ok=True)
    nodes = [{"id": f"n{i}-{k}", "name": f"Node {k}", "type": "n8n-nodes-base.set",
              "typeVersion": 3, "position": [200 * k, 0], "parameters": {}} for k in range(3)]
    with open(os.path.join(d, f"w{i:05d}.json"), "w") as f:
        json.dump({"name": f"Workflow {i}", "nodes": nodes, "connections": {}}, f)
PY
  "$flowsync" sync "$work/many" --db "$db" >/dev/null
  local token
  token="$("$flowsync" token create --db "$db" 2>/dev/null)"
  start_server --db "$db"
  for query in "limit=100" "q=workflow%209999&limit=100"; do
    for _ in $(seq 20); do
      curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
        "$url/api/v1/workflows?$query"
    done | sort -n | awk -v n="$n" -v q="$query" \
      '{t[NR] = $1} END {printf "list of %d workflows, %-24s median %6.1f ms, slowest %6.1f ms\n", n, q, t[int((NR + 1) / 2)] * 1000, t[NR] * 1000}'
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "flowsync serve webhooks, ${seconds} s a run, $(nproc) cores"
bench_backend sqlite "sqlite:$work/bench.db"
psql -q "$admin" -c "DROP DATABASE IF EXISTS serve_bench WITH (FORCE)" -c "CREATE DATABASE serve_bench" >/dev/null
bench_backend postgres "$(pg_url serve_bench)"
psql -q "$admin" -c "DROP DATABASE IF EXISTS serve_bench WITH (FORCE)" >/dev/null
(( with_n8n )) && n8n_backend
list_bench 10000
