"""`flowsync migration create`: migration files from the database (by id,
prefix, path, name, or everything changed within --since) and from files,
prod naming, dbmate sections, sidecars, credential reduction, the secret
refusal with --redact and --allow (in a bundle's README too), usage errors,
and the files applied with the sqlite3 CLI and with psql to a database
`flowsync sync` created.

The secrets here are made up: a GitHub-format token of repeated characters.
"""

import calendar
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import uuid

import fsync_helpers as h

FAKE_TOKEN = "ghp_" + "aB3dE7fG9h" * 4
CRED_ID = "cred-id-that-must-stay-home"
NAME_RE = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")
# A file of a batch: the second, a counter, the slug.
BATCH_NAME_RE = re.compile(r"^(\d{14})(\d+)_([a-z0-9_]+)\.sql$")


def with_credentials(doc, cred_id=CRED_ID):
    doc["nodes"][1]["credentials"] = {
        "httpHeaderAuth": {"id": cred_id, "name": "Shared header"},
        "slackApi": "Legacy slack",
    }
    return doc


def leaky(name):
    doc = h.n8n_workflow(name, nodes=2, seed=7)
    doc["nodes"][1]["parameters"]["token"] = FAKE_TOKEN
    return doc


def header(text):
    """The leading comment lines of a migration, as a list."""
    lines = []
    for line in text.split("\n"):
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


