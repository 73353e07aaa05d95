"""`flowsync migrate up|down|status|validate|repair|baseline`: the runner on
SQLite and PostgreSQL through the CLI. The happy path, a failing file (file,
statement and database error named, non-zero exit, nothing of it left, the
next run continues), status as a table, as JSON and as an exit code,
changed files and repair, out-of-order files, dry runs that write nothing,
baseline, a generated workflow migration applied and reverted, and 4 runners
started together on one database applying each file exactly once.

PostgreSQL parts skip unless FLOWSYNC_PG_DIR names a test cluster (CTest
starts one), as in test_postgres.py.
"""

import fcntl
import hashlib
import json
import os
import re
import sqlite3
import time
import unittest

import fsync_helpers as h
from test_postgres import PostgresCase

APPLIED_LINE = re.compile(r"^applied (\S+\.sql) \((\d+) ms\)$")
STATUS_KEYS = {"version", "name", "file", "state", "checksum", "stored_checksum",
               "applied_at", "applied_by", "execution_ms", "error", "out_of_order"}
COUNT_KEYS = {"applied", "baseline", "pending", "failed", "changed", "missing"}
RUNNERS = 4
FILES = 20


def checksum(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def applied_files(stdout):
    """The files an `up` run printed as applied, in order."""
    out = []
    for line in stdout.splitlines():
        m = APPLIED_LINE.match(line)
        if m:
            out.append(m.group(1))
    return out


class MigrateMixin:
    """Runs `flowsync migrate` on `self.db_arg` with the folder `self.mig`."""

    def migrate(self, *args, expect=0, dir=None, timeout=h.DEFAULT_TIMEOUT):
        return self.fs("migrate", *args, "--dir", dir or self.mig, "--db", self.db_arg,
                       expect=expect, cwd=self.tmp, timeout=timeout)

    def status_json(self, expect=0):
        res = self.migrate("status", "--json", expect=expect)
        try:
            doc = res.json()
        except ValueError:
            self.fail("status --json did not print JSON: " + res.describe())
        self.assertEqual(set(doc), {"command", "dir", "migrations", "counts"})
        self.assertEqual((doc["command"], doc["dir"]), ("status", self.mig))
        self.assertEqual(set(doc["counts"]), COUNT_KEYS)
        for m in doc["migrations"]:
            self.assertEqual(set(m), STATUS_KEYS)
        return doc

    def migrate_json(self, *args, expect=0):
        """`migrate ARGS --json`: one JSON object on stdout; returns it."""
        res = self.migrate(*args, "--json", expect=expect)
        try:
            return json.loads(res.stdout), res
        except ValueError:
            self.fail(f"migrate {' '.join(args)} --json did not print JSON: " + res.describe())

    def ref(self, version, name):
        return {"version": version, "name": name, "file": f"{version}_{name}.sql"}

    def states(self):
        return [(m["file"], m["state"]) for m in self.status_json()["migrations"]]

    def write(self, name, text):
        h.write_text(os.path.join(self.mig, name), text)

    def write_concurrent_files(self, slow_sql):
        """FILES migrations that fail when run twice (CREATE TABLE without IF
        NOT EXISTS), a few of them slow, each logging its number."""
        self.write("0001_log.sql", "CREATE TABLE applied_log (n INTEGER NOT NULL);\n")
        for i in range(2, FILES + 1):
            slow = slow_sql + "\n" if i % 5 == 0 else ""
            self.write(f"{i:04d}_t{i}.sql",
                       f"CREATE TABLE t{i} (x INTEGER);\n{slow}"
                       f"INSERT INTO applied_log VALUES ({i});\n")

    def run_concurrently(self):
        """Starts RUNNERS `migrate up` at once; returns their (rc, out, err)."""
        procs = []
        for i in range(RUNNERS):
            out = open(os.path.join(self.tmp, f"runner{i}.out"), "w+b")
            err = open(os.path.join(self.tmp, f"runner{i}.err"), "w+b")
            self.addCleanup(out.close)
            self.addCleanup(err.close)
            proc = h.start(["migrate", "up", "--dir", self.mig, "--db", self.db_arg],
                           cwd=self.tmp, stdout=out, stderr=err)
            self.addCleanup(h.stop, proc)
            procs.append((proc, out, err))
        results = []
        for proc, out, err in procs:
            rc = proc.wait(timeout=120)
            out.seek(0)
            err.seek(0)
            results.append((rc, out.read().decode("utf-8", "replace"),
                            err.read().decode("utf-8", "replace")))
        return results

    def check_concurrent_results(self, results):
        applied = []
        for rc, out, err in results:
            self.assertEqual(rc, 0, f"a runner failed:\n{out}\n{err}")
            files = applied_files(out)
            applied += files
            if not files:
                self.assertIn("nothing to apply", out)
        self.assertEqual(sorted(applied), sorted(os.listdir(self.mig)),
                         "every file applied exactly once across the runners")


class MigrateSqliteTest(MigrateMixin, h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.mig = os.path.join(self.tmp, "migrations")
        os.makedirs(self.mig)
        self.target = os.path.join(self.tmp, "target.db")
        self.db_arg = self.target

    def q(self, sql, params=()):
        return h.query(self.target, sql, params)

    def table_exists(self, name):
        return bool(self.q("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (name,)))

    def test_up_applies_in_order_then_nothing(self):
        self.write("10_c.sql", "INSERT INTO t VALUES (10);\n")
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("2_b.sql", "INSERT INTO t VALUES (2);\n")
        self.write("2_b.json", "{}")  # not a migration: ignored
        self.write("README.md", "notes\n")
        res = self.migrate("up")
        self.assertEqual(applied_files(res.stdout), ["1_a.sql", "2_b.sql", "10_c.sql"],
                         res.describe())
        self.assertEqual(res.stdout.splitlines()[-1], "3 applied, 0 pending")
        self.assertEqual(self.q("SELECT x FROM t ORDER BY x"), [(2,), (10,)])
        rows = self.q("SELECT version, name, checksum, installed_rank, status, applied_by "
                      "FROM flowsync_migrations ORDER BY installed_rank")
        self.assertEqual([r[:2] for r in rows], [("1", "a"), ("2", "b"), ("10", "c")])
        self.assertEqual([r[3] for r in rows], [1, 2, 3])
        for r in rows:
            self.assertRegex(r[2], r"^sha256:[0-9a-f]{64}$")
            self.assertEqual(r[4], "applied")
            self.assertIn("@", r[5])
        self.assertEqual(self.q("SELECT version, event FROM flowsync_migration_events "
                                "ORDER BY id"),
                         [("1", "applied"), ("2", "applied"), ("10", "applied")])
        again = self.migrate("up")
        self.assertEqual(again.stdout, "nothing to apply\n")
        self.assertEqual(len(self.q("SELECT * FROM flowsync_migration_events")), 3)

    def test_failure_names_file_statement_and_error_and_leaves_nothing(self):
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("2_bad.sql", "INSERT INTO t VALUES (1);\n"
                                "CREATE TABLE u (y INTEGER);\n"
                                "INSERT INTO nosuch VALUES (2);\n")
        self.write("3_c.sql", "CREATE TABLE v (x INTEGER);\n")
        res = self.migrate("up", expect=None)
        self.assertNotEqual(res.returncode, 0, res.describe())
        self.assertEqual(applied_files(res.stdout), ["1_a.sql"])
        self.assertIn("1 applied, 1 failed, 1 pending", res.stdout)
        err = res.stderr
        self.assertIn("flowsync: error: migration 2_bad.sql failed: ", err)
        self.assertIn("statement 3", err)
        self.assertIn("line 3", err)
        self.assertIn("INSERT INTO nosuch", err)
        self.assertIn("no such table: nosuch", err)
        # Nothing of the failed file, and the file after it never ran.
        self.assertEqual(self.q("SELECT count(*) FROM t"), [(0,)])
        self.assertFalse(self.table_exists("u"))
        self.assertFalse(self.table_exists("v"))
        self.assertEqual(self.q("SELECT version FROM flowsync_migrations"), [("1",)])
        events = self.q("SELECT version, event, detail FROM flowsync_migration_events "
                        "ORDER BY id")
        self.assertEqual([e[:2] for e in events], [("1", "applied"), ("2", "failed")])
        self.assertIn("no such table: nosuch", events[1][2])
        doc = self.status_json()
        self.assertEqual([m["state"] for m in doc["migrations"]],
                         ["applied", "failed", "pending"])
        self.assertIn("nosuch", doc["migrations"][1]["error"])
        self.assertEqual(doc["counts"], {"applied": 1, "baseline": 0, "pending": 1,
                                         "failed": 1, "changed": 0, "missing": 0})
        table = self.migrate("status").stdout
        self.assertRegex(table, r"(?m)^2\s+bad\s+failed\s+\S+\s+error: .*nosuch")
        # Fixed, the next run continues; no manual "dirty" repair.
        self.write("2_bad.sql", "INSERT INTO t VALUES (1);\nCREATE TABLE u (y INTEGER);\n")
        res = self.migrate("up")
        self.assertEqual(applied_files(res.stdout), ["2_bad.sql", "3_c.sql"])
        self.assertEqual(self.states(), [("1_a.sql", "applied"), ("2_bad.sql", "applied"),
                                         ("3_c.sql", "applied")])

    def test_status_table_json_and_exit_code(self):
        self.write("20261122101500_create_t.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("20261122101600_fill_t.sql", "INSERT INTO t VALUES (1);\n")
        # Before anything ran (the database does not exist yet): all pending,
        # and status creates no database.
        res = self.migrate("status", "--exit-code", expect=h.EXIT_FAILED)
        self.assertFalse(os.path.exists(self.target), "status created the database")
        lines = res.stdout.splitlines()
        self.assertRegex(lines[0], r"^VERSION\s+NAME\s+STATE\s+APPLIED AT$")
        self.assertRegex(lines[1], r"^20261122101500\s+create_t\s+pending$")
        self.assertEqual(lines[-1], "0 applied, 2 pending")
        self.migrate("up")
        res = self.migrate("status", "--exit-code", expect=0)
        self.assertRegex(res.stdout, r"(?m)^20261122101600\s+fill_t\s+applied\s+"
                                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(res.stdout.splitlines()[-1], "2 applied, 0 pending")
        doc = self.status_json()
        m = doc["migrations"][0]
        self.assertEqual(m["version"], "20261122101500")
        self.assertEqual(m["name"], "create_t")
        self.assertEqual(m["state"], "applied")
        self.assertRegex(m["applied_at"], h.RFC3339_UTC)
        self.assertIsInstance(m["execution_ms"], int)
        self.assertIsNone(m["error"])
        # Pending -> 1; changed or missing -> 3, which wins.
        self.write("20261122101700_more.sql", "SELECT 1;\n")
        self.migrate("status", "--exit-code", expect=h.EXIT_FAILED)
        self.migrate("status", expect=0)  # without --exit-code
        self.write("20261122101600_fill_t.sql", "INSERT INTO t VALUES (2);\n")
        self.migrate("status", "--exit-code", expect=h.EXIT_GUARD)
        self.write("20261122101600_fill_t.sql", "INSERT INTO t VALUES (1);\n")
        os.remove(os.path.join(self.mig, "20261122101500_create_t.sql"))
        self.migrate("status", "--exit-code", expect=h.EXIT_GUARD)
        self.assertEqual(self.status_json()["counts"],
                         {"applied": 1, "baseline": 0, "pending": 1, "failed": 0,
                          "changed": 0, "missing": 1})

    def test_status_on_a_fresh_database_lists_every_file_pending(self):
        # Regression: an empty database file (`touch`, or made by another
        # tool) failed with "holds no flowsync data yet" (exit 1).
        self.write("20261122101500_create_t.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("20261122101600_fill_t.sql", "INSERT INTO t VALUES (1);\n")
        open(self.target, "wb").close()
        for target in (self.target, os.path.join(self.tmp, "missing.db")):
            with self.subTest(target=target):
                res = self.fs("migrate", "status", "--exit-code", "--dir", self.mig, "--db",
                              target, expect=h.EXIT_FAILED, cwd=self.tmp)
                self.assertEqual(res.stdout, "VERSION         NAME      STATE     APPLIED AT\n"
                                             "20261122101500  create_t  pending\n"
                                             "20261122101600  fill_t    pending\n"
                                             "0 applied, 2 pending\n")
                self.assertEqual(res.stderr, "")
                res = self.fs("migrate", "validate", "--dir", self.mig, "--db", target,
                              expect=0, cwd=self.tmp)
                self.assertEqual(res.stdout, "2 migration files are valid\n")
        doc = self.status_json()
        self.assertEqual([(m["file"], m["state"]) for m in doc["migrations"]],
                         [("20261122101500_create_t.sql", "pending"),
                          ("20261122101600_fill_t.sql", "pending")])
        self.assertEqual(doc["counts"]["pending"], 2)
        # A read-only look: nothing written, no database or lock file made.
        self.assertEqual(os.path.getsize(self.target), 0)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["migrations", "root", "target.db"])
        # `up` works there as before.
        self.assertEqual(len(applied_files(self.migrate("up").stdout)), 2)
        self.migrate("status", "--exit-code", expect=0)

    def test_every_sub_command_prints_one_json_shape(self):
        self.write("1_a.sql", "-- migrate:up\nCREATE TABLE t (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE t;\n")
        self.write("2_b.sql", "INSERT INTO t VALUES (2);\n")
        a_sum = checksum(os.path.join(self.mig, "1_a.sql"))
        # up --dry-run: what would run, with its SQL.
        doc, res = self.migrate_json("up", "--dry-run", "--to", "1")
        self.assertEqual(doc, {
            "command": "up", "dir": self.mig, "dry_run": True,
            "applied": [dict(self.ref("1", "a"), checksum=a_sum, transaction=True,
                             execution_ms=None,
                             sql="-- migrate:up\nCREATE TABLE t (x INTEGER);\n")],
            "failed": None, "pending": [self.ref("2", "b")], "missing": []})
        self.assertEqual(res.stderr, "")
        # up: nothing but the document on stdout.
        doc, _ = self.migrate_json("up", "--to", "1")
        self.assertIsInstance(doc["applied"][0].pop("execution_ms"), int)
        self.assertEqual(doc, {
            "command": "up", "dir": self.mig, "dry_run": False,
            "applied": [dict(self.ref("1", "a"), checksum=a_sum, transaction=True, sql=None)],
            "failed": None, "pending": [self.ref("2", "b")], "missing": []})
        # A failure part-way: the document, then the error on stderr and its status.
        self.write("3_bad.sql", "INSERT INTO nosuch VALUES (1);\n")
        self.write("4_c.sql", "SELECT 4;\n")
        doc, res = self.migrate_json("up", expect=h.EXIT_DB)
        self.assertEqual([m["file"] for m in doc["applied"]], ["2_b.sql"])
        error = ("migration 3_bad.sql failed: statement 1 (line 1: INSERT INTO nosuch VALUES "
                 "(1)): preparing: no such table: nosuch")
        self.assertEqual(doc["failed"], dict(self.ref("3", "bad"), error=error))
        self.assertEqual(doc["pending"], [self.ref("4", "c")])
        self.assertEqual(res.stderr, f"flowsync: error: {error}\n")
        os.remove(os.path.join(self.mig, "3_bad.sql"))
        os.remove(os.path.join(self.mig, "4_c.sql"))
        # validate: valid, then not (the document, and the error on stderr).
        doc, _ = self.migrate_json("validate")
        self.assertEqual(doc, {"command": "validate", "dir": self.mig, "valid": True,
                               "files": 2, "problems": []})
        self.write("2_b.sql", "INSERT INTO t VALUES (22);\n")
        doc, res = self.migrate_json("validate", expect=h.EXIT_GUARD)
        self.assertFalse(doc["valid"])
        self.assertEqual(len(doc["problems"]), 1)
        self.assertTrue(doc["problems"][0].startswith("2_b.sql: changed since it was applied"))
        self.assertEqual(res.stderr, f"flowsync: error: {doc['problems'][0]}\n")
        # repair
        doc, _ = self.migrate_json("repair")
        b_sum = checksum(os.path.join(self.mig, "2_b.sql"))
        self.assertEqual(doc["command"], "repair")
        self.assertEqual(len(doc["repaired"]), 1)
        self.assertEqual(doc["repaired"][0]["new_checksum"], b_sum)
        self.assertEqual(set(doc["repaired"][0]),
                         {"version", "name", "file", "old_checksum", "new_checksum"})
        # status
        doc = self.status_json()
        self.assertEqual([(m["file"], m["state"], m["out_of_order"]) for m in doc["migrations"]],
                         [("1_a.sql", "applied", False), ("2_b.sql", "applied", False)])
        # down: the built-in or the file's own down, newest first.
        self.write("2_b.sql", "-- migrate:up\nINSERT INTO t VALUES (22);\n"
                              "-- migrate:down\nDELETE FROM t;\n")
        self.migrate("repair")
        doc, _ = self.migrate_json("down", "2")
        for m in doc["reverted"]:
            self.assertIsInstance(m.pop("execution_ms"), int)
        self.assertEqual(doc, {"command": "down", "dir": self.mig,
                               "reverted": [dict(self.ref("2", "b"), builtin=False),
                                            dict(self.ref("1", "a"), builtin=False)],
                               "failed": None})
        # baseline
        doc, _ = self.migrate_json("baseline", "1")
        self.assertEqual(doc, {"command": "baseline", "dir": self.mig, "version": "1",
                               "baselined": [self.ref("1", "a")]})
        doc, _ = self.migrate_json("baseline", "1")
        self.assertEqual(doc["baselined"], [])
        # A refusal before anything ran: nothing on stdout.
        res = self.migrate("down", "5", "--json", expect=h.EXIT_GUARD)
        self.assertEqual(res.stdout, "")
        self.assertEqual(res.stderr, "flowsync: error: cannot revert 5 migrations: only 1 is "
                                     "applied; nothing reverted\n")

    def test_changed_file_is_refused_until_repair(self):
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.migrate("up")
        # CRLF line endings and a BOM are no change.
        h.write_bytes(os.path.join(self.mig, "1_a.sql"),
                      b"\xef\xbb\xbfCREATE TABLE t (x INTEGER);\r\n")
        self.migrate("validate")
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER, y TEXT);\n")
        self.write("2_b.sql", "CREATE TABLE u (x INTEGER);\n")
        res = self.migrate("up", expect=h.EXIT_GUARD)
        self.assertIn("1_a.sql: applied as sha256:", res.stderr)
        self.assertIn("flowsync migrate repair", res.stderr)
        self.assertFalse(self.table_exists("u"))
        res = self.migrate("validate", expect=h.EXIT_GUARD)
        self.assertIn("1_a.sql: changed since it was applied", res.stderr)
        res = self.migrate("repair", "2", expect=h.EXIT_USAGE)
        self.assertIn("2_b.sql is pending, not changed", res.stderr)
        res = self.migrate("repair")
        self.assertRegex(res.stdout, r"(?m)^repaired 1_a\.sql: sha256:[0-9a-f]{64} -> "
                                     r"sha256:[0-9a-f]{64}$")
        self.assertEqual(self.q("SELECT event FROM flowsync_migration_events ORDER BY id"),
                         [("applied",), ("repaired",)])
        self.assertEqual(self.migrate("repair").stdout,
                         "nothing to repair: no applied file changed\n")
        self.assertEqual(applied_files(self.migrate("up").stdout), ["2_b.sql"])

    def test_out_of_order_is_refused_unless_allowed(self):
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("3_c.sql", "INSERT INTO t VALUES (3);\n")
        self.migrate("up")
        self.write("2_b.sql", "INSERT INTO t VALUES (2);\n")
        res = self.migrate("up", expect=h.EXIT_GUARD)
        self.assertIn("older than the newest applied version 3:\n  2_b.sql\n", res.stderr)
        self.assertIn("--allow-out-of-order", res.stderr)
        self.migrate("validate", expect=h.EXIT_GUARD)
        self.migrate("validate", "--allow-out-of-order")
        res = self.migrate("up", "--allow-out-of-order")
        self.assertEqual(applied_files(res.stdout), ["2_b.sql"])

    def test_down_count_must_be_positive(self):
        # Regression: CLI11's range check printed a 300-digit upper bound.
        for bad in ("0", "x", "-1"):
            res = self.migrate("down", bad, expect=h.EXIT_USAGE)
            self.assertIn("1 or more", res.stderr)
            self.assertLess(len(res.stderr), 300)

    def test_exit_statuses_follow_the_table(self):
        # Regressions: an unknown version to repair exited 2 (not found is
        # 1); down N with fewer applied exited 2 (refused, nothing written: 3).
        self.write("1_a.sql", "-- migrate:up\nCREATE TABLE a (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE a;\n")
        self.migrate("up")
        res = self.migrate("repair", "99", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no migration has version 99\n")
        res = self.migrate("down", "3", expect=h.EXIT_GUARD)
        self.assertEqual(res.stderr, "flowsync: error: cannot revert 3 migrations: only 1 is "
                                     "applied; nothing reverted\n")
        self.assertTrue(self.table_exists("a"))
        self.assertEqual(len(self.q("SELECT * FROM flowsync_migrations")), 1)

    def test_files_beside_the_database_are_documented(self):
        # The runner's lock file stays beside an SQLite database; the formats
        # document names everything found there.
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.migrate("up")
        beside = sorted(f for f in os.listdir(self.tmp) if f.startswith("target.db"))
        self.assertIn("target.db-migrate.lock", beside)
        self.assertRegex(h.read_bytes(self.target + "-migrate.lock").decode(),
                         r"^flowsync pid=\d+ host=\S+ since=\S+\n$")
        docs = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "formats.md")
        with open(docs, encoding="utf-8") as f:
            formats = f.read()
        for name in beside:
            self.assertIn("`DB" + name[len("target.db"):] + "`", formats)

    def test_dry_run_prints_sql_and_writes_nothing(self):
        self.write("1_a.sql", "-- migrate:up\nCREATE TABLE t (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE t;\n")
        self.write("2_b.sql", "-- migrate:up transaction:false\nCREATE INDEX i ON t (x);\n")
        res = self.migrate("up", "--dry-run")
        self.assertFalse(os.path.exists(self.target), "a dry run created the database")
        # Regression: planning against a database that does not exist yet
        # left a ":memory:-migrate.lock" file in the working folder.
        self.assertEqual([f for f in os.listdir(self.tmp) if "lock" in f], [])
        self.assertRegex(res.stdout, r"^-- 1_a\.sql sha256:[0-9a-f]{64}\n-- migrate:up\n"
                                     r"CREATE TABLE t \(x INTEGER\);\n-- 2_b\.sql sha256:"
                                     r"[0-9a-f]{64} \(transaction:false: runs outside a "
                                     r"transaction\)\n-- migrate:up transaction:false\n"
                                     r"CREATE INDEX i ON t \(x\);\n"
                                     r"-- dry run: 2 to apply, nothing written\n$")
        # Against an existing database too.
        self.migrate("up", "--to", "1")
        before = h.dump(self.target)
        res = self.migrate("up", "--dry-run")
        self.assertIn("-- 2_b.sql", res.stdout)
        self.assertNotIn("-- 1_a.sql", res.stdout)
        self.assertEqual(h.dump(self.target), before)

    def test_down_reverts_in_reverse_apply_order(self):
        for v, t in (("1", "a"), ("3", "c")):
            self.write(f"{v}_{t}.sql", f"-- migrate:up\nCREATE TABLE {t} (x INTEGER);\n"
                                       f"-- migrate:down\nDROP TABLE {t};\n")
        self.migrate("up")
        self.write("2_b.sql", "-- migrate:up\nCREATE TABLE b (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE b;\n")
        self.migrate("up", "--allow-out-of-order")
        res = self.migrate("down", "2")
        self.assertRegex(res.stdout, r"^reverted 2_b\.sql \(\d+ ms\)\n"
                                     r"reverted 3_c\.sql \(\d+ ms\)\n2 reverted\n$")
        self.assertTrue(self.table_exists("a"))
        self.assertFalse(self.table_exists("b"))
        self.assertFalse(self.table_exists("c"))
        self.write("4_nodown.sql", "CREATE TABLE d (x INTEGER);\n")
        self.migrate("up", "--allow-out-of-order")
        res = self.migrate("down", "3", expect=h.EXIT_USAGE)
        self.assertIn("4_nodown.sql has no down section", res.stderr)
        self.assertEqual(len(self.q("SELECT * FROM flowsync_migrations")), 4)

    def test_baseline_marks_without_running(self):
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("2_b.sql", "INSERT INTO t VALUES (2);\n")
        # A flowsync database that already holds what 1_a.sql does.
        res = self.migrate("up", "--to", "0")
        self.assertEqual(res.stdout, "nothing to apply up to 0 (2 pending after it)\n")
        conn = sqlite3.connect(self.target)
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.commit()
        conn.close()
        res = self.migrate("baseline", "1")
        self.assertEqual(res.stdout, "baseline 1_a.sql\n"
                                     "1 marked as applied without running (baseline 1)\n")
        self.assertIn("nothing to baseline", self.migrate("baseline", "1").stdout)
        self.migrate("baseline", "x1", expect=h.EXIT_USAGE)
        self.assertEqual(applied_files(self.migrate("up").stdout), ["2_b.sql"])
        self.assertEqual(self.states(), [("1_a.sql", "baseline"), ("2_b.sql", "applied")])

    def test_missing_folder_and_broken_files(self):
        for sub in ("status", "validate", "up"):
            res = self.migrate(sub, dir=os.path.join(self.tmp, "nope"), expect=h.EXIT_FAILED)
            self.assertIn("no migrations folder", res.stderr, sub)
        self.assertFalse(os.path.exists(self.target))
        self.write("1_a.sql", "-- migrate:down\nDROP TABLE t;\n")
        self.write("notes.sql", "SELECT 1;\n")
        res = self.migrate("validate", expect=h.EXIT_USAGE)
        self.assertIn("1_a.sql:1: '-- migrate:down' before '-- migrate:up'", res.stderr)
        self.assertIn("notes.sql: not a migration file name", res.stderr)
        res = self.migrate("up", expect=h.EXIT_USAGE)
        self.assertIn("1_a.sql:1:", res.stderr)

    def test_generated_workflow_migration_up_and_down(self):
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", seed=1))
        self.fs("migration", "create", self.p("flows", "a.json"), "--root", self.root,
                "--dialect", "sqlite", "--dir", self.mig, expect=0, cwd=self.tmp)
        files = [f for f in os.listdir(self.mig) if f.endswith(".sql")]
        self.assertEqual(len(files), 1)
        self.migrate("up")
        listed = self.fs("list", "--json", "--db", self.target, expect=0).json()
        self.assertEqual([w["path"] for w in listed], ["flows/a.json"])
        res = self.migrate("down")
        self.assertIn(f"reverted {files[0]} (", res.stdout)
        self.assertIn("built-in workflow down", res.stdout)
        self.assertEqual(self.fs("list", "--json", "--db", self.target, expect=0).json(), [])
        self.assertEqual(self.states(), [(files[0], "pending")])

    def test_a_held_lock_makes_a_runner_wait_then_give_up(self):
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.migrate("up", "--to", "0")  # the database exists
        # Hold the runner's lock as another process would.
        with open(self.target + "-migrate.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            started = time.monotonic()
            res = self.migrate("up", "--lock-timeout", "0.5", expect=h.EXIT_BUSY)
            self.assertGreaterEqual(time.monotonic() - started, 0.5)
            self.assertIn("is being migrated by", res.stderr)
            self.assertIn("--lock-timeout", res.stderr)
            self.migrate("status", "--lock-timeout", "0", expect=h.EXIT_BUSY)
        self.assertFalse(self.table_exists("t"))
        self.assertEqual(applied_files(self.migrate("up").stdout), ["1_a.sql"])

    def test_concurrent_runners_apply_each_file_once(self):
        self.write_concurrent_files(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
            "SELECT count(*) FROM c;")
        self.check_concurrent_results(self.run_concurrently())
        self.assertEqual(self.q("SELECT count(*), count(DISTINCT n) FROM applied_log"),
                         [(FILES - 1, FILES - 1)])
        self.assertEqual(self.q("SELECT count(*), count(DISTINCT version) "
                                "FROM flowsync_migrations"), [(FILES, FILES)])
        self.assertEqual(self.q("SELECT event, count(*), count(DISTINCT version) "
                                "FROM flowsync_migration_events GROUP BY event"),
                         [("applied", FILES, FILES)])


class MigratePostgresTest(MigrateMixin, PostgresCase):

    def setUp(self):
        super().setUp()
        self.mig = os.path.join(self.tmp, "migrations")
        os.makedirs(self.mig)
        self.db_arg = self.url

    def test_up_failure_status_and_down(self):
        self.write("1_a.sql", "-- migrate:up\nCREATE TABLE t (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE t;\n")
        self.write("2_bad.sql", "INSERT INTO t VALUES (1);\n"
                                "INSERT INTO nosuch VALUES (2);\n")
        self.write("3_i.sql", "-- migrate:up transaction:false\n"
                              "CREATE INDEX CONCURRENTLY t_x ON t (x);\n")
        res = self.migrate("up", expect=None)
        self.assertNotEqual(res.returncode, 0, res.describe())
        self.assertEqual(applied_files(res.stdout), ["1_a.sql"])
        self.assertIn("migration 2_bad.sql failed: ", res.stderr)
        self.assertIn("statement 2", res.stderr)
        self.assertIn('relation "nosuch" does not exist', res.stderr)
        self.assertEqual(self.sql_value("SELECT count(*) FROM t"), "0")
        self.assertEqual(self.sql("SELECT version, event FROM flowsync_migration_events "
                                  "ORDER BY id"), [("1", "applied"), ("2", "failed")])
        self.migrate("status", "--exit-code", expect=h.EXIT_FAILED)
        self.write("2_bad.sql", "INSERT INTO t VALUES (1);\n")
        res = self.migrate("up")
        self.assertEqual(applied_files(res.stdout), ["2_bad.sql", "3_i.sql"])
        self.assertEqual(self.sql_value("SELECT count(*) FROM pg_indexes "
                                        "WHERE indexname = 't_x'"), "1")
        doc = self.status_json()
        self.assertEqual([m["state"] for m in doc["migrations"]], ["applied"] * 3)
        for m in doc["migrations"]:
            self.assertRegex(m["applied_at"], h.RFC3339_UTC)
        self.migrate("status", "--exit-code", expect=0)
        res = self.migrate("down", expect=h.EXIT_USAGE)
        self.assertIn("3_i.sql has no down section", res.stderr)


    def test_json_of_up_status_validate_down_and_baseline(self):
        self.write("1_a.sql", "-- migrate:up\nCREATE TABLE t (x INTEGER);\n"
                              "-- migrate:down\nDROP TABLE t;\n")
        self.write("2_bad.sql", "INSERT INTO nosuch VALUES (1);\n")
        doc, res = self.migrate_json("up", expect=h.EXIT_DB)
        self.assertEqual([m["file"] for m in doc["applied"]], ["1_a.sql"])
        self.assertEqual(doc["failed"]["file"], "2_bad.sql")
        self.assertIn('relation "nosuch" does not exist', doc["failed"]["error"])
        self.assertEqual(res.stderr, "flowsync: error: " + doc["failed"]["error"] + "\n")
        self.assertEqual((doc["pending"], doc["missing"]), ([], []))
        os.remove(os.path.join(self.mig, "2_bad.sql"))
        self.assertEqual(self.states(), [("1_a.sql", "applied")])
        doc, _ = self.migrate_json("validate")
        self.assertEqual(doc, {"command": "validate", "dir": self.mig, "valid": True,
                               "files": 1, "problems": []})
        doc, _ = self.migrate_json("down")
        self.assertEqual([(m["file"], m["builtin"]) for m in doc["reverted"]],
                         [("1_a.sql", False)])
        self.assertIsNone(doc["failed"])
        doc, _ = self.migrate_json("baseline", "1")
        self.assertEqual(doc["baselined"], [self.ref("1", "a")])

    def test_status_on_a_fresh_database_lists_every_file_pending(self):
        # Regression: a database nothing was synced or migrated to failed
        # with "holds no flowsync data yet".
        self.write("1_a.sql", "CREATE TABLE t (x INTEGER);\n")
        self.write("2_b.sql", "INSERT INTO t VALUES (1);\n")
        res = self.migrate("status", "--exit-code", expect=h.EXIT_FAILED)
        self.assertEqual(res.stdout.splitlines()[-1], "0 applied, 2 pending")
        self.assertEqual(res.stderr, "")
        self.assertEqual([m["state"] for m in self.status_json()["migrations"]],
                         ["pending", "pending"])
        self.migrate("validate")
        # A read-only look: no table was created.
        self.assertEqual(self.sql_value("SELECT count(*) FROM information_schema.tables "
                                        "WHERE table_schema NOT IN "
                                        "('pg_catalog', 'information_schema')"), "0")
        self.assertEqual(applied_files(self.migrate("up").stdout), ["1_a.sql", "2_b.sql"])
        self.migrate("status", "--exit-code", expect=0)

    def test_concurrent_runners_apply_each_file_once(self):
        self.write_concurrent_files("SELECT pg_sleep(0.05);")
        self.check_concurrent_results(self.run_concurrently())
        self.assertEqual(self.sql("SELECT count(*), count(DISTINCT n) FROM applied_log"),
                         [(str(FILES - 1), str(FILES - 1))])
        self.assertEqual(self.sql("SELECT count(*), count(DISTINCT version) "
                                  "FROM flowsync_migrations"), [(str(FILES), str(FILES))])
        self.assertEqual(self.sql("SELECT event, count(*), count(DISTINCT version) "
                                  "FROM flowsync_migration_events GROUP BY event"),
                         [("applied", str(FILES), str(FILES))])


if __name__ == "__main__":
    unittest.main()
