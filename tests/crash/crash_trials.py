#!/usr/bin/env python3
"""Crash trials: real flowsync processes killed with SIGKILL at random instants.

For each command (sync: initial, incremental with edits, full with deletes,
renames; migration create; migrate up; the phase refresh) on SQLite and on
PostgreSQL, a trial
  1. copies the state before the command (a database, or a migrations folder),
  2. starts the command and kills it with SIGKILL after a random delay drawn
     from [0, 1.1 x the duration of an uninterrupted run],
  3. checks what was left:
     - SQLite `PRAGMA integrity_check` and `foreign_key_check`; on PostgreSQL
       the killed session is gone and holds no advisory lock;
     - the stored state, dumped in a canonical form (every row of every table,
       serial ids and times left out, run ids as ranks), is exactly the state
       before or exactly the state after the command (for `migrate up`: after
       some number of whole files; for `migration create`, whose files appear
       by rename one at a time: each file of the batch whole or absent);
     - the audit log and the versions agree with the workflows (one version row
       per earlier version, the newest log row carries the stored hash);
  4. runs the command again with a short --lock-timeout: no stale lock may
     block it, and the state it leaves must equal the uninterrupted run's
     (no temp file of a killed `migration create` left either).

    crash_trials.py [--trials N] [--json] [--only NAME,...] [--backends sqlite,postgres]
                    [--fault kill|terminate|statement]

With --fault terminate the run is not killed: the PostgreSQL server ends its
connections (pg_terminate_backend) at the random instant instead, and the run
must end by itself, with exit 5 and a message naming the server if it was
cut off; the same checks follow. With --fault statement trial k drops the
run's connection just before its k-th statement (FLOWSYNC_FAULT_DROP_STATEMENT,
a seam of the PostgreSQL connection), for k = 1, 2, ... until a run passes
its last statement untouched: every statement of the write path is cut once.

FLOWSYNC_BIN names the binary; FLOWSYNC_PG_DIR a running cluster of
tests/pg/cluster.sh (without it the PostgreSQL half is skipped, unless
FLOWSYNC_REQUIRE_PG=1). Exit status 0 when every trial passed, 1 otherwise.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import fsync_helpers as h  # noqa: E402

# Columns whose value depends on when or by whom a run happened: only whether
# they are NULL is compared.
VOLATILE_SUFFIXES = ("_at",)
VOLATILE_COLUMNS = {"at", "by", "applied_by", "execution_ms", "valid_from", "detail"}
# Tables whose `id` is a counter: PostgreSQL's sequences move on in a rolled
# back transaction, so ids are replaced by ranks (run ids) or left out.
SERIAL_TABLES = {"sync_runs", "workflow_versions", "workflow_sync_log",
                 "flowsync_migration_events"}
# What the next run must converge to, compared with an uninterrupted run.
CONVERGE_TABLES = ("workflows", "workflow_categories", "workflow_findings", "phase_entries",
                   "workflow_versions", "flowsync_migrations", "migration_metadata")
# A fixed modification time for every file written, so that signatures do
# not depend on when a trial runs (2024-01-01T00:00:00Z, then one second per
# generation of the tree).
BASE_MTIME = 1704067200
LOCK_TIMEOUT = "5"


# ------------------------------------------------------------------ trees

def set_mtimes(root, stamp):
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (stamp, stamp))


def write_workflow(root, i, generation=0, nodes=3):
    sub = os.path.join(root, "gen", f"d{i // 100:03d}")
    os.makedirs(sub, exist_ok=True)
    doc = h.n8n_workflow(f"Generated {i}" + (f" v{generation}" if generation else ""),
                         nodes=nodes + generation, seed=i)
    with open(os.path.join(sub, f"w{i:05d}.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, indent=1))


def workflow_path(root, i):
    return os.path.join(root, "gen", f"d{i // 100:03d}", f"w{i:05d}.json")


def write_phase_file(root, i, generation=0):
    lines = [f"# phase file {i}, generation {generation}"]
    for j in range(6 + generation):
        lines += ["[[phase]]", f'task = "t{i}:j{j}"',
                  f'rule = "cron=0 {j % 60} * * * *&offset=-1h"',
                  f'template = "s3://bucket/{i}/{j}/{{yyyy}}/{{mm}}/{{dd}}/{{hh}}.json"',
                  f"retry = {j % 4}", ""]
        if j:
            lines.insert(-1, f'dependsOn = "t{i}:j{j - 1}"')
    sub = os.path.join(root, "phases")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"p{i:04d}.toml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def write_bundle(root, i, generation=0):
    folder = os.path.join(root, "bundles", f"b{i:04d}")
    h.write_bundle(folder, h.n8n_workflow(f"Bundle {i}", nodes=2 + generation, seed=10000 + i),
                   meta={"categories": [f"c{i % 3}", "bundle"], "version": generation},
                   readme=f"# Bundle {i}\n\nGeneration {generation}.\n")


# ------------------------------------------------------------------ canonical state

def canonical(tables):
    """{table: [rows]} (rows as dicts) -> a comparable value: volatile columns
    reduced to 'is it NULL', serial ids left out, run ids as ranks, rows sorted.
    Empty tables are left out, so a database without the schema equals one
    with an empty schema."""
    runs = sorted(r["id"] for r in tables.get("sync_runs", []))
    rank = {run_id: i for i, run_id in enumerate(runs)}
    out = {}
    for table, rows in tables.items():
        if not rows or table == "flowsync_meta":
            continue
        canon = []
        for row in rows:
            item = []
            for key in sorted(row):
                value = row[key]
                if key == "id" and table in SERIAL_TABLES:
                    continue
                if key == "run_id" and value is not None:
                    value = ("run", rank.get(value, "?"))
                elif key in VOLATILE_COLUMNS or key.endswith(VOLATILE_SUFFIXES):
                    value = value is None
                elif isinstance(value, (dict, list)):
                    value = json.dumps(value, sort_keys=True)
                item.append((key, value))
            canon.append(tuple(item))
        out[table] = sorted(canon, key=repr)
    return out


def differing(a, b):
    """Names of the tables that differ between two canonical states."""
    a = a or {}
    b = b or {}
    return sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))


def inconsistencies(tables):
    """What disagrees between the workflows, their versions, the audit log and
    the runs of a dump (rows as dicts)."""
    out = []
    workflows = tables.get("workflows", [])
    seen = set()
    for w in workflows:
        key = (w.get("project"), w["path"])
        if key in seen:
            out.append(f"duplicate path {w['path']!r}")
        seen.add(key)
    versions = {}
    for v in tables.get("workflow_versions", []):
        versions[v["workflow_id"]] = versions.get(v["workflow_id"], 0) + 1
    newest = {}
    for entry in tables.get("workflow_sync_log", []):
        wid = entry.get("workflow_id")
        if wid is None or entry["event"] == "error":
            continue
        if wid not in newest or entry["id"] > newest[wid]["id"]:
            newest[wid] = entry
    for w in workflows:
        if w["version"] != 1 + versions.get(w["id"], 0):
            out.append(f"{w['path']!r}: version {w['version']} with "
                       f"{versions.get(w['id'], 0)} earlier versions stored")
        entry = newest.get(w["id"])
        if entry is None:
            if not any(r.get("mode") == "migration" for r in tables.get("sync_runs", [])):
                out.append(f"{w['path']!r}: no audit log entry")
        elif w["deleted_at"] is None and (entry["event"] == "deleted"
                                          or entry["new_hash"] != w["content_hash"]):
            out.append(f"{w['path']!r}: newest audit log entry {entry['event']} "
                       f"{entry['new_hash']} disagrees with the stored hash {w['content_hash']}")
        elif w["deleted_at"] is not None and entry["event"] != "deleted":
            out.append(f"{w['path']!r}: deleted, newest audit log entry {entry['event']}")
    for r in tables.get("sync_runs", []):
        if r.get("finished_at") is None:
            out.append(f"sync run {r['id']} ({r.get('mode')}) never finished")
    return out


DUMP_PG = r"""
CREATE FUNCTION pg_temp.fs_dump() RETURNS TABLE (tbl text, js text) LANGUAGE plpgsql AS $f$
DECLARE t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    RETURN QUERY EXECUTE format('SELECT %L::text, row_to_json(x)::text FROM public.%I x', t, t);
  END LOOP;