class MigrationCase(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.mig = os.path.join(self.tmp, "migrations")
        h.write_json(self.p("flows", "alpha.json"),
                     with_credentials(h.n8n_workflow("Alpha Flow", nodes=3, seed=1)))
        h.write_json(self.p("flows", "beta.json"), h.n8n_workflow("Beta", seed=2))
        h.write_bundle(self.p("bundles", "gamma"), h.n8n_workflow("inner", seed=3),
                       meta={"name": "Gamma Bundle", "categories": ["ops"]},
                       readme="# Gamma\n")
        h.write_text(self.p("jobs", "nightly.toml"),
                     '[[phase]]\ntask = "extract"\nrule = "cron=0 2 * * *"\n')
        self.sync()
        self.ids = {w["path"]: w["id"] for w in self.list_json()}

    def create(self, *args, expect=0, cwd=None):
        return self.fs("migration", "create", *args, "--dir", self.mig, "--root", self.root,
                       expect=expect, cwd=cwd)

    def create_json(self, *args, cwd=None):
        res = self.create(*args, "--json", cwd=cwd)
        try:
            return res.json()
        except ValueError:
            self.fail("--json did not print JSON: " + res.describe())

    def files(self):
        return sorted(os.listdir(self.mig)) if os.path.isdir(self.mig) else []

    def only_file(self, data):
        self.assertEqual(len(data["files"]), 1, data)
        return data["files"][0]


class FromDatabaseTest(MigrationCase):

    def test_by_id_prefix_path_and_name(self):
        alpha = self.ids["flows/alpha.json"]
        for query in (alpha, alpha[:8], "flows/alpha.json", "./flows/alpha.json",
                      "Alpha Flow"):
            with self.subTest(query=query):
                shutil.rmtree(self.mig, ignore_errors=True)
                # From the parent folder: "flows/alpha.json" is no file there,
                # so the database answers.
                entry = self.only_file(self.create_json(query, cwd=self.tmp))
                self.assertEqual(entry["workflow_id"], alpha)
                self.assertEqual(entry["path"], "flows/alpha.json")
                self.assertEqual(entry["name"], "Alpha Flow")
                self.assertIsNone(entry["sidecar"])
                self.assertEqual(entry["credential_references"], 2)
                name = os.path.basename(entry["file"])
                m = NAME_RE.match(name)
                self.assertTrue(m, name)
                self.assertEqual(m.group(2), "alpha_flow")
                self.assertEqual(self.files(), [name])
                text = h.read_text(os.path.join(self.mig, name))
                lines = header(text)
                self.assertEqual(lines[0], f"-- Migration: {name}")
                for line in ("-- Source: dev", "-- Workflow: Alpha Flow",
                             f"-- Workflow id: {alpha}", "-- Path: flows/alpha.json",
                             "-- Format: n8n",
                             "-- Credentials: 2 references kept as type and name (ids dropped)",
                             "-- flowsync:workflow-migration v1"):
                    self.assertIn(line, lines)
                self.assertNotIn("-- migrate:up", text)

    def test_text_output_and_every_format(self):
        res = self.create("Gamma Bundle", "jobs/nightly.toml", "flows/beta.json", cwd=self.tmp)
        lines = res.stdout.strip().split("\n")
        self.assertEqual(len(lines), 3, res.describe())
        for line in lines:
            self.assertRegex(line, r"^wrote .*/migrations/\d{15}_[a-z0-9_]+\.sql$")
        names = self.files()
        # In path order, sharing one second with a counter after it.
        self.assertEqual([BATCH_NAME_RE.match(n).group(3) for n in names],
                         ["gamma_bundle", "beta", "nightly"])
        self.assertEqual(len({BATCH_NAME_RE.match(n).group(1) for n in names}), 1)
        self.assertEqual([BATCH_NAME_RE.match(n).group(2) for n in names], ["1", "2", "3"])
        formats = [next(l for l in header(h.read_text(os.path.join(self.mig, n)))
                        if l.startswith("-- Format: ")) for n in names]
        self.assertEqual(formats, ["-- Format: bundle", "-- Format: n8n", "-- Format: phase"])

    def test_credentials_keep_type_and_name_only(self):
        self.create("flows/alpha.json", cwd=self.tmp)
        (name,) = self.files()
        text = h.read_text(os.path.join(self.mig, name))
        self.assertNotIn(CRED_ID, text)
        self.assertIn('"name": "Shared header"', text)
        self.assertIn('"name": "Legacy slack"', text)
        self.assertNotIn('"slackApi": "Legacy slack"', text)

    def test_since_window(self):
        data = self.create_json()  # default 7d: everything just synced
        self.assertEqual(sorted(f["path"] for f in data["files"]), sorted(self.ids))
        shutil.rmtree(self.mig)
        time.sleep(3.1)
        res = self.create("--since", "2s")
        self.assertEqual(res.stdout.strip(), "no workflow changed in the last 2s")
        self.assertEqual(self.files(), [])
        self.assertFalse(os.path.exists(self.mig))
        h.write_json(self.p("flows", "beta.json"), h.n8n_workflow("Beta 2", seed=2))
        self.sync()
        data = self.create_json("--since", "2s")
        self.assertEqual([f["path"] for f in data["files"]], ["flows/beta.json"])

    def test_prod_naming_and_dbmate_sections(self):
        self.create("flows/beta.json", "--source", "prod", "--format", "dbmate", cwd=self.tmp)
        (name,) = self.files()
        self.assertRegex(name, r"^\d{14}_prod_sync_beta\.sql$")
        text = h.read_text(os.path.join(self.mig, name))
        self.assertIn("-- Source: prod", header(text))
        lines = text.split("\n")
        self.assertEqual(lines.count("-- migrate:up"), 1)
        self.assertEqual(lines.count("-- migrate:down"), 1)
        self.assertLess(lines.index("-- migrate:up"), lines.index("-- migrate:down"))
        self.assertLess(lines.index("-- flowsync:workflow-migration v1"),
                        lines.index("-- migrate:up"))

    def test_versions_follow_the_folder(self):
        os.makedirs(self.mig)
        h.write_text(os.path.join(self.mig, "29991231235959_future.sql"), "SELECT 1;\n")
        self.create("flows/beta.json", cwd=self.tmp)
        self.assertEqual(self.files(), ["29991231235959_future.sql", "30000101000000_beta.sql"])

    def test_deterministic_apart_from_the_version(self):
        texts = []
        for _ in range(2):
            shutil.rmtree(self.mig, ignore_errors=True)
            self.create("flows/alpha.json", "Gamma Bundle", cwd=self.tmp)
            texts.append([re.sub(r"\d{14,}", "V", h.read_text(os.path.join(self.mig, n)))
                          for n in self.files()])
            time.sleep(1.1)
        self.assertEqual(texts[0], texts[1])

    def test_sidecar(self):
        data = self.create_json("flows/alpha.json", "--sidecar-threshold", "100", cwd=self.tmp)
        entry = self.only_file(data)
        self.assertIsNotNone(entry["sidecar"])
        sql_name = os.path.basename(entry["file"])
        side_name = os.path.basename(entry["sidecar"])
        self.assertEqual(side_name, sql_name[:-4] + ".json")
        self.assertEqual(self.files(), sorted([sql_name, side_name]))
        text = h.read_text(os.path.join(self.mig, sql_name))
        side = h.read_bytes(os.path.join(self.mig, side_name))
        self.assertIn(f"-- Sidecar: {side_name} sha256:{hashlib.sha256(side).hexdigest()}",
                      header(text))
        self.assertIn(":'flowsync_content'", text)
        doc = json.loads(side)
        self.assertEqual(doc["nodes"][1]["credentials"]["httpHeaderAuth"],
                         {"id": None, "name": "Shared header"})
        res = self.create("flows/beta.json", "--sidecar-threshold", "1MB", cwd=self.tmp)
        self.assertNotIn("sidecar", res.stdout)


class UnchangedTest(MigrationCase):
    """Regression: `migration create` of an unchanged workflow wrote a second,
    identical migration. The newest migration of the workflow in --dir (same
    id) carrying the same content hash means nothing to write."""

    def test_a_second_run_writes_nothing_unless_forced(self):
        self.create("flows/beta.json", cwd=self.tmp)
        (first,) = self.files()
        res = self.create("flows/beta.json", cwd=self.tmp)
        self.assertEqual(res.stdout,
                         f"unchanged since {first}; nothing written (--force to write anyway)\n")
        self.assertEqual(res.stderr, "")
        self.assertEqual(self.files(), [first])
        # From the file instead of the database: the same workflow, the same hash.
        res = self.create("flows/beta.json")
        self.assertIn(f"unchanged since {first}", res.stdout)
        res = self.create("flows/beta.json", "--force", cwd=self.tmp)
        self.assertRegex(res.stdout, r"^wrote .*/migrations/\d{14}_beta\.sql\n$")
        (second,) = [f for f in self.files() if f != first]
        self.assertGreater(second, first)
        # The newest one is the one compared: still unchanged.
        res = self.create("flows/beta.json", cwd=self.tmp)
        self.assertEqual(res.stdout,
                         f"unchanged since {second}; nothing written (--force to write anyway)\n")

    def test_a_batch_skips_only_the_unchanged_ones(self):
        data = self.create_json("flows/alpha.json", "flows/beta.json", cwd=self.tmp)
        self.assertEqual(data["skipped"], [])
        by_path = {f["path"]: os.path.basename(f["file"]) for f in data["files"]}
        h.write_json(self.p("flows", "beta.json"), h.n8n_workflow("Beta", nodes=3, seed=2))
        self.sync()
        data = self.create_json("flows/alpha.json", "flows/beta.json", "Gamma Bundle",
                                cwd=self.tmp)
        self.assertEqual(sorted(f["path"] for f in data["files"]),
                         ["bundles/gamma", "flows/beta.json"])
        self.assertEqual(data["skipped"], [{
            "workflow_id": self.ids["flows/alpha.json"],
            "name": "Alpha Flow",
            "path": "flows/alpha.json",
            "unchanged_since": os.path.join(self.mig, by_path["flows/alpha.json"]),
        }])
        self.assertEqual(len(self.files()), 4)
        # As text: each skipped one, then a count.
        h.write_json(self.p("flows", "beta.json"), h.n8n_workflow("Beta", nodes=4, seed=2))
        self.sync()
        res = self.create("flows/alpha.json", "flows/beta.json", cwd=self.tmp)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 3, res.describe())
        self.assertRegex(lines[0], r"^wrote .*/migrations/\d{14}_beta\.sql$")
        self.assertEqual(lines[1:], [
            f"unchanged flows/alpha.json since {by_path['flows/alpha.json']}",
            "1 written, 1 unchanged and not written (--force to write anyway)",
        ])
        # Nothing changed at all: exit 0, nothing written.
        before = self.files()
        data = self.create_json("flows/alpha.json", "flows/beta.json", cwd=self.tmp)
        self.assertEqual(data["files"], [])
        self.assertEqual(len(data["skipped"]), 2)
        self.assertEqual(self.files(), before)


