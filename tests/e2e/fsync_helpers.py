"""Shared helpers for the flowsync end-to-end tests.

The tests drive the built binary named by FLOWSYNC_BIN and read fixtures and
corpora below FLOWSYNC_SHARED. Both are set by CTest (see CMakeLists.txt).

Every call to the binary goes through `run`, which always has a timeout, never
inherits DATABASE_URL from the caller's environment, and returns a `Result`
that can describe itself for assertion messages. Corpus tests pass
`quiet=True` to `describe` so that file contents (some corpus files hold
live-looking secrets) never reach the test output.
"""

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid

# Exit statuses of the contract.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_GUARD = 3
EXIT_BUSY = 4
EXIT_DB = 5
EXIT_CONFLICT = 6

DEFAULT_TIMEOUT = 60

SYNC_KEYS = {
    "run_id", "mode", "dry_run", "added", "updated", "renamed", "deleted",
    "restored", "unchanged", "ignored", "errors", "changes", "ignored_files", "duration_ms",
    "changed_in_database", "conflicts",
}
COUNT_KEYS = ("added", "updated", "renamed", "deleted", "restored", "unchanged")
LIST_KEYS = {
    "id", "name", "path", "format", "content_hash", "active", "deleted",
    "categories", "updated_at", "created_at", "deleted_at", "version",
    "source_id",
}
SHOW_EXTRA_KEYS = {"metadata", "documentation", "ratings", "versions",
                   "findings", "phases"}
LOG_KEYS = {"id", "run_id", "event", "workflow_id", "path", "old_path",
            "old_hash", "new_hash", "message", "time"}
STATUS_KEYS = {"added", "updated", "renamed", "deleted", "restored", "errors",
               "clean"}

# RFC 3339 in UTC: 2024-05-01T12:00:00Z, optional fraction, Z or +00:00.
RFC3339_UTC = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def binary():
    path = os.environ.get("FLOWSYNC_BIN")
    if not path:
        raise RuntimeError("FLOWSYNC_BIN is not set: point it at the built "
                           "flowsync binary")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"FLOWSYNC_BIN={path} is not an executable file")
    return path


def shared(*parts):
    base = os.environ.get("FLOWSYNC_SHARED")
    if not base:
        raise RuntimeError("FLOWSYNC_SHARED is not set: point it at the "
                           "shared folder (fixtures and corpora)")
    return os.path.join(base, *parts)


def clean_env(extra=None):
    """The caller's environment without anything that selects a database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LC_ALL"] = "C.UTF-8"
    if extra:
        env.update(extra)
    return env


class Result:
    """A finished run of the binary."""

    def __init__(self, args, returncode, stdout, stderr, elapsed):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.stdout)

    def describe(self, quiet=False):
        cmd = " ".join(["flowsync"] + [str(a) for a in self.args])
        if quiet:
            return (f"`{cmd}` exited {self.returncode}; stdout "
                    f"{len(self.stdout)} chars, stderr {len(self.stderr)} "
                    f"chars (not shown: corpus data)")
        return (f"`{cmd}` exited {self.returncode}\n--- stdout ---\n"
                f"{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}")


def arg_bytes_or_str(arg):
    """An argument as given when bytes (a file name that is not UTF-8, from
    os.fsencode), else its text."""
    return arg if isinstance(arg, bytes) else str(arg)


def run(args, cwd=None, env=None, timeout=DEFAULT_TIMEOUT, stdin=None):
    """Runs flowsync with `args`; env entries are added to a clean env."""
    started = time.monotonic()
    proc = subprocess.run(
        [binary()] + [arg_bytes_or_str(a) for a in args], cwd=cwd, env=clean_env(env),
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return Result(args, proc.returncode,
                  proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"),
                  time.monotonic() - started)


def start(args, cwd=None, env=None, stdout=None, stderr=None, **kwargs):
    """Starts flowsync in the background (the caller waits with a timeout)."""
    return subprocess.Popen(
        [binary()] + [str(a) for a in args], cwd=cwd, env=clean_env(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=stderr if stderr is not None else subprocess.DEVNULL, **kwargs)


def stop(proc, timeout=10):
    """Kills a background process if it is still running and reaps it."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


