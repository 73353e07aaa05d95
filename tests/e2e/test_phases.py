"""End-to-end tests of `flowsync phases`: the persistent phase cache over a
tree of flowlord phase files (fixtures from flowlord's own tests)."""

import json
import os
import shutil
import sqlite3
import unittest

import fsync_helpers as h


class PhasesTest(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        fixtures = os.path.join(h.shared(), "fixtures", "flowlord", "workflow")
        for name in os.listdir(fixtures):
            shutil.copy(os.path.join(fixtures, name), self.p(name))

    def phases(self, *args, expect=0, env=None):
        # The fixture tree was never synced: it is a root only when named.
        return self.fs("phases", *args, "--root", self.root, expect=expect, env=env)

    def phases_json(self, *args, expect=0, env=None):
        res = self.phases(*args, "--json", expect=expect, env=env)
        return json.loads(res.stdout)

    def test_get_search_and_children_follow_flowlord(self):
        got = self.phases_json("get", "task1", "--workflow", "f1.toml")
        self.assertEqual((got["file"], got["task"], got["job"]), ("f1.toml", "task1:t2", "t2"))
        # An explicit job picks the other task1 of f1.toml.
        got = self.phases_json("get", "task1:t4", "--workflow", "f1.toml")
        self.assertEqual(got["task"], "task1:t4")
        # Any file: files in path order, f1.toml first.
        self.assertEqual(self.phases_json("search", "task1")["file"], "f1.toml")
        # dependsOn "task1:t2" needs that job; "task1" any job.
        kids = self.phases_json("children", "task1:t2", "--workflow", "f1.toml")
        self.assertEqual([k["task"] for k in kids], ["task2", "task5:t5"])
        kids = self.phases_json("children", "task1:t4", "--workflow", "f1.toml")
        self.assertEqual([k["task"] for k in kids], ["task2"])
        res = self.phases("get", "nosuch", expect=1)
        self.assertIn("no phase matches", res.stderr)

    def test_answers_survive_a_restart_without_reading_files(self):
        self.phases("validate", expect=1)  # fills the store
        db = self.db
        # Phases are stored once: phase files are workflows like any other,
        # with their entries, versions and audit log.
        live = "SELECT count(*) FROM workflows WHERE format = 'phase' AND deleted_at IS NULL"
        with sqlite3.connect(db) as conn:
            files = conn.execute(live).fetchone()[0]
            phases = conn.execute("SELECT count(*) FROM phase_entries").fetchone()[0]
        self.assertEqual(files, 4)
        self.assertGreater(phases, 10)
        listed = json.loads(self.fs("list", "--json").stdout)
        self.assertEqual(sorted(w["path"] for w in listed if w["format"] == "phase"),
                         ["f1.toml", "f2.toml", "f3.toml", "jobs.toml"])
        # With the files gone and --no-refresh, answers come from the store.
        for name in os.listdir(self.root):
            if name.endswith(".toml"):
                os.remove(self.p(name))
        got = self.phases_json("get", "task1", "--workflow", "f1.toml", "--no-refresh")
        self.assertEqual(got["task"], "task1:t2")
        # A refresh then drops the removed files.
        self.phases("get", "task1", "--workflow", "f1.toml", expect=1)
        with sqlite3.connect(db) as conn:
            self.assertEqual(conn.execute(live).fetchone()[0], 0)

    def test_broken_file_keeps_its_last_good_phases(self):
        self.phases_json("get", "task1", "--workflow", "f1.toml")
        with open(self.p("f1.toml"), "a", encoding="utf-8") as f:
            f.write("\n[[Phase]]\nretry = \"many\"\n")
        with open(self.p("f3.toml"), "a", encoding="utf-8") as f:
            f.write("\n[[phase]]\ntask = \"late\"\ndependsOn = \"task1\"\n")
        res = self.phases("get", "task1", "--workflow", "f1.toml", "--json")
        self.assertEqual(json.loads(res.stdout)["task"], "task1:t2")
        self.assertIn("f1.toml", res.stderr)
        self.assertIn("last good phases", res.stderr)
        # The good file's update was not lost.
        kids = self.phases_json("children", "task1", "--workflow", "f3.toml")
        self.assertIn("late", [k["task"] for k in kids])

    def test_validate_reports_flowlord_texts_and_exits_1(self):
        res = self.phases("validate", expect=1)
        self.assertIn("f2.toml: task2: non-scheduled phase: use depends_on, cron or files",
                      res.stdout)
        rows = self.phases_json("validate", expect=1)
        by_task = {(r["file"], r["task"]): r for r in rows if "task" in r}
        self.assertEqual(by_task[("f1.toml", "task2")]["severity"], "ok")
        self.assertEqual(by_task[("f2.toml", "task2")]["severity"], "error")
        # A cycle and a retry warning, in a tree of their own.
        for name in os.listdir(self.root):
            if name.endswith(".toml"):
                os.remove(self.p(name))
        with open(self.p("c.toml"), "w", encoding="utf-8") as f:
            f.write('[[phase]]\ntask = "a"\ndependsOn = "b"\n\n'
                    '[[phase]]\ntask = "b"\ndependsOn = "a"\n\n'
                    '[[phase]]\ntask = "r"\nrule = "cron=0 * * * *"\nretry = 50\n')
        rows = self.phases_json("validate", expect=1)
        status = {r["task"]: r["status"] for r in rows}
        self.assertIn("dependency cycle: a -> b -> a", status["a"])
        self.assertEqual(status["r"], "warning: retry count 50 exceeds recommended limit 10")
        severity = {r["task"]: r["severity"] for r in rows}
        self.assertEqual(severity["r"], "warning")

    def test_validate_summary_counts_errors_and_warnings(self):
        # Regression: "1 files" and an unexplained "0 with a status".
        for name in os.listdir(self.root):
            if name.endswith(".toml"):
                os.remove(self.p(name))
        h.write_text(self.p("one.toml"), '[[phase]]\ntask = "a"\nrule = "cron=0 * * * *"\n')
        res = self.phases("validate", expect=0)
        self.assertEqual(res.stdout, "1 phase in 1 file: 0 errors, 0 warnings, "
                                     "0 unreadable files\n")
        h.write_text(self.p("c.toml"), '[[phase]]\ntask = "a"\ndependsOn = "b"\n\n'
                                       '[[phase]]\ntask = "b"\ndependsOn = "a"\n\n'
                                       '[[phase]]\ntask = "r"\nrule = "cron=0 * * * *"\n'
                                       'retry = 50\n')
        h.write_text(self.p("broken.toml"), '[[phase]]\ntask = \n')
        res = self.phases("validate", expect=1)
        self.assertEqual(res.stdout.splitlines()[-1],
                         "4 phases in 2 files: 2 errors, 1 warning, 1 unreadable file")

    def test_workflow_may_name_a_file_by_its_name(self):
        # Regression: the README's `phases get load:hourly --workflow etl.toml`
        # found nothing, the key being phases/etl.toml.
        h.write_text(self.p("phases", "etl.toml"),
                     '[[phase]]\ntask = "load:hourly"\nrule = "cron=0 * * * *"\n')
        self.sync(expect=None)  # as the README's tour: the tree is now a root
        res = self.fs("phases", "get", "load:hourly", "--workflow", "etl.toml", "--json",
                      expect=0)
        self.assertEqual((res.json()["file"], res.json()["task"]),
                         ("phases/etl.toml", "load:hourly"))
        res = self.fs("phases", "get", "load:hourly", "--workflow", "etl.tml", expect=1)
        self.assertEqual(res.stderr, "flowsync: error: --workflow: no phase file 'etl.tml'; did "
                                     "you mean `phases/etl.toml`?\n")
        h.write_text(self.p("jobs", "etl.toml"), '[[phase]]\ntask = "x"\n')
        res = self.fs("phases", "children", "load:hourly", "--workflow", "etl.toml",
                      expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --workflow: phase file 'etl.toml' is "
                                     "ambiguous: `jobs/etl.toml` or `phases/etl.toml` (give the "
                                     "path below the root)\n")
        res = self.fs("phases", "next", "load:hourly", "--workflow", "phases/etl.toml",
                      "--from", "2024-02-27T13:45:00Z", "-n", "1", "--json", expect=0,
                      env={"TZ": "UTC"})
        self.assertEqual([f["fire"] for f in res.json()["fires"]], ["2024-02-27T14:00:00Z"])

    def test_graph_formats(self):
        graph = self.phases_json("graph")
        # --json is the documented form; scripts that say --format json keep working.
        self.assertEqual(json.loads(self.phases("graph", "--format", "json").stdout), graph)
        edges = {(e["file"], e["from"], e["to"]) for e in graph["edges"]}
        self.assertIn(("f1.toml", "task1:t2", "task5:t5"), edges)
        self.assertIn(("f1.toml", "task2", "task3"), edges)
        dot = self.phases("graph").stdout
        self.assertTrue(dot.startswith("digraph phases {"), dot[:80])
        self.assertIn('"f1.toml:task2" -> "f1.toml:task3";', dot)
        mermaid = self.phases("graph", "--format", "mermaid").stdout
        self.assertTrue(mermaid.startswith("flowchart LR"), mermaid[:80])
        res = self.phases("graph", "--format", "svg", expect=2)
        self.assertEqual(res.stderr,
                         "flowsync: error: --format must be dot or mermaid (--json prints JSON)\n")

    def test_next_fire_times_and_templates(self):
        env = {"TZ": "UTC"}
        out = self.phases_json("next", "task1", "--workflow", "f1.toml",
                               "--from", "2024-02-27T13:45:00Z", "-n", "3", env=env)
        self.assertEqual([f["fire"] for f in out["fires"]],
                         ["2024-02-27T14:00:00Z", "2024-02-27T15:00:00Z", "2024-02-27T16:00:00Z"])
        # offset=-4h shifts the task time the template sees, not the firing.
        self.assertEqual([f["info"] for f in out["fires"]],
                         ["?date=2024-02-27T10", "?date=2024-02-27T11", "?date=2024-02-27T12"])
        # Cron without TZ= runs in the process's local time zone.
        out = self.phases_json("next", "task1", "--workflow", "f3.toml",
                               "--from", "2024-03-09T12:00:00Z", "-n", "2",
                               env={"TZ": "America/New_York"})
        self.assertEqual([f["fire"] for f in out["fires"]],
                         ["2024-03-10T05:00:00Z", "2024-03-11T04:00:00Z"])
        res = self.phases("next", "task2", "--workflow", "f1.toml", expect=1)
        self.assertIn("has no cron rule", res.stderr)
        self.phases("next", "task1", "--from", "yesterday", expect=2)


if __name__ == "__main__":
    unittest.main()
