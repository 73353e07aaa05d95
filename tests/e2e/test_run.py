"""End-to-end tests of running phase workflows: `flowsync run`, `flowsync
worker -- COMMAND` and `flowsync executions`, on SQLite and on PostgreSQL
(when FLOWSYNC_PG_DIR names a test cluster): the task JSON and variables a
command receives, retries, timeouts that kill the process group, and a
worker killed with SIGKILL whose task another worker runs again."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest
import uuid

import fsync_helpers as h
import kill_trials

ETL = """\
[[phase]]
task = "load"
rule = "cron=0 * * * *"
template = "s3://bucket/{yyyy}/{mm}/{dd}/{hh}/data.csv?day={meta:day}"

[[phase]]
task = "flaky:fix"
rule = "cron=0 * * * *&retry_delay=100ms"
retry = 1
template = "flaky"

[[phase]]
task = "slow"
rule = "cron=0 * * * *&timeout=1s"
template = "slow"
"""

# A command that records the task JSON and its FLOWSYNC_* variables in
# OUT/<execution>-<attempt>.json, then exits with $EXIT (default 0) after
# sleeping $SLEEP seconds.
HANDLER = """\
import json, os, sys, time
task = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith("FLOWSYNC_")}
out = os.path.join(os.environ["OUT"], f"{task['execution']}-{task['attempt']}.json")
with open(out + ".tmp", "w") as f:
    json.dump({"task": task, "env": env, "pid": os.getpid()}, f)
