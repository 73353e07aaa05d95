"""The basic life of a workflow: added, updated, renamed, missing, deleted,
restored; what list, show, log and rate report about it; identity."""

import json
import os
import shutil
import sqlite3
import time
import unittest

import fsync_helpers as h


class BasicFlowTest(h.FlowsyncCase):

    def make_tree(self):
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", seed=1))
        h.write_json(self.p("flows", "b.json"), h.n8n_workflow("Beta", seed=2))
        h.write_bundle(self.p("marketing", "lead-scoring"),
                       h.n8n_workflow("Lead scoring", seed=3),
                       meta={"name": "Lead scoring", "categories": ["sales", "crm"],
                             "author": "ops", "tags": ["q3"],
                             "description": "Scores leads", "owner_team": "growth"},
                       readme="# Lead scoring\n\nScores every new lead.\n")

    def test_first_sync_adds_every_source(self):
        self.make_tree()
        res, report = self.sync()
        self.assertEqual(set(report), h.SYNC_KEYS, res.describe())
        self.assert_counts(report, added=3)
        self.assertEqual(report["errors"], [])
        self.assertEqual(report["mode"], "incremental")
        self.assertIs(report["dry_run"], False)
        self.assertIsInstance(report["run_id"], int)
        self.assertGreater(report["run_id"], 0)
        self.assertIsInstance(report["duration_ms"], int)
        self.assertEqual(sorted((c["kind"], c["path"]) for c in report["changes"]),
                         [("added", "flows/a.json"), ("added", "flows/b.json"),
                          ("added", "marketing/lead-scoring")])
        for change in report["changes"]:
            self.assertTrue(h.is_uuid_v5(change["id"]), change)
        self.assertTrue(os.path.isfile(self.db), "default database not created")

        listed = self.by_path()
        self.assertEqual(sorted(listed), ["flows/a.json", "flows/b.json",
                                          "marketing/lead-scoring"])
        for w in listed.values():
            self.assertLessEqual(h.LIST_KEYS, set(w), w)
            self.assertIs(w["deleted"], False)
            self.assertIsNone(w["deleted_at"])
            self.assertIs(w["active"], False)
            self.assertEqual(w["version"], 1)
            self.assertRegex(w["updated_at"], h.RFC3339_UTC)
            self.assertRegex(w["created_at"], h.RFC3339_UTC)
            self.assertTrue(h.is_uuid_v5(w["id"]), w["id"])
        self.assertEqual(listed["flows/a.json"]["format"], "n8n")
        self.assertEqual(listed["flows/a.json"]["name"], "Alpha")
        self.assertEqual(listed["marketing/lead-scoring"]["format"], "bundle")
        self.assertEqual(listed["marketing/lead-scoring"]["categories"],
                         ["crm", "sales"])
        ids = {c["path"]: c["id"] for c in report["changes"]}
        self.assertEqual(ids, {p: w["id"] for p, w in listed.items()})

    def test_update_keeps_previous_version(self):
        self.make_tree()
        self.sync()
        before = self.stored("flows/a.json")
        old_text = h.read_text(self.p("flows", "a.json"))
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", nodes=4, seed=1))
        _, report = self.sync()
        self.assert_counts(report, updated=1, unchanged=2)
        self.assertEqual([(c["kind"], c["path"], c["id"]) for c in report["changes"]],
                         [("updated", "flows/a.json", before[0])])
        after = self.stored("flows/a.json")
        self.assertEqual(after[0], before[0], "id changed on update")
        self.assertNotEqual(after[2], before[2], "content_hash not updated")
        self.assertEqual(after[3], 2, "version column")
        versions = h.query(self.db, "SELECT * FROM workflow_versions")
        self.assertEqual(len(versions), 1, "workflow_versions rows")
        self.assertIn(old_text, versions[0],
                      "previous content not kept in workflow_versions")
        shown = self.show("flows/a.json")
        self.assertEqual(shown["versions"], 2)
        self.assertEqual(shown["version"], 2)
        log = self.log_json("--workflow", "flows/a.json")
        self.assertEqual([e["event"] for e in log], ["updated", "added"])
        self.assertEqual(log[0]["old_hash"], before[2])
        self.assertEqual(log[0]["new_hash"], after[2])

    def test_rename_with_same_content_keeps_id_and_history(self):
        self.make_tree()
        self.sync()
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", nodes=3, seed=1))
        self.sync()
        old = self.stored("flows/a.json")
        os.makedirs(self.p("archive"))
        os.rename(self.p("flows", "a.json"), self.p("archive", "alpha.json"))
        _, report = self.sync()
        self.assert_counts(report, renamed=1, unchanged=2)
        self.assertEqual(h.changes(report), [
            {"kind": "renamed", "path": "archive/alpha.json",
             "old_path": "flows/a.json", "id": old[0]}])
        self.assertIsNone(self.stored("flows/a.json"))
        new = self.stored("archive/alpha.json")
        self.assertEqual(new[0], old[0], "id not carried over the rename")
        self.assertEqual(new[2], old[2])
        self.assertEqual(self.show(old[0])["versions"], 2,
                         "versions not carried over the rename")
        log = self.log_json("--workflow", old[0])
        self.assertEqual(log[0]["event"], "renamed")
        self.assertEqual(log[0]["path"], "archive/alpha.json")
        self.assertEqual(log[0]["old_path"], "flows/a.json")
        self.assertEqual(sorted(self.by_path()),
                         ["archive/alpha.json", "flows/b.json", "marketing/lead-scoring"])

    def test_rename_in_full_mode_is_not_delete_and_add(self):
        self.make_tree()
        self.sync()
        old = self.stored("flows/b.json")
        os.rename(self.p("flows", "b.json"), self.p("flows", "beta.json"))
        _, report = self.sync("--full")
        self.assertEqual(report["mode"], "full")
        self.assert_counts(report, renamed=1, unchanged=2)
        self.assertEqual(self.stored("flows/beta.json")[0], old[0])
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflows")[0][0], 3,
                         "a rename must not leave a soft-deleted row behind")

    def test_copy_is_an_add_not_a_rename(self):
        self.make_tree()
        self.sync()
        a_id = self.stored("flows/a.json")[0]
        shutil.copy(self.p("flows", "a.json"), self.p("flows", "a-copy.json"))
        _, report = self.sync("--full")
        self.assert_counts(report, added=1, unchanged=3)
        self.assertEqual(self.stored("flows/a.json")[0], a_id)
        self.assertNotEqual(self.stored("flows/a-copy.json")[0], a_id)

    def test_moving_one_of_two_identical_files(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("Same", seed=1))
        shutil.copy(self.p("a.json"), self.p("b.json"))
        self.sync()
        ids = {p: self.stored(p)[0] for p in ("a.json", "b.json")}
        os.rename(self.p("b.json"), self.p("z.json"))
        _, report = self.sync("--full")
        self.assert_counts(report, renamed=1, unchanged=1)
        self.assertEqual(h.changes(report), [{"kind": "renamed", "path": "z.json",
                                              "old_path": "b.json", "id": ids["b.json"]}])
        self.assertEqual(self.stored("a.json")[0], ids["a.json"])
        self.assertEqual(sorted(self.by_path()), ["a.json", "z.json"])

    def test_bundle_meta_and_readme_changes_are_synced(self):
        self.make_tree()
        self.sync()
        h.write_json(self.p("marketing", "lead-scoring", "meta.json"), {"categories": ["ads"]})
        h.write_text(self.p("marketing", "lead-scoring", "README.md"), "New text\n")
        self.sync()
        shown = self.show("marketing/lead-scoring")
        self.assertEqual(shown["categories"], ["ads"])
        self.assertEqual(shown["documentation"], "New text\n")
        self.assertEqual([w["path"] for w in self.list_json("--category", "ads")],
                         ["marketing/lead-scoring"])
        self.assertEqual(self.list_json("--category", "crm"), [])

    def test_unicode_and_spaces_in_paths(self):
        h.write_json(self.p("café", "über flow.json"), h.n8n_workflow("Ü", seed=1))
        _, report = self.sync()
        self.assertEqual([c["path"] for c in report["changes"]], ["café/über flow.json"])
        self.assertEqual(self.show("café/über flow.json")["name"], "Ü")

    def test_renamed_id_is_the_id_of_the_first_path(self):
        self.make_tree()
        self.sync()
        first_id = self.stored("flows/a.json")[0]
        os.rename(self.p("flows", "a.json"), self.p("flows", "z.json"))
        self.sync()
        # A fresh database that sees z.json first derives its id from that path.
        other = os.path.join(self.tmp, "other.db")
        self.sync("--db", other)
        self.assertEqual(self.stored("flows/z.json")[0], first_id)
        self.assertNotEqual(self.stored("flows/z.json", db=other)[0], first_id)

    def test_incremental_keeps_a_missing_source(self):
        self.make_tree()
        self.sync()
        os.remove(self.p("flows", "b.json"))
        _, report = self.sync()
        self.assert_counts(report, unchanged=2)
        listed = self.by_path()
        self.assertIn("flows/b.json", listed)
        self.assertIs(listed["flows/b.json"]["deleted"], False)
        self.assertIsNone(self.stored("flows/b.json")[4])

    def test_full_soft_deletes_and_keeps_history(self):
        self.make_tree()
        self.sync()
        wid = self.stored("flows/b.json")[0]
        os.remove(self.p("flows", "b.json"))
        _, report = self.sync("--full")
        self.assert_counts(report, deleted=1, unchanged=2)
        self.assertEqual(h.changes(report),
                         [{"kind": "deleted", "path": "flows/b.json", "id": wid}])
        row = self.stored("flows/b.json")
        self.assertIsNotNone(row, "soft delete removed the row")
        self.assertIsNotNone(row[4], "deleted_at not set")
        self.assertNotIn("flows/b.json", self.by_path())
        deleted = self.list_json("--deleted")
        self.assertEqual([w["path"] for w in deleted], ["flows/b.json"])
        self.assertIs(deleted[0]["deleted"], True)
        self.assertRegex(deleted[0]["deleted_at"], h.RFC3339_UTC)
        self.assertEqual(len(self.list_json("--all")), 3)
        self.assertIs(self.show(wid)["deleted"], True)
        self.assertEqual([e["event"] for e in self.log_json("--workflow", wid)],
                         ["deleted", "added"])

    def _delete_then_restore(self, *restore_args):
        self.make_tree()
        self.sync()
        wid = self.stored("flows/b.json")[0]
        saved = h.read_bytes(self.p("flows", "b.json"))
        os.remove(self.p("flows", "b.json"))
        self.sync("--full")
        h.write_bytes(self.p("flows", "b.json"), saved)
        _, report = self.sync(*restore_args)
        self.assert_counts(report, restored=1, unchanged=2)
        self.assertEqual(h.changes(report),
                         [{"kind": "restored", "path": "flows/b.json", "id": wid}])
        row = self.stored("flows/b.json")
        self.assertEqual(row[0], wid)
        self.assertIsNone(row[4], "deleted_at not cleared")
        self.assertIn("flows/b.json", self.by_path())
        self.assertEqual(self.list_json("--deleted"), [])
        self.assertEqual(self.log_json("--workflow", wid)[0]["event"], "restored")

    def test_file_back_restores_incremental(self):
        self._delete_then_restore()

    def test_file_back_restores_full(self):
        self._delete_then_restore("--full")

    def test_show_by_id_prefix_and_path(self):
        self.make_tree()
        self.sync()
        wid = self.stored("marketing/lead-scoring")[0]
        by_id = self.show(wid)
        self.assertEqual(self.show(wid[:8]), by_id)
        self.assertEqual(self.show("marketing/lead-scoring"), by_id)
        self.assertLessEqual(h.LIST_KEYS | h.SHOW_EXTRA_KEYS, set(by_id))
        self.assertEqual(by_id["id"], wid)
        self.assertEqual(by_id["format"], "bundle")
        self.assertEqual(by_id["name"], "Lead scoring")
        self.assertEqual(by_id["documentation"],
                         "# Lead scoring\n\nScores every new lead.\n")
        self.assertEqual(by_id["metadata"]["owner_team"], "growth",
                         "unknown meta.json keys must be kept")
        self.assertEqual(by_id["metadata"]["author"], "ops")
        self.assertEqual(by_id["categories"], ["crm", "sales"])
        self.assertEqual(by_id["ratings"], {"up": 0, "down": 0})
        self.assertEqual(by_id["versions"], 1)
        self.assertIsInstance(by_id["findings"], list)
        self.assertEqual(by_id["phases"], [])

    def test_show_unknown_workflow_exits_1(self):
        self.make_tree()
        self.sync()
        res = self.fs("show", "flows/nope.json", expect=1)
        self.assertTrue(res.stderr.strip(), "no message on stderr")
        res = self.fs("show", "ffffffff-ffff", "--json", expect=1)
        self.assertTrue(res.stderr.strip(), "no message on stderr")

    def test_list_category_filter(self):
        self.make_tree()
        h.write_bundle(self.p("ops", "backup"), h.n8n_workflow("Backup", seed=9),
                       meta={"categories": ["ops"]})
        self.sync()
        self.assertEqual([w["path"] for w in self.list_json("--category", "crm")],
                         ["marketing/lead-scoring"])
        self.assertEqual([w["path"] for w in self.list_json("--category", "ops")],
                         ["ops/backup"])
        self.assertEqual(self.list_json("--category", "nothing-here"), [])

    def test_list_human_output_names_paths(self):
        self.make_tree()
        self.sync()
        res = self.fs("list", expect=0)
        for path in ("flows/a.json", "flows/b.json", "marketing/lead-scoring"):
            self.assertIn(path, res.stdout)

    def test_log_newest_first_limit_and_filter(self):
        self.make_tree()
        _, first = self.sync()
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", nodes=5, seed=1))
        _, second = self.sync()
        log = self.log_json()
        self.assertEqual(len(log), 4)
        for entry in log:
            self.assertLessEqual(h.LOG_KEYS, set(entry), entry)
            self.assertRegex(entry["time"], h.RFC3339_UTC)
        self.assertEqual(log[0]["event"], "updated")
        self.assertEqual(log[0]["run_id"], second["run_id"])
        self.assertEqual(log[0]["path"], "flows/a.json")
        self.assertEqual({e["run_id"] for e in log[1:]}, {first["run_id"]})
        self.assertEqual(sorted(e["event"] for e in log[1:]), ["added"] * 3)
        self.assertGreater(second["run_id"], first["run_id"])
        self.assertEqual(self.log_json("--limit", "1"), log[:1])
        only_b = self.log_json("--workflow", "flows/b.json")
        self.assertEqual([(e["event"], e["path"]) for e in only_b],
                         [("added", "flows/b.json")])

    def test_rate_one_vote_per_user(self):
        self.make_tree()
        self.sync()
        wid = self.stored("flows/a.json")[0]
        self.fs("rate", wid, "up", "--user", "alice", expect=0)
        self.fs("rate", "flows/a.json", "up", "--user", "bob", expect=0)
        self.assertEqual(self.show(wid)["ratings"], {"up": 2, "down": 0})
        self.fs("rate", wid[:6], "down", "--user", "alice", expect=0)
        self.assertEqual(self.show(wid)["ratings"], {"up": 1, "down": 1})
        self.fs("rate", wid, "down", "--user", "alice", expect=0)
        self.assertEqual(self.show(wid)["ratings"], {"up": 1, "down": 1})
        self.assertEqual(self.show("flows/b.json")["ratings"], {"up": 0, "down": 0})

    def test_rate_bad_value_and_unknown_workflow(self):
        self.make_tree()
        self.sync()
        before = h.dump(self.db)
        self.fs("rate", "flows/a.json", "sideways", "--user", "alice", expect=2)
        self.fs("rate", "flows/none.json", "up", "--user", "alice", expect=1)
        self.assertEqual(h.dump(self.db), before)


