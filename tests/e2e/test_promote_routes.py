"""Promotion end to end: a generated migration applied by dbmate, by the
database's own client and by flowsync, in any mix, acts once; down through
dbmate removes what the migration created; a prod export never overwrites a
newer local edit."""

import os
import re
import shutil
import subprocess
import unittest
import uuid

import fsync_helpers as h

DBMATE_ENV = "FLOWSYNC_DBMATE"


def dbmate_binary():
    path = os.environ.get(DBMATE_ENV, "")
    return path if path and os.access(path, os.X_OK) else None


class PromoteCase(h.FlowsyncCase):
    def setUp(self):
        super().setUp()
        # A dev tree with two workflows, one of them using a credential.
        wf = h.n8n_workflow("Orders sync", nodes=3, seed=1)
        wf["nodes"][1]["credentials"] = {"httpHeaderAuth": {"id": "17", "name": "Shop API"}}
        h.write_json(self.p("flows", "orders.json"), wf)
        h.write_json(self.p("flows", "report.json"), h.n8n_workflow("Daily report", seed=2))
        self.sync(expect=0)
        self.mig = os.path.join(self.tmp, "migrations")

    def create(self, *args):
        return self.fs("migration", "create", "--dir", self.mig, *args, expect=0)

    def files(self):
        return sorted(f for f in os.listdir(self.mig) if f.endswith(".sql"))

    def target(self, name):
        """A fresh SQLite database holding flowsync's (empty) schema."""
        path = os.path.join(self.tmp, name)
        empty = os.path.join(self.tmp, "empty-" + name)
        os.makedirs(empty)
        self.fs("sync", empty, "--db", "sqlite:" + path, expect=0)
        return path

    def workflows(self, db):
        return {r[0]: r for r in h.query(db, "SELECT path, content, version, updated_at "
                                             "FROM workflows ORDER BY path")}