# ---------------------------------------------------------------- workflows

def n8n_workflow(name, nodes=2, seed=0, **top):
    """A small, valid n8n export: a trigger followed by `nodes - 1` Set nodes."""
    node_list = [{
        "id": f"00000000-0000-4000-8000-{seed:06d}000000",
        "name": "Start",
        "type": "n8n-nodes-base.manualTrigger",
        "typeVersion": 1,
        "position": [0, 0],
        "parameters": {},
    }]
    connections = {}
    previous = "Start"
    for i in range(1, nodes):
        node_name = f"Set {i}"
        node_list.append({
            "id": f"00000000-0000-4000-8000-{seed:06d}{i:06d}",
            "name": node_name,
            "type": "n8n-nodes-base.set",
            "typeVersion": 3,
            "position": [200 * i, 0],
            "parameters": {"values": {"string": [
                {"name": "field", "value": f"{name} value {seed}-{i}"}]}},
        })
        connections[previous] = {
            "main": [[{"node": node_name, "type": "main", "index": 0}]]}
        previous = node_name
    doc = {"name": name, "nodes": node_list, "connections": connections,
           "active": False, "settings": {}}
    doc.update(top)
    return doc


def write_text(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_json(path, doc, indent=2, sort_keys=False):
    write_text(path, json.dumps(doc, indent=indent, sort_keys=sort_keys) + "\n")


def write_bundle(folder, workflow, meta=None, readme=None):
    write_json(os.path.join(folder, "workflow.json"), workflow)
    if meta is not None:
        write_json(os.path.join(folder, "meta.json"), meta)
    if readme is not None:
        write_text(os.path.join(folder, "README.md"), readme)


def is_uuid_v5(text):
    try:
        value = uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return value.version == 5 and value.variant == uuid.RFC_4122


# ---------------------------------------------------------------- database

def connect(db_path):
    """A connection that fails instead of creating a missing database."""
    if not os.path.exists(db_path):
        raise AssertionError(f"database {db_path} does not exist")
    conn = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=30)
    return conn


