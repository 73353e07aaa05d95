"""The real n8n corpus (2,057 exports) and its damaged variant (60 files).

Some corpus files hold live-looking secrets: assertion messages here carry
counts and paths only, never file contents or command output.
"""

import collections
import os
import shutil
import tempfile
import unittest

import fsync_helpers as h


class CorpusTest(unittest.TestCase):
    """One sync of the corpus, shared by the tests of this class."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="flowsync-e2e-corpus-")
        cls.tmp = os.path.realpath(cls._tmp.name)
        cls.root = os.path.join(cls.tmp, "root")
        # A copy, so that the default database location inside ROOT works.
        shutil.copytree(h.shared("corpus", "n8n", "zie619"), cls.root)
        cls.db = os.path.join(cls.root, ".flowsync", "flowsync.db")
        cls.first = h.run(["sync", cls.root, "--json"], cwd=cls.tmp, timeout=300)
        cls.second = h.run(["sync", cls.root, "--json"], cwd=cls.tmp, timeout=300)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def report(self, res):
        self.assertEqual(res.returncode, 0, res.describe(quiet=True))
        try:
            return res.json()
        except ValueError:
            self.fail("sync --json output is not one JSON object: " + res.describe(quiet=True))

    def test_corpus_files(self):
        files = [os.path.join(d, f) for d, _, fs in os.walk(h.shared("corpus", "n8n", "zie619"))
                 for f in fs]
        self.assertEqual(len(files), 2057)

    def test_first_sync_adds_2047_workflows(self):
        report = self.report(self.first)
        error_paths = [e.get("path") for e in report["errors"]]
        self.assertEqual(error_paths, [], "corpus files reported as errors")
        self.assertEqual({k: report[k] for k in h.COUNT_KEYS},
                         {"added": 2047, "updated": 0, "renamed": 0, "deleted": 0,
                          "restored": 0, "unchanged": 0})
        rows = h.query(self.db, "SELECT path, format, deleted_at FROM workflows")
        self.assertEqual(len(rows), 2047)
        self.assertEqual(collections.Counter(r[1] for r in rows), {"n8n": 2047})
        self.assertEqual(len({r[0] for r in rows}), 2047, "duplicate paths")
        self.assertTrue(all(r[2] is None for r in rows))
        self.assertEqual(h.integrity(self.db), ["ok"])

    def test_second_sync_is_all_unchanged(self):
        self.report(self.first)
        report = self.report(self.second)
        self.assertEqual(report["errors"], [])
        self.assertEqual({k: report[k] for k in h.COUNT_KEYS},
                         {"added": 0, "updated": 0, "renamed": 0, "deleted": 0,
                          "restored": 0, "unchanged": 2047})
        self.assertEqual(report["changes"], [])
        self.assertEqual(h.query(self.db, "SELECT count(*) FROM workflow_versions")[0][0], 0)

    def test_list_json_covers_the_corpus(self):
        self.report(self.first)
        res = h.run(["list", "--json"], cwd=self.root, timeout=120)
        self.assertEqual(res.returncode, 0, res.describe(quiet=True))
        listed = res.json()
        self.assertEqual(len(listed), 2047)
        self.assertEqual(len({w["id"] for w in listed}), 2047, "ids are not unique")
        self.assertTrue(all(h.is_uuid_v5(w["id"]) for w in listed))

    def test_status_after_sync_is_clean(self):
        self.report(self.first)
        res = h.run(["status", self.root, "--json", "--exit-code"], cwd=self.tmp, timeout=120)
        self.assertEqual(res.returncode, 0, res.describe(quiet=True))
        self.assertIs(res.json()["clean"], True)


class CorruptedCorpusTest(h.FlowsyncCase):

    def test_damaged_workflows_are_stored_with_error_findings(self):
        src = h.shared("corpus", "n8n", "zie619-corrupted")
        shutil.copytree(src, self.p("damaged"))
        _, report = self.sync(quiet=True, timeout=120)
        self.assertEqual([e.get("path") for e in report["errors"]], [])
        self.assert_counts(report, added=60)
        listed = self.list_json()
        self.assertEqual(len(listed), 60)
        without_errors = []
        for w in listed:
            res = self.fs("show", w["id"], "--json", expect=0, quiet=True)
            findings = res.json()["findings"]
            for f in findings:
                self.assertEqual(set(f), {"severity", "code", "location", "message"},
                                 w["path"])
            if not any(f["severity"] == "error" for f in findings):
                without_errors.append(w["path"])
        self.assertEqual(without_errors, [], "damaged workflows without an error finding")

    def test_valid_workflow_has_no_error_findings(self):
        # The damaged set's findings only mean something if a valid file passes.
        h.write_json(self.p("a.json"), h.n8n_workflow("Valid", nodes=5, seed=1))
        self.sync()
        findings = self.show("a.json")["findings"]
        self.assertEqual([f for f in findings if f["severity"] == "error"], [])


if __name__ == "__main__":
    unittest.main()
