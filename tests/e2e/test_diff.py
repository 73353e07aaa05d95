"""`flowsync diff` and `show --version`: what differs between the files and
the database, and between stored versions, summarised per node and as a
unified diff with secrets masked; on SQLite and PostgreSQL."""

import json
import os
import unittest

import fsync_helpers as h
import test_postgres as pgt


def workflow(channel="#ops", extra_node=False, token=None):
    nodes = [
        {"id": "n1", "name": "Webhook", "type": "n8n-nodes-base.webhook",
         "typeVersion": 1, "position": [0, 0], "parameters": {"path": "orders"}},
        {"id": "n2", "name": "Slack", "type": "n8n-nodes-base.slack", "typeVersion": 1,
         "position": [200, 0], "parameters": {"channel": channel}},
    ]
    conns = {"Webhook": {"main": [[{"node": "Slack", "type": "main", "index": 0}]]}}
    if extra_node:
        nodes.append({"id": "n3", "name": "Log", "type": "n8n-nodes-base.noOp",
                      "typeVersion": 1, "position": [400, 0], "parameters": {}})
        conns["Slack"] = {"main": [[{"node": "Log", "type": "main", "index": 0}]]}
    if token:
        nodes[1]["parameters"]["token"] = token
    return {"name": "Orders", "nodes": nodes, "connections": conns}


# Built at run time so that no token-shaped literal sits in the source.
TOKEN_A = "xoxb-" + "123456789012-1234567890123-" + "abcdefghijABCDEFGHIJabcd"
TOKEN_B = "xoxb-" + "123456789012-1234567890123-" + "zyxwvutsrqZYXWVUTSRQzyxw"


