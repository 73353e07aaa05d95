"""flowsync against real n8n databases: n8n's own CLI reads what flowsync wrote
(CTest entry e2e_n8n; not test_*.py, so that the main e2e entry leaves it out).

Each test syncs a tree into a fresh n8n database that n8n created
(n8n_helpers.fresh), then asks n8n itself: list:workflow, export:workflow
--all --separate (nodes, connections, settings, name and tags equal to the
files'), execute --id of a manual-trigger workflow, update:workflow
--active=true. Both n8n releases, SQLite and PostgreSQL.
"""

import copy
import json
import os
import shutil
import sqlite3
import tempfile
import time
import unittest
import uuid

import fsync_helpers as h
import n8n_helpers as n8n

HELLO_FILE_ID = "hello-flow"  # not an n8n id (a '-'): flowsync derives one

HELLO = {
    "id": HELLO_FILE_ID,
    "name": "Hello flowsync",
    "nodes": [
        {"parameters": {}, "id": "3f1c2a0e-0000-4000-8000-000000000001",
         "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
         "position": [0, 0]},
        {"parameters": {"assignments": {"assignments": [
            {"id": "a1", "name": "greeting", "value": "hello", "type": "string"}]},
            "options": {}},
         "id": "3f1c2a0e-0000-4000-8000-000000000002", "name": "Set",
         "type": "n8n-nodes-base.set", "typeVersion": 3.4, "position": [220, 0]},
    ],
    "connections": {"Start": {"main": [[{"node": "Set", "type": "main", "index": 0}]]}},
    "settings": {"executionOrder": "v1", "timezone": "Europe/Berlin"},
    "tags": [{"name": "demo"}, {"name": "flowsync"}],
}

CALLER = {
    "id": "Ca11erWorkflow01",  # an n8n id: kept
    "name": "Caller",
    "nodes": [
        {"parameters": {}, "id": "3f1c2a0e-0000-4000-8000-000000000011",
         "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
         "position": [0, 0]},
        {"parameters": {"workflowId": {"__rl": True, "value": HELLO_FILE_ID, "mode": "list",
                                       "cachedResultName": "Hello flowsync"},
                        "options": {}},
         "id": "3f1c2a0e-0000-4000-8000-000000000012", "name": "Run Hello",
         "type": "n8n-nodes-base.executeWorkflow", "typeVersion": 1.2, "position": [220, 0]},
        {"parameters": {"url": "https://example.invalid/", "options": {}},
         "id": "3f1c2a0e-0000-4000-8000-000000000013", "name": "Call API",
         "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2, "position": [440, 0],
         "credentials": {"httpHeaderAuth": {"id": "credential-id", "name": "Team API"},
                         "slackApi": {"id": "credential-id", "name": "Missing Slack"}}},
    ],
    "connections": {
        "Start": {"main": [[{"node": "Run Hello", "type": "main", "index": 0}]]},
        "Run Hello": {"main": [[{"node": "Call API", "type": "main", "index": 0}]]},
    },
    "settings": {"executionOrder": "v1"},
    "tags": ["demo"],
}

TEAM_API_CRED = "TeamApiCred00001"


def tag_names(wf):
    return sorted(t["name"] for t in wf.get("tags") or [])


