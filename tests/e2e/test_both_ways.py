"""Both ways: production's edits come back to a developer's files through a
migration, `status`, `sync` and `pull`, and nobody's edit is overwritten."""

import json
import os
import shutil
import sqlite3
import uuid

import fsync_helpers as h


class BothWaysChecks:
    """Production is self.root synced into its default database; the
    developer has a copy of the tree and a database of their own (dev_db)."""

    def dev_db(self):
        raise NotImplementedError

    def dialect(self):
        raise NotImplementedError

    def setUp(self):
        super().setUp()
        h.write_json(self.p("flows", "orders.json"), h.n8n_workflow("Orders sync", seed=1))
        h.write_json(self.p("flows", "report.json"), h.n8n_workflow("Daily report", seed=2))
        self.sync()
        self.dev_root = os.path.join(self.tmp, "dev")
        shutil.copytree(self.root, self.dev_root, ignore=shutil.ignore_patterns(".flowsync"))
        self.dev = self.dev_db()
        self.sync("--db", self.dev, root=self.dev_root)
        self.mig = os.path.join(self.tmp, "migrations")

    def dev_fs(self, *args, expect=0):
        return self.fs(*args, "--db", self.dev, "--root", self.dev_root, expect=expect,
                       cwd=self.dev_root)

    def dev_status(self):
        return self.dev_fs("status", "--json").json()

    def promote_prod_edit(self):
        """Production edits orders; its migration is applied to dev."""
        h.write_json(self.p("flows", "orders.json"), h.n8n_workflow("Orders sync", nodes=4, seed=7))
        self.sync()
        self.fs("migration", "create", "flows/orders.json", "--source", "prod", "--dir", self.mig,
                "--dialect", self.dialect(), expect=0)
        self.fs("migrate", "up", "--dir", self.mig, "--db", self.dev, expect=0)

    def dev_file(self, *parts):
        with open(os.path.join(self.dev_root, *parts), encoding="utf-8") as f:
            return f.read()

    def test_an_array_exports_workflow_edited_in_production_is_pulled_into_its_file(self):
        a = json.dumps(h.n8n_workflow("Array A", seed=11, id="ArrayA1"), indent=2)
        b = json.dumps(h.n8n_workflow("Array B", seed=12, id="ArrayB1"), indent=2)
        for root in (self.root, self.dev_root):
            h.write_text(os.path.join(root, "flows", "all.json"), f"[\n{a},\n{b}\n]\n")
        self.sync()
        self.sync("--db", self.dev, root=self.dev_root)
        edited = json.dumps(h.n8n_workflow("Array B", nodes=4, seed=12, id="ArrayB1"), indent=2)
        h.write_text(self.p("flows", "all.json"), f"[\n{a},\n{edited}\n]\n")
        self.sync()
        self.fs("migration", "create", "flows/all.json#ArrayB1", "--source", "prod", "--dir",
                self.mig, "--dialect", self.dialect(), expect=0)
        self.fs("migrate", "up", "--dir", self.mig, "--db", self.dev, expect=0)
        self.assertEqual(self.dev_status()["changed_in_database"],
                         [{"path": "flows/all.json#ArrayB1", "change": "edited in the database"}])
        pulled = self.dev_fs("pull", "--json").json()
        self.assertEqual([(c["kind"], c["path"]) for c in pulled["changes"]],
                         [("written", "flows/all.json#ArrayB1")])
        # The other workflow and the layout byte for byte.
        self.assertEqual(self.dev_file("flows", "all.json"), f"[\n{a},\n{edited}\n]\n")
        _, report = self.sync("--db", self.dev, root=self.dev_root)
        self.assertEqual(report["changes"], [])
        self.assertTrue(self.dev_status()["clean"])

    def test_prod_to_dev_loop(self):
        before = self.dev_file("flows", "orders.json")
        self.promote_prod_edit()
        status = self.dev_status()
        self.assertEqual(status["changed_in_database"],
                         [{"path": "flows/orders.json", "change": "edited in the database"}])
        self.assertFalse(status["clean"])
        # diff shows it, from the files to the database (what a pull writes).
        diff = self.dev_fs("diff", "--json").json()
        self.assertEqual([(d["change"], d["path"]) for d in diff],
                         [("changed-in-database", "flows/orders.json")])
        self.assertIn("added", [n["state"] for n in diff[0]["nodes"]])
        # A sync keeps the database's edit (it used to undo it).
        _, report = self.sync("--db", self.dev, root=self.dev_root)
        self.assertEqual((report["updated"], report["changed_in_database"]), (0, 1))
        self.assertEqual(self.dev_file("flows", "orders.json"), before)
        # Pull writes it into the developer's tree, and then all agree.
        pulled = self.dev_fs("pull", "--json").json()
        self.assertEqual([(c["kind"], c["path"]) for c in pulled["changes"]],
                         [("written", "flows/orders.json")])
        after = json.loads(self.dev_file("flows", "orders.json"))
        self.assertEqual(len(after["nodes"]), 4)
        _, report = self.sync("--db", self.dev, root=self.dev_root)
        self.assertEqual(report["changes"], [])
        self.assertEqual(report["changed_in_database"], 0)
        self.assertTrue(self.dev_status()["clean"])
        self.assertIn("nothing to sync: 2 workflows up to date", self.dev_fs("status").stdout)
        self.assertEqual(self.dev_fs("pull", "--json").json()["changes"], [])

    def test_an_edit_on_both_sides_is_a_conflict_until_resolved(self):
        self.promote_prod_edit()
        h.write_json(os.path.join(self.dev_root, "flows", "orders.json"),
                     h.n8n_workflow("Orders sync", nodes=5, seed=8))
        mine = self.dev_file("flows", "orders.json")
        res, report = self.sync("--db", self.dev, root=self.dev_root, expect=h.EXIT_CONFLICT)
        self.assertEqual(report["conflicts"], 1)
        self.assertEqual([(c["kind"], c["message"]) for c in report["changes"]],
                         [("conflict", "flows/orders.json: edited in the files and edited in "
                           "the database")])
        text = self.fs("sync", self.dev_root, "--db", self.dev, expect=h.EXIT_CONFLICT)
        self.assertIn("conflict: flows/orders.json: edited in the files and edited in the "
                      "database", text.stderr)
        status = self.dev_status()
        self.assertEqual([c["path"] for c in status["conflicts"]], ["flows/orders.json"])
        # A pull leaves it too.
        self.dev_fs("pull", expect=h.EXIT_CONFLICT)
        self.assertEqual(self.dev_file("flows", "orders.json"), mine)
        # The developer's side wins when told so, and then all agree.
        _, report = self.sync("--db", self.dev, "--prefer", "files:flows/orders.json",
                              root=self.dev_root)
        self.assertEqual((report["updated"], report["conflicts"]), (1, 0))
        self.assertTrue(self.dev_status()["clean"])
        self.assertEqual(self.dev_file("flows", "orders.json"), mine)

    def test_pull_prefer_db_takes_production_side(self):
        self.promote_prod_edit()
        h.write_json(os.path.join(self.dev_root, "flows", "orders.json"),
                     h.n8n_workflow("Orders sync", nodes=5, seed=8))
        self.dev_fs("pull", "--prefer", "db")
        self.assertEqual(len(json.loads(self.dev_file("flows", "orders.json"))["nodes"]), 4)
        self.assertTrue(self.dev_status()["clean"])

    def test_renamed_added_and_deleted_in_the_database_come_into_the_files(self):
        h.write_json(os.path.join(self.dev_root, "flows", "extra.json"),
                     h.n8n_workflow("Extra", seed=3))
        self.sync("--db", self.dev, root=self.dev_root)
        # Renamed there, deleted there, and one made there (no base).
        self.dev_sql("UPDATE workflows SET path = 'ops/orders.json', source_sig = '' "
                     "WHERE path = 'flows/orders.json'")
        self.dev_sql("UPDATE workflows SET deleted_at = updated_at WHERE path = 'flows/report.json'")
        self.dev_sql("UPDATE workflows SET path = 'new/extra.json', base_hash = '', "
                     "base_path = '' WHERE path = 'flows/extra.json'")
        os.remove(os.path.join(self.dev_root, "flows", "extra.json"))
        status = self.dev_status()
        self.assertEqual(status["changed_in_database"], [
            {"path": "flows/report.json", "change": "deleted in the database"},
            {"path": "new/extra.json", "change": "added in the database"},
            {"path": "ops/orders.json", "change": "renamed in the database from flows/orders.json"},
        ])
        # A full sync deletes nothing and adds nothing back.
        _, report = self.sync("--db", self.dev, "--full", root=self.dev_root)
        self.assertEqual((report["added"], report["deleted"], report["changed_in_database"]),
                         (0, 0, 3))
        pulled = self.dev_fs("pull", "--json").json()
        self.assertEqual(sorted((c["kind"], c["path"]) for c in pulled["changes"]),
                         [("moved", "ops/orders.json"), ("removed", "flows/report.json"),
                          ("written", "new/extra.json")])
        self.assertFalse(os.path.exists(os.path.join(self.dev_root, "flows", "orders.json")))
        self.assertFalse(os.path.exists(os.path.join(self.dev_root, "flows", "report.json")))
        self.assertTrue(os.path.exists(os.path.join(self.dev_root, "ops", "orders.json")))
        self.assertTrue(os.path.exists(os.path.join(self.dev_root, "new", "extra.json")))
        _, report = self.sync("--db", self.dev, "--full", root=self.dev_root)
        self.assertEqual(report["changes"], [])
        self.assertTrue(self.dev_status()["clean"])

    def test_pull_refuses_a_taken_path_and_a_name_no_sync_would_read(self):
        self.dev_sql("UPDATE workflows SET path = 'taken.json', source_sig = '' "
                     "WHERE path = 'flows/orders.json'")
        self.dev_sql("UPDATE workflows SET path = '../outside.json', base_hash = '', "
                     "base_path = '' WHERE path = 'flows/report.json'")
        os.makedirs(os.path.join(self.dev_root, "taken.json"))  # someone's folder
        res = self.dev_fs("pull", "--json", expect=h.EXIT_FAILED)
        self.assertEqual(sorted((c["kind"], c["message"]) for c in res.json()["changes"]), [
            ("refused", "../outside.json: cannot be written into the files: it has a '..' part"),
            ("refused", "taken.json: something else is there already; move it away, or rename "
                        "the workflow in the database"),
        ])
        res = self.dev_fs("pull", expect=h.EXIT_FAILED)
        self.assertIn("refused: taken.json: something else is there already", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "outside.json")))
        self.assertTrue(os.path.exists(os.path.join(self.dev_root, "flows", "orders.json")))

    def test_status_counts_one_workflow_in_the_singular(self):
        os.remove(os.path.join(self.dev_root, "flows", "report.json"))
        self.sync("--db", self.dev, "--full", root=self.dev_root)
        self.assertIn("nothing to sync: 1 workflow up to date\n", self.dev_fs("status").stdout)

    def test_bad_prefer_is_a_usage_error(self):
        res = self.fs("sync", self.dev_root, "--db", self.dev, "--prefer", "theirs",
                      expect=h.EXIT_USAGE)
        self.assertIn("--prefer 'theirs': expected files or db, for one workflow files:PATH or "
                      "db:PATH", res.stderr)
        res = self.dev_fs("pull", "--prefer", "db:", expect=h.EXIT_USAGE)
        self.assertIn("--prefer 'db:'", res.stderr)


class BothWaysSqliteTest(BothWaysChecks, h.FlowsyncCase):
    def dev_db(self):
        return "sqlite:" + os.path.join(self.tmp, "dev.db")

    def dev_sql(self, sql):
        conn = sqlite3.connect(os.path.join(self.tmp, "dev.db"))
        with conn:
            conn.execute(sql)
        conn.close()

    def dialect(self):
        return "sqlite"


class BothWaysPostgresTest(BothWaysChecks, h.FlowsyncCase):
    def setUp(self):
        self.admin = h.pg_admin_url()
        if self.admin is None:
            if h.pg_required():
                self.fail("FLOWSYNC_PG_DIR names no cluster")
            self.skipTest("no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)")
        super().setUp()

    def dev_db(self):
        name = f"fs_{uuid.uuid4().hex[:16]}"
        h.psql(self.admin, f'CREATE DATABASE "{name}"')
        self.addCleanup(h.psql, self.admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.sql_url = h.pg_url(self.admin, name)
        return h.pg_url(self.admin, name, sslmode="disable")

    def dev_sql(self, sql):
        h.psql(self.sql_url, sql)

    def dialect(self):
        return "postgres"