class DiffCase:
    """The tests, run against the database `self.db_args()` names."""

    def db_args(self):
        return []

    def run_fs(self, *args, expect=0):
        return self.fs(*args, *self.db_args(), expect=expect)

    def sync_here(self):
        self.sync(*self.db_args())

    def test_files_against_database(self):
        h.write_json(self.p("orders.json"), workflow())
        h.write_json(self.p("gone.json"), h.n8n_workflow("Gone", seed=2))
        self.sync_here()
        self.assertEqual(self.run_fs("diff").stdout, "")
        self.run_fs("diff", "--exit-code")  # nothing differs: 0

        h.write_json(self.p("orders.json"), workflow(channel="#sales", extra_node=True))
        h.write_json(self.p("new.json"), h.n8n_workflow("New", seed=3))
        os.remove(self.p("gone.json"))
        res = self.run_fs("diff", "--json", "--exit-code", expect=1)
        entries = {e["path"]: e for e in res.json()}
        self.assertEqual(sorted(entries), ["gone.json", "new.json", "orders.json"])
        self.assertEqual(entries["gone.json"]["change"], "deleted")
        self.assertEqual(entries["new.json"]["change"], "added")
        orders = entries["orders.json"]
        self.assertEqual(orders["change"], "updated")
        self.assertEqual(orders["from_version"], 1)
        nodes = {n["name"]: n for n in orders["nodes"]}
        self.assertEqual(nodes["Slack"]["state"], "changed")
        self.assertEqual(nodes["Slack"]["changed_paths"], ["parameters.channel"])
        self.assertEqual(nodes["Log"]["state"], "added")
        self.assertEqual(orders["edges_added"], ["Slack -> Log"])
        self.assertIn('-        "channel": "#ops"\n+        "channel": "#sales"\n',
                      orders["unified"])
        self.assertTrue(orders["unified"].startswith("--- a/orders.json\n+++ b/orders.json\n"))

        # One workflow, by its file; human output.
        res = self.run_fs("diff", self.p("orders.json"))
        self.assertIn("updated: orders.json\n", res.stdout)
        self.assertIn("  node changed Slack (n8n-nodes-base.slack): parameters.channel\n",
                      res.stdout)
        self.assertIn("  edge added Slack -> Log\n", res.stdout)
        self.assertNotIn("new.json", res.stdout)
        stat = self.run_fs("diff", "--stat", "orders.json").stdout
        self.assertNotIn("@@", stat)
        # A diff changes nothing: a sync still finds every change.
        _, report = self.sync(*self.db_args(), "--full")
        self.assert_counts(report, added=1, updated=1, deleted=1)
        self.assertEqual(self.run_fs("diff").stdout, "")

    def test_versions_show_and_diff(self):
        h.write_json(self.p("orders.json"), workflow())
        self.sync_here()
        h.write_json(self.p("orders.json"), workflow(channel="#sales"))
        self.sync_here()
        h.write_json(self.p("orders.json"), workflow(channel="#sales", extra_node=True))
        self.sync_here()

        first = json.loads(self.run_fs("show", "orders.json", "--version", "1", "--json").stdout)
        self.assertEqual(first["version"], 1)
        self.assertFalse(first["current"])
        self.assertEqual(json.loads(first["content"])["nodes"][1]["parameters"]["channel"],
                         "#ops")
        content = self.run_fs("show", "orders.json", "--content", "--version", "2").stdout
        self.assertEqual(json.loads(content)["nodes"][1]["parameters"]["channel"], "#sales")
        self.assertEqual(len(json.loads(content)["nodes"]), 2)
        current = self.run_fs("show", "orders.json", "--content", "--version", "3").stdout
        self.assertEqual(current, self.run_fs("show", "orders.json", "--content").stdout)
        shown = self.run_fs("show", "orders.json").stdout
        self.assertIn("version:     3 (2 earlier versions stored:)\n", shown)
        for n in (1, 2, 3):
            self.assertRegex(shown, rf"\n +{n}  \d{{4}}-\d\d-\d\dT[0-9:.]+Z  orders.json\n")

        missing = self.run_fs("show", "orders.json", "--version", "9", expect=1)
        self.assertIn("has no version 9: its versions are 1 to 3", missing.stderr)
        self.run_fs("show", "orders.json", "--version", "0", expect=2)

        res = self.run_fs("diff", "orders.json", "--from", "1", "--to", "2", "--json")
        [entry] = res.json()
        self.assertEqual((entry["change"], entry["from_version"], entry["to_version"]),
                         ("version", 1, 2))
        self.assertEqual([n["name"] for n in entry["nodes"]], ["Slack"])
        self.assertTrue(entry["unified"].startswith("--- version 1\n+++ version 2\n"))
        # --to defaults to the current version.
        [entry] = self.run_fs("diff", "orders.json", "--from", "2", "--json").json()
        self.assertEqual(entry["to_version"], 3)
        self.assertEqual(entry["edges_added"], ["Slack -> Log"])
        self.assertEqual(self.run_fs("diff", "orders.json", "--from", "3").stdout, "")
        res = self.run_fs("diff", "orders.json", "--from", "1", "--to", "7", expect=1)
        self.assertIn("has no version 7", res.stderr)
        res = self.run_fs("diff", "--from", "1", expect=2)
        self.assertIn("--from compares two stored versions of one workflow", res.stderr)
        res = self.run_fs("diff", "orders.json", "--to", "2", expect=2)
        self.assertIn("--to needs --from", res.stderr)

    def test_secrets_are_masked_in_diffs(self):
        h.write_json(self.p("orders.json"), workflow(token=TOKEN_A))
        self.sync_here()
        h.write_json(self.p("orders.json"), workflow(token=TOKEN_B))
        for args in (["diff"], ["diff", "--json"]):
            res = self.run_fs(*args)
            self.assertNotIn("xoxb-", res.stdout + res.stderr)
            self.assertIn("parameters.token", res.stdout)
        self.sync_here()
        res = self.run_fs("diff", "orders.json", "--from", "1")
        self.assertNotIn("xoxb-", res.stdout + res.stderr)
        self.assertIn("parameters.token", res.stdout)


class DiffSqliteTest(DiffCase, h.FlowsyncCase):
    def sync_here(self):
        self.sync()


class DiffPostgresTest(DiffCase, pgt.PostgresCase):
    def db_args(self):
        return ["--db", self.url]

    def run_fs(self, *args, expect=0):
        return self.fs(*args, "--db", self.url, "--root", self.root, expect=expect)


if __name__ == "__main__":
    unittest.main()


