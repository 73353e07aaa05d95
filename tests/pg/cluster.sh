#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests.
#
#   tests/pg/cluster.sh start DIR   initdb + start; writes DIR/url, DIR/port, DIR/password
#   tests/pg/cluster.sh stop DIR    immediate stop, then removes DIR (no cluster: success)
#
# CTest runs these as the setup and cleanup of the `pg` fixture (CMakeLists.txt).
# The cluster is for tests only: it listens on 127.0.0.1 alone, on a free port,
# with fsync, synchronous_commit and full_page_writes off. Local (unix socket)
# connections are trusted; TCP connections need the superuser `flowsync` and
# its random password, so a test can try a wrong one.
#
# initdb refuses to run as root: as root, the cluster belongs to the `postgres`
# system user and every server command runs as that user. The cluster lives in
# DIR/data with its socket in DIR, unless the postgres user cannot reach DIR
# (a build folder under a private home) or DIR is too long for a socket path;
# then it lives in a fresh folder under ${TMPDIR:-/tmp}, named in DIR/home.
# Debian's own default cluster is never touched.
set -euo pipefail

readonly kPgVersion=15
readonly kBin=${FLOWSYNC_PG_BIN:-/usr/lib/postgresql/$kPgVersion/bin}
readonly kSuperuser=flowsync

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
dir=$2
[[ -n $dir && $dir != / ]] || die "refusing to use '$dir' as the cluster folder"
mkdir -p -- "$dir"
dir=$(cd -- "$dir" && pwd -P)

# Runs a command as the owner of the cluster (postgres when we are root).
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' system user (is postgresql-$kPgVersion installed?)"
  owner=postgres
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  owner=$(id -un)
  as_owner() { (cd / && "$@"); }
fi

# The folder holding data/ and the socket: DIR itself, or the one DIR/home names.
cluster_home() {
  if [[ -f $dir/home ]]; then
    cat -- "$dir/home"
  else
    echo "$dir"
  fi
}

# Stops whatever cluster DIR describes, as fast as possible. No cluster: nothing to do.
stop_cluster() {
  local home data pid
  home=$(cluster_home)
  data=$home/data
  [[ -f $data/postmaster.pid ]] || return 0
  if ! as_owner "$kBin/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1; then
    # pg_ctl failed (a stale pid file, or a server that does not answer):
    # SIGQUIT is the immediate shutdown; make sure it is a postgres process first.
    pid=$(head -n 1 -- "$data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null || true) == postgres ]]; then
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && die "postgres (pid $pid) in $data does not stop"
    fi
  fi
  return 0
}

remove_cluster() {
  local home
  home=$(cluster_home)
  if [[ $home != "$dir" ]]; then
    rm -rf -- "$home"
  fi
  rm -rf -- "$dir"
}

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start_cluster() {
  [[ -x $kBin/initdb ]] || die "$kBin/initdb not found: install postgresql-$kPgVersion (scripts/run deps)"
  stop_cluster
  remove_cluster
  mkdir -p -- "$dir"

  # Where the cluster lives: the socket path must fit in sun_path (107 bytes).
  local home=$dir
  if [[ $owner == postgres ]] && ! runuser -u postgres -- test -x "$(dirname -- "$dir")"; then
    home=""
  fi
  if (( ${#dir} + 16 > 100 )); then  # 16: "/.s.PGSQL.65535"
    home=""
  fi
  if [[ -z $home ]]; then
    home=$(mktemp -d "${TMPDIR:-/tmp}/flowsync-pg.XXXXXX")
    echo "$home" >"$dir/home"
  fi
  chmod 0755 -- "$dir" "$home"
  chown "$owner": -- "$home"

  local password pwfile log data
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  [[ ${#password} -eq 32 ]] || die "could not make a random password"
  data=$home/data
  log=$home/postgres.log
  pwfile=$home/pwfile
  (umask 077 && printf '%s\n' "$password" >"$pwfile")
  chown "$owner": -- "$pwfile"

  if ! as_owner "$kBin/initdb" -D "$data" -U "$kSuperuser" --pwfile="$pwfile" -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$home/initdb.log" 2>&1; then
    cat -- "$home/initdb.log" >&2
    die "initdb failed in $data"
  fi
  rm -f -- "$pwfile"

  # A free port can be taken between the probe and the bind: try a few.
  local port started=0
  for _ in 1 2 3 4 5; do
    port=$(free_port) || die "python3 could not find a free port"
    cat >"$data/postgresql.auto.conf" <<EOF
# Written by tests/pg/cluster.sh: a throwaway cluster for tests.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$home'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    chown "$owner": -- "$data/postgresql.auto.conf"
    if as_owner "$kBin/pg_ctl" start -D "$data" -l "$log" -w -t 60 >/dev/null 2>&1; then
      started=1
      break
    fi
    grep -q 'could not bind\|Address already in use' -- "$log" 2>/dev/null || break
  done
  if [[ $started -ne 1 ]]; then
    tail -n 20 -- "$log" >&2 2>/dev/null || true
    die "postgres did not start in $data (log: $log)"
  fi

  local ready=0
  for _ in $(seq 100); do
    if "$kBin/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -t 1; then
      ready=1
      break
    fi
    sleep 0.1
  done
  [[ $ready -eq 1 ]] || die "postgres started but 127.0.0.1:$port is not ready (log: $log)"

  local url="postgresql://$kSuperuser:$password@127.0.0.1:$port/postgres"
  # One check through TCP with the password, as the tests connect.
  if ! PGCONNECT_TIMEOUT=5 "$kBin/psql" "$url" -XAtqc 'SELECT 1' >/dev/null 2>"$home/check.err"; then
    cat -- "$home/check.err" >&2
    die "cannot log in as $kSuperuser on 127.0.0.1:$port"
  fi
  rm -f -- "$home/check.err"

  printf '%s\n' "$url" >"$dir/url"
  printf '%s\n' "$port" >"$dir/port"
  printf '%s\n' "$password" >"$dir/password"
  chmod 0600 -- "$dir/url" "$dir/password"
  echo "postgresql $kPgVersion ready on 127.0.0.1:$port (superuser $kSuperuser, data $data, socket $home)"
}

case $action in
  start) start_cluster ;;
  stop)
    stop_cluster
    remove_cluster
    echo "postgresql cluster in $dir stopped and removed"
    ;;
  *) usage ;;
esac
