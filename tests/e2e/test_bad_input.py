"""Bad input: every broken source is a per-file error that names the file,
makes the run exit 1, keeps the last good version stored and does not stop
the other files from syncing."""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import unittest
import uuid

import fsync_helpers as h
import test_postgres as pgt

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


# flowsync's UUIDv5 namespace of workflow ids (src/sync/identity.h).
ID_NAMESPACE = uuid.UUID("cd689716-1d20-52f5-b602-bce44de011f2")
ODD = b"caf\xe9.json"          # Latin-1: not UTF-8
ODD_TEXT = "caf\\xe9.json"      # its path text (docs/formats.md)
NEWLINE = "new\nline.json"
ESC_NAME = "Esc\u001b[31mred"
NUL_NAME_ERROR = ("nul-name.json:2:11: 'name' holds a NUL character (\\u0000), which "
                  "PostgreSQL cannot store")


def control_bytes(data):
    """The control bytes of `data` other than tab, line feed and carriage return."""
    return sorted({b for b in data if (b < 0x20 and b not in b"\t\n\r") or b == 0x7f})


class HostileNamesChecks:
    """A file name that is not UTF-8, one with a newline and a NUL character in
    JSON strings, beside good files. PostgreSQL's text holds neither a NUL nor
    bytes that are not UTF-8; both backends must behave alike: the name is
    stored as its path text, a NUL in the workflow's parameters is stored, one
    in its name is a per-file error, and nothing stops the good files or later
    runs. Subclasses say which database (`dbargs`)."""

    def write_tree(self):
        h.write_json(self.p("good.json"), GOOD)
        h.write_json(self.p(NEWLINE), h.n8n_workflow("Newline", seed=4))
        h.write_bytes(os.path.join(os.fsencode(self.root), ODD),
                      json.dumps(h.n8n_workflow("Latin-1", seed=5)).encode())
        param = h.n8n_workflow("NulParam", seed=6)
        param["nodes"][1]["parameters"]["x"] = "a\u0000b"
        h.write_json(self.p("nul-param.json"), param)
        h.write_json(self.p("nul-name.json"), h.n8n_workflow("Nul\u0000name", seed=7))

    def listing(self):
        return {w["path"]: w for w in self.list_json(*self.dbargs())}

    def test_odd_names_and_nul_strings_beside_good_files(self):
        self.write_tree()
        _, report = self.sync(*self.dbargs(), expect=1)
        self.assert_counts(report, added=4)
        self.assertEqual(report["errors"], [{"path": "nul-name.json", "message": NUL_NAME_ERROR}])
        listed = self.listing()
        self.assertEqual(sorted(listed), sorted(["good.json", NEWLINE, ODD_TEXT, "nul-param.json"]))
        for path, w in listed.items():
            self.assertEqual(w["id"], str(uuid.uuid5(ID_NAMESPACE, path)), path)
        self.assertEqual(listed[ODD_TEXT]["name"], "Latin-1")
        events = [(e["event"], e["path"]) for e in self.log_json(*self.dbargs())]
        self.assertIn(("added", ODD_TEXT), events)
        self.assertIn(("error", "nul-name.json"), events)
        # The stored content keeps the NUL as the file wrote it.
        content = self.fs("show", "nul-param.json", "--content", *self.dbargs(), expect=0)
        self.assertEqual(content.stdout, h.read_text(self.p("nul-param.json")))
        # The name is found by its path text and by the file's own bytes.
        for arg in (ODD_TEXT, ODD):
            shown = self.fs("show", arg, "--json", *self.dbargs(), expect=0).json()
            self.assertEqual(shown["path"], ODD_TEXT)

        # One line per workflow; control characters quoted as git does.
        lines = self.fs("list", *self.dbargs(), expect=0).stdout.splitlines()
        self.assertEqual(len(lines), 4, lines)
        self.assertTrue(any(line.endswith('  "new\\nline.json"') for line in lines), lines)
        self.assertTrue(any(line.endswith("  " + ODD_TEXT) for line in lines), lines)
        log_lines = self.fs("log", *self.dbargs(), expect=0).stdout.splitlines()
        self.assertEqual(len(log_lines), 5, log_lines)

        # Later runs: the same error, nothing else to do; then fixes go in.
        _, again = self.sync(*self.dbargs(), expect=1)
        self.assert_counts(again, unchanged=4)
        self.assertEqual(self.error_paths(again), ["nul-name.json"])
        h.write_json(self.p("nul-name.json"), h.n8n_workflow("Nul name", seed=7))
        h.write_bytes(os.path.join(os.fsencode(self.root), ODD),
                      json.dumps(h.n8n_workflow("Latin-1", nodes=3, seed=5)).encode())
        _, fixed = self.sync(*self.dbargs())
        self.assert_counts(fixed, added=1, updated=1, unchanged=3)
        self.assertEqual(self.listing()[ODD_TEXT]["version"], 2)
        status = self.status_json(*self.dbargs(), expect=0)
        self.assertTrue(status["clean"], status)

    def test_migration_create_of_odd_names_applies(self):
        h.write_bytes(os.path.join(os.fsencode(self.root), ODD),
                      json.dumps(h.n8n_workflow("Latin-1", seed=5)).encode())
        h.write_json(self.p(NEWLINE), h.n8n_workflow("Newline", seed=4))
        h.write_json(self.p("esc.json"), h.n8n_workflow(ESC_NAME, seed=8))
        h.write_json(self.p("nul-name.json"), h.n8n_workflow("Nul\u0000name", seed=7))
        self.sync(*self.dbargs(), expect=1)
        source = self.listing()
        mig = os.path.join(self.tmp, "migrations")
        create = ["migration", "create", "--dir", mig, "--root", self.root, "--dialect",
                  self.dialect, *self.dbargs()]
        # A NUL in the name: refused by name and field, nothing written.
        refused = self.fs(*create, "nul-name.json", expect=h.EXIT_DB)
        self.assertIn(NUL_NAME_ERROR, refused.stderr)
        self.assertFalse(os.path.exists(mig))
        # From the file (its bytes), from the database (path text, name).
        data = self.fs(*create, ODD, ODD_TEXT, NEWLINE, ESC_NAME, "--json", expect=0).json()
        self.assertEqual(sorted(f["path"] for f in data["files"]),
                         sorted([ODD_TEXT, NEWLINE, "esc.json"]))
        for f in data["files"]:
            raw = h.read_bytes(f["file"])
            raw.decode("utf-8")  # valid UTF-8
            self.assertEqual(control_bytes(raw), [], f["file"])
            self.assertEqual(f["workflow_id"], source[f["path"]]["id"])

        # Applied by flowsync's runner and by the dialect's own client.
        files = sorted(f["file"] for f in data["files"])
        for apply in (self.apply_with_flowsync, self.apply_with_client):
            target, client_target = self.new_target()
            apply(client_target if apply == self.apply_with_client else target, mig, files)
            listed = {w["path"]: w for w in self.list_json("--db", target)}
            for path in (ODD_TEXT, NEWLINE, "esc.json"):
                self.assertEqual(listed[path]["id"], source[path]["id"], apply.__name__)
                self.assertEqual(listed[path]["name"], source[path]["name"], apply.__name__)
            self.assertEqual(listed["esc.json"]["name"], ESC_NAME)

    def apply_with_flowsync(self, target, mig, _files):
        self.fs("migrate", "up", "--dir", mig, "--db", target, expect=0)


