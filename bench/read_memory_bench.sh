#!/usr/bin/env bash
# Peak memory of a sync of a few large n8n exports (the read-memory budget,
# SourceLimits::read_memory), for one or more builds of flowsync.
#
#   bench/read_memory_bench.sh [--files N] [--mb M] FLOWSYNC [FLOWSYNC...]
#
# Writes N exports of about M MB each (code nodes with 2 KB of text, as large
# real exports are: many nodes, long parameters), syncs them with 4 reader
# threads into a fresh SQLite database per binary, and prints wall time and
# peak RSS (GNU time).
set -euo pipefail
files=4 mb=66
while [[ $# -gt 0 ]]; do
  case $1 in
    --files) files=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: $0 [--files N] [--mb M] FLOWSYNC [FLOWSYNC...]" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/tree" "$files" "$mb" <<'PY'
import json, os, random, sys
root, files, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root)
random.seed(1)
for f in range(files):
    nodes, size, i = [], 0, 0
    while size < mb * 1_000_000:
        code = "".join(random.choice("abcdefghij ") for _ in range(2000))
        node = {"id": f"n{i}", "name": f"Node {i}", "type": "n8n-nodes-base.code", "typeVersion": 2,
                "position": [i, i], "parameters": {"jsCode": code,
                "list": [{"k": j, "v": "x" * 20} for j in range(20)]}}
        size += len(json.dumps(node))
        nodes.append(node)
        i += 1
    with open(os.path.join(root, f"big{f}.json"), "w") as out:
        json.dump({"name": f"Big {f}", "nodes": nodes, "connections": {}}, out)
PY
echo "| build | files | wall s | peak RSS MB |"
echo "|---|---|---|---|"
for bin in "$@"; do
  rm -rf "$dir/tree/.flowsync"
  /usr/bin/time -f "%e %M" -o "$dir/time" "$bin" sync "$dir/tree" --threads 4 >/dev/null
  read -r wall kb <"$dir/time"
  echo "| $bin | $files x $mb MB | $wall | $((kb / 1024)) |"
done
