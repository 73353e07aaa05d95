"""Guard rails, dry runs, atomicity under SIGKILL, concurrent writers and
watch mode."""

import json
import os
import random
import shutil
import sqlite3
import subprocess
import time
import unittest

import fsync_helpers as h


def write_many(root, count, start=0, nodes=3, folder="gen"):
    for i in range(start, start + count):
        sub = os.path.join(root, folder, f"d{i // 200:03d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"w{i:05d}.json"), "w", encoding="utf-8") as f:
            json.dump(h.n8n_workflow(f"Generated {i}", nodes=nodes, seed=i), f)


def live_count(db):
    return h.query(db, "SELECT count(*) FROM workflows WHERE deleted_at IS NULL")[0][0]


class GuardRailTest(h.FlowsyncCase):

    def make(self, count):
        for i in range(count):
            h.write_json(self.p("w", f"{i:02d}.json"), h.n8n_workflow(f"W{i}", seed=i))
        self.sync()

    def remove(self, count):
        for i in range(count):
            os.remove(self.p("w", f"{i:02d}.json"))

    def test_full_refuses_to_delete_more_than_half(self):
        self.make(24)
        self.remove(13)
        before = h.dump(self.db)
        res = self.fs("sync", self.root, "--full")
        self.assertEqual(res.returncode, 3, res.describe())
        self.assertIn("--force", res.stdout + res.stderr, "the refusal does not name --force")
        res = self.fs("sync", self.root, "--full", "--json")
        self.assertEqual(res.returncode, 3, res.describe())
        self.assertEqual(h.dump(self.db), before, "a refused run wrote to the database")
        _, report = self.sync("--full", "--force")
        self.assert_counts(report, deleted=13, unchanged=11)
        self.assertEqual(live_count(self.db), 11)

    def test_full_allows_deleting_exactly_half(self):
        self.make(24)
        self.remove(12)
        _, report = self.sync("--full")
        self.assert_counts(report, deleted=12, unchanged=12)

    def test_full_allows_deleting_most_of_a_small_set(self):
        self.make(8)
        self.remove(6)
        _, report = self.sync("--full")
        self.assert_counts(report, deleted=6, unchanged=2)

    def test_incremental_is_not_guarded_by_deletions(self):
        self.make(24)
        self.remove(20)
        _, report = self.sync()
        self.assert_counts(report, unchanged=4)
        self.assertEqual(live_count(self.db), 24)

    def test_missing_root_is_refused(self):
        self.make(4)
        db = os.path.join(self.tmp, "kept.db")
        self.sync("--db", db)
        shutil.rmtree(self.root)
        before = h.dump(db)
        for args in ([], ["--full"]):
            with self.subTest(args=args):
                res = self.fs("sync", self.root, "--db", db, *args, cwd=self.tmp)
                self.assertEqual(res.returncode, 3, res.describe())
                self.assertTrue(res.stderr.strip())
        self.assertEqual(h.dump(db), before)
        _, report = self.sync("--db", db, "--full", "--force")
        self.assert_counts(report, deleted=4)
        self.assertEqual(live_count(db), 0)

    def test_missing_root_with_a_new_database(self):
        res = self.fs("sync", os.path.join(self.tmp, "nowhere"), cwd=self.tmp)
        self.assertEqual(res.returncode, 3, res.describe())
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "nowhere")))