os.rename(out + ".tmp", out)
print("stdout of", task["task"])
print("stderr of", task["task"], file=sys.stderr)
time.sleep(float(os.environ.get("SLEEP", "0")))
sys.exit(int(os.environ.get("EXIT", "0")))
"""

EXECUTION_KEYS = {"id", "task", "task_time", "status", "attempts", "trigger"}


class RunMixin:
    """The tests; a subclass says which database (`db_args`)."""

    def setUp(self):
        super().setUp()
        h.write_text(self.p("phases", "etl.toml"), ETL)
        self.out = os.path.join(self.tmp, "out")
        os.makedirs(self.out)
        self.handler = os.path.join(self.tmp, "handler.py")
        h.write_text(self.handler, HANDLER)
        self.fs("sync", *self.db_args(), expect=0)

    def cmd(self, *args, expect=0, env=None, timeout=h.DEFAULT_TIMEOUT):
        # run and scheduler read the phase files: their root is named, since
        # a sync into PostgreSQL leaves no .flowsync/ folder to find it by.
        root = ["--root", self.root] if args[0] in ("run", "scheduler", "file") else []
        return self.fs(*args, *root, *self.db_args(), expect=expect, env=env, timeout=timeout)

    def cmd_json(self, *args, expect=0):
        return json.loads(self.cmd(*args, "--json", expect=expect).stdout)

    def worker(self, topic, *extra, env=None, expect=0, timeout=h.DEFAULT_TIMEOUT):
        # The database options go before the command: after -- all is its.
        return self.fs("worker", "--topic", topic, "--exit-when-idle", "--poll", "0.05",
                       *extra, *self.db_args(), "--", sys.executable, self.handler,
                       expect=expect, env=dict({"OUT": self.out}, **(env or {})),
                       timeout=timeout)

    def recorded(self, execution, attempt):
        with open(os.path.join(self.out, f"{execution}-{attempt}.json")) as f:
            return json.load(f)

    def test_a_run_is_executed_once_with_the_task_on_stdin(self):
        started = self.cmd_json("run", "load", "--time", "2026-01-15T10:30:00Z")
        self.assertEqual(started["status"], "pending")
        pending = self.cmd_json("executions", "list")
        self.assertEqual(len(pending), 1)
        self.assertEqual(pending[0]["status"], "pending")
        self.assertEqual(pending[0]["attempts"], 0)

        self.worker("load")
        listed = self.cmd_json("executions", "list")
        self.assertEqual(len(listed), 1)
        e = listed[0]
        self.assertLessEqual(EXECUTION_KEYS, set(e))
        self.assertEqual((e["id"], e["task"], e["task_time"], e["status"], e["attempts"],
                          e["trigger"]),
                         (started["id"], "load", "2026-01-15T10:30:00.000Z", "completed", 1,
                          "manual"))
        got = self.recorded(e["id"], 1)
        task = got["task"]
        self.assertEqual(task["task"], "load")
        self.assertEqual(task["info"], "s3://bucket/2026/01/15/10/data.csv?day=")
        self.assertEqual(task["time"], "2026-01-15T10:30:00.000Z")
        self.assertEqual(task["meta"], "workflow=phases/etl.toml&cron=2026-01-15T10")
        self.assertEqual(task["attempt"], 1)
        self.assertEqual(task["execution"], e["id"])
        self.assertEqual(got["env"]["FLOWSYNC_TASK"], "load")
        self.assertEqual(got["env"]["FLOWSYNC_EXECUTION"], str(e["id"]))
        self.assertEqual(got["env"]["FLOWSYNC_INFO"], task["info"])

        shown = self.cmd_json("executions", "show", str(e["id"]))
        self.assertEqual([a["outcome"] for a in shown["history"]], ["completed"])
        self.assertEqual(shown["history"][0]["exit_status"], 0)
        self.assertEqual(shown["history"][0]["stdout_tail"], "stdout of load\n")
        self.assertEqual(shown["history"][0]["stderr_tail"], "stderr of load\n")
        # Nothing left: a second worker runs nothing.
        self.worker("load")
        self.assertEqual(os.listdir(self.out), [f"{e['id']}-1.json"])

    def test_a_failing_task_is_retried_then_failed(self):
        started = self.cmd_json("run", "flaky:fix")
        self.worker("flaky", env={"EXIT": "3"})
        shown = self.cmd_json("executions", "show", str(started["id"]))
        self.assertEqual((shown["status"], shown["attempts"], shown["max_attempts"]),
                         ("failed", 2, 2))
        self.assertEqual(shown["error"], "exit status 3")
        self.assertEqual([(a["outcome"], a["exit_status"]) for a in shown["history"]],
                         [("failed", 3), ("failed", 3)])
        self.assertEqual(self.recorded(started["id"], 2)["task"]["task"], "flaky:fix")

        # A retry by hand allows one more attempt.
        self.cmd("executions", "retry", str(started["id"]))
        self.worker("flaky")
        shown = self.cmd_json("executions", "show", str(started["id"]))
        self.assertEqual((shown["status"], shown["attempts"]), ("completed", 3))
        res = self.cmd("executions", "retry", str(started["id"]), expect=h.EXIT_GUARD)
        self.assertEqual(res.stderr, f"flowsync: error: execution {started['id']} has not "
                                     "failed, timed out or been cancelled\n")

    def test_a_timeout_kills_the_command(self):
        started = self.cmd_json("run", "slow")
        t0 = time.monotonic()
        self.worker("slow", env={"SLEEP": "60"})
        self.assertLess(time.monotonic() - t0, 30)
        shown = self.cmd_json("executions", "show", str(started["id"]))
        self.assertEqual((shown["status"], shown["error"]), ("timeout", "timed out after 1000 ms"))
        pid = self.recorded(started["id"], 1)["pid"]
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)

    def test_a_killed_workers_task_runs_again_on_another_worker(self):
        started = self.cmd_json("run", "load")
        first = h.start(["worker", "--topic", "load", "--lease", "1", "--poll", "0.05",
                         *self.db_args(), "--", sys.executable, self.handler],
                        cwd=self.root, env={"OUT": self.out, "SLEEP": "60"})
        self.addCleanup(h.stop, first)
        path = os.path.join(self.out, f"{started['id']}-1.json")
        deadline = time.monotonic() + 30
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(path), "the first worker never started the task")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        # The orphaned command of the dead worker keeps running; stop it.
        os.killpg(self.recorded(started["id"], 1)["pid"], signal.SIGKILL)
        self.worker("load", "--lease", "1")
        self.assertLess(time.monotonic() - killed_at, 5)
        shown = self.cmd_json("executions", "show", str(started["id"]))
        self.assertEqual((shown["status"], shown["attempts"]), ("completed", 2))
        self.assertEqual([a["outcome"] for a in shown["history"]], ["lost", "completed"])

    def test_cancel_and_bad_input(self):
        started = self.cmd_json("run", "load")
        self.cmd("executions", "cancel", str(started["id"]))
        self.worker("load")
        self.assertEqual(os.listdir(self.out), [])
        self.assertEqual(self.cmd_json("executions", "list", "--status", "cancelled")[0]["id"],
                         started["id"])
        res = self.cmd("run", "nosuch", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no phase runs task 'nosuch' "
                                     "(`flowsync phases validate` lists the phases)\n")
        res = self.cmd("run", "load", "--time", "yesterday", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --time: expected an RFC 3339 time such "
                                     "as 2026-01-15T10:00:00Z, got 'yesterday'\n")
        res = self.cmd("executions", "show", "999999", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no execution 999999\n")
        res = self.cmd("worker", "--topic", "load", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: a worker needs a command after -- "
                                     "(flowsync worker --topic T -- COMMAND ARGS...) or --noop\n")
        res = self.cmd("executions", "list", "--status", "done", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --status: expected pending, running, "
                                     "completed, failed, cancelled or timeout, got 'done'\n")

    def test_killed_workers_lose_no_task_and_complete_none_twice(self):
        self.assertEqual(kill_trials.worker_trial(self.root, self.db_args(), tasks=8, kills=3), [])

    def test_cron_fires_once_while_schedulers_are_killed(self):
        h.write_text(self.p("phases", "tick.toml"), kill_trials.TICK_PHASE)
        self.fs("sync", *self.db_args())
        self.assertEqual(kill_trials.scheduler_trial(self.root, self.db_args(), seconds=3), [])

    def test_the_scheduler_enqueues_children_and_the_failed_topic(self):
        h.write_text(self.p("phases", "etl.toml"), ETL + textwrap.dedent("""\
            [[phase]]
            task = "report"
            dependsOn = "load"
            template = "report of {yyyy}-{mm}-{dd}T{hh}"
            """))
        self.fs("sync", *self.db_args())
        parent = self.cmd_json("run", "load", "--time", "2026-01-15T10:30:00Z")
        self.worker("load")
        res = self.cmd("scheduler", "--once", "--json")
        self.assertEqual(json.loads(res.stdout)["children"], 1)
        self.worker("report")
        child = [e for e in self.cmd_json("executions", "list") if e["task"] == "report"]
        self.assertEqual(len(child), 1)
        self.assertEqual((child[0]["status"], child[0]["trigger"], child[0]["parent"],
                          child[0]["info"]),
                         ("completed", "workflow", parent["id"], "report of 2026-01-15T10"))
        # A second pass enqueues nothing again.
        self.assertEqual(json.loads(self.cmd("scheduler", "--once", "--json").stdout)["children"],
                         0)

        failed = self.cmd_json("run", "slow")
        self.fs("worker", "--topic", "slow", "--exit-when-idle", *self.db_args(), "--", "false",
                expect=0)
        self.cmd("scheduler", "--once")
        alerts = [e for e in self.cmd_json("executions", "list") if e["topic"] == "retry-failed"]
        self.assertEqual(len(alerts), 1)
        self.assertEqual((alerts[0]["task"], alerts[0]["parent"]),
                         ("retry-failed:slow", failed["id"]))
        self.assertTrue(alerts[0]["meta"].startswith("workflow=phases/etl.toml&cron="))
        self.assertTrue(alerts[0]["meta"].endswith("&retry=failed&retried=0"))

    def test_old_executions_are_pruned_after_their_follow_up(self):
        self.cmd_json("run", "load")
        self.worker("load")
        cancelled = self.cmd_json("run", "slow")
        self.cmd("executions", "cancel", str(cancelled["id"]))
        self.cmd_json("run", "load")  # pending: never pruned
        # The default retention (30 days) keeps them all.
        self.assertEqual(self.cmd_json("executions", "prune"), {"pruned": 0})
        time.sleep(0.05)
        # The completed one waits for its follow-up; the cancelled one has none.
        self.assertEqual(self.cmd_json("executions", "prune", "--older-than", "1ms"),
                         {"pruned": 1})
        res = self.cmd("scheduler", "--once", "--json", "--retention", "1ms")
        self.assertEqual(json.loads(res.stdout)["pruned"], 1)
        self.assertEqual([e["status"] for e in self.cmd_json("executions", "list")], ["pending"])
        res = self.cmd("executions", "prune", "--older-than", "soon", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: --older-than: expected a duration such as "
                                     "720h or 0 (for ever), got 'soon'\n")
        self.assertEqual(self.cmd_json("executions", "prune", "--older-than", "0"),
                         {"pruned": 0})

    def test_a_file_starts_the_phases_whose_files_rule_matches(self):
        h.write_text(self.p("phases", "ingest.toml"), textwrap.dedent("""\
            [[phase]]
            task = "ingest:csv"
            rule = "files=s3://drop/*/*.csv"
            template = "{yyyy}-{mm}-{dd} {meta:filename}"
            """))
        self.fs("sync", *self.db_args(), expect=0)
        started = self.cmd_json("file", "s3://drop/2026-01-15/a.csv", "s3://drop/x/b.csv")
        self.assertEqual([(e["task"], e["workflow"], e["file"]) for e in started],
                         [("ingest:csv", "phases/ingest.toml", "s3://drop/2026-01-15/a.csv"),
                          ("ingest:csv", "phases/ingest.toml", "s3://drop/x/b.csv")])
        shown = self.cmd_json("executions", "show", str(started[0]["id"]))
        self.assertEqual((shown["trigger"], shown["info"], shown["task_time"]),
                         ("files", "2026-01-15 a.csv", "2026-01-15T00:00:00.000Z"))
        self.assertEqual(shown["meta"], "file=s3://drop/2026-01-15/a.csv&filename=a.csv&"
                                        "files=s3://drop/*/*.csv&workflow=phases/ingest.toml")
        # No time in the path: the template's time fields stay as written.
        self.assertEqual(self.cmd_json("executions", "show", str(started[1]["id"]))["info"],
                         "{yyyy}-{mm}-{dd} b.csv")
        res = self.cmd("file", "s3://drop/a/b/c.csv", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr,
                         'flowsync: error: no files= rule matches "s3://drop/a/b/c.csv"\n')

    def test_a_file_told_twice_with_its_key_starts_its_phases_once(self):
        h.write_text(self.p("phases", "ingest.toml"), textwrap.dedent("""\
            [[phase]]
            task = "ingest:csv"
            rule = "files=s3://drop/*/*.csv"
            """))
        self.fs("sync", *self.db_args(), expect=0)
        path = "s3://drop/2026-01-15/a.csv"
        first = self.cmd_json("file", path, "--key", "etag-1")
        self.assertEqual([(e["task"], e["repeated"]) for e in first], [("ingest:csv", False)])
        # The event delivered again (or the caller killed after the commit
        # and run again): the same execution, nothing new.
        again = self.cmd_json("file", path, "--key", "etag-1")
        self.assertEqual(again, [{"id": first[0]["id"], "file": path, "repeated": True}])
        text = self.cmd("file", path, "--key", "etag-1").stdout
        self.assertEqual(text, f"{path} arrived with key etag-1 before: 1 execution started "
                               f"then, nothing now\n  execution {first[0]['id']}\n")
        # A new version of the file is a new arrival.
        self.assertEqual(len(self.cmd_json("file", path, "--key", "etag-2")), 1)
        self.assertEqual(len(self.cmd_json("executions", "list")), 2)
        res = self.cmd("file", path, "--key", "", expect=h.EXIT_USAGE)
        self.assertIn("the key must not be empty", res.stderr)

    def test_a_watched_folder_starts_each_arrived_file_once_across_restarts(self):
        h.write_text(self.p("phases", "ingest.toml"), textwrap.dedent("""\
            [[phase]]
            task = "ingest:csv"
            rule = "files=s3://drop/*/*.csv"
            """))
        drop = os.path.join(self.tmp, "drop")
        os.makedirs(os.path.join(drop, "2026-01-14"))
        h.write_text(os.path.join(drop, "2026-01-14", "before.csv"), "a\n")
        out_path = os.path.join(self.tmp, "file-watch.out")
        err_path = os.path.join(self.tmp, "file-watch.err")

        def start(folder):
            out = open(out_path, "wb")
            err = open(err_path, "wb")
            self.addCleanup(out.close)
            self.addCleanup(err.close)
            proc = h.start(["file", "--watch", folder, "--as", "s3://drop", "--json",
                            "--root", self.root, *self.db_args()], cwd=self.tmp, stdout=out,
                           stderr=err)
            self.addCleanup(h.stop, proc)
            return proc

        def lines():
            with open(out_path, encoding="utf-8") as f:
                return [json.loads(line) for line in f.read().split("\n")[:-1] if line]

        def wait_files(proc, want):
            deadline = time.monotonic() + 20
            while True:
                started = sorted(j["file"] for j in lines() if "id" in j)
                if started == want:
                    return
                if proc.poll() is not None:
                    self.fail(f"file --watch exited {proc.returncode}: {h.read_text(err_path)}")
                self.assertLess(time.monotonic(), deadline, f"started {started}, want {want}")
                time.sleep(0.05)

        proc = start(drop)
        # The file already there is told at the start.
        wait_files(proc, ["s3://drop/2026-01-14/before.csv"])
        self.assertEqual(lines()[0]["watching"], drop)
        # Written and closed; moved in from a dot name (an upload); a folder
        # moved in with a file; a file no rule matches.
        h.write_text(os.path.join(drop, "2026-01-14", "written.csv"), "b\n")
        h.write_text(os.path.join(drop, "2026-01-14", ".upload"), "c\n")
        os.rename(os.path.join(drop, "2026-01-14", ".upload"),
                  os.path.join(drop, "2026-01-14", "uploaded.csv"))
        os.makedirs(os.path.join(self.tmp, "day"))
        h.write_text(os.path.join(self.tmp, "day", "moved.csv"), "d\n")
        os.rename(os.path.join(self.tmp, "day"), os.path.join(drop, "2026-01-15"))
        h.write_text(os.path.join(drop, "notes.txt"), "e\n")
        want = ["s3://drop/2026-01-14/before.csv", "s3://drop/2026-01-14/uploaded.csv",
                "s3://drop/2026-01-14/written.csv", "s3://drop/2026-01-15/moved.csv"]
        wait_files(proc, want)
        deadline = time.monotonic() + 10
        while {"file": "s3://drop/notes.txt", "matched": False} not in lines():
            self.assertLess(time.monotonic(), deadline, "the unmatched file was not reported")
            time.sleep(0.05)
        self.assertEqual(h.send_and_wait(proc, h.SIGTERM, timeout=10), 0)

        # Killed and started again: the files told before start nothing; one
        # that arrived while nothing watched is told, and so is a file
        # written again (another key).
        h.write_text(os.path.join(drop, "2026-01-15", "meanwhile.csv"), "f\n")
        time.sleep(0.01)
        h.write_text(os.path.join(drop, "2026-01-14", "written.csv"), "b, again\n")
        proc = start(drop + "/")  # the same folder, written otherwise
        wait_files(proc, ["s3://drop/2026-01-14/written.csv", "s3://drop/2026-01-15/meanwhile.csv"])
        proc.kill()
        proc.wait()
        executions = self.cmd_json("executions", "list")
        self.assertEqual(len(executions), 6)
        self.assertEqual({e["task"] for e in executions}, {"ingest:csv"})

        res = self.cmd("file", "--watch", drop, "x.csv", expect=h.EXIT_USAGE)
        self.assertIn("give no PATH and no --key with it", res.stderr)
        res = self.cmd("file", "--watch", os.path.join(self.tmp, "missing"), expect=h.EXIT_FAILED)
        self.assertIn("is not a folder", res.stderr)

    def test_workers_and_schedulers_are_listed_with_their_state(self):
        self.cmd_json("run", "load")
        self.worker("load")
        self.cmd("scheduler", "--once")
        listed = self.cmd_json("workers")
        self.assertEqual(sorted((w["kind"], w["topics"], w["state"]) for w in listed),
                         [("scheduler", "", "stopped"), ("worker", "load", "stopped")])
        # A worker killed with SIGKILL keeps its last heartbeat: alive until
        # it is 30 s old, never "stopped".
        proc = h.start(["worker", "--topic", "idle", "--noop", *self.db_args()], cwd=self.root)
        self.addCleanup(h.stop, proc)
        deadline = time.monotonic() + 20
        while not [w for w in self.cmd_json("workers") if w["topics"] == "idle"]:
            self.assertLess(time.monotonic(), deadline, "the worker never registered")
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        idle = [w for w in self.cmd_json("workers") if w["topics"] == "idle"][0]
        self.assertEqual((idle["state"], idle["stopped_at"]), ("alive", None))
        self.assertRegex(self.cmd("workers").stdout, r"worker +alive +\S+:\d+:[0-9a-f]{8}  idle")

    def test_noop_worker_drains_many(self):
        for _ in range(20):
            self.cmd("run", "load")
        res = self.cmd("worker", "--topic", "load", "--noop", "--exit-when-idle",
                       "--concurrency", "2", "--json")
        self.assertEqual(json.loads(res.stdout)["completed"], 20)
        listed = self.cmd_json("executions", "list", "--status", "completed")
        self.assertEqual(len(listed), 20)


class VariablesMixin:
    """flowsync var and what a worker's command receives; a subclass says
    which database (`db_args`) and how to read its stored values
    (`stored_values`)."""

    def var(self, *args, expect=0, env=None, stdin=None):
        db = self.db_args() if args[0] != "keygen" else []
        res = subprocess.run([h.binary(), "var", *args, *db], cwd=self.root,
                             env=h.clean_env(env), input=stdin, capture_output=True, text=True,
                             timeout=h.DEFAULT_TIMEOUT)
        self.assertEqual(res.returncode, expect, res.stderr)
        return res

    def test_variables_reach_the_command_and_secrets_stay_sealed(self):
        key = self.var("keygen").stdout.strip()
        keyed = {"FLOWSYNC_SECRET_KEY": key}
        self.var("set", "REGION", "eu-west-1")
        self.var("set", "API_TOKEN", "--secret", env=keyed, stdin="tok-9f8e7d6c5b\n")
        self.var("set", "REGION", "us-east-2", "--env", "staging")
        listed = json.loads(self.var("list", "--json").stdout)
        self.assertEqual([(v["name"], v["secret"], v["value"]) for v in listed],
                         [("API_TOKEN", True, None), ("REGION", False, "eu-west-1")])
        self.assertEqual(self.var("list").stdout, "API_TOKEN=(secret)\nREGION=eu-west-1\n")
        self.assertEqual(self.var("get", "REGION", "--env", "staging").stdout, "us-east-2\n")
        res = self.var("get", "API_TOKEN", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: API_TOKEN is secret: its value is never "
                                     "printed (a worker's command receives it as $API_TOKEN)\n")
        for value in self.stored_values():
            self.assertNotIn("tok-9f8e7d6c5b", value)

        # The command gets both; what is kept of its output masks the secret.
        run = self.cmd_json("run", "slow")
        self.fs("worker", "--topic", "slow", "--exit-when-idle", *self.db_args(), "--", "sh",
                "-c", 'echo "$REGION $API_TOKEN"', env=keyed, expect=0)
        shown = self.cmd_json("executions", "show", str(run["id"]))
        self.assertEqual(shown["status"], "completed")
        self.assertEqual(shown["history"][0]["stdout_tail"], "eu-west-1 [secret]\n")

        # No key, or another key: the worker refuses to start, nothing runs.
        self.cmd_json("run", "slow")
        res = self.fs("worker", "--topic", "slow", "--exit-when-idle", *self.db_args(), "--",
                      "true", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: variable API_TOKEN (environment default) "
                                     "is secret: set FLOWSYNC_SECRET_KEY or "
                                     "FLOWSYNC_SECRET_KEY_FILE to the key it was sealed with\n")
        other = {"FLOWSYNC_SECRET_KEY": self.var("keygen").stdout.strip()}
        res = self.fs("worker", "--topic", "slow", "--exit-when-idle", *self.db_args(), "--",
                      "true", env=other, expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: variable API_TOKEN (environment default): "
                                     "cannot be opened with this key (sealed with another key, "
                                     "or for another variable)\n")
        # The staging worker has no secret to open.
        self.fs("worker", "--topic", "slow", "--exit-when-idle", "--env", "staging",
                *self.db_args(), "--", "true", expect=0)

        self.var("unset", "API_TOKEN")
        res = self.var("unset", "API_TOKEN", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr,
                         "flowsync: error: no variable API_TOKEN in environment default\n")

    def test_variable_bad_input(self):
        res = self.var("set", "1BAD", "x", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: variable name '1BAD': expected letters, "
                                     "digits and _ (not first a digit), at most 128\n")
        res = self.var("set", "OK", "x", "--env", "a b", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: environment 'a b': expected letters, "
                                     "digits, _, . and -, at most 64\n")
        res = self.var("set", "TOKEN", "--secret", stdin="x", expect=h.EXIT_USAGE)
        self.assertTrue(res.stderr.startswith("flowsync: error: a secret needs a key: set "
                                              "FLOWSYNC_SECRET_KEY"), res.stderr)
        res = self.var("set", "TOKEN", "--secret", stdin="x",
                       env={"FLOWSYNC_SECRET_KEY": "c2hvcnQ="}, expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: FLOWSYNC_SECRET_KEY: not a key (expected "
                                     "32 bytes in base64, as `flowsync var keygen` prints)\n")
        self.assertEqual(json.loads(self.var("list", "--json").stdout), [])


class RunSqliteTest(RunMixin, VariablesMixin, h.FlowsyncCase):

    def db_args(self):
        return []

    def stored_values(self):
        return [v for (v,) in h.query(self.p(".flowsync", "flowsync.db"),
                                      "SELECT value FROM workflow_variables")]


class RunPostgresTest(RunMixin, VariablesMixin, h.FlowsyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = h.pg_admin_url()
        if cls.admin is None:
            if h.pg_required():
                raise RuntimeError("FLOWSYNC_PG_DIR is not set")
            raise unittest.SkipTest("no PostgreSQL test cluster (FLOWSYNC_PG_DIR)")

    def setUp(self):
        self.dbname = f"fs_{uuid.uuid4().hex[:16]}"
        self.admin = type(self).admin
        h.psql(self.admin, f'CREATE DATABASE "{self.dbname}"')
        self.url = h.pg_url(self.admin, self.dbname, sslmode="disable", connect_timeout="5")
        super().setUp()
        self.addCleanup(lambda: h.psql(self.admin,
                                       f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)'))

    def db_args(self):
        return ["--db", self.url]

    def stored_values(self):
        return [v for (v,) in h.psql(h.pg_url(self.admin, self.dbname),
                                     "SELECT value FROM workflow_variables")]


if __name__ == "__main__":
    unittest.main()