class N8nDatabaseBase(unittest.TestCase):
    version = None
    backend = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="flowsync-n8n-test-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.n8n = n8n.fresh(self.version, self.backend)
        self.tree = os.path.join(self.tmp, "tree")
        os.makedirs(self.tree)
        h.write_json(os.path.join(self.tree, "hello.json"), HELLO)
        h.write_json(os.path.join(self.tree, "caller.json"), CALLER)
        # A credential of the target, as its editor would have made it (the
        # data column is never read by flowsync).
        self.exec(
            "INSERT INTO credentials_entity (id, name, data, type) VALUES "
            f"('{TEAM_API_CRED}', 'Team API', 'U2FsdGVkX1-not-read', 'httpHeaderAuth')")

    def exec(self, sql):
        self.exec_on(self.n8n, sql)

    def sync(self, *extra):
        r = h.run(["sync", self.tree, "--db", self.n8n.db, *extra])
        return r

    def ids(self):
        """{name: n8n id} of the workflows flowsync wrote."""
        return {name: wid for wid, name in
                self.n8n.query("SELECT id, name FROM workflow_entity")}

    def test_sync_then_n8n_reads_runs_and_activates(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        ids = self.ids()
        hello, caller = ids["Hello flowsync"], ids["Caller"]
        self.assertEqual(caller, "Ca11erWorkflow01")
        self.assertRegex(hello, r"^[0-9A-Za-z]{16}$")
        self.assertEqual(
            r.stderr,
            f"n8n: caller.json (n8n id {caller}): node 'Call API': credential slackApi "
            "'Missing Slack' (no match in the target)\n")

        # n8n's own CLI reads it.
        self.assertEqual(self.n8n.list_workflows(), {hello: "Hello flowsync", caller: "Caller"})
        exported = self.n8n.export()
        self.assertEqual(set(exported), {hello, caller})
        for wid, source in ((hello, HELLO), (caller, CALLER)):
            got = exported[wid]
            self.assertEqual(got["name"], source["name"])
            self.assertEqual(got["connections"], source["connections"])
            self.assertEqual(got["settings"], source["settings"])
            self.assertEqual(tag_names(got),
                             sorted(t["name"] if isinstance(t, dict) else t
                                    for t in source["tags"]))
            self.assertFalse(got["active"])
        self.assertEqual(exported[hello]["nodes"], HELLO["nodes"])
        # References re-bound: the sub-workflow by its n8n id, the credential
        # by type and name; an unmatched one stays as written.
        expected = copy.deepcopy(CALLER["nodes"])
        expected[1]["parameters"]["workflowId"]["value"] = hello
        expected[2]["credentials"]["httpHeaderAuth"] = {"id": TEAM_API_CRED, "name": "Team API"}
        self.assertEqual(exported[caller]["nodes"], expected)

        # It runs, and it can be activated.
        self.n8n.execute(hello)
        self.n8n.run("update:workflow", f"--id={hello}", "--active=true")
        (active, active_version, version), = self.n8n.query(
            f"SELECT CASE WHEN active THEN 1 ELSE 0 END, \"activeVersionId\", \"versionId\" "
            f"FROM workflow_entity WHERE id = '{hello}'")
        self.assertEqual((active, active_version), ("1", version))

        # Unchanged: nothing written in n8n.
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertIn("0 added, 0 updated", r.stdout)
        self.assertEqual(self.n8n.query(
            f"SELECT \"versionId\" FROM workflow_entity WHERE id = '{hello}'"), [(version,)])

        # Changed: a new version and its history row; activation kept.
        changed = copy.deepcopy(HELLO)
        changed["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "hi"
        h.write_json(os.path.join(self.tree, "hello.json"), changed)
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        (active2, active_version2, version2), = self.n8n.query(
            f"SELECT CASE WHEN active THEN 1 ELSE 0 END, \"activeVersionId\", \"versionId\" "
            f"FROM workflow_entity WHERE id = '{hello}'")
        self.assertNotEqual(version2, version)
        self.assertEqual((active2, active_version2), ("1", version))
        self.assertEqual(sorted(v for (v,) in self.n8n.query(
            f"SELECT \"versionId\" FROM workflow_history WHERE \"workflowId\" = '{hello}'")),
            sorted([version, version2]))

        # Gone from the tree: archived, not deleted.
        os.remove(os.path.join(self.tree, "caller.json"))
        r = self.sync("--full")
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(self.n8n.query(
            f"SELECT CASE WHEN \"isArchived\" THEN 1 ELSE 0 END FROM workflow_entity "
            f"WHERE id = '{caller}'"), [("1",)])

    def test_a_watch_writes_each_edit_into_n8n(self):
        out_path = os.path.join(self.tmp, "watch.out")
        with open(out_path, "wb") as out:
            proc = h.start(["sync", self.tree, "--db", self.n8n.db, "--watch", "--json"],
                           cwd=self.tmp, stdout=out)
            self.addCleanup(h.stop, proc)

            def runs(count):
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    with open(out_path, encoding="utf-8") as f:
                        lines = f.read().split("\n")[:-1]
                    found = [json.loads(x) for x in lines if '"run_id"' in x]
                    if len(found) >= count:
                        return found
                    self.assertIsNone(proc.poll(), "the watch exited early")
                    time.sleep(0.1)
                self.fail(f"no run {count} of the watch within 60 s")

            self.assertEqual(runs(1)[0]["added"], 2)
            hello = self.ids()["Hello flowsync"]
            (version,), = self.n8n.query(
                f"SELECT \"versionId\" FROM workflow_entity WHERE id = '{hello}'")
            changed = copy.deepcopy(HELLO)
            changed["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "hey"
            h.write_json(os.path.join(self.tree, "hello.json"), changed)
            self.assertEqual([(c["kind"], c["path"]) for c in runs(2)[1]["changes"]],
                             [("updated", "hello.json")])
            self.assertEqual(h.send_and_wait(proc, h.SIGTERM, timeout=10), 0)
        (version2,), = self.n8n.query(
            f"SELECT \"versionId\" FROM workflow_entity WHERE id = '{hello}'")
        self.assertNotEqual(version2, version)
        self.assertEqual(self.n8n.export()[hello]["nodes"], changed["nodes"])

    def test_an_edit_made_in_n8n_is_kept_then_pulled_into_the_file(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        hello = self.ids()["Hello flowsync"]
        # Edited in n8n: n8n's own import:workflow replaces the row and gives
        # it a new versionId, as a save in its editor does.
        edited = self.n8n.export()[hello]
        edited["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "edited in n8n"
        edited["versionId"] = str(uuid.uuid4())
        path = os.path.join(self.tmp, "edited.json")
        h.write_json(path, edited)
        self.n8n.run("import:workflow", f"--input={path}")

        def flowsync(*args, expect=h.EXIT_OK):
            r = h.run([args[0], self.tree, *args[1:], "--db", self.n8n.db, "--json"])
            self.assertEqual(r.returncode, expect, r.describe())
            return r.json()

        status = flowsync("status")
        self.assertEqual(status["changed_in_database"],
                         [{"path": "hello.json", "change": "edited in the database"}])
        # A sync keeps n8n's edit.
        report = flowsync("sync")
        self.assertEqual((report["updated"], report["changed_in_database"]), (0, 1))
        self.assertEqual(self.n8n.export()[hello]["nodes"][1]["parameters"], edited["nodes"][1][
            "parameters"])
        # A pull writes it into the file, without n8n's volatile fields; then
        # both agree, and the file keeps its own id.
        pulled = flowsync("pull")
        self.assertEqual([(c["kind"], c["path"]) for c in pulled["changes"]],
                         [("written", "hello.json")])
        with open(os.path.join(self.tree, "hello.json"), encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
        self.assertEqual(doc["id"], HELLO_FILE_ID)
        self.assertEqual(doc["nodes"], edited["nodes"])
        for volatile in ("versionId", "updatedAt", "createdAt", "versionCounter", "triggerCount",
                         "shared"):
            self.assertNotIn(volatile, doc)
        self.assertEqual(flowsync("sync")["changes"], [])
        self.assertTrue(flowsync("status")["clean"])
        # Edited on both sides: a conflict, and n8n keeps its edit.
        doc["name"] = "Hello, edited in the files"
        h.write_json(os.path.join(self.tree, "hello.json"), doc)
        again = self.n8n.export()[hello]
        again["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "again"
        again["versionId"] = str(uuid.uuid4())
        h.write_json(path, again)
        self.n8n.run("import:workflow", f"--input={path}")
        report = flowsync("sync", expect=h.EXIT_CONFLICT)
        self.assertEqual(report["conflicts"], 1)
        self.assertEqual(self.n8n.export()[hello]["name"], "Hello flowsync")

    def test_a_workflow_archived_in_n8n_is_deleted_in_the_database_and_pulled(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        hello = self.ids()["Hello flowsync"]
        # Archived as n8n's editor does it (the row stays, isArchived set).
        self.exec(f"UPDATE workflow_entity SET \"isArchived\" = true WHERE id = '{hello}'")
        r = h.run(["sync", self.tree, "--db", self.n8n.db, "--full", "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual([(c["kind"], c["path"], c["message"]) for c in r.json()["changes"]],
                         [("changed-in-database", "hello.json", "deleted in the database")])
        r = h.run(["pull", self.tree, "--db", self.n8n.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual([(c["kind"], c["path"]) for c in r.json()["changes"]],
                         [("removed", "hello.json")])
        self.assertFalse(os.path.exists(os.path.join(self.tree, "hello.json")))
        r = h.run(["sync", self.tree, "--db", self.n8n.db, "--full", "--json"])
        self.assertEqual(r.json()["changes"], [])
        self.assertEqual(self.n8n.query(f"SELECT count(*) FROM workflow_entity WHERE id = '{hello}'"),
                         [("1",)])

    def test_a_workflow_made_in_n8n_is_pulled_as_a_new_file(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        made = copy.deepcopy(HELLO)
        made.update({"id": "MadeInN8nEditor1", "name": "Made in n8n: Daily/Report",
                     "versionId": str(uuid.uuid4()), "active": False})
        made.pop("tags")
        path = os.path.join(self.tmp, "made.json")
        h.write_json(path, made)
        self.n8n.run("import:workflow", f"--input={path}")
        r = h.run(["status", self.tree, "--db", self.n8n.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(r.json()["changed_in_database"],
                         [{"path": "made-in-n8n-daily-report.json",
                           "change": "added in the database"}])
        r = h.run(["pull", self.tree, "--db", self.n8n.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        with open(os.path.join(self.tree, "made-in-n8n-daily-report.json"), encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual((doc["id"], doc["nodes"]), ("MadeInN8nEditor1", made["nodes"]))
        r = h.run(["sync", self.tree, "--db", self.n8n.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(r.json()["changes"], [])
        self.assertEqual(self.n8n.query("SELECT count(*) FROM workflow_entity"), [("3",)])

    def test_versions_log_ratings_and_restore_name_n8n_workflows(self):
        """show --version, diff --from, log --workflow, rate and restore take
        the file's path, n8n's id or n8n's name, and read flowsync's versions."""
        hello_path = os.path.join(self.tree, "hello.json")

        def flowsync(*args, expect=h.EXIT_OK):
            r = h.run([*args, "--db", self.n8n.db], cwd=self.tmp)
            self.assertEqual(r.returncode, expect, r.describe())
            return r

        def greeting(doc):
            return doc["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"]

        self.assertEqual(self.sync().returncode, h.EXIT_OK)
        hello = self.ids()["Hello flowsync"]
        second = copy.deepcopy(HELLO)
        second["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "second"
        h.write_json(hello_path, second)
        self.assertEqual(self.sync().returncode, h.EXIT_OK)
        # Edited in n8n: the next sync brings it in as version 3.
        edited = self.n8n.export()[hello]
        edited["nodes"][1]["parameters"]["assignments"]["assignments"][0]["value"] = "in n8n"
        edited["versionId"] = str(uuid.uuid4())
        path = os.path.join(self.tmp, "edited.json")
        h.write_json(path, edited)
        self.n8n.run("import:workflow", f"--input={path}")
        self.assertEqual(self.sync().returncode, h.EXIT_OK)

        for name in (hello, "Hello flowsync", "hello.json"):
            shown = flowsync("show", name, "--version", "1", "--content").json()
            self.assertEqual((shown["id"], greeting(shown)), (HELLO_FILE_ID, "hello"), name)
        detail = flowsync("show", hello, "--version", "3", "--json").json()
        self.assertEqual((detail["version"], detail["path"]), (3, "hello.json"))
        self.assertEqual(greeting(json.loads(detail["content"])), "in n8n")
        r = flowsync("show", hello, "--version", "4", expect=h.EXIT_FAILED)
        self.assertIn("has no version 4: its versions are 1 to 3", r.stderr)

        diff = flowsync("diff", hello, "--from", "1", "--to", "2", "--json").json()
        self.assertEqual([(e["change"], e["path"], e["from_version"], e["to_version"])
                          for e in diff], [("version", "hello.json", 1, 2)])
        self.assertIn("+", diff[0]["unified"])
        self.assertIn('"second"', diff[0]["unified"])
        # The file against n8n, named by n8n's id: n8n's edit, not pulled.
        diff = flowsync("diff", hello, "--root", self.tree, "--json").json()
        self.assertEqual([(e["change"], e["path"]) for e in diff],
                         [("changed-in-database", "hello.json")])

        log = flowsync("log", "--workflow", hello, "--json").json()
        self.assertEqual([(e["event"], e["path"]) for e in log],
                         [("updated", "hello.json"), ("added", "hello.json")])
        flowsync("rate", hello, "up", "--user", "ada")
        self.assertEqual(flowsync("show", hello_path, "--root", self.tree, "--version", "3",
                                  "--json").json()["id"], detail["id"])

        # Restore version 1 once n8n's edit is in the file: file and n8n
        # both hold it, as version 4.
        flowsync("pull", self.tree)
        restored = flowsync("restore", hello, "--root", self.tree, "--version", "1",
                            "--json").json()
        self.assertEqual((restored["path"], restored["version"], restored["changed"]),
                         ("hello.json", 4, True))
        with open(hello_path, encoding="utf-8") as f:
            self.assertEqual(greeting(json.load(f)), "hello")
        self.assertEqual(greeting(self.n8n.export()[hello]), "hello")
        self.assertTrue(flowsync("status", self.tree, "--json").json()["clean"])

        # Made in n8n and not synced yet: no versions, said plainly.
        made = copy.deepcopy(HELLO)
        made.update({"id": "NotSyncedYet0001", "name": "Not synced yet",
                     "versionId": str(uuid.uuid4()), "active": False})
        made.pop("tags")
        h.write_json(path, made)
        self.n8n.run("import:workflow", f"--input={path}")
        r = flowsync("show", "NotSyncedYet0001", "--version", "1", expect=h.EXIT_FAILED)
        self.assertIn("Not synced yet (NotSyncedYet0001) is not synced by flowsync yet", r.stderr)

    def test_list_and_show_read_n8n(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        hello = self.ids()["Hello flowsync"]
        r = h.run(["list", "--db", self.n8n.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        rows = {row["id"]: row for row in r.json()}
        self.assertEqual(set(rows), {hello, "Ca11erWorkflow01"})
        self.assertEqual(rows[hello]["name"], "Hello flowsync")
        self.assertEqual(rows[hello]["path"], f"{hello}.json")
        self.assertEqual(rows[hello]["categories"], ["demo", "flowsync"])
        r = h.run(["show", "--db", self.n8n.db, "--content", "Hello flowsync"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        shown = r.json()
        self.assertEqual(shown["nodes"], HELLO["nodes"])
        self.assertEqual(shown["id"], hello)

    def test_second_instance_and_second_push_make_no_duplicates(self):
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        first = self.ids()
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(self.ids(), first)
        # Another environment, another flowsync bookkeeping: the same ids.
        other = n8n.fresh(self.version, self.backend)
        r = h.run(["sync", self.tree, "--db", other.db])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual({name: wid for wid, name in
                          other.query("SELECT id, name FROM workflow_entity")}, first)
        self.assertEqual(other.query("SELECT count(*) FROM workflow_entity"), [("2",)])

    def test_tag_longer_than_n8n_takes_is_left_out_and_said(self):
        os.remove(os.path.join(self.tree, "caller.json"))
        long_tag = "a tag of thirty characters ok"[:30]
        wf = copy.deepcopy(HELLO)
        wf["tags"] = [{"name": "demo"}, {"name": long_tag}]
        h.write_json(os.path.join(self.tree, "hello.json"), wf)
        r = self.sync()
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        hello = self.ids()["Hello flowsync"]
        self.assertEqual(r.stderr, f"n8n: hello.json (n8n id {hello}): tag '{long_tag}' is "
                                   "longer than n8n's 24 characters: left out\n")
        self.assertEqual(self.n8n.query(
            "SELECT t.name FROM workflows_tags wt JOIN tag_entity t ON t.id = wt.\"tagId\""),
            [("demo",)])

    def test_strict_refuses_unmatched_credentials_and_writes_nothing(self):
        r = self.sync("--strict")
        self.assertEqual(r.returncode, h.EXIT_GUARD, r.describe())
        self.assertIn("1 credential reference with no match in n8n (--strict; nothing was "
                      "written):\n  caller.json: node 'Call API': credential slackApi "
                      "'Missing Slack' (no match in the target)", r.stderr)
        self.assertEqual(self.n8n.query("SELECT count(*) FROM workflow_entity"), [("0",)])

    def create_migrations(self, out, *args):
        r = h.run(["migration", "create", "--dir", out, *args])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        return sorted(f for f in os.listdir(out) if f.endswith(".sql"))

    def migrate_up(self, target, folder):
        r = h.run(["migrate", "up", "--db", target.db, "--dir", folder])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        return r

    def versions(self, target):
        return dict(target.query("SELECT id, \"versionId\" FROM workflow_entity"))

    def test_migrations_carry_workflows_into_n8n_and_out_of_it(self):
        dialect = "postgres" if self.n8n.pg_db else "sqlite"
        dev_out = os.path.join(self.tmp, "migrations")
        files = self.create_migrations(
            dev_out, "--target", "n8n", "--dialect", dialect, "--root", self.tree,
            os.path.join(self.tree, "hello.json"), os.path.join(self.tree, "caller.json"))
        self.assertEqual(len(files), 2)
        with open(os.path.join(dev_out, files[0]), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("-- Target: n8n\n", text)
        self.assertNotIn("credential-id", text)  # the source's credential ids stay there
        self.migrate_up(self.n8n, dev_out)

        # The ids a sync gives them, in every environment.
        ids = self.ids()
        hello, caller = ids["Hello flowsync"], ids["Caller"]
        self.assertEqual(caller, "Ca11erWorkflow01")
        synced = n8n.fresh(self.version, self.backend)
        r = h.run(["sync", self.tree, "--db", synced.db])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual({name: wid for wid, name in
                          synced.query("SELECT id, name FROM workflow_entity")}, ids)

        # n8n reads them: nodes, references re-bound in SQL, tags, history,
        # owner; and it runs one.
        exported = self.n8n.export()
        self.assertEqual(exported[hello]["nodes"], HELLO["nodes"])
        self.assertEqual(exported[hello]["settings"], HELLO["settings"])
        self.assertEqual(tag_names(exported[hello]), ["demo", "flowsync"])
        expected = copy.deepcopy(CALLER["nodes"])
        expected[1]["parameters"]["workflowId"]["value"] = hello
        expected[2]["credentials"] = {
            "httpHeaderAuth": {"id": TEAM_API_CRED, "name": "Team API"},
            "slackApi": {"id": None, "name": "Missing Slack"}}
        self.assertEqual(exported[caller]["nodes"], expected)
        versions = self.versions(self.n8n)
        for wid in (hello, caller):
            self.assertEqual(self.n8n.query(
                f"SELECT \"versionId\" FROM workflow_history WHERE \"workflowId\" = '{wid}'"),
                [(versions[wid],)])
            self.assertEqual(self.n8n.query(
                f"SELECT count(*) FROM shared_workflow WHERE \"workflowId\" = '{wid}' AND "
                "role = 'workflow:owner'"), [("1",)])
        self.n8n.execute(hello)
        self.assertEqual(sorted(self.n8n.query(
            "SELECT action FROM migration_metadata ORDER BY migration_file")),
            [("created",), ("created",)])

        # Applied once: again, and again by hand, changes nothing.
        self.migrate_up(self.n8n, dev_out)
        with open(os.path.join(dev_out, files[0]), encoding="utf-8") as f:
            self.exec(f.read().replace("SAVEPOINT flowsync_migration;", "")
                      .replace("RELEASE flowsync_migration;", ""))
        self.assertEqual(self.versions(self.n8n), versions)

        # Prod to dev: what changed in this n8n within 7 days, as migrations
        # for another n8n, which has its own credential of that name.
        dev = n8n.fresh(self.version, self.backend)
        dev_cred = "DevTeamApiCred01"
        self.exec_on(dev, "INSERT INTO credentials_entity (id, name, data, type) VALUES "
                          f"('{dev_cred}', 'Team API', 'U2FsdGVkX1-not-read', 'httpHeaderAuth')")
        prod_out = os.path.join(self.tmp, "from-prod")
        files = self.create_migrations(prod_out, "--db", self.n8n.db, "--source", "prod",
                                       "--since", "7d")
        self.assertEqual(len(files), 2)
        self.assertTrue(all("_prod_sync_" in f for f in files), files)
        self.migrate_up(dev, prod_out)
        got = dev.export()
        self.assertEqual(set(got), {hello, caller})
        self.assertEqual(got[hello]["nodes"], HELLO["nodes"])
        expected[2]["credentials"]["httpHeaderAuth"]["id"] = dev_cred
        self.assertEqual(got[caller]["nodes"], expected)
        # flowsync on dev sees them as made in the database: a pull writes
        # them into dev's files.
        r = h.run(["list", "--db", dev.db, "--json"])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(sorted(w["name"] for w in r.json()), ["Caller", "Hello flowsync"])

        # Update only if newer: an edit made on dev since is kept.
        self.exec_on(dev, "UPDATE workflow_entity SET name = 'Edited on dev', \"versionId\" = "
                          "'00000000-0000-4000-8000-000000000001', \"updatedAt\" = "
                          "'2999-01-01 00:00:00.000' WHERE id = '" + hello + "'")
        before = self.versions(dev)
        newer = os.path.join(self.tmp, "again")
        self.create_migrations(newer, "--db", self.n8n.db, "--source", "prod", hello)
        self.migrate_up(dev, newer)
        self.assertEqual(self.versions(dev), before)
        self.assertEqual(dev.query(f"SELECT name FROM workflow_entity WHERE id = '{hello}'"),
                         [("Edited on dev",)])
        self.assertEqual(dev.query("SELECT action FROM migration_metadata WHERE migration_file "
                                   "LIKE '%hello%' ORDER BY migration_file DESC LIMIT 1"),
                         [("skipped",)])

        # Down: a workflow a migration created is archived, unless it
        # changed since.
        r = h.run(["migrate", "down", "--db", dev.db, "--dir", newer])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        r = h.run(["migrate", "down", "2", "--db", dev.db, "--dir", prod_out])
        self.assertEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertEqual(dev.query(
            "SELECT id, CASE WHEN \"isArchived\" THEN 1 ELSE 0 END FROM workflow_entity "
            "ORDER BY id"), sorted([(caller, "1"), (hello, "0")]))
        self.assertEqual(dev.query("SELECT count(*) FROM migration_metadata"), [("0",)])

    def exec_on(self, target, sql):
        if target.pg_db:
            h.psql(h.pg_url(h.pg_admin_url(), target.pg_db), sql)
        else:
            con = sqlite3.connect(target.sqlite_path)
            con.executescript(sql)
            con.commit()
            con.close()


class N8n1SqliteTest(N8nDatabaseBase):
    version, backend = "1.123.0", "sqlite"


class N8n1PostgresTest(N8nDatabaseBase):
    version, backend = "1.123.0", "postgres"


class N8n2SqliteTest(N8nDatabaseBase):
    version, backend = "2.39.0", "sqlite"


class N8n2PostgresTest(N8nDatabaseBase):
    version, backend = "2.39.0", "postgres"


del N8nDatabaseBase  # only its subclasses run


class N8nAddressingTest(unittest.TestCase):
    """What is refused before anything is written (no n8n needed)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="flowsync-n8n-addr-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def test_missing_file(self):
        path = os.path.join(self.tmp, "nope.sqlite")
        r = h.run(["list", "--db", "n8n+sqlite:" + path])
        self.assertEqual(r.returncode, h.EXIT_FAILED, r.describe())
        self.assertEqual(r.stderr, f"flowsync: error: no n8n database at {path}: the file "
                                   "does not exist\n")

    def test_no_n8n_tables(self):
        path = os.path.join(self.tmp, "other.sqlite")
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
        r = h.run(["list", "--db", "n8n+sqlite:" + path])
        self.assertEqual(r.returncode, h.EXIT_DB, r.describe())
        self.assertEqual(r.stderr, f"flowsync: error: n8n+sqlite:{path} is no n8n database: it "
                                   "has no n8n migrations table (n8n creates its tables when it "
                                   "first runs, e.g. `n8n list:workflow`)\n")

    def test_unknown_schema_is_refused_untouched(self):
        path = os.path.join(self.tmp, "future.sqlite")
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE migrations (id INTEGER PRIMARY KEY, timestamp BIGINT, name TEXT)")
        con.execute("INSERT INTO migrations (timestamp, name) VALUES "
                    "(1, 'First1'), (1899999999999, 'FromTheFuture1899999999999')")
        con.commit()
        con.close()
        tree = os.path.join(self.tmp, "tree")
        os.makedirs(tree)
        h.write_json(os.path.join(tree, "a.json"), HELLO)
        r = h.run(["sync", tree, "--db", "n8n+sqlite:" + path])
        self.assertEqual(r.returncode, h.EXIT_DB, r.describe())
        self.assertEqual(r.stderr, f"flowsync: error: n8n+sqlite:{path}: unknown n8n schema "
                                   "(newest migration FromTheFuture1899999999999); flowsync "
                                   "knows the schemas of n8n 1.123.0, 2.39.0\n")
        con = sqlite3.connect(path)
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        con.close()
        self.assertEqual(tables, ["migrations"])

    def test_password_never_shown(self):
        r = h.run(["list", "--db", "n8n+postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=2"])
        self.assertNotEqual(r.returncode, h.EXIT_OK, r.describe())
        self.assertNotIn("s3cret", r.stderr + r.stdout)

    def test_migrations_from_n8n_are_for_n8n(self):
        path = os.path.join(self.tmp, "database.sqlite")
        out = os.path.join(self.tmp, "migrations")
        r = h.run(["migration", "create", "--db", "n8n+sqlite:" + path, "--target", "flowsync",
                   "Some workflow", "--dir", out])
        self.assertEqual(r.returncode, h.EXIT_USAGE, r.describe())
        self.assertEqual(r.stderr, "flowsync: error: --target flowsync: the workflows of an n8n "
                                   "database go to n8n (--target n8n); to promote them into a "
                                   "flowsync database, pull them into files first (`flowsync "
                                   "pull`)\n")
        r = h.run(["migration", "create", "--db", "n8n+sqlite:" + path, "Some workflow",
                   "--dir", out])
        self.assertEqual(r.returncode, h.EXIT_FAILED, r.describe())
        self.assertEqual(r.stderr, "flowsync: error: 'Some workflow' is no file, and there is no "
                                   f"database to look it up in (no n8n database at {path}: the "
                                   "file does not exist)\n")
        self.assertFalse(os.path.exists(out))

    def test_n8n_options_need_an_n8n_database(self):
        tree = os.path.join(self.tmp, "tree")
        os.makedirs(tree)
        r = h.run(["sync", tree, "--strict", "--db", "sqlite:" + os.path.join(self.tmp, "f.db")])
        self.assertEqual(r.returncode, h.EXIT_USAGE, r.describe())
        self.assertEqual(r.stderr, "flowsync: error: --strict needs an n8n database (--db "
                                   "n8n+sqlite:PATH or n8n+postgresql://...)\n")


def tearDownModule():
    n8n.cleanup()