class BatchVersionsTest(h.FlowsyncCase):
    """Regression: a batch took one second per file, so 2,017 files reached 33
    minutes into the future and a migration made by hand meanwhile was refused
    as out of order. A batch now shares the second before the run, with a
    counter after it."""

    COUNT = 2000

    def test_a_batch_of_2000_stays_behind_the_clock(self):
        h.write_many(self.root, self.COUNT, nodes=1)
        self.sync(quiet=True, timeout=300)
        mig = os.path.join(self.tmp, "migrations")
        started = time.time()
        self.fs("migration", "create", "--dir", mig, "--dialect", "sqlite", expect=0,
                timeout=600)
        names = sorted(os.listdir(mig))
        self.assertEqual(len(names), self.COUNT)
        versions = [n.split("_", 1)[0] for n in names]
        second = versions[0][:14]
        self.assertEqual(versions, [f"{second}{i:04d}" for i in range(1, self.COUNT + 1)])
        at = calendar.timegm(time.strptime(second, "%Y%m%d%H%M%S"))
        self.assertLessEqual(at, time.time(), "a version is ahead of the clock")
        self.assertGreaterEqual(at, int(started) - 1)

        target = os.path.join(self.tmp, "target.db")
        res = self.fs("migrate", "up", "--dir", mig, "--db", target, expect=0, timeout=600)
        # The runner applies them in file name order (dbmate's).
        applied = re.findall(r"(?m)^applied (\S+) \(\d+ ms\)$", res.stdout)
        self.assertEqual(applied, names)
        self.assertEqual(res.stdout.splitlines()[-1], f"{self.COUNT} applied, 0 pending")

        # A migration made by hand right after, named as dbmate new names it.
        by_hand = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "_by_hand.sql"
        h.write_text(os.path.join(mig, by_hand), "CREATE TABLE by_hand (x INTEGER);\n")
        res = self.fs("migrate", "up", "--dir", mig, "--db", target, expect=0)
        self.assertRegex(res.stdout, rf"^applied {by_hand} \(\d+ ms\)\n1 applied, 0 pending\n$")
        self.assertEqual(h.query(target, "SELECT count(*) FROM workflows")[0][0], self.COUNT)