class IdentityTest(h.FlowsyncCase):

    def test_two_databases_get_the_same_ids(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        h.write_json(self.p("sub", "b.json"), h.n8n_workflow("B", seed=2))
        h.write_bundle(self.p("bundle"), h.n8n_workflow("C", seed=3))
        shutil.copy(os.path.join(h.shared("fixtures", "flowlord", "workflow"), "f1.toml"),
                    self.p("phases.toml"))
        one, two = os.path.join(self.tmp, "one.db"), os.path.join(self.tmp, "two.db")
        self.sync("--db", one)
        self.sync("--db", f"sqlite:{two}")
        ids_one = dict(h.query(one, "SELECT path, id FROM workflows"))
        ids_two = dict(h.query(two, "SELECT path, id FROM workflows"))
        self.assertEqual(sorted(ids_one), ["a.json", "bundle", "phases.toml", "sub/b.json"])
        self.assertEqual(ids_one, ids_two)
        self.assertEqual(len(set(ids_one.values())), 4)
        for wid in ids_one.values():
            self.assertTrue(h.is_uuid_v5(wid), wid)

    def test_id_depends_on_path_not_content(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        other_root = os.path.join(self.tmp, "other")
        h.write_json(os.path.join(other_root, "a.json"), h.n8n_workflow("Other", nodes=5, seed=7))
        one, two = os.path.join(self.tmp, "one.db"), os.path.join(self.tmp, "two.db")
        self.sync("--db", one)
        self.sync("--db", two, root=other_root)
        self.assertEqual(h.query(one, "SELECT id FROM workflows"),
                         h.query(two, "SELECT id FROM workflows"))


class ChangeDetectionTest(h.FlowsyncCase):

    def test_reformatting_json_is_not_an_update(self):
        doc = h.n8n_workflow("Alpha", nodes=4, seed=1)
        h.write_json(self.p("a.json"), doc, indent=2)
        h.write_bundle(self.p("b"), h.n8n_workflow("B", seed=2))
        self.sync()
        before = self.stored("a.json")
        bundle_before = self.stored("b")
        # Same document: other indentation, keys in reverse order, no newline.
        reordered = json.loads(json.dumps(doc), object_pairs_hook=lambda kv: dict(reversed(kv)))
        h.write_text(self.p("a.json"), json.dumps(reordered, separators=(",", ":")))
        h.write_json(self.p("b", "workflow.json"), h.n8n_workflow("B", seed=2),
                     indent=8, sort_keys=True)
        _, report = self.sync()
        self.assert_counts(report, unchanged=2)
        self.assertEqual(report["changes"], [])
        after = self.stored("a.json")
        self.assertEqual((after[2], after[3]), (before[2], before[3]))
        self.assertEqual(self.stored("b")[2:4], bundle_before[2:4])
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflow_versions")[0][0], 0)
        self.assertEqual(len(self.log_json()), 2)

    def test_touching_a_file_is_not_an_update(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("Alpha", seed=1))
        self.sync()
        before = h.query(self.db, "SELECT id, content_hash, version, updated_at FROM workflows")
        future = time.time() + 3600
        os.utime(self.p("a.json"), (future, future))
        _, report = self.sync()
        self.assert_counts(report, unchanged=1)
        self.assertEqual(h.query(self.db, "SELECT id, content_hash, version, updated_at "
                                 "FROM workflows"), before)
        self.assertEqual(len(self.log_json()), 1)
        self.assertIs(self.status_json(expect=0)["clean"], True)

    def test_quick_same_size_edit_is_detected(self):
        # An edit right after a sync, same size, same inode, likely the same
        # second: a size+mtime(seconds) check alone would miss it.
        h.write_text(self.p("a.json"), json.dumps(h.n8n_workflow("AAAA", seed=1)))
        self.sync()
        st = os.stat(self.p("a.json"))
        h.write_text(self.p("a.json"), json.dumps(h.n8n_workflow("BBBB", seed=1)))
        self.assertEqual(os.stat(self.p("a.json")).st_size, st.st_size)
        _, report = self.sync()
        self.assert_counts(report, updated=1)
        self.assertEqual(self.show("a.json")["name"], "BBBB")


class DetectionTest(h.FlowsyncCase):

    def test_what_counts_as_a_source(self):
        h.write_json(self.p("flows", "named.json"), h.n8n_workflow("Top level name", seed=1))
        nameless = h.n8n_workflow("x", seed=2)
        del nameless["name"]
        h.write_json(self.p("flows", "nameless-flow.json"), nameless)
        h.write_json(self.p("flows", "package.json"), {"name": "not a workflow", "version": "1"})
        h.write_json(self.p("flows", "list.json"), [1, 2, 3])
        h.write_text(self.p("flows", "notes.toml"), 'title = "no phases here"\n')
        h.write_text(self.p("flowsync.toml"), "# configuration, not a workflow\n")
        h.write_text(self.p("notes.txt"), "{ not json at all\n")
        # Bundles are not descended into; their files are not n8n exports.
        h.write_bundle(self.p("b"), h.n8n_workflow("Bundle", seed=3), meta={"categories": []})
        h.write_json(self.p("b", "extra.json"), h.n8n_workflow("Inside bundle", seed=4))
        h.write_json(self.p("b", "nested", "deeper.json"), h.n8n_workflow("Deeper", seed=5))
        # Dot folders are skipped.
        h.write_json(self.p(".git", "x.json"), h.n8n_workflow("Git", seed=6))
        h.write_json(self.p("flows", ".hidden", "y.json"), h.n8n_workflow("Hidden", seed=7))
        _, report = self.sync()
        self.assertEqual(report["errors"], [])
        self.assert_counts(report, added=3)
        listed = self.by_path()
        self.assertEqual(sorted(listed), ["b", "flows/named.json", "flows/nameless-flow.json"])
        self.assertEqual(listed["flows/named.json"]["name"], "Top level name")
        self.assertEqual(listed["flows/nameless-flow.json"]["name"], "nameless-flow")
        self.assertEqual(listed["b"]["format"], "bundle")

    def test_symlinked_file_is_read(self):
        h.write_json(os.path.join(self.tmp, "outside.json"), h.n8n_workflow("Outside", seed=1))
        os.symlink(os.path.join(self.tmp, "outside.json"), self.p("linked.json"))
        _, report = self.sync()
        self.assert_counts(report, added=1)
        self.assertEqual(self.show("linked.json")["name"], "Outside")

    def test_source_id_and_active_come_from_the_export(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1, id="abc123", active=True))
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        self.sync()
        listed = self.by_path()
        self.assertEqual(listed["a.json"]["source_id"], "abc123")
        self.assertIs(listed["a.json"]["active"], True)
        self.assertIsNone(listed["b.json"]["source_id"])
        self.assertIs(listed["b.json"]["active"], False)


def phase_headers(path):
    """1-based lines of the [[phase]] / [[Phase]] headers of a fixture."""
    with open(path, encoding="utf-8") as f:
        return [i for i, line in enumerate(f, 1)
                if line.strip().lower() == "[[phase]]"]


class PhaseFileTest(h.FlowsyncCase):

    def test_flowlord_fixtures_are_stored_with_their_phases(self):
        src = h.shared("fixtures", "flowlord", "workflow")
        names = sorted(n for n in os.listdir(src) if n.endswith(".toml"))
        self.assertEqual(names, ["f1.toml", "f2.toml", "f3.toml", "jobs.toml"])
        shutil.copytree(src, self.p("phases"))
        _, report = self.sync()
        self.assertEqual(report["errors"], [])
        self.assert_counts(report, added=4)
        listed = self.by_path()
        self.assertEqual(sorted(listed), [f"phases/{n}" for n in names])
        counts = {"f1.toml": 7, "f2.toml": 3, "f3.toml": 5, "jobs.toml": 5}
        for name in names:
            shown = self.show(f"phases/{name}")
            self.assertEqual(shown["format"], "phase")
            self.assertEqual(len(shown["phases"]), counts[name], name)
            self.assertEqual([p["line"] for p in shown["phases"]],
                             phase_headers(os.path.join(src, name)), name)
            for phase in shown["phases"]:
                self.assertEqual(set(phase), {"task", "depends_on", "rule", "template",
                                              "retry", "line"}, name)
        f1 = self.show("phases/f1.toml")["phases"]
        self.assertEqual({k: f1[0][k] for k in ("task", "depends_on", "rule", "template", "retry")},
                         {"task": "task1", "depends_on": "",
                          "rule": "cron=0 * * * *&offset=-4h&job=t2&retry_delay=10ms",
                          "template": "?date={yyyy}-{mm}-{dd}T{hh}", "retry": 3})
        # `DependsOn` matches `dependsOn`: keys ignore case.
        self.assertEqual(f1[3]["task"], "task4")
        self.assertEqual(f1[3]["depends_on"], "task2")
        self.assertEqual(f1[5]["depends_on"], "task1:t2")
        f3 = self.show("phases/f3.toml")["phases"]
        self.assertEqual(f3[1]["retry"], 0, "retry defaults to 0")
        self.assertEqual(f3[1]["rule"], "")
        jobs = self.show("phases/jobs.toml")["phases"]
        self.assertEqual([p["task"] for p in jobs],
                         ["worker", "worker", "worker:child2", "worker:child3", "worker:job"])
        self.assertEqual(jobs[4]["rule"], "cron=1 2 */6 4 5 SUN&offset=-24h")

    def test_phase_file_update_replaces_phases(self):
        src = h.shared("fixtures", "flowlord", "workflow")
        shutil.copy(os.path.join(src, "f2.toml"), self.p("p.toml"))
        self.sync()
        shutil.copy(os.path.join(src, "jobs.toml"), self.p("p.toml"))
        _, report = self.sync()
        self.assert_counts(report, updated=1)
        self.assertEqual(len(self.show("p.toml")["phases"]), 5)


if __name__ == "__main__":
    unittest.main()


class StatusColumnTest(h.FlowsyncCase):
    """workflows.status is derived: active, inactive or deleted."""

    def test_status_follows_active_and_deleted(self):
        on = h.n8n_workflow("On", seed=1)
        on["active"] = True
        h.write_json(self.p("on.json"), on)
        h.write_json(self.p("off.json"), h.n8n_workflow("Off", seed=2))
        h.write_json(self.p("gone.json"), h.n8n_workflow("Gone", seed=3))
        self.sync()
        os.remove(self.p("gone.json"))
        self.sync("--full")
        with sqlite3.connect(self.db) as db:
            rows = db.execute("SELECT path, status FROM workflows ORDER BY path").fetchall()
        self.assertEqual(rows, [("gone.json", "deleted"), ("off.json", "inactive"),
                                ("on.json", "active")])
