"""n8n's own export layouts: `n8n export:workflow --all --output=all.json`
(one JSON array) and `--backup` (a folder of pretty-printed <id>.json files);
JSON and TOML files that are no workflows, counted and listed with why."""

import json
import os
import unittest

import fsync_helpers as h


def exported(name, wf_id, seed, **top):
    """A workflow as n8n's export:workflow writes it: id first, then the rest."""
    doc = {"updatedAt": "2026-11-20T10:00:00.000Z", "createdAt": "2026-11-01T09:00:00.000Z",
           "id": wf_id}
    doc.update(h.n8n_workflow(name, nodes=3, seed=seed, **top))
    doc.update({"versionId": "8e3c1f54-97b9-4d0b-a9ce-1f7b4c0d2f11", "tags": []})
    return doc


IDS = ["Qx7mL2pR9sT4vW1a", "Hk3nB8cD5eF6gJ0b", "Zy9xW8vU7tS6rQ5c"]


class ArrayExportTest(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.workflows = [exported(f"Flow {i}", wf_id, seed=i + 1)
                          for i, wf_id in enumerate(IDS)]

    def write_export(self, workflows):
        # --all without --pretty: one line.
        path = self.p("n8n", "all.json")
        h.write_text(path, json.dumps(workflows))
        # Seconds old, as an export usually is: its signature is trusted at
        # once (a file changed within the run's first 100 ms is read again).
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 5 * 10**9))

    def keys(self, *ids):
        return [f"n8n/all.json#{i}" for i in ids]

    def test_an_array_of_three_is_three_workflows(self):
        self.write_export(self.workflows)
        _, report = self.sync()
        self.assert_counts(report, added=3)
        self.assertEqual(report["errors"], [])
        self.assertEqual(report["ignored"], 0)
        self.assertEqual([(c["kind"], c["path"]) for c in h.changes(report)],
                         [("added", k) for k in sorted(self.keys(*IDS))])
        listed = self.by_path()
        self.assertEqual(sorted(listed), sorted(self.keys(*IDS)))
        for i, wf_id in enumerate(IDS):
            w = listed[f"n8n/all.json#{wf_id}"]
            self.assertEqual(w["name"], f"Flow {i}")
            self.assertEqual(w["source_id"], wf_id)
            self.assertEqual(w["format"], "n8n")
            self.assertTrue(h.is_uuid_v5(w["id"]), w)
        # Each stored workflow is its element, exactly as written.
        content = self.fs("show", f"n8n/all.json#{IDS[1]}", "--content", expect=0).stdout
        self.assertEqual(json.loads(content), self.workflows[1])

        # The same export again: nothing to do, nothing written.
        before = h.dump(self.db)
        _, report = self.sync()
        self.assert_counts(report, unchanged=3)
        self.assertEqual(report["changes"], [])
        after = h.dump(self.db)
        for table in ("workflows", "workflow_versions", "workflow_sync_log"):
            self.assertEqual(after[table], before[table], table)

        # Exported again by n8n after one workflow was edited: one update.
        self.workflows[2]["nodes"][1]["parameters"]["values"]["string"][0]["value"] = "edited"
        self.write_export(self.workflows)
        _, report = self.sync()
        self.assert_counts(report, updated=1, unchanged=2)
        self.assertEqual([(c["kind"], c["path"]) for c in h.changes(report)],
                         [("updated", f"n8n/all.json#{IDS[2]}")])
        self.assertEqual(self.stored(f"n8n/all.json#{IDS[2]}")[3], 2)  # version

        # One workflow deleted in n8n: missing, then deleted by --full.
        self.write_export(self.workflows[1:])
        _, report = self.sync()
        self.assertEqual([(c["kind"], c["path"]) for c in h.changes(report)],
                         [("missing", f"n8n/all.json#{IDS[0]}")])
        self.assertEqual(len(self.list_json()), 3)
        _, report = self.sync("--full")
        self.assert_counts(report, deleted=1, unchanged=2)
        self.assertEqual(sorted(self.by_path()), sorted(self.keys(*IDS[1:])))
        _, report = self.sync("--full")
        self.assert_counts(report, unchanged=2)

    def test_a_workflow_without_nodes_is_an_error_of_its_own(self):
        del self.workflows[1]["nodes"]
        h.write_text(self.p("n8n", "all.json"), json.dumps(self.workflows, indent=2) + "\n")
        res, report = self.sync(expect=h.EXIT_FAILED)
        self.assert_counts(report, added=2)
        key = f"n8n/all.json#{IDS[1]}"
        line = json.dumps(self.workflows, indent=2).split("\n").index("  {", 2) + 1
        self.assertEqual(report["errors"],
                         [{"path": key, "message": f"{key}:{line}:3: missing 'nodes'"}])
        self.assertEqual(sorted(self.by_path()), sorted(self.keys(IDS[0], IDS[2])))
        # In words too, and again on the next run until it is fixed.
        res = self.fs("sync", expect=h.EXIT_FAILED)
        self.assertIn(f"error: {key}:{line}:3: missing 'nodes'\n", res.stderr)
        self.assertIn("0 added, 0 updated, 0 renamed, 0 deleted, 0 restored, 2 unchanged, "
                      "0 ignored, 1 error", res.stdout)

    def test_show_and_migration_create_name_one_workflow(self):
        self.write_export(self.workflows)
        self.sync()
        key = f"n8n/all.json#{IDS[0]}"
        stored_id = self.by_path()[key]["id"]
        self.assertEqual(self.show(key)["id"], stored_id)
        res = self.fs("show", "n8n/all.json", expect=h.EXIT_FAILED)
        self.assertEqual(
            res.stderr,
            "flowsync: error: no workflow 'n8n/all.json': it is an n8n array export, whose "
            "workflows are stored one by one as " + ", ".join(sorted(self.keys(*IDS))) + "\n")

        mig = os.path.join(self.tmp, "migrations")
        res = self.fs("migration", "create", key, "--dir", mig, "--json", "--root", self.root,
                      expect=0)
        entry = res.json()["files"][0]
        self.assertEqual(entry["path"], key)
        self.assertEqual(entry["workflow_id"], stored_id)
        res = self.fs("migration", "create", "n8n/all.json", "--dir", mig, "--root", self.root,
                      expect=h.EXIT_USAGE)
        self.assertEqual(
            res.stderr,
            "flowsync: error: n8n/all.json: holds 3 n8n workflows (an array export); name one "
            "as n8n/all.json#ID: " + ", ".join(self.keys(*IDS)) + "\n")

        # The migration applies elsewhere, at the same path with the same id.
        target = os.path.join(self.tmp, "target.db")
        os.makedirs(os.path.join(self.tmp, "empty"))
        self.fs("sync", os.path.join(self.tmp, "empty"), "--db", target, expect=0, cwd=self.tmp)
        self.fs("migrate", "up", "--dir", mig, "--db", target, expect=0, cwd=self.tmp)
        shown = self.fs("show", stored_id, "--json", "--db", target, expect=0,
                        cwd=self.tmp).json()
        self.assertEqual(shown["path"], key)

    def test_backup_layout_is_a_file_per_workflow(self):
        # --backup: --all --pretty --separate, files named <id>.json.
        for w in self.workflows:
            h.write_json(self.p("backup", f"{w['id']}.json"), w, indent=2)
        _, report = self.sync()
        self.assert_counts(report, added=3)
        ids = {p: w["id"] for p, w in self.by_path().items()}
        self.assertEqual(sorted(ids), [f"backup/{i}.json" for i in sorted(IDS)])

        # Written again without --pretty: the same workflows.
        for w in self.workflows:
            h.write_text(self.p("backup", f"{w['id']}.json"), json.dumps(w))
        _, report = self.sync()
        self.assert_counts(report, unchanged=3)
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflow_versions")[0][0], 0)

        # From one layout to the other: renames that keep ids and history.
        for w in self.workflows:
            os.remove(self.p("backup", f"{w['id']}.json"))
        self.write_export(self.workflows)
        _, report = self.sync("--full")
        self.assert_counts(report, renamed=3)
        for i in IDS:
            self.assertEqual(self.by_path()[f"n8n/all.json#{i}"]["id"], ids[f"backup/{i}.json"])