def query(db_path, sql, params=()):
    conn = connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def dump(db_path):
    """Every row of every table, sorted: equal dumps mean equal contents."""
    if not os.path.exists(db_path):
        return None
    conn = connect(db_path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {}
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            out[table] = sorted(rows, key=repr)
        schema = conn.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        out["<schema>"] = schema
        return out
    finally:
        conn.close()


def integrity(db_path):
    rows = query(db_path, "PRAGMA integrity_check")
    return [r[0] for r in rows]


def backup(src, dst):
    """A consistent copy of a database, whatever its journal holds."""
    source = sqlite3.connect(src)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def remove_tree(path):
    """Removes a folder that tests may have left with unreadable modes."""
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                try:
                    os.chmod(p, 0o700)
                except OSError:
                    pass
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- base class

class FlowsyncCase(unittest.TestCase):
    """A test with its own temporary directory: `self.tmp`, `self.root`
    (the sync root, created empty) and `self.db` (the default database)."""

    maxDiff = 4000

    def setUp(self):
        binary()  # fail early and clearly when the environment is not set
        shared()
        self._tmp = tempfile.TemporaryDirectory(prefix="flowsync-e2e-")
        self.addCleanup(self._cleanup_tmp)
        self.tmp = os.path.realpath(self._tmp.name)
        self.root = os.path.join(self.tmp, "root")
        os.makedirs(self.root)
        self.db = os.path.join(self.root, ".flowsync", "flowsync.db")

    def _cleanup_tmp(self):
        remove_tree(self.tmp)
        self._tmp.cleanup()

    # paths
    def p(self, *parts):
        return os.path.join(self.root, *parts)

    # commands
    def fs(self, *args, expect=None, cwd=None, env=None, timeout=DEFAULT_TIMEOUT,
           quiet=False):
        res = run(list(args), cwd=cwd or self.root, env=env, timeout=timeout)
        if expect is not None:
            self.assertEqual(res.returncode, expect, res.describe(quiet))
        return res

    def sync(self, *args, expect=0, root=None, quiet=False, timeout=DEFAULT_TIMEOUT,
             env=None, cwd=None):
        """`sync ROOT --json ARGS`; returns (Result, parsed report)."""
        res = run(["sync", root or self.root, "--json"] + list(args),
                  cwd=cwd or self.tmp, env=env, timeout=timeout)
        if expect is not None:
            self.assertEqual(res.returncode, expect, res.describe(quiet))
        try:
            report = res.json()
        except ValueError:
            self.fail("sync --json did not print one JSON object: "
                      + res.describe(quiet))
        self.assertIsInstance(report, dict, res.describe(quiet))
        return res, report

    def list_json(self, *args, cwd=None):
        res = self.fs("list", "--json", *args, expect=0, cwd=cwd)
        data = res.json()
        self.assertIsInstance(data, list, res.describe())
        return data

    def by_path(self, *args):
        return {w["path"]: w for w in self.list_json(*args)}

    def show(self, workflow, expect=0):
        res = self.fs("show", workflow, "--json", expect=expect)
        return res.json() if expect == 0 else res

    def log_json(self, *args):
        res = self.fs("log", "--json", *args, expect=0)
        data = res.json()
        self.assertIsInstance(data, list, res.describe())
        return data

    def status_json(self, *args, expect=None):
        res = run(["status", self.root, "--json"] + list(args), cwd=self.tmp)
        if expect is not None:
            self.assertEqual(res.returncode, expect, res.describe())
        return res.json()

    # assertions
    def assert_counts(self, report, **expected):
        got = {k: report.get(k) for k in COUNT_KEYS}
        want = {k: expected.get(k, 0) for k in COUNT_KEYS}
        self.assertEqual(got, want, f"sync counts (errors: "
                         f"{[e.get('path') for e in report.get('errors', [])]})")

    def error_paths(self, report):
        return sorted(e.get("path") for e in report.get("errors", []))

    def stored(self, path, db=None):
        """(id, content, content_hash, version, deleted_at) of a path, or None."""
        rows = query(db or self.db,
                     "SELECT id, content, content_hash, version, deleted_at "
                     "FROM workflows WHERE path = ?", (path,))
        self.assertLessEqual(len(rows), 1, f"duplicate rows for {path}")
        return rows[0] if rows else None


def send_and_wait(proc, sig, timeout):
    """Sends `sig` and waits; returns the exit status or None on timeout."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


SIGTERM = signal.SIGTERM
SIGINT = signal.SIGINT
SIGKILL = signal.SIGKILL


def changes(report):
    """The report's changes sorted by path, without `old_path: null` (the
    contract makes old_path optional outside renames)."""
    out = []
    for change in report.get("changes", []):
        c = dict(change)
        if c.get("old_path") is None:
            c.pop("old_path", None)
        out.append(c)
    return sorted(out, key=lambda c: (c.get("path") or "", c.get("kind") or ""))


NOBODY = 65534


class AsNobodyMixin:
    """chmod 000 does not stop root. When the tests run as root, scenarios
    that need an unreadable path run flowsync as the unprivileged user
    `nobody` (setpriv), whom the mode does stop. Call `setup_nobody()` in
    setUp after FlowsyncCase.setUp; use `run_fs` for every flowsync call."""

    def setup_nobody(self):
        self.as_nobody = os.geteuid() == 0
        if not self.as_nobody:
            return
        if not shutil.which("setpriv"):
            self.skipTest("running as root without setpriv: chmod 000 cannot "
                          "make a path unreadable for root")
        os.chmod(self.tmp, 0o755)
        probe = subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
             binary(), "--help"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        if probe.returncode != 0:
            self.skipTest("running as root and the binary cannot run as nobody "
                          "(its folder is not readable by others)")

    def run_fs(self, *args, cwd=None):
        cmd = [binary()] + [str(a) for a in args]
        if self.as_nobody:
            for dirpath, dirnames, filenames in os.walk(self.tmp):
                os.lchown(dirpath, NOBODY, NOBODY)
                for name in dirnames + filenames:
                    os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)
            cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                   "--clear-groups"] + cmd
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=cwd or self.tmp, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=DEFAULT_TIMEOUT)
        return Result(list(args), proc.returncode,
                      proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"),
                      time.monotonic() - started)


def read_text(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_many(root, count, start=0, nodes=3, folder="gen"):
    """`count` small n8n exports below `root`/`folder`, 200 per subfolder."""
    for i in range(start, start + count):
        sub = os.path.join(root, folder, f"d{i // 200:03d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"w{i:05d}.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(n8n_workflow(f"Generated {i}", nodes=nodes, seed=i)))


# ---------------------------------------------------------------- postgresql
#
# CTest starts a throwaway cluster (tests/pg/cluster.sh) and names its folder
# in FLOWSYNC_PG_DIR; the folder's `url` file holds the superuser's URL.

PG_DIR_ENV = "FLOWSYNC_PG_DIR"
PG_REQUIRE_ENV = "FLOWSYNC_REQUIRE_PG"
PSQL_TIMEOUT = 30
# psql's unaligned output with separators that never occur in our values.
_PSQL_FIELD = "\x1f"
_PSQL_RECORD = "\x1e"


def pg_admin_url():
    """The test cluster's superuser URL, or None when FLOWSYNC_PG_DIR is
    unset. Raises when it is set but names no running cluster."""
    folder = os.environ.get(PG_DIR_ENV)
    if not folder:
        return None
    path = os.path.join(folder, "url")
    try:
        with open(path, encoding="utf-8") as f:
            url = f.read().strip()
    except OSError as e:
        raise RuntimeError(f"{PG_DIR_ENV}={folder} holds no url file ({e}): did "
                           f"`tests/pg/cluster.sh start` run?") from None
    if not url.startswith("postgresql://"):
        raise RuntimeError(f"{path} does not hold a postgresql:// URL")
    return url


def pg_required():
    """True when a missing PostgreSQL cluster must fail the tests."""
    return os.environ.get(PG_REQUIRE_ENV) == "1"


def pg_url(admin_url, dbname=None, **params):
    """`admin_url` with another database and query parameters (URL-encoded;
    later keys win). Without `dbname`, the database stays."""
    parts = urllib.parse.urlsplit(admin_url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query.update({k: str(v) for k, v in params.items()})
    path = "/" + urllib.parse.quote(dbname) if dbname is not None else parts.path
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, path,
         urllib.parse.urlencode(query, quote_via=urllib.parse.quote), ""))


def pg_host_port(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


class FreshPgDatabaseMixin:
    """A test on its own new PostgreSQL database of the test cluster:
    `self.admin` (the superuser URL), `self.dbname`, `self.url` (set before
    the next setUp runs; dropped after the test). Skips the class without a
    cluster unless FLOWSYNC_REQUIRE_PG=1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = pg_admin_url()
        if cls.admin is None:
            if pg_required():
                raise RuntimeError("FLOWSYNC_PG_DIR is not set")
            raise unittest.SkipTest("no PostgreSQL test cluster (FLOWSYNC_PG_DIR)")

    def setUp(self):
        self.dbname = f"fs_{uuid.uuid4().hex[:16]}"
        psql(self.admin, f'CREATE DATABASE "{self.dbname}"')
        self.url = pg_url(self.admin, self.dbname, sslmode="disable", connect_timeout="5")
        super().setUp()
        self.addCleanup(lambda: psql(self.admin,
                                     f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)'))


def psql(url, sql, timeout=PSQL_TIMEOUT):
    """Runs `sql` (one or more statements) through psql on `url`, a plain
    libpq URL (no flowsync-only parameters such as schema=). Returns the
    rows of the last statement as tuples of strings (NULL is '')."""
    proc = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-F", _PSQL_FIELD, "-R", _PSQL_RECORD, "-d", url, "-c", sql],
        env=clean_env({"PGCONNECT_TIMEOUT": "10"}), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"psql failed ({proc.returncode}) running {sql[:200]!r}: "
                             + proc.stderr.decode("utf-8", "replace")[-2000:])
    out = proc.stdout.decode("utf-8", "replace").rstrip("\n")
    if not out:
        return []
    return [tuple(r.split(_PSQL_FIELD)) for r in out.split(_PSQL_RECORD)]


def psql_value(url, sql, timeout=PSQL_TIMEOUT):
    rows = psql(url, sql, timeout=timeout)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise AssertionError(f"{sql!r} returned {rows!r}, not one value")
    return rows[0][0]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