class RestoreCase:
    """`flowsync restore`: a stored version's files come back and are synced
    as a new version, never over an edit that is not synced."""

    def db_args(self):
        return []

    def run_fs(self, *args, expect=0):
        return self.fs(*args, *self.db_args(), expect=expect)

    def versions(self, path):
        return self.run_fs("show", path, "--json").json()["versions"]

    def test_restore_writes_the_file_back_and_syncs_it(self):
        h.write_json(self.p("flows", "orders.json"), workflow())
        self.sync(*self.db_args())
        first = h.read_text(self.p("flows", "orders.json"))
        h.write_json(self.p("flows", "orders.json"), workflow(channel="#sales"))
        self.sync(*self.db_args())

        res = self.run_fs("restore", "flows/orders.json", "--version", "1", "--json")
        report = res.json()
        self.assertEqual((report["restored_version"], report["version"], report["changed"]),
                         (1, 3, True))
        self.assertEqual(h.read_text(self.p("flows", "orders.json")), first)
        self.assertEqual(self.versions("flows/orders.json"), 3)
        content = self.run_fs("show", "flows/orders.json", "--content").stdout
        self.assertEqual(content, first)
        updates = [e for e in self.log_json_db() if e["event"] == "updated"]
        self.assertEqual(len(updates), 2, "the restore is audited as an update")
        # Already current: nothing happens.
        res = self.run_fs("restore", "flows/orders.json", "--version", "3")
        self.assertIn("version 3 is the current content; nothing to restore", res.stdout)
        self.assertEqual(self.versions("flows/orders.json"), 3)
        # A sync after it changes nothing.
        _, report = self.sync(*self.db_args(), "--full")
        self.assert_counts(report, unchanged=1)

    def test_restore_refuses_to_overwrite_an_unsynced_edit(self):
        h.write_json(self.p("orders.json"), workflow())
        self.sync(*self.db_args())
        h.write_json(self.p("orders.json"), workflow(channel="#sales"))
        self.sync(*self.db_args())
        h.write_json(self.p("orders.json"), workflow(channel="#mine"))
        mine = h.read_text(self.p("orders.json"))
        res = self.run_fs("restore", "orders.json", "--version", "1", expect=3)
        self.assertIn("orders.json has changes that are not synced (update)", res.stderr)
        self.assertEqual(h.read_text(self.p("orders.json")), mine, "the edit was overwritten")
        self.assertEqual(self.versions("orders.json"), 2)
        self.run_fs("restore", "orders.json", "--version", "1", "--force")
        self.assertIn('"#ops"', h.read_text(self.p("orders.json")))
        self.assertEqual(self.versions("orders.json"), 3)

    def test_restore_brings_back_a_deleted_workflow_and_a_bundle(self):
        bundle = self.p("b")
        h.write_bundle(bundle, workflow(), meta={"name": "B", "owner": "ann"}, readme="# B\n")
        self.sync(*self.db_args())
        h.write_bundle(bundle, workflow(channel="#x"), meta={"name": "B", "owner": "bob"})
        os.remove(os.path.join(bundle, "README.md"))
        self.sync(*self.db_args())
        self.run_fs("restore", "b", "--version", "1")
        self.assertEqual(h.read_text(os.path.join(bundle, "README.md")), "# B\n")
        self.assertEqual(json.loads(h.read_text(os.path.join(bundle, "meta.json")))["owner"],
                         "ann")
        self.assertEqual(self.run_fs("diff", "b", "--from", "1", "--to", "3").stdout, "")

        import shutil
        shutil.rmtree(bundle)
        self.sync(*self.db_args(), "--full")
        self.run_fs("restore", "b", "--version", "2")
        self.assertIn('"#x"', h.read_text(os.path.join(bundle, "workflow.json")))
        self.assertIsNone(self.run_fs("show", "b", "--json").json()["deleted_at"])

    def test_restore_errors(self):
        h.write_json(self.p("orders.json"), workflow())
        self.sync(*self.db_args())
        res = self.run_fs("restore", "orders.json", "--version", "4", expect=1)
        self.assertIn("has no version 4: its versions are 1 to 1", res.stderr)
        res = self.run_fs("restore", "orders.json", expect=2)
        self.assertIn("--version is required", res.stderr)
        res = self.run_fs("restore", "nope.json", "--version", "1", expect=1)
        self.assertIn("no workflow 'nope.json'", res.stderr)


class RestoreSqliteTest(RestoreCase, h.FlowsyncCase):
    def log_json_db(self):
        return self.log_json()


class RestorePostgresTest(RestoreCase, pgt.PostgresCase):
    def db_args(self):
        return ["--db", self.url]

    def run_fs(self, *args, expect=0):
        return self.fs(*args, "--db", self.url, "--root", self.root, expect=expect)

    def log_json_db(self):
        return self.run_fs("log", "--json").json()
