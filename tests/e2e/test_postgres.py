"""flowsync against PostgreSQL: the life of a workflow as on SQLite (same ids,
same listings), the schema= parameter, concurrent writers, a busy writer lock,
and failures (server down, wrong password, statement timeout, a connection
killed mid-sync) that must exit 5 and leave the database as it was.

CTest starts a throwaway cluster (tests/pg/cluster.sh) and sets
FLOWSYNC_PG_DIR; without it these tests are skipped, unless
FLOWSYNC_REQUIRE_PG=1 makes that a failure. Each test works in a database of
its own, dropped at the end.
"""

import json
import os
import shutil
import signal
import tempfile
import unittest
import urllib.parse
import uuid

import fsync_helpers as h

# Keys of `list --json` and `show --json` that hold times: the only ones that
# may differ between two backends running the same commands.
TIME_KEYS = {"created_at", "updated_at", "deleted_at"}

# Server-side polling (a plpgsql loop every 5 ms) instead of one psql process
# per poll: fast enough to see a lock taken or a transaction open, whatever the
# machine's speed. Both run on the admin connection and look at one database.
WAIT_FOR_LOCK_SQL = r"""
CREATE FUNCTION pg_temp.fs_wait_for_lock(db text, timeout_s float8,
                                         OUT holder int, OUT holder_state text)
LANGUAGE plpgsql AS $f$
DECLARE
  deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT l.pid, a.state INTO holder, holder_state
      FROM pg_locks l
      JOIN pg_database d ON d.oid = l.database
      JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND d.datname = db
     LIMIT 1;
    -- An idle holder waits for its client, blocked on its socket: stopping
    -- it there cannot leave a shared-memory lock or status entry half done.
    IF holder_state LIKE 'idle%' OR clock_timestamp() > deadline THEN
      RETURN;
    END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
END $f$;
"""

KILL_WRITER_SQL = r"""
CREATE FUNCTION pg_temp.fs_kill_writer(db text, timeout_s float8, settle_s float8)
RETURNS TABLE (victim_app text, victim_state text, victim_query text)
LANGUAGE plpgsql AS $f$
DECLARE
  started timestamptz := clock_timestamp();
  locked_at timestamptz;
  victim record;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    IF locked_at IS NULL AND EXISTS (
        SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND l.granted AND d.datname = db) THEN
      locked_at := clock_timestamp();
    END IF;
    -- The run holds the writer lock and has written (it has a transaction
    -- id): into workflows, or anything for settle_s seconds.
    IF locked_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM pg_stat_activity a
         WHERE a.datname = db AND a.pid <> pg_backend_pid()
           AND a.backend_xid IS NOT NULL
           AND (a.query ILIKE '%workflows%'
                OR clock_timestamp() - locked_at > make_interval(secs => settle_s))) THEN
      -- Pick first, then terminate: a WHERE clause may call the function
      -- before the other conditions.
      FOR victim IN
          SELECT a.pid, a.application_name, a.state, left(a.query, 80) AS query
            FROM pg_stat_activity a
           WHERE a.datname = db AND a.pid <> pg_backend_pid()
             AND a.backend_type = 'client backend' LOOP
        PERFORM pg_terminate_backend(victim.pid);
        victim_app := victim.application_name;
        victim_state := victim.state;
        victim_query := victim.query;
        RETURN NEXT;
      END LOOP;
      RETURN;
    END IF;
    IF clock_timestamp() - started > make_interval(secs => timeout_s) THEN
      RETURN;
    END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
END $f$;
"""


def pg_cluster():
    """The admin URL, or skips (fails with FLOWSYNC_REQUIRE_PG=1) without one."""
    try:
        url = h.pg_admin_url()
    except RuntimeError as e:
        raise AssertionError(str(e)) from None
    if url is None:
        reason = (f"{h.PG_DIR_ENV} is not set: no PostgreSQL test cluster (ctest starts "
                  f"one with tests/pg/cluster.sh)")
        if h.pg_required():
            raise AssertionError(f"{reason}, and {h.PG_REQUIRE_ENV}=1 requires one")
        raise unittest.SkipTest(reason)
    if not shutil.which("psql"):
        raise AssertionError("psql is not installed (Debian: postgresql-client-15)")
    return url


