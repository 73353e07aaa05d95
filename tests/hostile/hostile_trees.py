#!/usr/bin/env python3
"""Hostile trees: a tree of bad inputs beside good files, synced in one run.

Bad: contents that are not UTF-8, NUL bytes, a file over the 64 MB limit,
JSON nested 100,000 levels, symlink loops (file and folder), FIFOs and a
socket named like workflows, an unreadable file and folder, truncated JSON.
Odd but good: names of 255 bytes, names that are not UTF-8 (stored under
their path text), case-colliding names, folders nested 200 levels, and many
files in one folder (--many, 100,000 in the long form).

The run must not crash or hang, must store every good file (compared by
path and content hash with a sync of the good files alone), must report
each bad one as a per-file error naming it, and nothing else; a second run
must give the same errors and change nothing. Peak RSS of the run is
reported (wait4's ru_maxrss of the sync alone).

    hostile_trees.py [--many N] [--json] [--backend sqlite|postgres]

FLOWSYNC_BIN names the binary; as root, the run is made as the user nobody
(setpriv) so that chmod 000 makes files unreadable. Exit status 0 when every
check held.
"""

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import fsync_helpers as h  # noqa: E402

NOBODY = 65534


def good(name, seed):
    return json.dumps(h.n8n_workflow(name, nodes=3, seed=seed))


def build_tree(root, many):
    """Writes the tree; returns (good keys, bad keys) as the sync names them
    (path text: bytes that are not UTF-8 as \\xHH)."""
    goods, bads = [], []

    def put(rel, data, is_good):
        path = os.path.join(os.fsencode(root), rel if isinstance(rel, bytes) else rel.encode())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        (goods if is_good else bads).append(rel)

    # Good files, and good files with odd names.
    for i in range(20):
        put(f"good/g{i:03d}.json", good(f"Good {i}", i), True)
    put("odd/" + "n" * 250 + ".json", good("Long name", 100), True)
    put(b"odd/caf\xe9.json", good("Latin-1 name", 101), True)
    put("odd/Case.json", good("Upper", 102), True)
    put("odd/case.json", good("Lower", 103), True)
    put("odd/CASE.json", good("All upper", 104), True)
    deep = "/".join(["d"] * 200)
    put(f"deep/{deep}/bottom.json", good("Bottom", 105), True)
    for i in range(many):
        put(f"many/m{i:06d}.json", good(f"Many {i}", 1000 + i), True)

    # Bad contents.
    put("bad/latin1.json", good("Bad", 200).replace("Bad", "B\xe9d").encode("latin-1"), False)
    put("bad/nul.json", good("Nul", 201).encode()[:30] + b"\0" + good("Nul", 201).encode()[30:],
        False)
    put("bad/truncated.json", good("Cut", 202)[:-20], False)
    put("bad/deep.json", '{"nodes": [], "connections": {}, "deep": ' + "[" * 100000
        + "]" * 100000 + "}", False)
    big = h.n8n_workflow("Huge", seed=203, padding="x" * (65 * 1024 * 1024))
    put("bad/huge.json", json.dumps(big), False)
    put("bad/phase.toml", "[[phase]]\ntask = \"a\"\nrule = \"cron=0 * * * *\"\n[[phase\n", False)

    base = os.path.join(root, "bad")
    # Symlink loops: two links naming each other, and a folder link to itself.
    os.symlink("loop-b.json", os.path.join(base, "loop-a.json"))
    os.symlink("loop-a.json", os.path.join(base, "loop-b.json"))
    bads += ["bad/loop-a.json", "bad/loop-b.json"]
    os.symlink(".", os.path.join(base, "self"))  # not followed: nothing to report
    # FIFOs and a socket named like workflows.
    os.mkfifo(os.path.join(base, "pipe.json"))
    os.mkfifo(os.path.join(base, "pipe.toml"))
    bads += ["bad/pipe.json", "bad/pipe.toml"]
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(base, "sock.json"))
    sock.close()
    bads.append("bad/sock.json")
    # Unreadable: a file, a bundle folder.
    put("bad/unreadable.json", good("Secret", 204), False)
    os.chmod(os.path.join(base, "unreadable.json"), 0)
    h.write_bundle(os.path.join(base, "locked"), h.n8n_workflow("Locked", seed=205))
    os.chmod(os.path.join(base, "locked"), 0)
    bads.append("bad/locked")

    def text(rel):
        return rel.decode("utf-8", "backslashreplace") if isinstance(rel, bytes) else rel

    return sorted(text(g) for g in goods), sorted(text(b) for b in bads)