class FromFilesTest(MigrationCase):

    def test_synced_file_keeps_its_id(self):
        entry = self.only_file(self.create_json("flows/alpha.json"))  # cwd = root
        self.assertEqual(entry["workflow_id"], self.ids["flows/alpha.json"])
        entry = self.only_file(self.create_json(self.p("bundles", "gamma") + "/"))
        self.assertEqual(entry["workflow_id"], self.ids["bundles/gamma"])
        self.assertEqual(entry["name"], "Gamma Bundle")

    def test_new_file_gets_the_id_sync_would_give(self):
        h.write_json(self.p("flows", "new.json"), h.n8n_workflow("Brand New", seed=9))
        entry = self.only_file(self.create_json("flows/new.json"))
        self.assertTrue(h.is_uuid_v5(entry["workflow_id"]), entry)
        self.assertNotIn(entry["workflow_id"], self.ids.values())
        self.sync()
        self.assertEqual(self.by_path()["flows/new.json"]["id"], entry["workflow_id"])

    def test_files_without_a_database(self):
        other = os.path.join(self.tmp, "elsewhere")
        h.write_json(os.path.join(other, "w.json"), h.n8n_workflow("Solo", seed=4))
        res = self.fs("migration", "create", "w.json", "--dir", self.mig, "--json",
                      "--root", other, expect=0, cwd=other)
        entry = self.only_file(res.json())
        self.assertTrue(h.is_uuid_v5(entry["workflow_id"]))
        self.assertFalse(os.path.exists(os.path.join(other, ".flowsync")),
                         "reading files must not create a database")

    def test_file_outside_the_root_is_refused(self):
        outside = os.path.join(self.tmp, "outside.json")
        h.write_json(outside, h.n8n_workflow("Outside"))
        res = self.create(outside, expect=h.EXIT_USAGE)
        self.assertIn("outside the sync root", res.stderr)
        self.assertEqual(self.files(), [])


