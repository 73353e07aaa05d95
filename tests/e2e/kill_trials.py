"""Kill -9 trials of workers and schedulers (used by test_run.py with a few
kills; `scripts/run kill-trials` runs many).

A worker trial enqueues tasks, runs workers whose command sleeps a little,
and SIGKILLs a random worker at a random instant again and again (starting
a new one each time), then lets one worker finish. Every execution must end
completed, with exactly one completed attempt: none lost, none completed
twice.

A scheduler trial runs schedulers of a phase that fires every second and
SIGKILLs and restarts random ones; a last pass after the kills catches up.
Every second between the first and the last fire must have exactly one
execution."""

import json
import os
import random
import signal
import sys
import tempfile
import time

import fsync_helpers as h

TICK_PHASE = """\
[[phase]]
task = "tick"
rule = "cron=* * * * * *"
template = "tick {TS}"
"""

SLEEPY = "import sys, time, random; sys.stdin.read(); time.sleep(random.random() * 0.2)"


def _json(res):
    if res.returncode != 0:
        raise AssertionError(res.describe())
    return json.loads(res.stdout)


def _kill_and_restart(cmd, root, count, rng, pause, go_on, ready=None, log=None):
    """Runs `count` processes of `cmd` (their stderr into `log`, if given);
    once ready() (if given), while go_on(kills so far, now), waits up to
    `pause` seconds, SIGKILLs a random one and starts another; then SIGKILLs
    them all."""
    running = [h.start(cmd, cwd=root, stderr=log) for _ in range(count)]
    kills = 0
    try:
        if ready:
            ready()
        while go_on(kills, time.monotonic()):
            time.sleep(rng.random() * pause)
            victim = rng.randrange(len(running))
            running[victim].send_signal(signal.SIGKILL)
            running[victim].wait(timeout=10)
            running[victim] = h.start(cmd, cwd=root, stderr=log)
            kills += 1
    finally:
        for p in running:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)


def worker_trial(root, db_args, tasks=20, kills=5, rng=None):
    """Returns a list of problems (empty: the trial passed)."""
    rng = rng or random.Random()
    for _ in range(tasks):
        _json(h.run(["run", "load", "--json", "--root", root, *db_args], cwd=root))
    cmd = ["worker", "--topic", "load", "--lease", "1", "--poll", "0.05", *db_args, "--",
           sys.executable, "-c", SLEEPY]
    _kill_and_restart(cmd, root, 3, rng, 0.5, lambda n, _: n < kills)
    # Orphaned commands of killed workers end by themselves (0.2 s at most).
    res = h.run(["worker", "--topic", "load", "--lease", "1", "--poll", "0.05",
                 "--exit-when-idle", *db_args, "--", sys.executable, "-c", SLEEPY],
                cwd=root, timeout=120)
    if res.returncode != 0:
        return [res.describe()]
    problems = []
    listed = _json(h.run(["executions", "list", "--json", "--limit", "100000", *db_args],
                         cwd=root))
    if len([e for e in listed if e["task"] == "load"]) < tasks:
        problems.append(f"only {len(listed)} executions of {tasks}")
    for e in listed:
        if e["task"] != "load":
            continue
        shown = _json(h.run(["executions", "show", str(e["id"]), "--json", *db_args], cwd=root))
        completed = [a for a in shown["history"] if a["outcome"] == "completed"]
        if shown["status"] != "completed" or len(completed) != 1:
            problems.append(f"execution {e['id']}: {shown['status']} with "
                            f"{len(completed)} completed attempts: "
                            f"{[a['outcome'] for a in shown['history']]}")
    return problems


def scheduler_trial(root, db_args, seconds=4.0, schedulers=4, rng=None):
    """Returns a list of problems (empty: the trial passed)."""
    rng = rng or random.Random()
    cmd = ["scheduler", "--interval", "0.05", "--root", root, *db_args]
    deadline = None

    def first_fire():
        # The kills start once a scheduler has fired: on a loaded machine a
        # start may take longer than the pause between kills.
        nonlocal deadline
        waited = time.monotonic() + 60
        while not _ticks(root, db_args):
            if time.monotonic() > waited:
                log.seek(0)
                raise AssertionError("no scheduler fired in 60 s; they said:\n" +
                                     log.read().decode(errors="replace")[-2000:])
            time.sleep(0.05)
        deadline = time.monotonic() + seconds

    with tempfile.TemporaryFile() as log:
        _kill_and_restart(cmd, root, schedulers, rng, 0.4, lambda _, now: now < deadline,
                          first_fire, log)
    res = h.run(["scheduler", "--once", "--root", root, *db_args], cwd=root)
    if res.returncode != 0:
        return [res.describe()]
    times = sorted(_ticks(root, db_args))
    problems = []
    if len(times) < seconds - 1:
        problems.append(f"only {len(times)} fires in {seconds} s")
    if len(set(times)) != len(times):
        problems.append(f"a fire ran twice: {times}")
    stamps = sorted({h_time_to_s(t) for t in times})
    gaps = [(a, b) for a, b in zip(stamps, stamps[1:]) if b - a != 1]
    if gaps:
        problems.append(f"fires missing between {gaps}")
    return problems


def _ticks(root, db_args):
    listed = _json(h.run(["executions", "list", "--json", "--limit", "100000", *db_args],
                         cwd=root))
    return [e["task_time"] for e in listed if e["task"] == "tick"]


def h_time_to_s(text):
    # "2026-01-15T10:00:01.000Z" -> seconds since the epoch
    import calendar
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))


def main():
    trials = int(os.environ.get("FLOWSYNC_KILL_TRIALS", "100"))
    pg = h.pg_admin_url()
    failures = 0
    for n in range(trials):
        for backend in (["sqlite"] + (["postgres"] if pg else [])):
            with tempfile.TemporaryDirectory(prefix="flowsync-kill-") as tmp:
                root = os.path.join(tmp, "root")
                os.makedirs(os.path.join(root, "phases"))
                h.write_text(os.path.join(root, "phases", "etl.toml"),
                             '[[phase]]\ntask = "load"\nrule = "cron=0 0 1 1 *"\n'
                             'template = "x"\n')
                h.write_text(os.path.join(root, "phases", "tick.toml"), TICK_PHASE)
                db_args = []
                dbname = None
                if backend == "postgres":
                    import uuid
                    dbname = f"fs_kill_{uuid.uuid4().hex[:12]}"
                    h.psql(pg, f'CREATE DATABASE "{dbname}"')
                    db_args = ["--db", h.pg_url(pg, dbname, sslmode="disable")]
                try:
                    h.run(["sync", *db_args], cwd=root)
                    problems = worker_trial(root, db_args) + scheduler_trial(root, db_args)
                finally:
                    if dbname:
                        h.psql(pg, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                status = "ok" if not problems else "FAILED: " + "; ".join(problems)
                print(f"trial {n + 1}/{trials} {backend}: {status}", flush=True)
                failures += bool(problems)
    print(f"{failures} failed trials")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
