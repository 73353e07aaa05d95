"""Bad input: every broken source is a per-file error that names the file,
makes the run exit 1, keeps the last good version stored and does not stop
the other files from syncing."""

import json
import os
import re
import shutil
import unittest

import fsync_helpers as h

GOOD = h.n8n_workflow("Good", nodes=2, seed=1)
GOOD_TEXT = json.dumps(GOOD, separators=(",", ":"))


class BadInputTest(h.FlowsyncCase):

    def check_bad_file(self, rel, break_file, key=None, args=(), good_text=GOOD_TEXT,
                       error_paths=None, message=None):
        """Syncs a good `rel`, breaks it with `break_file(abs_path)`, syncs again."""
        key = key or rel
        error_paths = error_paths or [key]
        h.write_text(self.p(rel), good_text)
        h.write_json(self.p("keep.json"), h.n8n_workflow("Keep", seed=2))
        _, report = self.sync(*args)
        self.assert_counts(report, added=2)
        good = self.stored(key)
        break_file(self.p(rel))
        h.write_json(self.p("new.json"), h.n8n_workflow("New", seed=3))
        res, report = self.sync(*args, expect=1, timeout=60)
        self.assertEqual(len(report["errors"]), 1, res.describe())
        error = report["errors"][0]
        self.assertIn(error["path"], error_paths)
        self.assertTrue(error["message"].strip(), "error without a message")
        if message:
            self.assertRegex(error["message"], message)
        self.assert_counts(report, added=1, unchanged=1)
        self.assertEqual(self.stored(key), good, "the last good version was not kept")
        self.assertIsNotNone(self.stored("new.json"), "other files stopped syncing")
        errors = [e for e in self.log_json() if e["event"] == "error"]
        self.assertEqual([e["path"] for e in errors], [error["path"]])
        self.assertTrue(errors[0]["message"])
        self.assertEqual(errors[0]["run_id"], report["run_id"])
        return report

    def test_invalid_json(self):
        self.check_bad_file("flows/bad.json",
                            lambda p: h.write_text(p, '{"nodes": [}, "connections": {}}'))

    def test_invalid_json_human_output_names_the_file(self):
        h.write_json(self.p("ok.json"), GOOD)
        h.write_text(self.p("flows", "bad.json"), '{"nodes": [,]}')
        res = self.fs("sync", self.root, expect=1)
        self.assertIn("flows/bad.json", res.stdout + res.stderr)
        self.assertEqual(sorted(self.by_path()), ["ok.json"])

    def test_truncated_file(self):
        self.check_bad_file("t.json", lambda p: h.write_text(p, GOOD_TEXT[:len(GOOD_TEXT) // 2]))

    def test_invalid_utf8(self):
        bad = GOOD_TEXT.replace('"Good"', '"Caf\\u00e9"').encode("utf-8").replace(
            b"\\u00e9", b"\xff\xfe")
        self.assertIn(b"\xff", bad)
        self.check_bad_file("u.json", lambda p: h.write_bytes(p, bad))

    def test_empty_file(self):
        self.check_bad_file("e.json", lambda p: h.write_bytes(p, b""))

    def test_file_over_the_size_limit(self):
        big = json.dumps(h.n8n_workflow("Good", nodes=12, seed=1), separators=(",", ":"))
        self.assertLess(len(GOOD_TEXT), 1024)
        self.assertGreater(len(big), 2048)
        self.check_bad_file("big.json", lambda p: h.write_text(p, big),
                            args=("--max-file-size", "1KB"),
                            message=re.compile(r"(?i)1\s*Ki?B|1024"))

    def test_default_size_limit_accepts_a_large_file(self):
        doc = h.n8n_workflow("Large", nodes=3000, seed=1)
        h.write_json(self.p("large.json"), doc)
        self.assertGreater(os.path.getsize(self.p("large.json")), 1 << 20)
        _, report = self.sync()
        self.assert_counts(report, added=1)

    def test_size_limit_units(self):
        big = json.dumps(h.n8n_workflow("Big", nodes=12, seed=1))
        self.assertGreater(len(big), 2048)
        self.assertLess(len(big), 10 * 1024)
        h.write_text(self.p("big.json"), big)
        _, report = self.sync("--max-file-size", "1024", expect=1)
        self.assertEqual(self.error_paths(report), ["big.json"])
        _, report = self.sync("--max-file-size", "10KB")
        self.assert_counts(report, added=1)

    def test_default_size_limit_is_64mb(self):
        # 65 MiB is over the limit whether MB means 10^6 or 2^20 bytes.
        doc = h.n8n_workflow("Huge", seed=1, padding="x" * (65 * 1024 * 1024))
        h.write_json(self.p("huge.json"), doc)
        h.write_json(self.p("ok.json"), GOOD)
        _, report = self.sync(expect=1, timeout=120)
        self.assertEqual(self.error_paths(report), ["huge.json"])
        self.assert_counts(report, added=1)

    def test_json_nested_100000_levels(self):
        deep = ('{"nodes": [], "connections": {}, "deep": ' + "[" * 100000 + "]" * 100000 + "}")
        self.check_bad_file("deep.json", lambda p: h.write_text(p, deep))

    def test_symlink_loop(self):
        # Chosen reading: loop.json names a file that cannot be resolved, so it
        # is a per-file error (not silently skipped) and nothing is lost.
        def make_loop(path):
            os.remove(path)
            os.symlink("loop-b", path)
            os.symlink("loop.json", os.path.join(os.path.dirname(path), "loop-b"))
        self.check_bad_file("loop.json", make_loop)

    def test_directory_symlink_up_the_tree_is_not_followed(self):
        h.write_json(self.p("a.json"), GOOD)
        h.write_json(self.p("flows", "b.json"), h.n8n_workflow("B", seed=2))
        os.symlink("..", self.p("flows", "up"))
        os.symlink(".", self.p("flows", "self"))
        os.symlink(self.root, self.p("abs"))
        _, report = self.sync(timeout=30)
        self.assertEqual(report["errors"], [])
        self.assert_counts(report, added=2)
        self.assertEqual(sorted(self.by_path()), ["a.json", "flows/b.json"])
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflows")[0][0], 2)

    def test_fifo_does_not_hang_the_sync(self):
        # A FIFO named like a workflow is never opened (that would wait for a
        # writer while holding the writer lock), and never ignored silently.
        h.write_json(self.p("a.json"), GOOD)
        os.mkfifo(self.p("pipe.json"))
        res = self.fs("sync", self.root, "--json", timeout=30, expect=1)
        report = res.json()
        self.assertEqual(self.error_paths(report), ["pipe.json"])
        self.assertRegex(report["errors"][0]["message"], "not a regular file")
        self.assertEqual(sorted(self.by_path()), ["a.json"])

    def test_fifo_replacing_a_stored_workflow_is_an_error_not_a_deletion(self):
        def to_fifo(path):
            os.remove(path)
            os.mkfifo(path)
        self.check_bad_file("flows/f.json", to_fifo, args=("--full",),
                            message="not a regular file")

    def test_fifo_in_a_bundle_does_not_hang_the_sync(self):
        for member in ("workflow.json", "meta.json", "README.md"):
            with self.subTest(member=member):
                shutil.rmtree(self.root)
                os.makedirs(self.root)
                if os.path.exists(self.db):
                    os.remove(self.db)
                h.write_text(self.p("b", "meta.json"), '{"name": "B"}')
                h.write_text(self.p("b", "README.md"), "# B\n")

                def to_fifo(path, member=member):
                    member_path = os.path.join(path, member)
                    os.remove(member_path)
                    os.mkfifo(member_path)
                self.check_bad_file("b/workflow.json", lambda p: to_fifo(os.path.dirname(p)),
                                    key="b", args=("--full",), message="not a regular file")

    def test_workflow_json_without_nodes(self):
        def drop_nodes(path):
            h.write_json(path, {"name": "Good", "connections": {}})
        self.check_bad_file("bundle/workflow.json", drop_nodes, key="bundle",
                            error_paths=["bundle", "bundle/workflow.json"])

    def test_toml_type_error(self):
        src = h.shared("fixtures", "flowlord")
        good = h.read_text(os.path.join(src, "workflow", "f2.toml"))
        self.check_bad_file("phases/p.toml",
                            lambda p: shutil.copy(os.path.join(src, "invalid.toml"), p),
                            good_text=good)
        self.assertEqual(len(self.show("phases/p.toml")["phases"]), 3,
                         "the good phases were not kept")

    def test_new_broken_file_is_not_stored(self):
        h.write_json(self.p("a.json"), GOOD)
        h.write_text(self.p("b.json"), '{"nodes": [], "connections": ')
        _, report = self.sync(expect=1)
        self.assertEqual(self.error_paths(report), ["b.json"])
        self.assert_counts(report, added=1)
        self.assertEqual(sorted(self.by_path()), ["a.json"])


class UnreadableFileTest(h.AsNobodyMixin, h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.setup_nobody()

    def test_unreadable_file(self):
        h.write_text(self.p("secret.json"), GOOD_TEXT)
        h.write_json(self.p("keep.json"), h.n8n_workflow("Keep", seed=2))
        res = self.run_fs("sync", self.root, "--json")
        self.assertEqual(res.returncode, 0, res.describe())
        good = self.run_fs("show", "secret.json", "--json", cwd=self.root)
        self.assertEqual(good.returncode, 0, good.describe())
        os.chmod(self.p("secret.json"), 0)
        # A new mtime, so the next sync must read the file whatever the
        # timing (an unchanged signature is never read).
        st = os.stat(self.p("secret.json"))
        os.utime(self.p("secret.json"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        h.write_json(self.p("new.json"), h.n8n_workflow("New", seed=3))
        res = self.run_fs("sync", self.root, "--json")
        self.assertEqual(res.returncode, 1, res.describe())
        report = res.json()
        self.assertEqual(self.error_paths(report), ["secret.json"])
        self.assertEqual(report["added"], 1)
        after = self.run_fs("show", "secret.json", "--json", cwd=self.root)
        self.assertEqual(after.returncode, 0, after.describe())
        self.assertEqual(after.json()["content_hash"], good.json()["content_hash"])
        self.assertEqual(after.json()["version"], 1)
        os.chmod(self.p("secret.json"), 0o644)


if __name__ == "__main__":
    unittest.main()