class UnreadableRootTest(h.AsNobodyMixin, h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.setup_nobody()

    def test_unreadable_root_is_refused(self):
        tree = os.path.join(self.tmp, "tree")
        db = os.path.join(self.tmp, "state.db")
        for i in range(3):
            h.write_json(os.path.join(tree, f"{i}.json"), h.n8n_workflow(f"W{i}", seed=i))
        res = self.run_fs("sync", tree, "--db", db, "--json")
        self.assertEqual(res.returncode, 0, res.describe())
        os.chmod(tree, 0)
        try:
            for args in ([], ["--full"]):
                with self.subTest(args=args):
                    res = self.run_fs("sync", tree, "--db", db, "--json", *args)
                    self.assertEqual(res.returncode, 3, res.describe())
        finally:
            os.chmod(tree, 0o755)
        res = self.run_fs("list", "--db", db, "--json")
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertEqual(len(res.json()), 3)


class DryRunTest(h.FlowsyncCase):

    def test_dry_run_writes_nothing_and_reports_the_plan(self):
        for name in ("keep", "edit", "move", "gone"):
            h.write_json(self.p(f"{name}.json"), h.n8n_workflow(name, seed=len(name)))
        self.sync()
        h.write_json(self.p("edit.json"), h.n8n_workflow("edit", nodes=6, seed=4))
        os.rename(self.p("move.json"), self.p("moved.json"))
        os.remove(self.p("gone.json"))
        h.write_json(self.p("new.json"), h.n8n_workflow("new", seed=9))
        before = h.dump(self.db)
        _, report = self.sync("--dry-run", "--full")
        self.assertEqual(report["run_id"], 0)
        self.assertIs(report["dry_run"], True)
        self.assertEqual(report["mode"], "full")
        self.assert_counts(report, added=1, updated=1, renamed=1, deleted=1, unchanged=1)
        self.assertEqual(sorted((c["kind"], c["path"]) for c in report["changes"]),
                         [("added", "new.json"), ("deleted", "gone.json"),
                          ("renamed", "moved.json"), ("updated", "edit.json")])
        _, report = self.sync("--dry-run")
        self.assert_counts(report, added=1, updated=1, renamed=1, unchanged=1)
        human = self.fs("sync", self.root, "--dry-run", "--full", expect=0)
        for path in ("new.json", "edit.json", "moved.json", "gone.json"):
            self.assertIn(path, human.stdout)
        self.assertEqual(h.dump(self.db), before, "a dry run wrote to the database")
        _, report = self.sync("--full")
        self.assert_counts(report, added=1, updated=1, renamed=1, deleted=1, unchanged=1)

    def test_dry_run_on_a_new_tree_creates_no_database(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        _, report = self.sync("--dry-run")
        self.assert_counts(report, added=1)
        self.assertFalse(os.path.exists(self.db), "a dry run created the database")

    def test_dry_run_still_reports_bad_files(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        h.write_text(self.p("b.json"), "{")
        before = h.dump(self.db)
        _, report = self.sync("--dry-run", expect=1)
        self.assertEqual(self.error_paths(report), ["b.json"])
        self.assertEqual(h.dump(self.db), before, "a dry run wrote an error event")


class KillTest(h.FlowsyncCase):
    """A sync killed with SIGKILL leaves the database as before or as after."""

    BEFORE = 200
    AFTER = 6000

    def test_sigkill_leaves_before_or_after(self):
        write_many(self.root, self.BEFORE)
        self.sync(timeout=120)
        self.assertEqual(live_count(self.db), self.BEFORE)
        snapshot = os.path.join(self.tmp, "before.db")
        h.backup(self.db, snapshot)
        write_many(self.root, self.AFTER - self.BEFORE, start=self.BEFORE)
        # How long does the full run take here?
        probe = os.path.join(self.tmp, "probe.db")
        shutil.copy(snapshot, probe)
        res, report = self.sync("--db", probe, timeout=170)
        self.assertEqual(report["added"], self.AFTER - self.BEFORE)
        duration = res.elapsed
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        delays = [rng.uniform(0.02, max(0.05, duration)) for _ in range(8)]
        for delay in delays:
            for suffix in ("-wal", "-shm", "-journal"):
                if os.path.exists(self.db + suffix):
                    os.remove(self.db + suffix)
            shutil.copy(snapshot, self.db)
            proc = h.start(["sync", self.root])
            time.sleep(delay)
            proc.kill()
            proc.wait(timeout=30)
            context = f"killed after {delay:.3f}s (seed {seed}, full run {duration:.3f}s)"
            self.assertEqual(h.integrity(self.db), ["ok"], context)
            self.assertIn(live_count(self.db), (self.BEFORE, self.AFTER), context)
            dupes = h.query(self.db, "SELECT path FROM workflows GROUP BY path "
                            "HAVING count(*) > 1")
            self.assertEqual(dupes, [], context)
        _, report = self.sync(timeout=170)
        self.assertEqual(live_count(self.db), self.AFTER)
        self.assertEqual(report["added"] + report["unchanged"], self.AFTER)
        self.assertEqual(h.integrity(self.db), ["ok"])


class ConcurrencyTest(h.FlowsyncCase):

    def test_two_syncs_at_once(self):
        count = 1500
        write_many(self.root, count)
        outs = []
        procs = []
        for i in range(2):
            out = open(os.path.join(self.tmp, f"out{i}.json"), "w+b")
            err = open(os.path.join(self.tmp, f"err{i}.txt"), "w+b")
            self.addCleanup(out.close)
            self.addCleanup(err.close)
            outs.append((out, err))
        for out, err in outs:
            procs.append(h.start(["sync", self.root, "--json", "--lock-timeout", "120"],
                                 cwd=self.tmp, stdout=out, stderr=err))
        for proc in procs:
            self.addCleanup(h.stop, proc)
        codes = [proc.wait(timeout=170) for proc in procs]
        added = 0
        for code, (out, err) in zip(codes, outs):
            out.seek(0)
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
            self.assertIn(code, (0, 4), f"exit {code}: {stderr[-2000:]}")
            if code == 4:
                self.assertRegex(stderr.lower(), r"busy|lock", "exit 4 without a clear message")
            else:
                added += json.loads(out.read())["added"]
        self.assertIn(0, codes)
        self.assertEqual(added, count, "the two runs together did not add each file once")
        self.assertEqual(h.integrity(self.db), ["ok"])
        self.assertEqual(h.query(self.db, "SELECT path FROM workflows GROUP BY path "
                                 "HAVING count(*) > 1"), [])
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflows")[0][0], count)
        _, report = self.sync(timeout=120)
        self.assert_counts(report, unchanged=count)

    def test_busy_database_exits_4(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        holder = sqlite3.connect(self.db, timeout=0, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            res = self.fs("sync", self.root, "--lock-timeout", "1", timeout=30)
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        self.assertEqual(res.returncode, 4, res.describe())
        self.assertRegex(res.stderr.lower(), r"busy|lock")
        self.assertLess(res.elapsed, 15, "--lock-timeout 1 was not honoured")
        self.assertEqual(h.query(self.db, "SELECT path FROM workflows"), [("a.json",)])


class WatchTest(h.FlowsyncCase):

    def start_watch(self, *args):
        out = open(os.path.join(self.tmp, "watch.out"), "wb")
        self.addCleanup(out.close)
        proc = h.start(["sync", self.root, "--watch", "--debounce", "100"] + list(args),
                       cwd=self.tmp, stdout=out, stderr=out)
        self.addCleanup(h.stop, proc)
        return proc

    def wait_for(self, predicate, what, proc, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), f"watch exited early while waiting for {what}")
            res = h.run(["list", "--json"], cwd=self.root, timeout=30)
            if res.returncode == 0:
                try:
                    listed = {w["path"]: w for w in json.loads(res.stdout)}
                except ValueError:
                    self.fail("list --json printed something else than JSON: "
                              + res.describe())
                if predicate(listed):
                    return listed
            time.sleep(0.2)
        self.fail(f"watch mode: {what} not seen within {timeout}s")

    def test_watch_syncs_changes_and_stops_on_sigterm(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        h.write_json(self.p("sub", "b.json"), h.n8n_workflow("B", seed=2))
        proc = self.start_watch()
        listed = self.wait_for(lambda l: "sub/b.json" in l, "the initial sync", proc)
        old_hash = listed["sub/b.json"]["content_hash"]
        h.write_json(self.p("sub", "c.json"), h.n8n_workflow("C", seed=3))
        self.wait_for(lambda l: "sub/c.json" in l, "a new file in a subfolder", proc)
        h.write_json(self.p("sub", "b.json"), h.n8n_workflow("B", nodes=5, seed=2))
        self.wait_for(lambda l: l["sub/b.json"]["content_hash"] != old_hash,
                      "an edited file", proc)
        code = h.send_and_wait(proc, h.SIGTERM, timeout=5)
        self.assertEqual(code, 0, "watch did not stop cleanly on SIGTERM within 5 s")
        self.assertEqual(h.integrity(self.db), ["ok"])

    def test_watch_follows_folders_created_after_start(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_for(lambda l: "a.json" in l, "the initial sync", proc)
        os.makedirs(self.p("later"))
        time.sleep(1)  # let the sync triggered by the new folder pass
        h.write_json(self.p("later", "x.json"), h.n8n_workflow("X", seed=4))
        listed = self.wait_for(lambda l: "later/x.json" in l,
                               "a file in a folder created after start", proc)
        old_hash = listed["later/x.json"]["content_hash"]
        h.write_json(self.p("later", "x.json"), h.n8n_workflow("X", nodes=5, seed=4))
        self.wait_for(lambda l: l["later/x.json"]["content_hash"] != old_hash,
                      "an edit in a folder created after start", proc)
        self.assertEqual(h.send_and_wait(proc, h.SIGTERM, timeout=5), 0)

    def test_watch_stops_on_sigint(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch("--interval", "300")
        self.wait_for(lambda l: "a.json" in l, "the initial sync", proc)
        code = h.send_and_wait(proc, h.SIGINT, timeout=5)
        self.assertEqual(code, 0, "watch did not stop cleanly on SIGINT within 5 s")

    def test_watch_sees_a_new_subfolder(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A", seed=1))
        proc = self.start_watch()
        self.wait_for(lambda l: "a.json" in l, "the initial sync", proc)
        h.write_bundle(self.p("new", "folder", "bundle"), h.n8n_workflow("Bundle", seed=3))
        self.wait_for(lambda l: "new/folder/bundle" in l, "a bundle in a new folder", proc)
        self.assertEqual(h.send_and_wait(proc, h.SIGTERM, timeout=5), 0)


if __name__ == "__main__":
    unittest.main()