class SecretsTest(MigrationCase):

    def setUp(self):
        super().setUp()
        h.write_json(self.p("flows", "leaky.json"), leaky("Leaky Flow"))
        self.sync()

    def test_refusal_names_workflow_and_path_never_the_value(self):
        for args in (["Leaky Flow", "flows/beta.json"], []):
            with self.subTest(args=args):
                res = self.create(*args, expect=h.EXIT_GUARD, cwd=self.tmp)
                self.assertIn("Leaky Flow (id ", res.stderr)
                self.assertIn("nodes[1].parameters.token: github-token", res.stderr)
                self.assertNotIn(FAKE_TOKEN, res.stderr + res.stdout)
                self.assertNotIn("aB3dE7fG9h", res.stderr + res.stdout)
                self.assertEqual(self.files(), [], "a refusal writes nothing")

    def test_refusal_from_a_file_too(self):
        res = self.create("flows/leaky.json", expect=h.EXIT_GUARD)
        self.assertIn("nodes[1].parameters.token", res.stderr)
        self.assertNotIn(FAKE_TOKEN, res.stderr)

    def test_redact(self):
        entry = self.only_file(self.create_json("Leaky Flow", "--redact", cwd=self.tmp))
        self.assertEqual(entry["redacted"], ["nodes[1].parameters.token"])
        text = h.read_text(entry["file"])
        self.assertNotIn(FAKE_TOKEN, text)
        self.assertIn("__REDACTED__", text)
        self.assertIn("-- Redacted: nodes[1].parameters.token", header(text))

    def test_allow(self):
        res = self.create("Leaky Flow", "--allow", "nodes[1].parameters.token",
                          "--allow", "nodes[0].parameters.nothing", cwd=self.tmp)
        self.assertIn("--allow nodes[0].parameters.nothing matched no finding", res.stderr)
        (name,) = self.files()
        text = h.read_text(os.path.join(self.mig, name))
        self.assertIn("-- Allowed: nodes[1].parameters.token", header(text))
        self.assertTrue(FAKE_TOKEN in text, "an allowed value is kept as it is")


class BundleSecretsTest(MigrationCase):
    """A token pasted into a bundle's README travels with the workflow: it is
    refused like one in the workflow JSON, and --redact replaces it."""

    def setUp(self):
        super().setUp()
        readme = "# Docs\n\nThe token used to be " + FAKE_TOKEN + ", now in n8n.\n"
        h.write_bundle(self.p("bundles", "docs"), h.n8n_workflow("inner", seed=8),
                       meta={"name": "Docs Bundle"}, readme=readme)
        self.sync()

    def test_readme_token_refused_then_redacted(self):
        for where, cwd in (("Docs Bundle", self.tmp), ("bundles/docs", self.root)):
            with self.subTest(where=where):
                res = self.create(where, expect=h.EXIT_GUARD, cwd=cwd)
                self.assertIn("Docs Bundle (id ", res.stderr)
                self.assertIn("README.md:3: github-token", res.stderr)
                self.assertNotIn("aB3dE7fG9h", res.stderr + res.stdout)
                self.assertEqual(self.files(), [], "a refusal writes nothing")

        entry = self.only_file(self.create_json("Docs Bundle", "--redact", cwd=self.tmp))
        self.assertEqual(entry["redacted"], ["README.md:3"])
        text = h.read_text(entry["file"])
        self.assertNotIn("aB3dE7fG9h", text)
        self.assertIn("The token used to be __REDACTED__, now in n8n.", text)
        self.assertIn("-- Redacted: README.md:3", header(text))


