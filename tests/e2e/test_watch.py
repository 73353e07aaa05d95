"""sync --watch syncs what changed, not the tree: a lone edit at once, a
burst in a few syncs, an editor's save-by-rename as one update, a folder
renamed with its ids, folders created while watching; it reports its state
as JSON lines and stops with a clear message when the root goes away."""

import json
import os
import shutil
import signal
import subprocess
import time
import unittest

import fsync_helpers as h


class WatchCase(h.FlowsyncCase):
    """A watch with --json on stdout and its database outside the root."""

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.tmp, "watch.db")
        self.out_path = os.path.join(self.tmp, "watch.out")
        self.err_path = os.path.join(self.tmp, "watch.err")

    def start_watch(self, *args):
        out = open(self.out_path, "wb")
        err = open(self.err_path, "wb")
        self.addCleanup(out.close)
        self.addCleanup(err.close)
        proc = h.start(["sync", self.root, "--db", self.db, "--watch", "--json"] + list(args),
                       cwd=self.tmp, stdout=out, stderr=err)
        self.addCleanup(h.stop, proc)
        return proc

    def lines(self):
        with open(self.out_path, encoding="utf-8") as f:
            text = f.read()
        # Only whole lines: the last one may be half written.
        return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]

    def runs(self):
        return [line for line in self.lines() if "run_id" in line]

    def wait_runs(self, proc, count, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if len(runs) >= count:
                return runs
            self.assertIsNone(proc.poll(), f"watch exited early while waiting for {what}: "
                              + h.read_text(self.err_path))
            time.sleep(0.05)
        self.fail(f"watch: {what} not seen within {timeout}s; runs: {self.runs()}")

    def wait_until(self, proc, predicate, what, timeout=30):
        """Waits until predicate(all runs so far) holds; returns the runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if predicate(runs):
                return runs
            self.assertIsNone(proc.poll(), f"watch exited early while waiting for {what}")
            time.sleep(0.1)
        self.fail(f"watch: {what} not seen within {timeout}s; {len(self.runs())} runs")

    def ids(self):
        return dict(h.query(self.db, "SELECT path, id FROM workflows WHERE deleted_at IS NULL"))

    def assert_stops_with(self, proc, what):
        """The watch exits 1 saying that the root was `what`."""
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self.assertEqual(code, 1)
        self.assertEqual(h.read_text(self.err_path),
                         f"flowsync: error: the root {self.root} was {what} while watching; "
                         "stopped (the database keeps every workflow; start the watch again "
                         "where the tree is now)\n")

    def stop_cleanly(self, proc):
        self.assertEqual(h.send_and_wait(proc, h.SIGTERM, timeout=10), 0,
                         h.read_text(self.err_path))


class WatchTest(WatchCase):

    def test_a_lone_edit_is_synced_alone_and_reported(self):
        for i in range(20):
            h.write_json(self.p(f"d{i % 4}", f"w{i}.json"), h.n8n_workflow(f"W{i}", seed=i))
        proc = self.start_watch()
        runs = self.wait_runs(proc, 1, "the first sync")
        state = self.lines()[0]
        self.assertEqual(state["watching"], self.root)
        self.assertEqual(state["folders"], 5)  # the root and d0..d3
        self.assertIsNone(state["problem"])
        self.assertGreater(state["max_user_watches"], 0)
        self.assertEqual(runs[0]["watch"]["trigger"], "start")
        self.assertEqual(runs[0]["added"], 20)

        h.write_json(self.p("d2", "w2.json"), h.n8n_workflow("W2", nodes=5, seed=2))
        runs = self.wait_runs(proc, 2, "the edit")
        run = runs[1]
        self.assertEqual(run["watch"]["trigger"], "changes")
        self.assertEqual(run["watch"]["paths"], 1)
        self.assertEqual(run["watch"]["folders"], 5)
        self.assertGreaterEqual(run["watch"]["latency_ms"], 0)
        self.assertEqual([(c["kind"], c["path"]) for c in run["changes"]],
                         [("updated", "d2/w2.json")])
        # Only the edited file was looked at: the others are not even
        # counted as unchanged.
        self.assertEqual(run["unchanged"], 0)
        self.stop_cleanly(proc)

    def test_a_burst_of_edits_is_a_few_syncs(self):
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        h.write_many(self.root, 400, folder="burst")
        runs = self.wait_until(proc, lambda rs: sum(r["added"] for r in rs) >= 400,
                               "400 new workflows")
        later = runs[1:]
        self.assertLessEqual(len(later), 20, [r["watch"] for r in later])
        self.assertEqual(len(self.ids()), 400)
        self.stop_cleanly(proc)

    def test_save_by_rename_is_one_update(self):
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        before = self.ids()
        # As editors save: write a temporary file, then rename it over.
        tmp = self.p("flows", "a.json.tmp~")
        h.write_json(tmp, h.n8n_workflow("A", nodes=4, seed=1))
        os.rename(tmp, self.p("flows", "a.json"))
        runs = self.wait_until(proc, lambda rs: any(r["updated"] for r in rs), "the update")
        kinds = [(c["kind"], c["path"]) for r in runs[1:] for c in r["changes"]]
        self.assertEqual(kinds, [("updated", "flows/a.json")])
        self.assertEqual(self.ids(), before)
        self.stop_cleanly(proc)

    def test_a_renamed_folder_keeps_every_id(self):
        for i in range(60):
            h.write_json(self.p("team", f"w{i}.json"), h.n8n_workflow(f"W{i}", seed=i))
        h.write_bundle(self.p("team", "bundle"), h.n8n_workflow("Bundle", seed=99))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        before = self.ids()
        os.rename(self.p("team"), self.p("squad"))
        runs = self.wait_until(proc, lambda rs: sum(r["renamed"] for r in rs) >= 61,
                               "61 renames")
        self.assertEqual(sum(r["added"] + r["deleted"] for r in runs[1:]), 0)
        after = self.ids()
        self.assertEqual(after, {p.replace("team", "squad", 1): i for p, i in before.items()})
        # The folder is watched at its new place.
        h.write_json(self.p("squad", "w0.json"), h.n8n_workflow("W0", nodes=5, seed=0))
        self.wait_until(proc, lambda rs: any(c["path"] == "squad/w0.json" and
                                             c["kind"] == "updated"
                                             for r in rs for c in r["changes"]),
                        "an edit in the renamed folder")
        self.stop_cleanly(proc)

    def test_folders_created_while_watching_are_watched_at_once(self):
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        os.makedirs(self.p("new", "deep", "er"))
        h.write_json(self.p("new", "deep", "er", "x.json"), h.n8n_workflow("X", seed=4))
        self.wait_until(proc, lambda rs: sum(r["added"] for r in rs) >= 1, "the new file")
        h.write_json(self.p("new", "deep", "er", "x.json"), h.n8n_workflow("X", nodes=5, seed=4))
        runs = self.wait_until(proc, lambda rs: any(r["updated"] for r in rs), "the edit")
        self.assertEqual(runs[-1]["watch"]["folders"], 4)
        self.stop_cleanly(proc)

    def test_folders_deleted_made_again_or_moved_out_are_watched_as_they_are(self):
        for i in range(40):
            h.write_bundle(self.p("team", f"b{i:02}"), h.n8n_workflow(f"B{i}", seed=i))
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        proc = self.start_watch("--full")
        self.wait_runs(proc, 1, "the first sync")
        # 15 bundles deleted as git does, file by file and then the folder
        # (fewer than half: the guard rail lets a full sync delete them).
        for i in range(15):
            h.remove_tree(self.p("team", f"b{i:02}"))
        runs = self.wait_until(proc, lambda rs: sum(r["deleted"] for r in rs) >= 15,
                               "15 deletions")
        self.assertEqual(runs[-1]["watch"]["folders"], 27)  # the root, team, 25 bundles
        # Two made again under the same names: watched again.
        for i in (3, 4):
            h.write_bundle(self.p("team", f"b{i:02}"), h.n8n_workflow(f"B{i}", seed=i))
        self.wait_until(proc, lambda rs: sum(r["added"] + r["restored"] for r in rs[1:]) >= 2,
                        "the two bundles back")
        h.write_json(self.p("team", "b03", "workflow.json"), h.n8n_workflow("B3", nodes=6, seed=3))
        runs = self.wait_until(proc, lambda rs: any(c["path"] == "team/b03" and
                                                    c["kind"] == "updated"
                                                    for r in rs for c in r["changes"]),
                               "an edit in a bundle made again")
        self.assertEqual(runs[-1]["watch"]["folders"], 29)
        # One moved out of the tree: gone, and no longer watched.
        os.rename(self.p("team", "b35"), os.path.join(outside, "b35"))
        runs = self.wait_until(proc, lambda rs: sum(r["deleted"] for r in rs) >= 16,
                               "the bundle moved out")
        h.write_json(os.path.join(outside, "b35", "workflow.json"),
                     h.n8n_workflow("B35", nodes=6, seed=35))
        h.write_json(self.p("last.json"), h.n8n_workflow("Last", seed=77))
        runs = self.wait_until(proc, lambda rs: any(c["path"] == "last.json"
                                                    for r in rs for c in r["changes"]),
                               "a file written after the move")
        self.assertEqual(runs[-1]["watch"]["folders"], 28)
        self.assertEqual([c["kind"] for r in runs[1:] for c in r["changes"]
                          if "b35" in c["path"]], ["deleted"])
        self.assertEqual(len(self.ids()), 27)  # 25 bundles and last.json
        self.stop_cleanly(proc)

    def test_an_overflowed_event_queue_syncs_the_whole_tree_and_says_how_to_raise_it(self):
        with open("/proc/sys/fs/inotify/max_queued_events") as f:
            limit = int(f.read())
        if limit > 200000:
            self.skipTest(f"fs.inotify.max_queued_events is {limit}: too many events to make")
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("A", seed=1))
        h.write_json(self.p("flows", "b.json"), h.n8n_workflow("B", seed=2))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        # Stopped, the watch reads nothing while more events than the kernel
        # queues are made (two files in turn: the kernel merges an event only
        # with the one before it).
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            with open(self.p("flows", "a.json"), "a") as a, open(self.p("flows", "b.json"), "a") as b:
                for _ in range(limit // 2 + 500):
                    a.write(" ")
                    a.flush()
                    b.write(" ")
                    b.flush()
            h.write_json(self.p("flows", "c.json"), h.n8n_workflow("C", seed=3))
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        runs = self.wait_runs(proc, 2, "the sync after the overflow")
        self.assertEqual(runs[1]["watch"]["trigger"], "overflow")
        self.assertEqual([(c["kind"], c["path"]) for c in runs[1]["changes"]],
                         [("added", "flows/c.json")])
        err = h.read_text(self.err_path)
        self.assertIn(f"flowsync: warning: more file events came at once than the kernel queues "
                      f"({limit} events, fs.inotify.max_queued_events); the whole tree was synced "
                      f"to catch up; for bursts that big, raise it, e.g. `sudo sysctl "
                      f"fs.inotify.max_queued_events={max(limit * 8, 131072)}`", err)
        self.assertEqual(err.count("warning"), 1)
        self.stop_cleanly(proc)

    def test_the_root_deleted_stops_the_watch_with_a_message(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        shutil.rmtree(self.root)
        self.assert_stops_with(proc, "deleted")
        self.assertEqual(list(self.ids()), ["a.json"])

    def test_the_root_moved_away_stops_the_watch_with_a_message(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        os.rename(self.root, self.root + "-moved")
        self.assert_stops_with(proc, "moved away")

    def test_the_database_file_replaced_stops_the_watch_before_it_writes(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_runs(proc, 1, "the first sync")
        # A backup restored over the database while the watch runs.
        copy = self.db + ".restored"
        h.backup(self.db, copy)
        os.replace(copy, self.db)
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = None
        self.assertEqual(code, h.EXIT_DB)
        self.assertEqual(h.read_text(self.err_path),
                         f"flowsync: error: database sqlite:{self.db} was replaced while this "
                         "process had it open: nothing was written (start flowsync again to use "
                         "the file now at that path)\n")
        # The file now at the path is as restored; the next run syncs into it.
        self.assertEqual(list(self.ids()), ["a.json"])
        self.assertEqual(h.run(["sync", self.root, "--db", self.db]).returncode, 0)
        self.assertEqual(sorted(self.ids()), ["a.json", "b.json"])


if __name__ == "__main__":
    unittest.main()