END $f$;
SELECT * FROM pg_temp.fs_dump();
"""

# On the admin connection: waits up to 10 s for the sessions of a database to
# end, then says which remain and which advisory locks are held there.
SESSIONS_PG = r"""
CREATE FUNCTION pg_temp.fs_sessions(db text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '10 seconds';
  r text;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT string_agg(pid::text || ' ' || coalesce(state, '?'), ', ') INTO r
      FROM pg_stat_activity WHERE datname = db AND pid <> pg_backend_pid();
    IF r IS NULL OR clock_timestamp() > deadline THEN
      RETURN coalesce(r, '');
    END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $f$;
SELECT pg_temp.fs_sessions('{db}'),
       (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND d.datname = '{db}');
"""


# ------------------------------------------------------------------ backends

class Sqlite:
    name = "sqlite"

    def __init__(self, work):
        self.work = work

    def fresh(self):
        return os.path.join(self.work, f"db-{uuid.uuid4().hex[:8]}.db")

    def clone(self, target):
        copy = self.fresh()
        if os.path.exists(target):
            h.backup(target, copy)
        return copy

    def drop(self, target):
        for suffix in ("", "-wal", "-shm", "-journal", "-migrate.lock"):
            if os.path.exists(target + suffix):
                os.remove(target + suffix)

    @staticmethod
    def connect(target):
        # Read-write, as the next flowsync run opens it: after a kill, the
        # database may need its hot journal rolled back or its WAL read,
        # which a read-only connection cannot do.
        return sqlite3.connect(f"file:{target}?mode=rw", uri=True, timeout=30)

    def tables(self, target):
        if not os.path.exists(target):
            return {}
        conn = self.connect(target)
        conn.row_factory = sqlite3.Row
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            return {n: [dict(r) for r in conn.execute(f'SELECT * FROM "{n}"')] for n in names}
        finally:
            conn.close()

    def problems(self, target):
        if not os.path.exists(target):
            return []
        out = []
        conn = self.connect(target)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                out.append(f"integrity_check: {rows[:5]}")
            rows = conn.execute("PRAGMA foreign_key_check").fetchall()
            if rows:
                out.append(f"foreign_key_check: {rows[:5]}")
        finally:
            conn.close()
        return out


class Postgres:
    name = "postgres"

    def __init__(self, admin):
        self.admin = admin
        self.created = []

    def url(self, db):
        return h.pg_url(self.admin, db, sslmode="disable", connect_timeout="5")

    def _create(self, template=None):
        db = f"crash_{uuid.uuid4().hex[:12]}"
        tail = f' TEMPLATE "{template}"' if template else ""
        h.psql(self.admin, f'CREATE DATABASE "{db}"{tail}')
        self.created.append(db)
        return db

    @staticmethod
    def dbname(target):
        return target.split("?")[0].rsplit("/", 1)[1]

    def fresh(self):
        return self.url(self._create())

    def clone(self, target):
        return self.url(self._create(self.dbname(target)))

    def drop(self, target):
        db = self.dbname(target)
        h.psql(self.admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if db in self.created:
            self.created.remove(db)

    def drop_all(self):
        for db in list(self.created):
            h.psql(self.admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.created = []

    def tables(self, target):
        out = {}
        for table, row in h.psql(h.pg_url(self.admin, self.dbname(target)), DUMP_PG, timeout=120):
            out.setdefault(table, []).append(json.loads(row))
        return out

    def terminate(self, target):
        h.psql(self.admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               f"WHERE datname = '{self.dbname(target)}' AND pid <> pg_backend_pid()")

    def problems(self, target):
        # The killed client's session ends when the server sees its socket
        # close; it must not linger holding the writer lock.
        db = self.dbname(target)
        sessions, locks = h.psql(self.admin, SESSIONS_PG.format(db=db), timeout=60)[0]
        out = []
        if sessions:
            out.append(f"sessions of the killed process still open after 10 s: {sessions}")
        if locks != "0":
            out.append(f"{locks} advisory locks still held")
        return out


# ------------------------------------------------------------------ runs

def start(args, cwd, env=None):
    return subprocess.Popen([h.binary()] + [str(a) for a in args], cwd=cwd, env=h.clean_env(env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def run(args, cwd, ok=(0,), what="run"):
    started = time.monotonic()
    res = subprocess.run([h.binary()] + [str(a) for a in args], cwd=cwd, env=h.clean_env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=600)
    elapsed = time.monotonic() - started
    if res.returncode not in ok:
        raise RuntimeError(f"{what}: `flowsync {' '.join(map(str, args))}` exited "
                           f"{res.returncode}: {res.stderr.decode('utf-8', 'replace')[-1500:]}")
    return res, elapsed


class Scenario:
    """A command run on a copy of a prepared state. Subclasses prepare the
    tree and the state before (`prepare`), name the command (`args`) and may
    accept more than two states (`accepted`)."""

    name = ""
    ok_codes = (0,)
    takes_lock_timeout = True
    fault = "kill"  # or "terminate": pg_terminate_backend instead of SIGKILL
    backends = ("sqlite", "postgres")

    def __init__(self, work, backend, size):
        self.work = work
        self.backend = backend
        self.size = size
        self.root = os.path.join(work, "root")
        os.makedirs(os.path.join(self.root, ".flowsync"), exist_ok=True)

    # The state of a target, canonical.
    def state(self, target):
        return self.state_from(target, self.backend.tables(target))

    def state_from(self, target, tables):
        return self.canonical(tables)

    def canonical(self, tables):
        return canonical(tables)

    def inconsistencies(self, tables):
        return inconsistencies(tables)

    def converged(self, state):
        return {t: state[t] for t in CONVERGE_TABLES if t in state}

    def setup(self):
        """Prepares the state before (self.before) and the after state(s)."""
        self.before = self.prepare()
        self.before_state = self.state(self.before)
        probe = self.backend.clone(self.before)
        _, self.duration = run(self.args(probe), self.work, self.ok_codes, "uninterrupted run")
        self.after_state = self.state(probe)
        self.backend.drop(probe)
        # The first run may read a cold cache: kills are drawn over the
        # shorter of two runs, so that most land while the command runs.
        probe = self.backend.clone(self.before)
        _, again = run(self.args(probe), self.work, self.ok_codes, "uninterrupted run")
        self.backend.drop(probe)
        self.duration = min(self.duration, again)
        if self.after_state == self.before_state:
            raise RuntimeError(f"{self.name}: the command changes nothing; the trial proves nothing")
        self.accepted = [self.before_state, self.after_state] + self.intermediate()

    def intermediate(self):
        return []

    def acceptable(self, state):
        return state in self.accepted

    def trial(self, rng, statement=None):
        """One trial: a kill or a termination at a random instant, or, with
        `statement` (fault "statement"), the connection dropped before the
        run's statement number `statement`."""
        target = self.backend.clone(self.before)
        failures = []
        try:
            if statement is not None:
                delay = 0
                proc = start(self.args(target), self.work,
                             env={"FLOWSYNC_FAULT_DROP_STATEMENT": str(statement)})
                proc.wait(timeout=600)
                killed = proc.returncode != 0
            else:
                delay = rng.uniform(0, self.duration * 1.1)
                proc = start(self.args(target), self.work)
                time.sleep(delay)
                killed = proc.poll() is None
            if statement is not None:
                pass
            elif self.fault == "terminate":
                # The server drops the run's connections; the run must
                # end by itself with a database error (exit 5) and say so.
                self.backend.terminate(target)
            else:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=120)
            stderr = proc.stderr.read().decode("utf-8", "replace")
            proc.stderr.close()
            if self.fault in ("terminate", "statement"):
                if proc.returncode not in self.ok_codes + (5,):
                    failures.append(f"the run exited {proc.returncode} after losing its "
                                    f"connection (want 5): {stderr[-500:]}")
                elif proc.returncode == 5 and "PostgreSQL" not in stderr:
                    failures.append(f"exit 5 without naming the server: {stderr[-500:]}")
            elif not killed and proc.returncode not in self.ok_codes:
                failures.append(f"the run exited {proc.returncode} before the kill: {stderr[-500:]}")
            failures += self.backend.problems(target)
            tables = self.backend.tables(target)
            failures += self.inconsistencies(tables)
            state = self.state_from(target, tables)
            if not self.acceptable(state):
                failures.append("the state is neither before nor after: tables differing from "
                                f"before {differing(state, self.before_state)}, from after "
                                f"{differing(state, self.after_state)}")
            again = self.args(target)
            if self.takes_lock_timeout:
                again += ["--lock-timeout", LOCK_TIMEOUT]
            res = subprocess.run([h.binary()] + [str(a) for a in again],
                                 cwd=self.work, env=h.clean_env(), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
            if res.returncode not in self.ok_codes:
                failures.append(f"the next run exited {res.returncode}"
                                + (" (a stale lock?)" if res.returncode == 4 else "") + ": "
                                + res.stderr.decode("utf-8", "replace")[-500:])
            final = self.state(target)
            if self.converged(final) != self.converged(self.after_state):
                failures.append("the next run did not converge: tables differing "
                                f"{differing(self.converged(final), self.converged(self.after_state))}")
            out = {"delay_s": round(delay, 4), "killed": killed, "exit": proc.returncode,
                   "failures": failures}
            if statement is not None:
                out["statement"] = statement
            return out
        finally:
            self.backend.drop(target)


class SyncScenario(Scenario):
    extra = ()

    def files(self):
        return self.size

    def args(self, target):
        return ["sync", self.root, "--db", target, *self.extra]

    def prepare(self):
        for i in range(self.files()):
            write_workflow(self.root, i)
        for i in range(self.files() // 20):
            write_bundle(self.root, i)
        set_mtimes(self.root, BASE_MTIME)
        before = self.backend.fresh()
        if self.synced_before:
            run(["sync", self.root, "--db", before], self.work, what="sync before")
        self.change()
        set_mtimes(self.root, BASE_MTIME + 10)
        return before


class SyncInitial(SyncScenario):
    name = "sync initial"
    synced_before = False

    def change(self):
        pass


class SyncIncremental(SyncScenario):
    name = "sync incremental (edits, additions)"
    synced_before = True

    def change(self):
        n = self.files()
        for i in range(0, n, 3):
            write_workflow(self.root, i, generation=1)
        for i in range(n, n + n // 3):
            write_workflow(self.root, i)
        for i in range(0, n // 20, 2):
            write_bundle(self.root, i, generation=1)


class SyncFullDeletes(SyncScenario):
    name = "sync --full (deletes, edits)"
    synced_before = True
    extra = ("--full",)

    def change(self):
        n = self.files()
        for i in range(0, n - 1, 5):  # 2 of every 5: under the guard rail's half
            os.remove(workflow_path(self.root, i))
            os.remove(workflow_path(self.root, i + 1))
        for i in range(2, n, 5):
            write_workflow(self.root, i, generation=1)
        shutil.rmtree(os.path.join(self.root, "bundles", "b0000"), ignore_errors=True)


class SyncRenames(SyncScenario):
    name = "sync --full (renames)"
    synced_before = True
    extra = ("--full",)

    def change(self):
        moved = os.path.join(self.root, "moved")
        os.makedirs(moved, exist_ok=True)
        for i in range(0, self.files(), 2):
            os.rename(workflow_path(self.root, i), os.path.join(moved, f"r{i:05d}.json"))
        bundles = os.path.join(self.root, "bundles")
        if os.path.isdir(os.path.join(bundles, "b0000")):
            os.rename(os.path.join(bundles, "b0000"), os.path.join(bundles, "renamed"))


class PhaseRefresh(Scenario):
    name = "phase refresh (phases validate)"
    ok_codes = (0, 1)  # 1: findings in the phase files, as validate reports them

    def files(self):
        return max(4, self.size // 4)

    def args(self, target):
        return ["phases", "validate", "--root", self.root, "--db", target]

    def prepare(self):
        n = self.files()
        for i in range(n):
            write_phase_file(self.root, i)
        for i in range(n // 4):
            write_workflow(self.root, i)
        set_mtimes(self.root, BASE_MTIME)
        before = self.backend.fresh()
        run(["sync", self.root, "--db", before], self.work, what="sync before")
        for i in range(0, n, 3):
            write_phase_file(self.root, i, generation=1)
        for i in range(n, n + n // 4):
            write_phase_file(self.root, i)
        os.remove(os.path.join(self.root, "phases", "p0001.toml"))
        set_mtimes(self.root, BASE_MTIME + 10)
        return before


class MigrateUp(Scenario):
    name = "migrate up"

    def files(self):
        return max(3, self.size // 4)

    def args(self, target):
        return ["migrate", "up", "--dir", self.mig, "--db", target]

    def prepare(self):
        self.mig = os.path.join(self.work, "migrations")
        n = self.files()
        for i in range(n):
            write_workflow(self.root, i)
        set_mtimes(self.root, BASE_MTIME)
        dialect = "sqlite" if self.backend.name == "sqlite" else "postgres"
        # Plain SQL first (a table and rows), then one file per workflow.
        os.makedirs(self.mig)
        h.write_text(os.path.join(self.mig, "20240101000000_notes.sql"),
                     "CREATE TABLE notes (n INTEGER NOT NULL, body TEXT NOT NULL);\n"
                     + "".join(f"INSERT INTO notes VALUES ({k}, 'note {k}');\n" for k in range(50)))
        run(["migration", "create", *[workflow_path(self.root, i) for i in range(n)],
             "--root", self.root, "--dir", self.mig, "--dialect", dialect], self.work,
            what="migration create")
        self.versions = sorted(f.split("_", 1)[0] for f in os.listdir(self.mig)
                               if f.endswith(".sql"))
        return self.backend.fresh()

    def intermediate(self):
        # After each whole file but the last.
        out = []
        for version in self.versions[:-1]:
            probe = self.backend.clone(self.before)
            run(self.args(probe) + ["--to", version], self.work, what=f"up --to {version}")
            out.append(self.state(probe))
            self.backend.drop(probe)
        return out


class MigrationCreate(Scenario):
    """No database: the state is the migrations folder, whose files are
    compared with their version (a time) taken out."""

    name = "migration create"
    backends = ("files",)
    takes_lock_timeout = False

    def files(self):
        return max(4, self.size // 2)

    def args(self, target):
        return ["migration", "create", *[workflow_path(self.root, i) for i in range(self.files())],
                "--root", self.root, "--dir", target, "--dialect", "sqlite"]

    def prepare(self):
        for i in range(self.files()):
            write_workflow(self.root, i)
        set_mtimes(self.root, BASE_MTIME)
        return self.backend.fresh()

    def canonical(self, tables):
        return tables

    def acceptable(self, state):
        """Files appear by rename, one at a time: each file of the batch is
        whole or absent, and hidden temp files (which the runner skips) may
        stay until the next run removes them."""
        return all(name.startswith(".") or self.after_state.get(name) == data
                   for name, data in state.items())

    def inconsistencies(self, tables):
        return []

    def converged(self, state):
        return state


class Pull(Scenario):
    """`pull`: edits made in the database (a migration from an edited copy of
    the tree, applied with `migrate up`) written into the tree. The state is
    the database and the tree's files: each file is old or new (a killed
    pull's hidden temp files aside), and the bases are recorded, in one
    transaction, only once every file is in place. The command prefers the
    database: a kill between the renames of one bundle's files leaves that
    bundle half new, which a plain pull reports as a conflict (both sides
    kept) and `--prefer db` completes; with no edit in the files it changes
    nothing else."""

    name = "pull (edits made in the database)"

    def __init__(self, work, backend, size):
        super().__init__(work, backend, size)
        self.trees = {}

    def files(self):
        return max(20, self.size // 2)

    def tree(self, target):
        if target not in self.trees:
            copy = os.path.join(self.work, f"tree-{uuid.uuid4().hex[:8]}")
            shutil.copytree(self.root, copy, symlinks=True)
            self.trees[target] = copy
        return self.trees[target]

    def args(self, target):
        return ["pull", self.tree(target), "--db", target, "--prefer", "db"]

    def prepare(self):
        edited = os.path.join(self.work, "edited")
        for root in (self.root, edited):
            os.makedirs(os.path.join(root, ".flowsync"), exist_ok=True)
            for i in range(self.files()):
                write_workflow(root, i)
            for i in range(self.files() // 10):
                write_bundle(root, i)
        for i in range(0, self.files(), 3):
            write_workflow(edited, i, generation=1)
        for i in range(0, self.files() // 10, 2):
            write_bundle(edited, i, generation=1)
        set_mtimes(self.root, BASE_MTIME)
        # Edited after the sync below: a migration applies only over an older copy.
        set_mtimes(edited, int(time.time()) + 3600)
        before = self.backend.fresh()
        run(["sync", self.root, "--db", before], self.work, what="sync before")
        mig = os.path.join(self.work, "migrations")
        dialect = "sqlite" if self.backend.name == "sqlite" else "postgres"
        changed = [workflow_path(edited, i) for i in range(0, self.files(), 3)]
        changed += [os.path.join(edited, "bundles", f"b{i:04d}")
                    for i in range(0, self.files() // 10, 2)]
        run(["migration", "create", *changed, "--root", edited, "--source", "prod", "--dir", mig,
             "--dialect", dialect], self.work, what="migration create")
        run(["migrate", "up", "--dir", mig, "--db", before], self.work, what="migrate up")
        return before

    def state_from(self, target, tables):
        files = {}
        tree = self.tree(target)
        for dirpath, _, names in os.walk(tree):
            if os.path.basename(dirpath) == ".flowsync":
                continue
            for name in names:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, tree)] = f.read()
        return {"db": canonical(tables), "files": files}

    def acceptable(self, state):
        db, files = state["db"], state["files"]
        before, after = self.before_state["files"], self.after_state["files"]
        if db == self.after_state["db"]:
            return files == after
        if db != self.before_state["db"]:
            return False
        for path in set(before) | set(files):
            if os.path.basename(path).startswith("."):
                continue  # a killed pull's temp file: no walk reads it
            if path not in files or files[path] not in (before.get(path), after.get(path)):
                return False
        return True

    def converged(self, state):
        return {"db": {t: state["db"][t] for t in CONVERGE_TABLES if t in state["db"]},
                "files": {p: d for p, d in state["files"].items()
                          if not os.path.basename(p).startswith(".")}}


class Folder:
    """A migrations folder as a backend: a state is {name without version:
    bytes with the version taken out}."""

    name = "files"

    def __init__(self, work):
        self.work = work

    def fresh(self):
        path = os.path.join(self.work, f"mig-{uuid.uuid4().hex[:8]}")
        os.makedirs(path)
        return path

    def clone(self, target):
        copy = os.path.join(self.work, f"mig-{uuid.uuid4().hex[:8]}")
        shutil.copytree(target, copy)
        return copy

    def drop(self, target):
        shutil.rmtree(target, ignore_errors=True)

    def tables(self, target):
        out = {}
        for name in sorted(os.listdir(target)):
            version, _, rest = name.partition("_")
            with open(os.path.join(target, name), "rb") as f:
                data = f.read()
            if version.isdigit():
                data = data.replace(version.encode(), b"V")
                out[rest] = data
            else:
                out[name] = data
        return out

    def problems(self, target):
        return []


SCENARIOS = {
    "sync-initial": SyncInitial,
    "sync-incremental": SyncIncremental,
    "sync-full": SyncFullDeletes,
    "sync-rename": SyncRenames,
    "migration-create": MigrationCreate,
    "migrate-up": MigrateUp,
    "phase-refresh": PhaseRefresh,
    "pull": Pull,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10, help="trials per command and backend")
    parser.add_argument("--size", type=int, default=400, help="workflows in a tree (scaled per command)")
    parser.add_argument("--only", default="", help="commands, comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--fault", choices=("kill", "terminate", "statement"), default="kill",
                        help="kill: SIGKILL the run; terminate: the server ends its connections "
                        "(pg_terminate_backend; PostgreSQL only); statement: the connection is "
                        "dropped before the run's 1st, 2nd, ... statement in turn, until a run "
                        "finishes untouched (PostgreSQL only; --trials is then a cap)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    wanted_backends = set(filter(None, args.backends.split(",")))
    only = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    unknown = [s for s in only if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown command {unknown}: choose from {', '.join(SCENARIOS)}")

    admin = h.pg_admin_url()
    if "postgres" in wanted_backends and admin is None:
        if h.pg_required():
            print("crash_trials: FLOWSYNC_PG_DIR is not set and FLOWSYNC_REQUIRE_PG=1",
                  file=sys.stderr)
            return 1
        wanted_backends.discard("postgres")

    work_root = tempfile.mkdtemp(prefix="flowsync-crash-")
    pg = Postgres(admin) if admin else None
    results = []
    started = time.monotonic()
    try:
        for key in only:
            cls = SCENARIOS[key]
            for backend_name in cls.backends:
                if backend_name != "files" and backend_name not in wanted_backends:
                    continue
                if args.fault in ("terminate", "statement") and backend_name != "postgres":
                    continue
                work = os.path.join(work_root, f"{key}-{backend_name}")
                os.makedirs(work)
                backend = {"sqlite": lambda: Sqlite(work), "postgres": lambda: pg,
                           "files": lambda: Folder(work)}[backend_name]()
                scenario = cls(work, backend, args.size)
                scenario.fault = args.fault
                entry = {"command": key, "backend": backend_name, "trials": 0,
                         "killed": 0, "exits": {}, "failures": 0, "details": []}
                results.append(entry)
                try:
                    scenario.setup()
                    entry["run_s"] = round(scenario.duration, 3)
                    for n in range(args.trials):
                        statement = n + 1 if args.fault == "statement" else None
                        try:
                            t = scenario.trial(rng, statement)
                        except Exception as e:  # noqa: BLE001 - the check itself broke: a failure
                            t = {"killed": False, "failures": [f"trial error: {e}"[-2000:]]}
                        entry["trials"] += 1
                        entry["killed"] += t["killed"]
                        code = str(t.get("exit"))
                        entry["exits"][code] = entry["exits"].get(code, 0) + 1
                        if t["failures"]:
                            entry["failures"] += 1
                            entry["details"].append(t)
                        if statement is not None and t.get("exit") == 0 and not t["failures"]:
                            # Past the run's last statement: every one was cut.
                            entry["every_statement"] = True
                            break
                except Exception as e:  # noqa: BLE001 - a broken set-up is a failure too
                    entry["failures"] += 1
                    entry["details"].append({"setup_error": str(e)[-2000:]})
                print(f"{key:17} {backend_name:9} trials {entry['trials']:4}  "
                      f"cut mid-run {entry['killed']:4}  failures {entry['failures']}  exits {entry['exits']}",
                      file=sys.stderr, flush=True)
                if args.fault == "statement" and not entry.get("every_statement"):
                    entry["failures"] += 1
                    entry["details"].append({"error": f"the run still had statements after "
                                                      f"{entry['trials']} trials (raise --trials)"})
    finally:
        if pg:
            pg.drop_all()
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)

    total_failures = sum(r["failures"] for r in results)
    if args.json:
        print(json.dumps({"seed": seed, "seconds": round(time.monotonic() - started, 1),
                          "results": results}, indent=2))
    else:
        print(f"\nseed {seed}, {time.monotonic() - started:.0f} s\n")
        print("| command | backend | run (s) | trials | cut mid-run | exit statuses | failures |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            exits = ", ".join(f"{k}: {v}" for k, v in sorted(r["exits"].items()))
            print(f"| {r['command']} | {r['backend']} | {r.get('run_s', '-')} | {r['trials']} | "
                  f"{r['killed']} | {exits} | {r['failures']} |")
        for r in results:
            for d in r["details"][:3]:
                print(f"\n{r['command']} on {r['backend']}: {json.dumps(d)[:3000]}")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