class SqliteRoutes(PromoteCase):
    def test_sqlite3_then_flowsync_applies_once(self):
        self.create("flows/orders.json", "flows/report.json", "--dialect", "sqlite")
        self.assertEqual(len(self.files()), 2)
        t = self.target("t.db")
        for f in self.files():
            with open(os.path.join(self.mig, f), "rb") as sql:
                proc = subprocess.run(["sqlite3", "-bail", t], stdin=sql, capture_output=True,
                                      timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        got = self.workflows(t)
        self.assertEqual(sorted(got), ["flows/orders.json", "flows/report.json"])
        # The credential travels as type and name only.
        self.assertIn('"Shop API"', got["flows/orders.json"][1])
        self.assertNotIn('"17"', got["flows/orders.json"][1])
        # flowsync applies the same files again: recorded, but nothing changes twice.
        self.fs("migrate", "up", "--dir", self.mig, "--db", "sqlite:" + t, expect=0)
        self.assertEqual(self.workflows(t), got)
        self.assertEqual(h.query(t, "SELECT count(*) FROM workflow_sync_log")[0][0], 2)
        self.assertEqual(h.query(t, "SELECT count(*) FROM flowsync_migrations")[0][0], 2)
        self.assertEqual(h.query(t, "SELECT count(*) FROM sync_runs WHERE mode = 'migration'")[0][0],
                         2)

    def test_prod_export_preserves_a_newer_local_edit(self):
        # prod's copy of orders is exported...
        self.create("flows/orders.json", "--source", "prod", "--dialect", "sqlite")
        [f] = self.files()
        self.assertIn("_prod_sync_orders_sync.sql", f)
        # ...while a developer's database holds a newer edit of it.
        dev_root = os.path.join(self.tmp, "dev")
        shutil.copytree(self.root, dev_root, ignore=shutil.ignore_patterns(".flowsync"))
        wf = h.n8n_workflow("Orders sync", nodes=4, seed=9)
        h.write_json(os.path.join(dev_root, "flows", "orders.json"), wf)
        dev_db = os.path.join(self.tmp, "dev.db")
        self.fs("sync", dev_root, "--db", "sqlite:" + dev_db, expect=0)
        before = self.workflows(dev_db)["flows/orders.json"]
        self.fs("migrate", "up", "--dir", self.mig, "--db", "sqlite:" + dev_db, expect=0)
        self.assertEqual(self.workflows(dev_db)["flows/orders.json"], before)
        self.assertEqual(h.query(dev_db, "SELECT source, action FROM migration_metadata"),
                         [("prod", "skipped")])

    @unittest.skipUnless(dbmate_binary(), "dbmate is not installed (scripts/run test installs it)")
    def test_dbmate_applies_and_rolls_back(self):
        self.create("flows/orders.json", "--dialect", "sqlite", "--format", "dbmate")
        t = self.target("d.db")
        url = "sqlite:" + t
        proc = subprocess.run([dbmate_binary(), "--url", url, "--migrations-dir", self.mig,
                               "--no-dump-schema", "up"], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(sorted(self.workflows(t)), ["flows/orders.json"])
        self.assertEqual(h.query(t, "SELECT action FROM migration_metadata"), [("created",)])
        proc = subprocess.run([dbmate_binary(), "--url", url, "--migrations-dir", self.mig,
                               "--no-dump-schema", "rollback"], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(self.workflows(t), {})
        self.assertEqual(h.query(t, "SELECT count(*) FROM migration_metadata")[0][0], 0)
        # flowsync reads the same dbmate file and its down section.
        self.fs("migrate", "up", "--dir", self.mig, "--db", url, expect=0)
        self.assertEqual(sorted(self.workflows(t)), ["flows/orders.json"])
        self.fs("migrate", "down", "--dir", self.mig, "--db", url, expect=0)
        self.assertEqual(self.workflows(t), {})

    @unittest.skipUnless(dbmate_binary(), "dbmate is not installed (scripts/run test installs it)")
    def test_dbmate_strict_orders_a_batch_before_a_migration_made_right_after(self):
        # Twelve workflows: the batch's counter has two digits.
        h.write_many(self.root, 10, nodes=1)
        self.sync(expect=0)
        self.create("--dialect", "sqlite", "--format", "dbmate")
        batch = self.files()
        self.assertEqual(len(batch), 12)
        self.assertEqual([f[14:16] for f in batch], [f"{i:02d}" for i in range(1, 13)])
        t = self.target("strict.db")
        base = [dbmate_binary(), "--url", "sqlite:" + t, "--migrations-dir", self.mig,
                "--no-dump-schema"]
        proc = subprocess.run(base + ["up", "--strict"], capture_output=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        proc = subprocess.run(base + ["new", "by_hand"], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        [by_hand] = [f for f in self.files() if f not in batch]
        self.assertEqual(self.files(), batch + [by_hand])
        # dbmate --strict refuses a pending file older than an applied one.
        proc = subprocess.run(base + ["up", "--strict"], capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn(f"Applying: {by_hand}", proc.stdout.decode())
        self.assertEqual(h.query(t, "SELECT version FROM schema_migrations ORDER BY version"),
                         [(f.split("_", 1)[0],) for f in batch + [by_hand]])
        # flowsync orders them the same way.
        res = self.fs("migrate", "up", "--dir", self.mig, "--db", "sqlite:" + t, expect=0)
        self.assertEqual(re.findall(r"(?m)^applied (\S+) \(", res.stdout), batch + [by_hand])
        # What --strict refuses: a file older than the newest applied one.
        h.write_text(os.path.join(self.mig, "20000101000000_old.sql"), "-- migrate:up\n")
        proc = subprocess.run(base + ["up", "--strict"], capture_output=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("out of order", proc.stderr.decode())


class PostgresRoutes(PromoteCase):
    def setUp(self):
        self.admin = h.pg_admin_url()
        if self.admin is None:
            if h.pg_required():
                self.fail("FLOWSYNC_PG_DIR names no cluster")
            self.skipTest("no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)")
        super().setUp()
        self.dbname = f"fs_{uuid.uuid4().hex[:16]}"
        h.psql(self.admin, f'CREATE DATABASE "{self.dbname}"')
        self.addCleanup(h.psql, self.admin, f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.sql_url = h.pg_url(self.admin, self.dbname)
        self.url = h.pg_url(self.admin, self.dbname, sslmode="disable")
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.fs("sync", empty, "--db", self.url, expect=0)  # the schema

    def contents(self):
        return h.psql(self.sql_url, "SELECT path, content, version FROM workflows ORDER BY path")

    def test_psql_then_flowsync_applies_once(self):
        self.create("flows/orders.json", "flows/report.json", "--dialect", "postgres")
        for f in self.files():
            proc = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                   "--single-transaction", "-d", self.sql_url, "-f",
                                   os.path.join(self.mig, f)],
                                  capture_output=True, timeout=60, env=h.clean_env())
            self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        got = self.contents()
        self.assertEqual([r[0] for r in got], ["flows/orders.json", "flows/report.json"])
        self.fs("migrate", "up", "--dir", self.mig, "--db", self.url, expect=0)
        self.assertEqual(self.contents(), got)
        self.assertEqual(h.psql_value(self.sql_url, "SELECT count(*) FROM workflow_sync_log"), "2")
        self.assertEqual(h.psql_value(self.sql_url, "SELECT count(*) FROM flowsync_migrations"),
                         "2")

    @unittest.skipUnless(dbmate_binary(), "dbmate is not installed (scripts/run test installs it)")
    def test_dbmate_applies_and_rolls_back(self):
        self.create("flows/orders.json", "--dialect", "postgres", "--format", "dbmate")
        env = h.clean_env()
        base = [dbmate_binary(), "--url", self.url, "--migrations-dir", self.mig,
                "--no-dump-schema"]
        proc = subprocess.run(base + ["up"], capture_output=True, timeout=60, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual([r[0] for r in self.contents()], ["flows/orders.json"])
        self.assertEqual(h.psql_value(self.sql_url, "SELECT definition->>'name' FROM workflows"),
                         "Orders sync")
        proc = subprocess.run(base + ["rollback"], capture_output=True, timeout=60, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(self.contents(), [])


if __name__ == "__main__":
    unittest.main()