class UsageTest(MigrationCase):

    def test_bad_flags_exit_2_and_write_nothing(self):
        cases = [
            ["flows/beta.json", "--source", "qa"],
            ["flows/beta.json", "--format", "flyway"],
            ["flows/beta.json", "--dialect", "mysql"],
            ["--since", "3x"],
            ["--since", "d7"],
            ["flows/beta.json", "--since", "7d"],
            ["flows/beta.json", "--sidecar-threshold", "lots"],
            ["flows/beta.json", "--bogus"],
        ]
        for args in cases:
            with self.subTest(args=args):
                res = self.create(*args, expect=h.EXIT_USAGE)
                self.assertTrue(res.stderr.strip(), res.describe())
                self.assertEqual(self.files(), [])
        res = self.create("--since", "3x", expect=h.EXIT_USAGE)
        self.assertIn("--since", res.stderr)
        self.fs("migration", expect=h.EXIT_USAGE)  # a sub-command is required

    def test_unknown_workflow_exits_1(self):
        res = self.create("no-such-workflow", expect=h.EXIT_FAILED, cwd=self.tmp)
        self.assertIn("no-such-workflow", res.stderr)
        self.assertEqual(self.files(), [])

    def test_ambiguous_name_exits_2(self):
        h.write_json(self.p("flows", "beta-copy.json"), h.n8n_workflow("Beta", seed=5))
        self.sync()
        res = self.create("Beta", expect=h.EXIT_USAGE, cwd=self.tmp)
        self.assertIn("ambiguous", res.stderr)
        self.assertIn("flows/beta.json", res.stderr)
        self.assertIn("flows/beta-copy.json", res.stderr)

    def test_deleted_workflow_is_refused(self):
        os.remove(self.p("flows", "beta.json"))
        self.sync("--full")
        for query in (self.ids["flows/beta.json"], "Beta"):
            with self.subTest(query=query):
                res = self.create(query, expect=h.EXIT_GUARD, cwd=self.tmp)
                self.assertIn("deleted", res.stderr)
        self.assertEqual(self.files(), [])

    def test_help(self):
        res = self.fs("migration", "create", "--help", expect=0)
        for option in ("--dir", "--source", "--dialect", "--format", "--since", "--redact",
                       "--allow", "--sidecar-threshold", "--notes", "--json", "--db",
                       "--project"):
            self.assertIn(option, res.stdout)


def workflow_sql_is_real(text):
    return "INSERT INTO workflows" in text


