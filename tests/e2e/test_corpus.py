"""The real n8n corpus (2,057 exports) and its damaged variant (60 files).

Some corpus files hold live-looking secrets: assertion messages here carry
counts and paths only, never file contents or command output.
"""

import collections
import json
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

    def test_the_10_files_that_are_no_workflows_are_counted_and_listed(self):
        for res in (self.first, self.second):
            report = self.report(res)
            self.assertEqual(report["ignored"], 10)
            quoted = [f["path"] for f in report["ignored_files"]
                      if f["reason"].endswith('its keys have quotes inside them, as '
                                              '"\\"nodes\\"")')]
            self.assertEqual(len(quoted), 9, [f["path"] for f in report["ignored_files"]])
            self.assertEqual([f["path"] for f in report["ignored_files"]
                              if f["path"] not in quoted], ["Automation/1290_Automation.json"])
        res = h.run(["sync", self.root, "-v"], cwd=self.tmp, timeout=300)
        self.assertEqual(res.returncode, 0, res.describe(quiet=True))
        listed = [line.split()[1].rstrip(":") for line in res.stdout.split("\n")
                  if line.startswith("ignored ")]
        self.assertEqual(listed, [f["path"] for f in self.report(self.second)["ignored_files"]])
        self.assertIn(", 2047 unchanged, 10 ignored, 0 errors in ", res.stdout)

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


class CorpusAsArrayExportTest(h.FlowsyncCase):
    """The corpus's 2,047 workflows in one file, as `n8n export:workflow --all`
    writes them after an import (which gives every workflow its own id)."""

    def test_one_file_of_2047_workflows(self):
        workflows = []
        src = h.shared("corpus", "n8n", "zie619")
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in sorted(filenames):
                with open(os.path.join(dirpath, name), encoding="utf-8-sig") as f:
                    doc = json.load(f)
                if isinstance(doc, dict) and "nodes" in doc and "connections" in doc:
                    doc["id"] = f"corpus{len(workflows):05d}"
                    workflows.append(doc)
        self.assertEqual(len(workflows), 2047)
        h.write_text(self.p("all.json"), json.dumps(workflows))
        _, report = self.sync(quiet=True, timeout=120)
        self.assertEqual([e.get("path") for e in report["errors"]], [])
        self.assert_counts(report, added=2047)
        self.assertEqual(report["ignored"], 0)
        # n8n's own structure check fails the same 15 workflows as in files.
        failing = h.query(self.db, "SELECT count(DISTINCT workflow_id) FROM workflow_findings "
                                   "WHERE severity = 'error'")[0][0]
        self.assertEqual(failing, 15)
        _, report = self.sync(quiet=True, timeout=120)
        self.assert_counts(report, unchanged=2047)


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
