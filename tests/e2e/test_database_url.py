"""Which database a --db value, $DATABASE_URL or flowsync.toml names: libpq
connection strings and URLs go to PostgreSQL and never become a SQLite file;
what is neither is a usage error; no password is ever printed. Also the
messages about a database: missing, read-only, locked by another writer."""

import os
import sqlite3
import urllib.parse

import fsync_helpers as h
import test_postgres as pgt

SECRET = "hunter2"
CONNINFO = f"host=127.0.0.1 port=1 user=me password={SECRET} dbname=postgres"
EQUALS_HINT = "(a SQLite file whose name holds '=' is written sqlite:PATH)"


def tree(folder):
    """Every path below `folder`, for "nothing was created" checks."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), folder))
    return out


class ConnectionStringTest(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        # The root is found by its flowsync.toml, whatever the folder.
        h.write_text(self.p("flowsync.toml"), "")

    def assert_no_secret(self, res, secret=SECRET):
        self.assertNotIn(secret, res.stdout, res.describe())
        self.assertNotIn(secret, res.stderr, res.describe())

    def test_a_connection_string_is_postgres_and_never_a_file(self):
        before = tree(self.tmp)
        # As reported: run in the root, the string names a server that refuses.
        for args in (["sync", ".", "--db", CONNINFO],
                     ["sync", ".", "--json", "--db", CONNINFO],
                     ["status", ".", "--db", CONNINFO],
                     ["list", "--db", CONNINFO],
                     ["log", "--json", "--db", CONNINFO]):
            with self.subTest(args=args):
                res = self.fs(*args, cwd=self.root)
                self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
                self.assertTrue(res.stderr.startswith(
                    "flowsync: error: PostgreSQL 127.0.0.1:1/postgres: cannot connect: "),
                    res.describe())
                self.assert_no_secret(res)
        self.assertEqual(tree(self.tmp), before, "a file was created")
        # The same from the environment and from flowsync.toml.
        res = self.fs("sync", ".", cwd=self.root, env={"DATABASE_URL": CONNINFO})
        self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
        self.assert_no_secret(res)
        h.write_text(self.p("flowsync.toml"), f'[database]\nurl = "{CONNINFO}"\n')
        before = tree(self.tmp)
        res = self.fs("sync", ".", cwd=self.root)
        self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
        self.assertTrue(res.stderr.startswith(
            "flowsync: error: PostgreSQL 127.0.0.1:1/postgres: cannot connect: "), res.describe())
        self.assert_no_secret(res)
        self.assertEqual(tree(self.tmp), before, "a file was created")

    def test_what_is_neither_sqlite_nor_postgres_is_a_usage_error(self):
        before = tree(self.tmp)
        cases = {
            "postgresql://[::1":
                "database URL 'postgresql://[::1': end of string reached when looking for "
                "matching \"]\" in IPv6 host address in URI: \"postgresql://[::1\"",
            f"postgresql://me:{SECRET}@[::1":
                "database URL 'postgresql://me:***@[::1': end of string reached when looking "
                "for matching \"]\" in IPv6 host address in URI: \"postgresql://me:***@[::1\"",
            f"postgresql://me:{SECRET}%zz@host/db":
                "database URL 'postgresql://me:***@host/db': invalid percent-encoded token: "
                "\"***\"",
            f"postgresql://host/db?password={SECRET}&bogus=1":
                "database URL 'postgresql://host/db?password=***&bogus=1': invalid URI query "
                "parameter: \"bogus\"",
            f"hots=127.0.0.1 password={SECRET}":
                "database URL 'hots=127.0.0.1 password=***': invalid connection option "
                f"\"hots\" {EQUALS_HINT}",
            f"host=127.0.0.1 password='{SECRET}":
                "database URL 'host=127.0.0.1 password=***': unterminated quoted string in "
                f"connection info string {EQUALS_HINT}",
            "a=b.db": f"database URL 'a=b.db': invalid connection option \"a\" {EQUALS_HINT}",
            f"oops host=127.0.0.1 password={SECRET}":
                "database URL 'oops host=127.0.0.1 password=***': missing \"=\" after \"oops\" "
                f"in connection info string {EQUALS_HINT}",
            f"mysql://me:{SECRET}@host/db":
                "database URL 'mysql://me:***@host/db': unsupported scheme 'mysql' (use "
                "sqlite:PATH, sqlite:///ABS/PATH, a file path, postgresql://... or a libpq "
                "connection string)",
        }
        for db, message in cases.items():
            for args in (["sync", "."], ["list"]):
                with self.subTest(db=db, command=args[0]):
                    res = self.fs(*args, "--db", db, cwd=self.root)
                    self.assertEqual(res.returncode, h.EXIT_USAGE, res.describe())
                    self.assertEqual(res.stderr, f"flowsync: error: {message}\n")
                    self.assertEqual(res.stdout, "")
                    self.assert_no_secret(res)
        self.assertEqual(tree(self.tmp), before, "a file was created")

    def test_a_sqlite_file_whose_name_holds_equals_is_written_sqlite_path(self):
        _, report = self.sync("--db", "sqlite:a=b.db", cwd=self.tmp)
        self.assert_counts(report, added=1)
        self.assertEqual(self.stored("a.json", db=os.path.join(self.tmp, "a=b.db"))[3], 1)

    def test_a_missing_database_is_named_and_only_the_default_suggests_db(self):
        nope = os.path.join(self.tmp, "nope.db")
        for args in (["list"], ["log"], ["show", "a.json"]):
            with self.subTest(args=args):
                res = self.fs(*args, "--db", nope)
                self.assertEqual(res.returncode, h.EXIT_FAILED, res.describe())
                self.assertEqual(res.stderr,
                                 f"flowsync: error: no database at {nope}: the file does not "
                                 f"exist (check the path; `flowsync sync` creates it)\n")
        res = self.fs("list")
        self.assertEqual(res.returncode, h.EXIT_FAILED, res.describe())
        self.assertEqual(res.stderr, f"flowsync: error: no flowsync database at {self.db} "
                                     f"(run `flowsync sync` first, or pass --db)\n")
        self.assertFalse(os.path.exists(nope))

    def test_db_help_names_the_postgres_forms(self):
        for command in ("sync", "status", "list", "show", "log", "rate", "grant"):
            with self.subTest(command=command):
                res = self.fs(command, "--help", expect=0)
                for form in ("sqlite:PATH", "postgresql://USER@HOST:PORT/DB?schema=S",
                             "'host=H dbname=D'", "'service=NAME'", "PG* variables"):
                    self.assertIn(form, res.stdout)

    def test_a_locked_sqlite_database_names_the_process_holding_it(self):
        self.sync()
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        with open("/proc/self/comm", encoding="utf-8") as f:
            comm = f.read().strip()
        holder = sqlite3.connect(self.db, timeout=0, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            runs = [self.fs("sync", self.root, "--lock-timeout", "0.5", timeout=30),
                    self.fs("rate", "a.json", "up", "--user", "u", "--lock-timeout", "0.5",
                            timeout=30)]
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        for res in runs:
            self.assertEqual(res.returncode, h.EXIT_BUSY, res.describe())
            self.assertEqual(res.stderr,
                             f"flowsync: error: database sqlite:{self.db} is locked by another "
                             f"writer: process {os.getpid()} ({comm}) on this machine holds it; "
                             f"waited 0.5 s (raise --lock-timeout, or retry when it is done)\n")
        self.assertEqual(h.query(self.db, "SELECT path FROM workflows"), [("a.json",)])


class ReadOnlyDatabaseTest(h.AsNobodyMixin, h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.setup_nobody()

    def test_a_read_only_database_is_named(self):
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))
        res = self.run_fs("sync", self.root)
        self.assertEqual(res.returncode, h.EXIT_OK, res.describe())
        h.write_json(self.p("b.json"), h.n8n_workflow("B", seed=2))
        for name in os.listdir(os.path.dirname(self.db)):
            os.chmod(os.path.join(os.path.dirname(self.db), name), 0o444)
        before = h.dump(self.db)
        for args in (["sync", self.root], ["rate", "a.json", "up", "--user", "u"]):
            with self.subTest(args=args):
                res = self.run_fs(*args, cwd=self.root)
                self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
                self.assertTrue(res.stderr.startswith(
                    f"flowsync: error: database sqlite:{self.db} is read-only: "), res.describe())
                self.assertTrue(res.stderr.endswith(
                    ": attempt to write a readonly database (check the permissions of the file, "
                    "of its -wal and -shm files and of its folder)\n"), res.describe())
        self.assertEqual(h.dump(self.db), before)


class PostgresPasswordTest(pgt.PostgresCase):
    """A password in the URL, its query or a connection string works and is
    never shown: not in the summary, --json, status, listings or errors."""

    def setUp(self):
        super().setUp()
        parts = urllib.parse.urlsplit(self.url)
        self.user = parts.username
        self.password = urllib.parse.unquote(parts.password or "")
        self.assertTrue(self.password, "the test cluster's URL holds no password")
        h.write_json(self.p("a.json"), h.n8n_workflow("A"))

    def assert_no_password(self, res):
        encoded = urllib.parse.quote(self.password, safe="")
        for secret in {self.password, encoded, "%" + "%".join(
                f"{b:02X}" for b in self.password.encode())}:
            self.assertNotIn(secret, res.stdout, "password shown: " + res.describe())
            self.assertNotIn(secret, res.stderr, "password shown: " + res.describe())

    def run_all(self, db):
        label = f"postgresql://{self.host}:{self.port}/{self.dbname}"
        res = self.fs("sync", self.root, "-v", "--db", db, cwd=self.tmp)
        self.assertEqual(res.returncode, h.EXIT_OK, res.describe())
        self.assertIn(f" into {label} (schema ", res.stdout)
        self.assert_no_password(res)
        for args in (["sync", self.root, "--json"], ["status", self.root],
                     ["status", self.root, "--json"], ["list"], ["list", "--json"],
                     ["log"], ["log", "--json"], ["show", "a.json"], ["show", "a.json", "--json"]):
            with self.subTest(args=args):
                res = self.fs(*args, "--db", db, cwd=self.tmp)
                self.assertEqual(res.returncode, h.EXIT_OK, res.describe())
                self.assert_no_password(res)

    def test_a_password_in_the_url_is_never_shown(self):
        self.assertIn(self.password, urllib.parse.unquote(self.url))
        self.run_all(self.url)
        self.assertEqual(self.count(), 1)

    def test_a_percent_encoded_password_and_a_password_parameter(self):
        every_byte = "".join(f"%{b:02X}" for b in self.password.encode())
        encoded = (f"postgresql://{self.user}:{every_byte}@{self.host}:{self.port}/"
                   f"{self.dbname}?sslmode=disable&schema=enc")
        self.run_all(encoded)
        query = (f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"
                 f"?password={urllib.parse.quote(self.password, safe='')}&schema=query")
        self.run_all(query)
        self.assertEqual(self.sql_value("SELECT count(*) FROM enc.workflows"), "1")
        self.assertEqual(self.sql_value("SELECT count(*) FROM query.workflows"), "1")

    def test_a_connection_string_with_a_password_and_a_schema(self):
        conninfo = (f"host={self.host} port={self.port} user={self.user} "
                    f"password='{self.password}' dbname={self.dbname} sslmode=disable "
                    f"schema=kv")
        self.run_all(conninfo)
        self.assertEqual(self.sql_value("SELECT count(*) FROM kv.workflows"), "1")
        self.assertEqual(self.count(), 0, "schema= went to the public schema")

    def test_a_wrong_password_is_not_shown_either(self):
        wrong = "Wr0ngPassw0rd"
        for db in (f"postgresql://{self.user}:{wrong}@{self.host}:{self.port}/{self.dbname}",
                   f"host={self.host} port={self.port} user={self.user} password={wrong} "
                   f"dbname={self.dbname}"):
            with self.subTest(db=db.split(":")[0]):
                res = self.fs("sync", self.root, "--db", db, cwd=self.tmp)
                self.assertEqual(res.returncode, h.EXIT_DB, res.describe())
                self.assertIn("password authentication failed", res.stderr)
                self.assertNotIn(wrong, res.stdout + res.stderr)