class HostileNamesSqliteTest(HostileNamesChecks, h.FlowsyncCase):
    dialect = "sqlite"

    def dbargs(self):
        return ()

    def new_target(self):
        """A database another environment synced: (--db, the sqlite3 CLI's)."""
        root = os.path.join(self.tmp, f"target-{uuid.uuid4().hex[:8]}")
        h.write_json(os.path.join(root, "other.json"), h.n8n_workflow("Other"))
        db = os.path.join(self.tmp, os.path.basename(root) + ".db")
        self.fs("sync", root, "--db", db, expect=0, cwd=self.tmp)
        return db, db

    def apply_with_client(self, target, _mig, files):
        if not shutil.which("sqlite3"):
            self.skipTest("the sqlite3 CLI is not installed")
        for file in files:
            with open(file, "rb") as f:
                proc = subprocess.run(["sqlite3", "-bail", target], stdin=f,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace")[-2000:])

    def test_rows_stored_before_names_were_path_text(self):
        # SQLite stored raw bytes and NUL before: such rows are still listed
        # as JSON, a NUL in a stored name is refused by `migration create`,
        # and the next sync moves the raw path to its path text (same id).
        h.write_bytes(os.path.join(os.fsencode(self.root), ODD),
                      json.dumps(h.n8n_workflow("Latin-1", seed=5)).encode())
        h.write_json(self.p("named.json"), h.n8n_workflow("Named", seed=6))
        self.sync()
        ids = {p: w["id"] for p, w in self.listing().items()}
        conn = sqlite3.connect(self.db)
        with conn:
            # As a database upgraded from then holds it: the base is the
            # stored path, as every row's is after the upgrade.
            conn.execute("UPDATE workflows SET path = CAST(? AS TEXT), "
                         "base_path = CAST(? AS TEXT) WHERE path = ?", (ODD, ODD, ODD_TEXT))
            conn.execute("UPDATE workflows SET name = 'Nul' || char(0) || 'name', content = ? "
                         "WHERE path = 'named.json'",
                         (json.dumps(h.n8n_workflow("Nul\u0000name", seed=6), indent=2),))
        conn.close()
        listed = self.list_json()  # valid JSON despite the raw bytes
        self.assertEqual(len(listed), 2)
        refused = self.fs("migration", "create", ids["named.json"], "--dir",
                          os.path.join(self.tmp, "m"), expect=h.EXIT_DB)
        self.assertIn("named.json:2:11: 'name' holds a NUL character (\\u0000), which "
                      "PostgreSQL cannot store", refused.stderr)
        _, report = self.sync("--full")
        self.assert_counts(report, renamed=1, unchanged=1)
        self.assertEqual(self.listing()[ODD_TEXT]["id"], ids[ODD_TEXT])


class HostileNamesPostgresTest(HostileNamesChecks, pgt.PostgresCase):
    dialect = "postgres"

    def dbargs(self):
        return ("--db", self.url)

    def new_target(self):
        """A database another environment synced: (--db, psql's URL)."""
        name = f"fs_{uuid.uuid4().hex[:16]}"
        h.psql(self.admin, f'CREATE DATABASE "{name}"')
        self.addCleanup(h.psql, self.admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        target = h.pg_url(self.admin, name, **self.url_params)
        root = os.path.join(self.tmp, name)
        h.write_json(os.path.join(root, "other.json"), h.n8n_workflow("Other"))
        self.fs("sync", root, "--db", target, expect=0, cwd=self.tmp)
        return target, h.pg_url(self.admin, name)

    def apply_with_client(self, target, _mig, files):
        for file in files:
            proc = subprocess.run(
                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d",
                 target, "-f", file], env=h.clean_env({"PGCONNECT_TIMEOUT": "10"}),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace")[-2000:])

    def test_jsonb_copy_is_null_where_it_cannot_hold_the_content(self):
        self.write_tree()
        self.sync(*self.dbargs(), expect=1)
        self.assertEqual(self.sql("SELECT path FROM workflows WHERE definition IS NULL"),
                         [("nul-param.json",)])
        self.assertEqual(self.sql_value("SELECT definition->>'name' FROM workflows "
                                        "WHERE path = 'good.json'"), "Good")


if __name__ == "__main__":
    unittest.main()
