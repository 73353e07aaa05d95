"""The command line: help, usage errors, database URLs and their precedence,
root discovery, refusal of a newer schema, status, output on a pipe."""

import os
import re
import unittest

import fsync_helpers as h

COMMANDS = ["sync", "list", "show", "log", "rate", "status"]


class HelpAndUsageTest(h.FlowsyncCase):

    def test_help_on_every_command(self):
        res = self.fs("--help", expect=0)
        for command in COMMANDS:
            self.assertIn(command, res.stdout, f"top-level help does not list {command}")
        for command in COMMANDS:
            res = self.fs(command, "--help", expect=0)
            self.assertIn("--db", res.stdout, f"`{command} --help` does not document --db")
        self.assertFalse(os.path.exists(os.path.join(self.root, ".flowsync")),
                         "--help must not create a database")

    def test_sync_help_documents_its_options(self):
        res = self.fs("sync", "--help", expect=0)
        for option in ("--full", "--dry-run", "--force", "--json", "--watch", "--interval",
                       "--debounce", "--max-file-size", "--lock-timeout"):
            self.assertIn(option, res.stdout)

    def test_usage_errors_exit_2(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        before = h.dump(self.db)
        cases = [
            ["frobnicate"],
            ["sync", self.root, "--no-such-option"],
            ["sync", self.root, "--max-file-size", "lots"],
            ["sync", self.root, "--max-file-size", "-5KB"],
            ["sync", self.root, "--lock-timeout", "soon"],
            ["sync", self.root, "--interval", "often"],
            ["list", "--bogus"],
            ["log", "--limit", "abc"],
            ["show"],
            ["rate", "a.json", "sideways", "--user", "alice"],
            ["status", self.root, "--bogus"],
        ]
        for args in cases:
            with self.subTest(args=args):
                res = self.fs(*args)
                self.assertEqual(res.returncode, 2, res.describe())
                self.assertTrue(res.stderr.strip(), "usage error without a message")
        self.assertEqual(h.dump(self.db), before)

    def test_unreachable_postgres_names_host_and_port(self):
        # A PostgreSQL URL selects the PostgreSQL backend, from the flag and
        # from the environment alike; nothing listens on port 1 here.
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        url = "postgres://flowsync@127.0.0.1:1/flowsync?connect_timeout=3"
        for how in ("flag", "env"):
            with self.subTest(how=how):
                if how == "flag":
                    res = self.fs("sync", self.root, "--db", url)
                else:
                    res = self.fs("sync", self.root, env={"DATABASE_URL": url})
                self.assertEqual(res.returncode, 5, res.describe())
                self.assertIn("127.0.0.1", res.stderr)
                self.assertIn("1", res.stderr)
                self.assertIn("cannot connect", res.stderr)
        res = self.fs("list", "--db", "postgresql://127.0.0.1:1/x?connect_timeout=3")
        self.assertEqual(res.returncode, 5, res.describe())
        self.assertFalse(os.path.exists(self.db), "a PostgreSQL URL must not fall back to SQLite")

    def test_grant_needs_postgres_and_creates_nothing(self):
        # A usage error (the README's table), not a database error.
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        before = h.dump(self.db)
        other = os.path.join(self.tmp, "other.db")
        for args in (["grant", "team", "someone"], ["grant", "team", "someone", "--db", other]):
            with self.subTest(args=args):
                res = self.fs(*args, expect=h.EXIT_USAGE)
                self.assertEqual(res.stderr, "flowsync: error: projects are granted to database "
                                             "roles, which SQLite does not have; use PostgreSQL\n")
        self.assertFalse(os.path.exists(other))
        self.assertEqual(h.dump(self.db), before)

    def test_misspelt_command_gets_the_nearest(self):
        res = self.fs("synk", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: unknown command 'synk'; did you mean "
                                     "`sync`? (`flowsync help` lists the commands)\n")
        res = self.fs("migrate", "stauts", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: unknown command 'migrate stauts'; did you "
                                     "mean `migrate status`? (`flowsync help migrate` lists the "
                                     "commands)\n")
        self.assertFalse(os.path.exists(self.p(".flowsync")))

    def test_help_command(self):
        self.assertEqual(self.fs("help", "sync", expect=0).stdout,
                         self.fs("sync", "--help", expect=0).stdout)
        self.assertEqual(self.fs("help", "migrate", "up", expect=0).stdout,
                         self.fs("migrate", "up", "--help", expect=0).stdout)
        general = self.fs("help", expect=0).stdout
        self.assertEqual(general, self.fs("--help", expect=0).stdout)
        self.assertIn("Usage: flowsync [OPTIONS] SUBCOMMAND", general)

    def test_help_lists_the_exit_statuses_of_the_readme(self):
        # The README's table is the interface; `--help` prints the same rows.
        readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        table = text[text.index("### Exit status"):]
        documented = dict(re.findall(r"(?m)^\| (\d) \| (.+) \|$", table))
        footer = self.fs("--help", expect=0).stdout
        footer = footer[footer.index("Exit status:\n"):]
        printed, last = {}, None
        for line in footer.splitlines()[1:]:
            m = re.match(r"^  (\d)  (.*)$", line)
            if m:
                last = m.group(1)
                printed[last] = m.group(2)
            elif line.startswith("     ") and last:
                printed[last] += " " + line.strip()
            else:
                break
        self.assertEqual(sorted(documented), ["0", "1", "2", "3", "4", "5", "6"])
        self.assertEqual(printed, documented)

    def test_option_errors_are_short_and_prefixed(self):
        res = self.fs("log", "-n", "-3", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --limit: expected a number from 0 to "
                                     "1000000000, got '-3' (see `flowsync log --help`)\n")
        res = self.fs("sync", self.root, "--lock-timeout", "-2", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --lock-timeout: expected a number from 0 "
                                     "to 604800, got '-2' (see `flowsync sync --help`)\n")
        res = self.fs("list", "--bogus", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: the following argument was not expected: "
                                     "--bogus (see `flowsync list --help`)\n")

    def test_short_id_prefix_says_how_long_a_prefix_must_be(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        prefix = self.list_json()[0]["id"][:3]
        res = self.fs("show", prefix, expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, f"flowsync: error: no workflow '{prefix}': an id prefix "
                                     "needs at least 4 characters (see `flowsync list`)\n")
        self.fs("show", self.list_json()[0]["id"][:4], expect=0)
        res = self.fs("show", "nope.json", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no workflow 'nope.json' (give an id, a "
                                     "unique id prefix of 4 or more characters or a path; see "
                                     "`flowsync list`)\n")

    def test_unknown_url_scheme_is_refused(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        res = self.fs("sync", self.root, "--db", "mysql://localhost/x")
        self.assertEqual(res.returncode, 2, res.describe())
        self.assertTrue(res.stderr.strip())
        self.assertFalse(os.path.exists(self.db))

    def test_newer_schema_is_refused_and_left_untouched(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        conn = h.connect(self.db)
        with conn:
            conn.execute("UPDATE flowsync_meta SET value = '999' WHERE key = 'schema_version'")
        conn.close()
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        before = h.dump(self.db)
        for args in (["sync", self.root], ["sync", self.root, "--full", "--json"],
                     ["list"], ["status", self.root], ["show", "a.json"], ["log"],
                     ["rate", "a.json", "up", "--user", "u"]):
            with self.subTest(args=args):
                res = self.fs(*args)
                self.assertEqual(res.returncode, 5, res.describe())
                self.assertIn("newer", res.stderr.lower())
        self.assertEqual(h.query(self.db, "SELECT value FROM flowsync_meta "
                                 "WHERE key = 'schema_version'"), [("999",)])
        self.assertEqual(h.dump(self.db), before)

    def test_schema_version_is_recorded(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        self.sync()
        rows = h.query(self.db, "SELECT value FROM flowsync_meta WHERE key = 'schema_version'")
        self.assertEqual(len(rows), 1)
        self.assertTrue(str(rows[0][0]).isdigit() and int(rows[0][0]) >= 1, rows)
        tables = {r[0] for r in h.query(self.db, "SELECT name FROM sqlite_master "
                                        "WHERE type = 'table'")}
        self.assertLessEqual({"workflows", "workflow_categories", "workflow_ratings",
                              "workflow_versions", "workflow_sync_log", "sync_runs",
                              "workflow_findings", "phase_entries", "flowsync_meta"}, tables)
        columns = {r[1] for r in h.query(self.db, "PRAGMA table_info(workflows)")}
        self.assertLessEqual({"id", "name", "path", "format", "content", "content_hash",
                              "metadata", "active", "created_at", "updated_at", "deleted_at",
                              "version", "source_id"}, columns)


class DatabaseUrlTest(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))

    def holds_a(self, path):
        return os.path.isfile(path) and \
            h.query(path, "SELECT path FROM workflows") == [("a.json",)]

    def test_default_location(self):
        self.sync()
        self.assertTrue(self.holds_a(self.db))
        self.assertEqual(self.list_json()[0]["path"], "a.json")

    def test_url_forms(self):
        absolute = os.path.join(self.tmp, "abs.db")
        self.sync("--db", f"sqlite://{absolute}")  # sqlite:///ABS/PATH
        self.assertTrue(self.holds_a(absolute))
        self.sync("--db", "sqlite:rel.db", cwd=self.tmp)
        self.assertTrue(self.holds_a(os.path.join(self.tmp, "rel.db")))
        self.sync("--db", "bare.db", cwd=self.tmp)
        self.assertTrue(self.holds_a(os.path.join(self.tmp, "bare.db")))
        self.sync("--db", f"sqlite:{os.path.join(self.tmp, 'plain.db')}")
        self.assertTrue(self.holds_a(os.path.join(self.tmp, "plain.db")))
        self.assertFalse(os.path.exists(self.db), "default database used despite --db")

    def test_precedence_flag_env_config_default(self):
        h.write_text(self.p("flowsync.toml"), '[database]\nurl = "sqlite:cfg.db"\n')
        cfg = self.p("cfg.db")
        env_db = os.path.join(self.tmp, "env.db")
        flag_db = os.path.join(self.tmp, "flag.db")
        # flowsync.toml beats the default; its path is relative to its folder,
        # not to the current directory.
        self.sync(cwd=self.tmp)
        self.assertTrue(self.holds_a(cfg))
        self.assertFalse(os.path.exists(self.db))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "cfg.db")))
        os.remove(cfg)
        # DATABASE_URL beats flowsync.toml.
        self.sync(env={"DATABASE_URL": f"sqlite:{env_db}"})
        self.assertTrue(self.holds_a(env_db))
        self.assertFalse(os.path.exists(cfg))
        # --db beats both.
        self.sync("--db", flag_db, env={"DATABASE_URL": f"sqlite:{env_db}"})
        self.assertTrue(self.holds_a(flag_db))
        self.assertFalse(os.path.exists(cfg))
        self.assertEqual(h.query(env_db, "SELECT count(*) FROM sync_runs")[0][0], 1,
                         "DATABASE_URL database written despite --db")
        self.assertFalse(os.path.exists(self.db))

    def test_readers_honour_the_same_precedence(self):
        h.write_text(self.p("flowsync.toml"), '[database]\nurl = "sqlite:cfg.db"\n')
        self.sync()
        other = os.path.join(self.tmp, "other.db")
        h.write_json(os.path.join(self.tmp, "o", "x.json"), h.n8n_workflow("X"))
        self.sync("--db", other, root=os.path.join(self.tmp, "o"))
        self.assertEqual([w["path"] for w in self.list_json()], ["a.json"])
        self.assertEqual([w["path"] for w in self.list_json("--db", other)], ["x.json"])
        res = self.fs("list", "--json", env={"DATABASE_URL": f"sqlite:{other}"}, expect=0)
        self.assertEqual([w["path"] for w in res.json()], ["x.json"])


class RootDiscoveryTest(h.FlowsyncCase):

    def test_commands_find_the_root_from_a_subfolder(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        h.write_json(self.p("deep", "er", "b.json"), h.n8n_workflow("B", seed=2))
        self.sync()
        sub = self.p("deep", "er")
        self.assertEqual(sorted(w["path"] for w in self.list_json(cwd=sub)),
                         ["a.json", "deep/er/b.json"])
        self.fs("show", "a.json", expect=0, cwd=sub)
        self.assertEqual(len(self.fs("log", "--json", expect=0, cwd=sub).json()), 2)
        self.fs("rate", "a.json", "up", "--user", "u", expect=0, cwd=sub)
        self.assertEqual(self.show("a.json")["ratings"], {"up": 1, "down": 0})
        h.write_json(self.p("c.json"), h.n8n_workflow("C", seed=3))
        res = self.fs("status", "--json", expect=0, cwd=sub)
        self.assertEqual(res.json()["added"], ["c.json"])
        self.assertFalse(os.path.exists(os.path.join(sub, ".flowsync")))

    def test_config_file_marks_the_root(self):
        h.write_text(self.p("flowsync.toml"), '[database]\nurl = "sqlite:state/fs.db"\n')
        os.makedirs(self.p("state"))
        h.write_json(self.p("x", "a.json"), h.n8n_workflow("A"))
        self.sync()
        self.assertTrue(os.path.isfile(self.p("state", "fs.db")))
        self.assertFalse(os.path.exists(self.db))
        self.assertEqual([w["path"] for w in self.list_json(cwd=self.p("x"))], ["x/a.json"])

    def test_sync_without_root_uses_the_current_directory(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        res = self.fs("sync", "--json", expect=0, cwd=self.root)
        self.assertEqual(res.json()["added"], 1)
        self.assertTrue(os.path.isfile(self.db))

    def test_the_tour_run_from_the_parent_of_the_root(self):
        # Regression: after `flowsync sync flows/`, commands run from the
        # parent took it for the root; `migration create flows/n8n/...` then
        # derived a new id from "flows/n8n/..." and its migration added a
        # duplicate of the stored workflow.
        scratch = self.tmp
        flows = os.path.join(scratch, "flows")
        h.write_json(os.path.join(flows, "n8n", "slack-standup.json"),
                     h.n8n_workflow("Slack standup"))
        h.write_json(os.path.join(flows, "orders.json"), h.n8n_workflow("Orders", seed=2))
        self.fs("sync", "flows/", expect=0, cwd=scratch)
        db = os.path.join(flows, ".flowsync", "flowsync.db")
        stored = dict(h.query(db, "SELECT path, id FROM workflows"))
        self.assertEqual(sorted(stored), ["n8n/slack-standup.json", "orders.json"])

        # No path below the root: nothing to find it from; refuse, never guess.
        for args, remedy in ((["list"], " or --db"), (["log"], " or --db"), (["status"], ""),
                             (["phases", "validate"], "")):
            with self.subTest(args=args):
                res = self.fs(*args, expect=h.EXIT_USAGE, cwd=scratch)
                self.assertEqual(res.stderr, f"flowsync: error: no flowsync root in {scratch} or "
                                             "any parent (no .flowsync/ folder or flowsync.toml); "
                                             "run `flowsync sync TREE` first, or pass --root"
                                             f"{remedy}\n")
                self.assertEqual(res.stdout, "")
        self.assertFalse(os.path.exists(os.path.join(scratch, ".flowsync")))

        # A path below the root finds it, and names its workflow as from inside.
        shown = self.fs("show", "flows/n8n/slack-standup.json", "--json", expect=0,
                        cwd=scratch).json()
        self.assertEqual((shown["path"], shown["id"]),
                         ("n8n/slack-standup.json", stored["n8n/slack-standup.json"]))
        inside = self.fs("show", "slack-standup.json", "--json", expect=0,
                         cwd=os.path.join(flows, "n8n")).json()
        self.assertEqual(inside["id"], shown["id"])
        events = self.fs("log", "--workflow", "flows/orders.json", "--json", expect=0,
                         cwd=scratch).json()
        self.assertEqual([e["path"] for e in events], ["orders.json"])
        self.assertEqual(len(self.fs("list", "--root", "flows", "--json", expect=0,
                                     cwd=scratch).json()), 2)

        # migration create computes the stored id from the parent too ...
        created = self.fs("migration", "create", "flows/n8n/slack-standup.json", "--dir",
                          "migrations", "--json", expect=0, cwd=scratch).json()
        self.assertEqual([(f["path"], f["workflow_id"]) for f in created["files"]],
                         [("n8n/slack-standup.json", stored["n8n/slack-standup.json"])])
        # ... as it does from inside the root.
        again = self.fs("migration", "create", "n8n/slack-standup.json", "--dir",
                        os.path.join(scratch, "inside"), "--json", expect=0, cwd=flows).json()
        self.assertEqual(again["files"][0]["workflow_id"], stored["n8n/slack-standup.json"])
        # Applied to the synced database, it is the same workflow, not a second one.
        self.fs("migrate", "up", "--dir", "migrations", "--root", "flows", expect=0, cwd=scratch)
        self.assertEqual(dict(h.query(db, "SELECT path, id FROM workflows")), stored)
        self.assertEqual(h.query(db, "SELECT count(*) FROM flowsync_migrations"), [(1,)])

    def test_no_command_but_sync_guesses_a_root(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        os.makedirs(self.p("migrations"))
        refusal = (f"flowsync: error: no flowsync root in {self.root} or any parent (no "
                   ".flowsync/ folder or flowsync.toml); run `flowsync sync TREE` first, or pass "
                   "--root")
        cases = [
            (["list"], " or --db"),
            (["show", "a.json"], " or --db"),
            (["show", "0123abcd"], " or --db"),
            (["log"], " or --db"),
            (["rate", "a.json", "up", "--user", "u"], " or --db"),
            (["status"], ""),
            (["phases", "validate"], ""),
            (["phases", "get", "t"], ""),
            (["migration", "create", "a.json"], ""),  # a file: its id needs its root
            (["migration", "create"], " or --db"),
            (["migrate", "status", "--dir", "migrations"], " or --db"),
            (["migrate", "up", "--dir", "migrations"], " or --db"),
        ]
        for args, remedy in cases:
            with self.subTest(args=args):
                res = self.fs(*args, expect=h.EXIT_USAGE, cwd=self.root)
                self.assertEqual(res.stderr, refusal + remedy + "\n")
        self.assertEqual(sorted(os.listdir(self.root)), ["a.json", "migrations"],
                         "a refused command created something")
        # With the database named, readers of the database need no root.
        other = os.path.join(self.tmp, "other.db")
        self.fs("sync", ".", "--db", other, expect=0, cwd=self.root)
        self.assertEqual([w["path"] for w in self.list_json("--db", other)], ["a.json"])
        self.assertEqual(self.fs("show", "a.json", "--db", other, "--json", expect=0)
                         .json()["path"], "a.json")
        res = self.fs("log", "--json", expect=0, env={"DATABASE_URL": f"sqlite:{other}"})
        self.assertEqual(len(res.json()), 1)
        # status reads the tree: --root or its TREE names it.
        self.fs("status", "--db", other, expect=h.EXIT_USAGE)
        self.fs("status", "--db", other, "--root", ".", "--exit-code", expect=0)
        self.fs("status", ".", "--db", other, "--exit-code", expect=0)

    def test_a_named_root_that_is_missing_is_refused_as_sync_refuses_it(self):
        missing = os.path.join(self.tmp, "nonexistent")
        res = self.fs("sync", missing, expect=h.EXIT_GUARD)
        self.assertIn("missing or unreadable", res.stderr)
        refusal = (f"flowsync: error: root {missing} is missing or unreadable (No such file or "
                   "directory); refusing to read it as an empty tree\n")
        for args in (["status", missing], ["status", "--root", missing],
                     ["phases", "validate", "--root", missing], ["list", "--root", missing],
                     ["migration", "create", "a.json", "--root", missing]):
            with self.subTest(args=args):
                res = self.fs(*args, expect=h.EXIT_GUARD)
                self.assertEqual(res.stderr, refusal)
        self.assertFalse(os.path.exists(missing))

    def test_paths_of_two_roots_are_refused(self):
        for tree in ("one", "two"):
            h.write_json(os.path.join(self.tmp, tree, "a.json"), h.n8n_workflow(tree))
            self.fs("sync", tree, expect=0, cwd=self.tmp)
        res = self.fs("migration", "create", "one/a.json", "two/a.json", "--dir", "m",
                      expect=h.EXIT_USAGE, cwd=self.tmp)
        self.assertEqual(res.stderr, f"flowsync: error: one/a.json is below the flowsync root "
                                     f"{self.tmp}/one, two/a.json below {self.tmp}/two: name "
                                     "workflows of one root at a time\n")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "m")))


class StatusTest(h.FlowsyncCase):

    def test_status_reports_every_kind_and_writes_nothing(self):
        h.write_json(self.p("keep.json"), h.n8n_workflow("Keep", seed=1))
        h.write_json(self.p("edit.json"), h.n8n_workflow("Edit", seed=2))
        h.write_json(self.p("move.json"), h.n8n_workflow("Move", seed=3))
        h.write_json(self.p("gone.json"), h.n8n_workflow("Gone", seed=4))
        h.write_json(self.p("back.json"), h.n8n_workflow("Back", seed=5))
        self.sync()
        status = self.status_json(expect=0)
        self.assertLessEqual(h.STATUS_KEYS, set(status))
        self.assertIs(status["clean"], True)
        self.fs("status", self.root, "--exit-code", expect=0)
        saved = h.read_bytes(self.p("back.json"))
        os.remove(self.p("back.json"))
        self.sync("--full")
        h.write_bytes(self.p("back.json"), saved)
        h.write_json(self.p("new.json"), h.n8n_workflow("New", seed=6))
        h.write_json(self.p("edit.json"), h.n8n_workflow("Edit", nodes=5, seed=2))
        os.rename(self.p("move.json"), self.p("moved.json"))
        os.remove(self.p("gone.json"))
        h.write_text(self.p("broken.json"), '{"nodes": [')
        before = h.dump(self.db)
        status = self.status_json()
        self.assertEqual(status["added"], ["new.json"])
        self.assertEqual(status["updated"], ["edit.json"])
        self.assertEqual(status["renamed"], [{"from": "move.json", "to": "moved.json"}])
        self.assertEqual(status["deleted"], ["gone.json"])
        self.assertEqual(status["restored"], ["back.json"])
        self.assertEqual([e["path"] for e in status["errors"]], ["broken.json"])
        self.assertIs(status["clean"], False)
        self.fs("status", self.root, "--exit-code", expect=1)
        human = self.fs("status", self.root)
        for path in ("new.json", "edit.json", "moved.json", "gone.json", "back.json"):
            self.assertIn(path, human.stdout)
        self.assertEqual(h.dump(self.db), before, "status wrote to the database")


class OutputTest(h.FlowsyncCase):

    def test_no_progress_bar_on_a_pipe(self):
        for i in range(200):
            h.write_json(self.p("many", f"w{i:03d}.json"), h.n8n_workflow(f"W{i}", seed=i))
        res = self.fs("sync", self.root, expect=0)
        self.assertTrue(res.stdout.strip(), "human sync output is empty")
        self.assertNotIn("\r", res.stdout)
        self.assertNotIn("\r", res.stderr)
        self.assertNotIn("\x1b[", res.stdout, "terminal escapes on a pipe")

    def test_list_columns_line_up_and_a_pipe_gets_whole_names(self):
        # Regression: names were cut at 40 characters on a pipe, and the
        # categories after the path did not line up.
        long_name = "A workflow name well past forty characters, kept whole"
        h.write_json(self.p("n8n", "a-long-path-to-an-export.json"), h.n8n_workflow(long_name))
        h.write_bundle(self.p("zz-bundle"), h.n8n_workflow("inner", seed=2),
                       meta={"name": "Short", "categories": ["ops", "sales"]})
        h.write_json(self.p("c.json"), h.n8n_workflow("Ünïcode ñame", seed=3))
        self.sync()
        lines = self.fs("list", "--all", expect=0).stdout.splitlines()
        rows = {w["path"]: w for w in self.list_json()}
        self.assertEqual(len(lines), 3)
        self.assertIn(long_name, lines[0] + lines[1] + lines[2])
        # Each column starts at the same place on every line.
        name_at = {line.index(rows[p]["name"]) for p in rows for line in lines
                   if line.startswith(rows[p]["id"][:8])}
        path_at = {line.index(p) for p in rows for line in lines
                   if line.startswith(rows[p]["id"][:8])}
        self.assertEqual(len(name_at), 1, lines)
        self.assertEqual(len(path_at), 1, lines)
        bundle = next(line for line in lines if line.startswith(rows["zz-bundle"]["id"][:8]))
        self.assertEqual(bundle.index("[ops,sales]"), path_at.pop() + len(
            "n8n/a-long-path-to-an-export.json") + 2)
        self.assertEqual([line for line in lines if line != line.rstrip()], [])

    def test_json_report_is_exactly_one_object(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        res = self.fs("sync", self.root, "--json", expect=0)
        report = res.json()  # raises if anything else is printed on stdout
        self.assertEqual(set(report), h.SYNC_KEYS)
        for key in h.COUNT_KEYS + ("run_id", "duration_ms"):
            self.assertIs(type(report[key]), int, key)
        self.assertNotIn("\r", res.stderr)


if __name__ == "__main__":
    unittest.main()