class ApplySqliteTest(MigrationCase):
    """A generated file applied with the sqlite3 CLI to another environment's
    database, created by `flowsync sync`."""

    def setUp(self):
        super().setUp()
        if not shutil.which("sqlite3"):
            self.skipTest("the sqlite3 CLI is not installed")
        self.target_root = os.path.join(self.tmp, "target")
        h.write_json(os.path.join(self.target_root, "other.json"), h.n8n_workflow("Other"))
        self.target_db = os.path.join(self.tmp, "target.db")
        self.fs("sync", self.target_root, "--db", self.target_db, expect=0, cwd=self.tmp)

    def apply(self, path):
        with open(path, "rb") as f:
            proc = subprocess.run(["sqlite3", "-bail", self.target_db], stdin=f,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace")[-2000:])

    def test_apply_with_sqlite3(self):
        data = self.create_json("flows/alpha.json", "Gamma Bundle", "--dialect", "sqlite",
                                "--notes", "ticket 42", cwd=self.tmp)
        texts = [h.read_text(f["file"]) for f in data["files"]]
        if not workflow_sql_is_real(texts[0]):
            self.skipTest("promote/workflow_sql.cc does not write SQL yet")
        for f in data["files"]:
            self.apply(f["file"])
        for f in data["files"]:
            res = self.fs("show", f["workflow_id"], "--json", "--db", self.target_db, expect=0,
                          cwd=self.tmp)
            shown = res.json()
            self.assertEqual(shown["path"], f["path"])
            self.assertEqual(shown["name"], f["name"])
        res = self.fs("show", self.ids["flows/alpha.json"], "--content", "--db", self.target_db,
                      expect=0, cwd=self.tmp)
        self.assertNotIn(CRED_ID, res.stdout)
        self.assertEqual(h.query(self.target_db, "SELECT count(*) FROM workflows")[0][0], 3)


class ApplyPostgresTest(MigrationCase):
    """A generated file applied with psql to a PostgreSQL database created
    by `flowsync sync`."""

    def setUp(self):
        super().setUp()
        try:
            self.admin = h.pg_admin_url()
        except RuntimeError as e:
            raise AssertionError(str(e)) from None
        if self.admin is None:
            if h.pg_required():
                self.fail(f"{h.PG_DIR_ENV} is not set and {h.PG_REQUIRE_ENV}=1")
            self.skipTest(f"{h.PG_DIR_ENV} is not set: no PostgreSQL test cluster")
        if not shutil.which("psql"):
            self.fail("psql is not installed")
        self.dbname = f"fs_{uuid.uuid4().hex[:16]}"
        h.psql(self.admin, f'CREATE DATABASE "{self.dbname}"')
        self.addCleanup(h.psql, self.admin, f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.sql_url = h.pg_url(self.admin, self.dbname)
        self.url = h.pg_url(self.admin, self.dbname, sslmode="disable", connect_timeout="5")
        target_root = os.path.join(self.tmp, "target")
        h.write_json(os.path.join(target_root, "other.json"), h.n8n_workflow("Other"))
        self.fs("sync", target_root, "--db", self.url, expect=0, cwd=self.tmp)

    def psql_file(self, path, *variables):
        args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
        for v in variables:
            args += ["-v", v]
        proc = subprocess.run(args + ["-d", self.sql_url, "-f", path],
                              env=h.clean_env({"PGCONNECT_TIMEOUT": "10"}),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode("utf-8", "replace")[-2000:])

    def test_apply_with_psql(self):
        data = self.create_json("flows/alpha.json", "Gamma Bundle", "jobs/nightly.toml",
                                "--dialect", "postgres", cwd=self.tmp)
        if not workflow_sql_is_real(h.read_text(data["files"][0]["file"])):
            self.skipTest("promote/workflow_sql.cc does not write SQL yet")
        for f in data["files"]:
            self.psql_file(f["file"])
        for f in data["files"]:
            res = self.fs("show", f["workflow_id"], "--json", "--db", self.url, expect=0,
                          cwd=self.tmp)
            self.assertEqual(res.json()["path"], f["path"])
        self.assertEqual(h.psql_value(self.sql_url, "SELECT count(*) FROM workflows"), "4")

    def test_apply_sidecar_with_psql(self):
        data = self.create_json("flows/beta.json", "--dialect", "postgres",
                                "--sidecar-threshold", "10", cwd=self.tmp)
        entry = self.only_file(data)
        if not workflow_sql_is_real(h.read_text(entry["file"])):
            self.skipTest("promote/workflow_sql.cc does not write SQL yet")
        content = h.read_text(entry["sidecar"])
        self.psql_file(entry["file"], f"flowsync_content={content}")
        res = self.fs("show", entry["workflow_id"], "--content", "--db", self.url, expect=0,
                      cwd=self.tmp)
        self.assertEqual(res.stdout, content)


if __name__ == "__main__":
    unittest.main()