def run_sync(root, db, as_nobody, extra=()):
    """(exit status, stdout, stderr, seconds, peak RSS in MB) of one sync."""
    cmd = [h.binary(), "sync", root, "--db", db, "--json", *extra]
    if as_nobody:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + cmd
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=h.clean_env(), cwd=os.path.dirname(root))
        # wait4: the peak RSS of this process alone (setpriv execs flowsync).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), elapsed, usage.ru_maxrss / 1024)


def stored(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT path, content_hash FROM workflows WHERE deleted_at IS NULL"))
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--many", type=int, default=2000, help="files in one folder")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-tree", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_tree:
        print(json.dumps(build_tree(args.write_tree, args.many)))
        return 0

    as_nobody = os.geteuid() == 0
    if as_nobody and not shutil.which("setpriv"):
        print("hostile_trees: running as root without setpriv", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="flowsync-hostile-")
    failures = []
    try:
        os.chmod(work, 0o755)
        root = os.path.join(work, "tree")
        # In a process of its own: the 65 MB file's text must not count in
        # the peak RSS of the children (a forked child shares its parent's
        # pages until it runs flowsync).
        made = subprocess.run([sys.executable, __file__, "--many", str(args.many),
                               "--write-tree", root], check=True, stdout=subprocess.PIPE)
        goods, bads = json.loads(made.stdout)
        db = os.path.join(work, "state.db")
        if as_nobody:
            for dirpath, dirnames, filenames in os.walk(work):
                os.lchown(dirpath, NOBODY, NOBODY)
                for name in dirnames + filenames:
                    os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)
        rc, out, err, elapsed, rss = run_sync(root, db, as_nobody)
        if rc < 0 or rc not in (1,):
            failures.append(f"the sync exited {rc} (want 1: some files failed): {err[-2000:]}")
        try:
            report = json.loads(out)
        except ValueError:
            report = {"errors": []}
            failures.append(f"no JSON report: {out[-500:]} {err[-1000:]}")
        errors = sorted(e.get("path") for e in report.get("errors", []))
        if errors != bads:
            failures.append(f"per-file errors: missing {sorted(set(bads) - set(errors))}, "
                            f"unexpected {sorted(set(errors) - set(bads))}")
        for e in report.get("errors", []):
            if not e.get("message"):
                failures.append(f"error for {e.get('path')} without a message")
        have = stored(db) if os.path.exists(db) else {}
        if sorted(have) != goods:
            failures.append(f"stored: missing {sorted(set(goods) - set(have))[:10]}, "
                            f"unexpected {sorted(set(have) - set(goods))[:10]}")
        # The good files alone give the same rows.
        alone = os.path.join(work, "alone")
        for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
            rel = os.path.relpath(dirpath, os.fsencode(root))
            if rel.startswith(b"bad"):
                continue
            for name in filenames:
                dst = os.path.join(os.fsencode(alone), rel, name)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(os.path.join(dirpath, name), dst)
        alone_db = os.path.join(work, "alone.db")
        subprocess.run([h.binary(), "sync", alone, "--db", alone_db], check=True,
                       stdout=subprocess.DEVNULL, env=h.clean_env(), timeout=1800)
        if stored(alone_db) != have:
            failures.append("the good files are not stored as a sync of them alone stores them")
        # Again: same errors, nothing changed.
        rc2, out2, err2, _, _ = run_sync(root, db, as_nobody)
        again = json.loads(out2) if out2.strip().startswith("{") else {}
        if rc2 != 1 or sorted(e.get("path") for e in again.get("errors", [])) != bads:
            failures.append(f"the second run differs: exit {rc2}, {err2[-500:]}")
        if again and any(again.get(k) for k in ("added", "updated", "deleted", "renamed")):
            failures.append("the second run changed stored workflows")
        result = {"good_files": len(goods), "bad_files": len(bads), "exit": rc,
                  "seconds": round(elapsed, 1), "peak_rss_mb": round(rss, 1),
                  "failures": failures}
    finally:
        h.remove_tree(work)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['good_files']} good and {result['bad_files']} bad files: exit "
              f"{result['exit']}, {result['seconds']} s, peak RSS {result['peak_rss_mb']} MB")
        for f in failures:
            print("FAILED: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
