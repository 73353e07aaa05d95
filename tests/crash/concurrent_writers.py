#!/usr/bin/env python3
"""Concurrent writers: 8 flowsync writers started at once on one SQLite file
and on one PostgreSQL database (4 `sync` of one tree, 4 `migrate up` of a
folder of generated workflow migrations and plain SQL, both on a database
that does not exist yet), compared with the same 8 commands run one after
another. With --pull, then 4 `pull` and 4 `sync` of one tree at once, on a
database that holds edits made in it (crash_trials.py's pull scenario): in
every serial order the pulls write the edits into the files and the syncs
keep them, so the workflows and the files must end as one pull leaves them.

Every writer must exit 0 (each waits for the others within --lock-timeout:
no busy error may escape), and the database must hold exactly what the
serial order leaves: every row of every table in canonical form (as the
crash trials compare states), run ids left out since the runs interleave.

    concurrent_writers.py [--rounds N] [--size N] [--pull] [--json] [--backends sqlite,postgres]

FLOWSYNC_BIN and FLOWSYNC_PG_DIR as for crash_trials.py. Exit status 0 when
every round held.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import crash_trials as ct  # noqa: E402 (it puts tests/e2e on the path)
import fsync_helpers as h  # noqa: E402

WRITERS = 8


def projection(tables):
    """A state without run ids, which depend on how the runs interleaved."""
    out = {}
    for table, rows in tables.items():
        out[table] = [{k: v for k, v in row.items() if k != "run_id"} for row in rows]
    return ct.canonical(out)


def prepare(work, backend, size):
    tree = os.path.join(work, "tree")
    other = os.path.join(work, "other")
    for root in (tree, other):
        os.makedirs(os.path.join(root, ".flowsync"), exist_ok=True)
    for i in range(size):
        ct.write_workflow(tree, i)
        ct.write_workflow(other, 100000 + i)
    ct.set_mtimes(tree, ct.BASE_MTIME)
    ct.set_mtimes(other, ct.BASE_MTIME)
    mig = os.path.join(work, "migrations")
    os.makedirs(mig)
    h.write_text(os.path.join(mig, "20240101000000_notes.sql"),
                 "CREATE TABLE notes (n INTEGER NOT NULL);\n"
                 + "".join(f"INSERT INTO notes VALUES ({k});\n" for k in range(20)))
    dialect = "sqlite" if backend.name == "sqlite" else "postgres"
    ct.run(["migration", "create", *[ct.workflow_path(other, 100000 + i) for i in range(size)],
            "--root", other, "--dir", mig, "--dialect", dialect], work, what="migration create")
    return tree, mig


def commands(tree, mig, target):
    sync = ["sync", tree, "--db", target, "--lock-timeout", "300"]
    up = ["migrate", "up", "--dir", mig, "--db", target, "--lock-timeout", "300"]
    return [sync if i % 2 == 0 else up for i in range(WRITERS)]


def run_at_once(cmds, cwd):
    """Starts every command at once and waits for all; a failure per command
    that did not exit 0, with the end of what it said."""
    procs = [subprocess.Popen([h.binary()] + cmd, cwd=cwd, env=h.clean_env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for cmd in cmds]
    failures = []
    for proc, cmd in zip(procs, cmds):
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append(f"`{cmd[0]} {cmd[1]}` exited {proc.returncode}: "
                            f"{err.decode('utf-8', 'replace')[-600:]}")
    return failures


def round_trip(work, backend, tree, mig, serial_state):
    target = backend.fresh()
    failures = []
    try:
        failures += run_at_once(commands(tree, mig, target), work)
        failures += backend.problems(target)
        tables = backend.tables(target)
        failures += ct.inconsistencies(tables)
        state = projection(tables)
        if state != serial_state:
            failures.append(f"not the serial result: tables differing {ct.differing(state, serial_state)}")
    finally:
        backend.drop(target)
    return failures


def without_signatures(state):
    """A pull scenario's state without the workflows' file signatures, which
    name inodes, and so differ between copies of one tree."""
    db = dict(state["db"])
    db["workflows"] = [tuple(kv for kv in row if kv[0] != "source_sig")
                       for row in db.get("workflows", [])]
    return {"db": db, "files": state["files"]}


def pull_round(scenario, backend, serials):
    target = backend.clone(scenario.before)
    tree = scenario.tree(target)
    cmds = [["pull" if i % 2 == 0 else "sync", tree, "--db", target, "--lock-timeout", "300"]
            for i in range(WRITERS)]
    failures = []
    try:
        failures += run_at_once(cmds, scenario.work)
        failures += backend.problems(target)
        tables = backend.tables(target)
        failures += ct.inconsistencies(tables)
        state = without_signatures(scenario.converged(scenario.state_from(target, tables)))
        serial = serials[0]
        if state["files"] != serial["files"]:
            differ = sorted(p for p in set(state["files"]) | set(serial["files"])
                            if state["files"].get(p) != serial["files"].get(p))
            failures.append(f"files not as one pull leaves them: {differ[:5]}")
        elif state not in serials:
            failures.append(f"no serial order's result: tables differing "
                            f"{ct.differing(state['db'], serial['db'])}")
    finally:
        backend.drop(target)
    return failures


def pull_rounds(work, backend, size, rounds, entry):
    scenario = ct.Pull(os.path.join(work, "pull"), backend, size)
    scenario.before = scenario.prepare()
    # The serial orders differ in how many syncs run before the first pull
    # (the later pulls find nothing to do).
    serials = []
    for before_pull in range(WRITERS // 2 + 1):
        probe = backend.clone(scenario.before)
        tree = scenario.tree(probe)
        order = (["sync"] * before_pull + ["pull"] * (WRITERS // 2)
                 + ["sync"] * (WRITERS // 2 - before_pull))
        for command in order:
            ct.run([command, tree, "--db", probe], scenario.work, what=f"serial {command}")
        state = without_signatures(scenario.converged(scenario.state(probe)))
        if state not in serials:
            serials.append(state)
        backend.drop(probe)
    for _ in range(rounds):
        failures = pull_round(scenario, backend, serials)
        entry["pull_rounds"] = entry.get("pull_rounds", 0) + 1
        if failures:
            entry["failures"] += 1
            entry["details"].append(failures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=100, help="workflows synced and migrated")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pull", action="store_true", help="pull and sync writers too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    wanted = set(filter(None, args.backends.split(",")))
    admin = h.pg_admin_url()
    if "postgres" in wanted and admin is None:
        if h.pg_required():
            print("concurrent_writers: FLOWSYNC_PG_DIR is not set", file=sys.stderr)
            return 1
        wanted.discard("postgres")
    work_root = tempfile.mkdtemp(prefix="flowsync-concurrent-")
    pg = ct.Postgres(admin) if admin else None
    results = []
    try:
        for name in ("sqlite", "postgres"):
            if name not in wanted:
                continue
            work = os.path.join(work_root, name)
            os.makedirs(work)
            backend = ct.Sqlite(work) if name == "sqlite" else pg
            entry = {"backend": name, "writers": WRITERS, "rounds": 0, "failures": 0, "details": []}
            results.append(entry)
            tree, mig = prepare(work, backend, args.size)
            serial = backend.fresh()
            started = time.monotonic()
            for cmd in commands(tree, mig, serial):
                ct.run(cmd, work, what="serial run")
            entry["serial_s"] = round(time.monotonic() - started, 2)
            serial_state = projection(backend.tables(serial))
            backend.drop(serial)
            for _ in range(args.rounds):
                started = time.monotonic()
                failures = round_trip(work, backend, tree, mig, serial_state)
                entry.setdefault("concurrent_s", []).append(round(time.monotonic() - started, 2))
                entry["rounds"] += 1
                if failures:
                    entry["failures"] += 1
                    entry["details"].append(failures)
            if args.pull:
                pull_rounds(work, backend, args.size, args.rounds, entry)
            if not args.json:
                print(f"{name:9} {WRITERS} writers x {entry['rounds']} rounds, pull and sync x "
                      f"{entry.get('pull_rounds', 0)} rounds: "
                      f"{entry['failures']} failed (serial {entry['serial_s']} s, "
                      f"concurrent {entry['concurrent_s']} s)", file=sys.stderr, flush=True)
                for d in entry["details"][:3]:
                    print("  " + "\n  ".join(d), file=sys.stderr)
    finally:
        if pg:
            pg.drop_all()
        shutil.rmtree(work_root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