def strip_times(entry):
    return {k: v for k, v in entry.items() if k not in TIME_KEYS}


class PostgresCase(h.FlowsyncCase):
    """A test with a fresh database of its own: `self.url` for flowsync (with
    `url_params`), `self.sql_url` for psql."""

    url_params = {"sslmode": "disable", "connect_timeout": "5"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = pg_cluster()
        cls.host, cls.port = h.pg_host_port(cls.admin)

    def setUp(self):
        super().setUp()
        self.dbname = f"fs_{uuid.uuid4().hex[:16]}"
        h.psql(self.admin, f'CREATE DATABASE "{self.dbname}"')
        self.addCleanup(self.drop_database)
        self.sql_url = h.pg_url(self.admin, self.dbname)
        self.url = h.pg_url(self.admin, self.dbname, **self.url_params)

    def drop_database(self):
        # FORCE ends the connections a failed test may have left.
        h.psql(self.admin, f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    # flowsync on this test's database
    def pg(self, *args, expect=0, url=None, timeout=h.DEFAULT_TIMEOUT):
        return self.fs(*args, "--db", url or self.url, expect=expect, cwd=self.tmp,
                       timeout=timeout)

    def pg_json(self, *args, url=None):
        res = self.pg(*args, "--json", url=url)
        try:
            return res.json()
        except ValueError:
            self.fail("--json did not print JSON: " + res.describe())

    # psql on this test's database
    def sql(self, query):
        return h.psql(self.sql_url, query)

    def sql_value(self, query):
        return h.psql_value(self.sql_url, query)

    def count(self, table="workflows", where="TRUE"):
        """Rows of a table of the public schema; 0 when it does not exist."""
        if not self.sql_value(f"SELECT to_regclass('public.{table}') IS NOT NULL") == "t":
            return 0
        return int(self.sql_value(f"SELECT count(*) FROM public.{table} WHERE {where}"))

    def state(self):
        """Everything a run writes, for before/after comparisons."""
        if self.sql_value("SELECT to_regclass('public.workflows') IS NOT NULL") != "t":
            return None
        return {
            "workflows": self.sql("SELECT id, path, content_hash, version, deleted_at "
                                  "FROM workflows ORDER BY path"),
            "versions": self.sql("SELECT count(*) FROM workflow_versions"),
            "log": self.sql("SELECT count(*), max(run_id) FROM workflow_sync_log"),
            "runs": self.sql("SELECT count(*) FROM sync_runs"),
        }

    def assert_names_server(self, res, host=None, port=None):
        host = host or self.host
        port = port or self.port
        self.assertTrue(res.stderr.strip(), "no message on stderr: " + res.describe())
        self.assertIn(host, res.stderr, "the message does not name the host: " + res.describe())
        self.assertIn(str(port), res.stderr,
                      "the message does not name the port: " + res.describe())

    def assert_no_duplicates(self):
        self.assertEqual(self.sql("SELECT path FROM workflows GROUP BY path "
                                  "HAVING count(*) > 1"), [], "duplicate paths")
        self.assertEqual(self.sql("SELECT id FROM workflows GROUP BY id "
                                  "HAVING count(*) > 1"), [], "duplicate ids")


class PostgresFlowTest(PostgresCase):
    """Every step runs on PostgreSQL and on SQLite; both must agree."""

    url_params = {"sslmode": "disable", "connect_timeout": "5",
                  "application_name": "flowsync-e2e"}

    def setUp(self):
        super().setUp()
        self.lite = os.path.join(self.tmp, "reference.db")

    def both(self, *args, **counts):
        """Syncs into both databases; checks the counts; returns the PG report."""
        _, pg = self.sync("--db", self.url, *args)
        _, lite = self.sync("--db", self.lite, *args)
        self.assertEqual(pg["errors"], [])
        self.assert_counts(pg, **counts)
        self.assert_counts(lite, **counts)
        self.assertEqual(h.changes(pg), h.changes(lite), "the backends saw other changes")
        return pg

    def assert_same_listing(self, *args):
        pg = [strip_times(w) for w in self.pg_json("list", *args)]
        lite = [strip_times(w) for w in self.pg_json("list", *args, url=self.lite)]
        self.assertEqual(pg, lite, f"list --json {' '.join(args)}: PostgreSQL differs from SQLite")
        return pg

    def test_life_of_a_workflow_matches_sqlite(self):
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", seed=1, id="17"))
        h.write_json(self.p("flows", "b.json"), h.n8n_workflow("Beta", seed=2, active=True))
        h.write_bundle(self.p("marketing", "lead-scoring"),
                       h.n8n_workflow("Lead scoring", seed=3),
                       meta={"name": "Lead scoring", "categories": ["sales", "crm"],
                             "author": "ops", "tags": ["q3"], "owner_team": "growth"},
                       readme="# Lead scoring\n\nScores every new lead: \u00e9t\u00e9 \u2713\n")
        os.makedirs(self.p("phases"))
        shutil.copy(h.shared("fixtures", "flowlord", "workflow", "f1.toml"), self.p("phases"))

        report = self.both(added=4)
        ids = {c["path"]: c["id"] for c in report["changes"]}
        listed = {w["path"]: w for w in self.assert_same_listing()}
        self.assertEqual(sorted(listed), ["flows/a.json", "flows/b.json",
                                          "marketing/lead-scoring", "phases/f1.toml"])
        self.assertEqual({p: w["id"] for p, w in listed.items()}, ids)
        self.assertEqual(listed["marketing/lead-scoring"]["categories"], ["crm", "sales"])
        self.assertEqual(listed["flows/a.json"]["source_id"], "17")
        self.assertIs(listed["flows/b.json"]["active"], True)
        for w in self.pg_json("list"):
            self.assertRegex(w["created_at"], h.RFC3339_UTC)
        self.assertEqual(self.count(), 4)
        self.assertEqual(len(self.pg_json("show", "phases/f1.toml")["phases"]), 7)

        # update: the previous content is kept as a version
        a_id = ids["flows/a.json"]
        h.write_json(self.p("flows", "a.json"), h.n8n_workflow("Alpha", nodes=5, seed=1, id="17"))
        self.both(updated=1, unchanged=3)
        shown = self.pg_json("show", a_id)
        self.assertEqual(shown["versions"], 2)
        self.assertEqual(shown["version"], 2)
        self.assertEqual(self.count("workflow_versions"), 1)

        # rename: same id
        b_id = ids["flows/b.json"]
        os.makedirs(self.p("flows", "moved"))
        os.rename(self.p("flows", "b.json"), self.p("flows", "moved", "b.json"))
        report = self.both(renamed=1, unchanged=3)
        self.assertEqual([(c["kind"], c["path"], c["id"]) for c in report["changes"]],
                         [("renamed", "flows/moved/b.json", b_id)])
        self.assertEqual(self.pg_json("show", "flows/moved/b.json")["id"], b_id)

        # --full soft-deletes a vanished file
        saved = h.read_bytes(self.p("flows", "a.json"))
        os.remove(self.p("flows", "a.json"))
        self.both("--full", deleted=1, unchanged=3)
        self.assertNotIn("flows/a.json", {w["path"] for w in self.pg_json("list")})
        deleted = self.assert_same_listing("--deleted")
        self.assertEqual([(w["path"], w["id"], w["deleted"]) for w in deleted],
                         [("flows/a.json", a_id, True)])
        self.assertEqual(self.count(where="deleted_at IS NOT NULL"), 1)

        # the file comes back: restored with its id
        h.write_bytes(self.p("flows", "a.json"), saved)
        report = self.both(restored=1, unchanged=3)
        self.assertEqual([(c["kind"], c["id"]) for c in report["changes"]], [("restored", a_id)])
        self.assertEqual(self.count(where="deleted_at IS NULL"), 4)

        # rate: one vote per user
        for who, vote in (("alice", "up"), ("bob", "up"), ("alice", "down")):
            self.pg("rate", a_id[:8], vote, "--user", who)
            self.pg("rate", a_id[:8], vote, "--user", who, url=self.lite)
        self.assertEqual(self.pg_json("show", a_id)["ratings"], {"up": 1, "down": 1})

        # log: newest first, the whole history of a
        self.assertEqual([e["event"] for e in self.pg_json("log", "--workflow", a_id)],
                         ["restored", "deleted", "updated", "added"])
        log = self.pg_json("log", "-n", "0")
        for entry in log:
            self.assertLessEqual(h.LOG_KEYS, set(entry), entry)
            self.assertRegex(entry["time"], h.RFC3339_UTC)
        runs = [e["run_id"] for e in log]
        self.assertEqual(runs, sorted(runs, reverse=True), "log is not newest first")
        self.assertEqual(len(set(runs)), 5)

        def comparable(entries):
            keep = ("event", "workflow_id", "path", "old_path", "old_hash", "new_hash", "message")
            return sorted((json.dumps({k: e.get(k) for k in keep}, sort_keys=True)
                           for e in entries))
        self.assertEqual(comparable(log), comparable(self.pg_json("log", "-n", "0", url=self.lite)))

        # everything list and show print agrees with SQLite but the times
        listed = self.assert_same_listing("--all")
        self.assertEqual(len(listed), 4)
        for w in listed:
            self.assertEqual(strip_times(self.pg_json("show", w["id"])),
                             strip_times(self.pg_json("show", w["id"], url=self.lite)),
                             f"show {w['path']}: PostgreSQL differs from SQLite")

        # one more run changes nothing
        self.both(unchanged=4)


class PostgresSchemaTest(PostgresCase):

    def tables(self):
        return self.sql("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                        "ORDER BY 1, 2")

    def test_schema_parameter_puts_the_tables_in_that_schema(self):
        for i in range(3):
            h.write_json(self.p(f"w{i}.json"), h.n8n_workflow(f"W{i}", seed=i))
        team_a = h.pg_url(self.url, schema="team_a")
        _, report = self.sync("--db", team_a)
        self.assert_counts(report, added=3)
        tables = self.tables()
        self.assertIn(("team_a", "workflows"), tables)
        self.assertIn(("team_a", "workflow_sync_log"), tables)
        self.assertEqual([t for t in tables if t[0] != "team_a"], [],
                         "tables outside schema team_a")
        self.assertEqual(self.sql_value("SELECT count(*) FROM team_a.workflows"), "3")
        self.assertEqual(len(self.pg_json("list", url=team_a)), 3)

        # another schema of the same database is another store
        other = os.path.join(self.tmp, "other")
        h.write_json(os.path.join(other, "x.json"), h.n8n_workflow("X", seed=9))
        team_b = h.pg_url(self.url, schema="team_b")
        _, report = self.sync("--db", team_b, root=other)
        self.assert_counts(report, added=1)
        self.assertEqual([w["path"] for w in self.pg_json("list", url=team_b)], ["x.json"])
        self.assertEqual(len(self.pg_json("list", url=team_a)), 3)
        self.assertEqual({t[0] for t in self.tables()}, {"team_a", "team_b"})


class PostgresConcurrencyTest(PostgresCase):

    COUNT = 300
    WRITERS = 4

    def test_concurrent_syncs_of_one_tree(self):
        h.write_many(self.root, self.COUNT)
        procs, outputs = [], []
        for i in range(self.WRITERS):
            out = open(os.path.join(self.tmp, f"out{i}.json"), "w+b")
            err = open(os.path.join(self.tmp, f"err{i}.txt"), "w+b")
            self.addCleanup(out.close)
            self.addCleanup(err.close)
            outputs.append((out, err))
        for out, err in outputs:
            proc = h.start(["sync", self.root, "--json", "--db", self.url, "--lock-timeout", "60"],
                           cwd=self.tmp, stdout=out, stderr=err)
            self.addCleanup(h.stop, proc)
            procs.append(proc)
        codes = [proc.wait(timeout=90) for proc in procs]
        added = 0
        for i, (code, (out, err)) in enumerate(zip(codes, outputs)):
            out.seek(0)
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
            self.assertEqual(code, 0, f"writer {i} exited {code}: {stderr[-2000:]}")
            added += json.loads(out.read())["added"]
        self.assertEqual(added, self.COUNT, "the runs together did not add each file once")
        self.assertEqual(self.count(), self.COUNT)
        self.assert_no_duplicates()
        self.assertEqual(self.count("workflow_sync_log", "event = 'added'"), self.COUNT)
        self.assertEqual(self.count("workflow_sync_log", "event <> 'added'"), 0)
        _, report = self.sync("--db", self.url)
        self.assert_counts(report, unchanged=self.COUNT)


_big_tree = {}


def big_tree(count):
    """A tree of `count` generated workflows, written once for the module."""
    if count not in _big_tree:
        folder = tempfile.TemporaryDirectory(prefix="flowsync-e2e-big-")
        path = os.path.join(folder.name, "tree")
        h.write_many(path, count, nodes=12)
        _big_tree[count] = (folder, path)
    return _big_tree[count][1]


def tearDownModule():
    for folder, _ in _big_tree.values():
        folder.cleanup()
    _big_tree.clear()


class PostgresBigTreeCase(PostgresCase):
    """Syncs a tree of BIG workflows, shared by its tests: about 12 MB, a
    fraction of a second to a few seconds of syncing. The tests do not depend
    on how long: they watch the server for the moment they need."""

    BIG = 3000

    def setUp(self):
        super().setUp()
        self.big = big_tree(self.BIG)

    def start_sync(self, *args, name="sync"):
        out = open(os.path.join(self.tmp, f"{name}.out"), "w+b")
        err = open(os.path.join(self.tmp, f"{name}.err"), "w+b")
        self.addCleanup(out.close)
        self.addCleanup(err.close)
        proc = h.start(["sync", self.big, "--json", "--db", self.url] + list(args),
                       cwd=self.tmp, stdout=out, stderr=err)
        self.addCleanup(h.stop, proc)
        return proc, out, err

    @staticmethod
    def read(stream):
        stream.seek(0)
        return stream.read().decode("utf-8", "replace")


class PostgresBusyTest(PostgresBigTreeCase):

    def test_second_writer_gives_up_after_lock_timeout(self):
        # The schema first: a store opened on an empty database creates it
        # under the writer lock and lets the lock go before its sync takes it
        # again; stopping the holder seen in that gap let a second writer in.
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.sync("--db", self.url, root=empty)
        first, out, err = self.start_sync("--lock-timeout", "60", name="first")
        rows = h.psql(self.admin, WAIT_FOR_LOCK_SQL +
                      f"SELECT * FROM pg_temp.fs_wait_for_lock('{self.dbname}', 30);", timeout=60)
        holder, holder_state = rows[0]
        self.assertTrue(holder, "the first sync never took the writer lock: exit "
                        f"{first.poll()}, stderr {self.read(err)[-2000:]}")
        # Stopping the holder's server process keeps the lock held for as long
        # as the test needs, however fast this machine syncs the tree.
        stopped = holder_state.startswith("idle")
        if stopped:
            os.kill(int(holder), signal.SIGSTOP)
        try:
            res = self.pg("sync", self.big, "--lock-timeout", "1", expect=None, timeout=30)
        finally:
            if stopped:
                os.kill(int(holder), signal.SIGCONT)
        first_running = first.poll() is None
        if res.returncode == 0 and not first_running:
            self.fail("the first sync finished before the second tried: the tree is too small "
                      "to hold the lock here")
        self.assertEqual(res.returncode, h.EXIT_BUSY, res.describe())
        self.assertLess(res.elapsed, 10, "--lock-timeout 1 was not honoured")
        self.assertRegex(res.stderr.lower(), r"busy|lock", res.describe())
        self.assertIn("pid", res.stderr, "the message does not name the holder: " + res.describe())

        self.assertEqual(first.wait(timeout=120), 0, self.read(err)[-2000:])
        self.assertEqual(json.loads(self.read(out))["added"], self.BIG)
        self.assertEqual(self.count(), self.BIG)
        self.assertEqual(self.count("workflow_sync_log", "event = 'added'"), self.BIG)


class PostgresKilledConnectionTest(PostgresBigTreeCase):

    def test_connection_killed_mid_sync(self):
        # The schema first, so that the kill lands in the run's own transaction.
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        self.sync("--db", self.url, root=empty)
        before = self.state()

        proc, out, err = self.start_sync(name="killed")
        victims = h.psql(self.admin, KILL_WRITER_SQL +
                         f"SELECT * FROM pg_temp.fs_kill_writer('{self.dbname}', 60, 0.3);",
                         timeout=90)
        code = proc.wait(timeout=60)
        stderr = self.read(err)
        context = f"killed {victims}; exit {code}; stderr {stderr[-2000:]}"
        self.assertTrue(victims, "never saw the sync write: " + context)
        self.assertEqual(code, h.EXIT_DB, context)
        self.assertIn(self.host, stderr, context)
        self.assertIn(str(self.port), stderr, context)

        stored = self.count()
        self.assertIn(stored, (0, self.BIG), "neither before nor after: " + context)
        if stored == 0:
            self.assertEqual(self.state(), before, context)
        self.assert_no_duplicates()

        _, report = self.sync("--db", self.url, root=self.big, timeout=120)
        self.assertEqual(report["added"] + report["unchanged"], self.BIG)
        self.assertEqual(self.count(), self.BIG)
        self.assertEqual(self.count(where="deleted_at IS NULL"), self.BIG)
        self.assert_no_duplicates()
        for app, _, _ in victims:
            self.assertTrue(app.startswith("flowsync"),
                            f"a flowsync connection without application_name flowsync: {victims}")


class PostgresFailureTest(PostgresCase):
    """Each failure exits 5, names the server, and writes nothing."""

    def setUp(self):
        super().setUp()
        for i in range(5):
            h.write_json(self.p("base", f"w{i}.json"), h.n8n_workflow(f"Base {i}", seed=i))
        self.sync("--db", self.url)
        # What the failing runs would add and change.
        h.write_json(self.p("base", "w0.json"), h.n8n_workflow("Base 0", nodes=4, seed=0))
        os.remove(self.p("base", "w1.json"))
        h.write_many(self.root, 300, nodes=12)
        self.before = self.state()

    def sync_fails(self, url, *args):
        res = self.fs("sync", self.root, "--full", "--force", "--db", url, *args,
                      cwd=self.tmp, timeout=60)
        self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
        self.assertEqual(self.state(), self.before, "a failed run changed the database")
        return res

    def test_server_down(self):
        port = h.free_port()
        url = self.url.replace(f"{self.host}:{self.port}/", f"{self.host}:{port}/")
        res = self.sync_fails(url)
        self.assert_names_server(res, port=port)
        self.assertLess(res.elapsed, 10)

    def test_wrong_password(self):
        password = urllib.parse.urlsplit(self.admin).password
        wrong = "not-" + password
        res = self.sync_fails(self.url.replace(f":{password}@", f":{wrong}@"))
        self.assert_names_server(res)
        self.assertNotIn(wrong, res.stderr, "the message shows the password")
        self.assertNotIn(password, res.stderr, "the message shows a password")

    def test_statement_timeout(self):
        url = h.pg_url(self.url, options="-c statement_timeout=1")
        self.assertIn("options=-c%20statement_timeout%3D1", url)
        res = self.sync_fails(url)
        self.assert_names_server(res)
        self.assertRegex(res.stderr.lower(), r"timeout|cancel")

    def test_the_same_run_succeeds_afterwards(self):
        _, report = self.sync("--db", self.url, "--full")
        self.assert_counts(report, added=300, updated=1, deleted=1, unchanged=3)


if __name__ == "__main__":
    unittest.main()


class PostgresRowLevelSecurityTest(PostgresCase):
    """Projects on a shared database: a role granted project A can neither
    read nor change project B, while the tables' owner (the role flowsync
    migrates with, not a superuser) sees everything."""

    def make_role(self, name):
        password = uuid.uuid4().hex
        h.psql(self.admin, f'CREATE ROLE "{name}" LOGIN PASSWORD \'{password}\'')
        # Cleanups run last-in first-out: the database (with the role's
        # privileges and objects) goes first, then the role.
        self.addCleanup(h.psql, self.admin, f'DROP ROLE IF EXISTS "{name}"')
        self.addCleanup(self.drop_database)
        return password

    def role_url(self, role, password, **params):
        parts = urllib.parse.urlsplit(self.url)
        netloc = f"{role}:{password}@{parts.hostname}:{parts.port}"
        url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return h.pg_url(url, **params) if params else url

    def test_two_roles_two_projects(self):
        suffix = uuid.uuid4().hex[:8]
        owner, role_a, role_b = f"own_{suffix}", f"ra_{suffix}", f"rb_{suffix}"
        owner_pw = self.make_role(owner)
        pw_a = self.make_role(role_a)
        pw_b = self.make_role(role_b)
        # A database owned by a plain role: it creates the tables, so it owns them.
        self.sql(f'ALTER DATABASE "{self.dbname}" OWNER TO "{owner}"')
        self.sql(f'GRANT ALL ON SCHEMA public TO "{owner}"')
        owner_url = self.role_url(owner, owner_pw)

        tree_a, tree_b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        os.makedirs(tree_a)
        os.makedirs(tree_b)
        for i in range(3):
            h.write_json(os.path.join(tree_a, f"a{i}.json"), h.n8n_workflow(f"A{i}", seed=i))
        for i in range(2):
            h.write_json(os.path.join(tree_b, f"b{i}.json"), h.n8n_workflow(f"B{i}", seed=10 + i))
        self.pg("sync", tree_a, "--project", "alpha", url=owner_url)
        self.pg("sync", tree_b, "--project", "beta", url=owner_url)
        self.pg("grant", "alpha", role_a, url=owner_url)
        self.pg("grant", "beta", role_b, url=owner_url)

        url_a = self.role_url(role_a, pw_a)
        sql_a = self.role_url(role_a, pw_a).split("?")[0]
        # Role A sees its project through flowsync and through SQL, and
        # nothing of the other one, not even in the log or child tables.
        listed = self.pg_json("list", "--project", "alpha", url=url_a)
        self.assertEqual(sorted(w["path"] for w in listed), ["a0.json", "a1.json", "a2.json"])
        self.assertEqual(self.pg_json("list", "--project", "beta", url=url_a), [])
        self.assertEqual(self.pg_json("log", "--project", "beta", url=url_a), [])
        self.assertEqual(h.psql_value(sql_a, "SELECT count(*) FROM workflows"), "3")
        self.assertEqual(h.psql_value(sql_a, "SELECT count(*) FROM workflows WHERE project = 'beta'"), "0")
        self.assertEqual(h.psql_value(sql_a, "SELECT count(*) FROM workflow_sync_log WHERE project = 'beta'"), "0")
        self.assertEqual(h.psql_value(sql_a, "SELECT count(*) FROM sync_runs WHERE project = 'beta'"), "0")
        self.assertEqual(h.psql_value(
            sql_a, "SELECT count(*) FROM workflow_findings f JOIN (SELECT 1) x ON true"),
            h.psql_value(sql_a, "SELECT count(*) FROM workflow_findings"))
        # ... and cannot change it: updates touch no row, inserts are refused.
        self.assertEqual(h.psql(sql_a, "WITH u AS (UPDATE workflows SET name = 'hijacked' "
                                       "WHERE project = 'beta' RETURNING 1) SELECT count(*) FROM u"),
                         [("0",)])
        with self.assertRaises(AssertionError) as refused:
            h.psql(sql_a, "INSERT INTO workflows (id, project, path, format, content_hash, name, "
                          "created_at, updated_at, content) VALUES (gen_random_uuid(), 'beta', "
                          "'evil.json', 'n8n', 'x', 'evil', now(), now(), '{}')")
        self.assertIn("row-level security", str(refused.exception))
        # Syncing into the other project fails as a whole and changes nothing.
        before = self.sql("SELECT id, name, content_hash FROM workflows WHERE project = 'beta' ORDER BY id")
        res = self.pg("sync", tree_a, "--project", "beta", url=url_a, expect=None)
        self.assertEqual(res.returncode, 5, res.describe())
        self.assertIn("row-level security", res.stderr)
        self.assertEqual(self.sql("SELECT id, name, content_hash FROM workflows WHERE project = 'beta' ORDER BY id"),
                         before)
        # Role A can sync its own project: updates, additions (with their
        # categories and findings), deletions.
        h.write_json(os.path.join(tree_a, "a0.json"), h.n8n_workflow("A0 changed", seed=99))
        h.write_bundle(os.path.join(tree_a, "new-bundle"), h.n8n_workflow("New", seed=7))
        os.remove(os.path.join(tree_a, "a2.json"))
        out = self.pg_json("sync", tree_a, "--project", "alpha", "--full", url=url_a)
        self.assertEqual((out["updated"], out["added"], out["deleted"]), (1, 1, 1), out)
        self.assertEqual(h.psql_value(sql_a, "SELECT count(*) FROM workflows WHERE project = 'alpha' "
                                             "AND deleted_at IS NULL"), "3")
        # Role B sees only beta; the owner sees both projects.
        url_b = self.role_url(role_b, pw_b)
        self.assertEqual(len(self.pg_json("list", "--project", "beta", url=url_b)), 2)
        self.assertEqual(self.pg_json("list", "--project", "alpha", url=url_b), [])
        self.assertEqual(h.psql_value(owner_url.split("?")[0], "SELECT count(*) FROM workflows"), "6")
        # Revoking takes the access back.
        self.pg("grant", "alpha", role_a, "--revoke", url=owner_url)
        self.assertEqual(self.pg_json("list", "--project", "alpha", url=url_a), [])


class PostgresStatusColumnTest(PostgresCase):
    """workflows.status is a derived enum: active, inactive or deleted."""

    def test_status_follows_active_and_deleted(self):
        on = h.n8n_workflow("On", seed=1)
        on["active"] = True
        h.write_json(self.p("on.json"), on)
        h.write_json(self.p("off.json"), h.n8n_workflow("Off", seed=2))
        h.write_json(self.p("gone.json"), h.n8n_workflow("Gone", seed=3))
        self.pg("sync", self.root)
        os.remove(self.p("gone.json"))
        self.pg("sync", self.root, "--full")
        self.assertEqual(self.sql("SELECT path, status::text, pg_typeof(status)::text FROM workflows "
                                  "ORDER BY path"),
                         [("gone.json", "deleted", "workflow_status"),
                          ("off.json", "inactive", "workflow_status"),
                          ("on.json", "active", "workflow_status")])