class IgnoredFilesTest(h.FlowsyncCase):

    def test_files_that_are_no_workflows_are_counted_and_listed(self):
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("A", seed=1))
        h.write_json(self.p("package.json"), {"name": "flows", "version": "1.0.0"})
        h.write_text(self.p("data", "rows.json"), "[1, 2, 3]\n")
        h.write_text(self.p("pyproject.toml"), "[tool.black]\nline-length = 100\n")
        reasons = {
            "data/rows.json": 'not an n8n workflow (an array, and none of its elements has '
                              '"nodes" or "connections")',
            "package.json": 'not an n8n workflow (no top-level "nodes" or "connections")',
            "pyproject.toml": "not a phase file (no [[phase]] tables)",
        }
        _, report = self.sync()
        self.assert_counts(report, added=1)
        self.assertEqual(report["ignored"], 3)
        self.assertEqual(report["ignored_files"],
                         [{"path": p, "reason": r} for p, r in sorted(reasons.items())])

        res = self.fs("sync", expect=0)
        self.assertIn(", 1 unchanged, 3 ignored, 0 errors in ", res.stdout)
        self.assertNotIn("package.json", res.stdout)
        res = self.fs("sync", "-v", expect=0)
        listed = [line for line in res.stdout.split("\n") if line.startswith("ignored ")]
        self.assertEqual(listed, [f"{'ignored':<20} {p}: {r}" for p, r in sorted(reasons.items())])

        res = self.fs("sync", "--help", expect=0)
        self.assertIn("n8n export:workflow --all", " ".join(res.stdout.split()))


if __name__ == "__main__":
    unittest.main()
