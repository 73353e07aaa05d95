#!/usr/bin/env python3
"""Runs flowsync's libFuzzer targets (fuzz/*_fuzz.cc, built with
FLOWSYNC_FUZZ=ON) on seed corpora made at run time.

    fuzz/run.py BUILD_DIR [--seconds S | --cpu-seconds S] [--only NAME,...] [--jobs N] [--json]

--seconds gives each target S seconds of wall time; --cpu-seconds gives it S
seconds of its own CPU time, however busy the machine is (the target is
interrupted when it has used them), which is what "N CPU-minutes per
target" means on a shared machine.

Seeds come from the shared folder (../shared next to the repository, or
FLOWSYNC_SHARED): its n8n corpus and flowlord fixtures, plus the phase rules,
templates and cron fields found in them, and a few texts written here for
the readers they do not reach (SQL, migration files, database URLs). They are
written below BUILD_DIR/fuzz-seeds, never into the repository: some corpus
files hold live-looking secrets, and neither they nor anything derived from
them is printed. Each target keeps what it finds in BUILD_DIR/fuzz-corpus/NAME
and a failing input in BUILD_DIR/fuzz-crashes/.

Exit status 0 when no target failed; 1 otherwise.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TARGETS = ["canonical_json", "n8n_source", "bundle_meta", "phase_file", "cron", "duration_rule",
           "template", "sql_script", "migration_file", "database_url", "serve_request"]
MAX_LEN = 64 * 1024
MAX_JSON_SEEDS = 400

CRON = ["0 5 * * * *", "*/15 * * * *", "0 0 1 1 *", "@hourly", "@every 1h30m", "0 0 * * MON-FRI",
        "TZ=Europe/Paris 30 2 * * *", "CRON_TZ=America/New_York 0 9 * * 1", "0 0 29 2 *",
        "5-55/10 1,2,3 L * ?", "0 12 ? * SUN#2", "0 0 0 1W * *", "@yearly", "0 0 31 */2 *"]
DURATIONS = ["1h30m", "-24h", "1.5s", "300ms", "0", "2h45m10.5s", "1µs", "+5m", ".5h", "9223372036s"]
SQL = [
    "CREATE TABLE t (x INTEGER);\nINSERT INTO t VALUES (1);\n",
    "SELECT 'a;b', \"c;d\", E'\\';' FROM t; -- x;y\n/* a /* nested; */ c */ SELECT 2",
    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;;;\nSELECT $$;$$;",
    "INSERT INTO w VALUES (:'flowsync_content');\nSAVEPOINT s; RELEASE SAVEPOINT s;",
]
MIGRATIONS = [
    "-- migrate:up\nCREATE TABLE t (x INTEGER);\n-- migrate:down\nDROP TABLE t;\n",
    "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
    "-- Migration: 20240101000000_a.sql\n-- Dialect: postgres\n-- Workflow id: "
    "03f864b9-6b76-566f-8e84-e3f5e095fb7e\n-- Content hash: db0f3b261df0859fbf8a0f0b009a319a\n"
    "-- Sidecar: 20240101000000_a.json sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "-- flowsync:workflow-migration v1\nSAVEPOINT flowsync_migration;\n"
    "INSERT INTO workflows (content) VALUES (:'flowsync_content');\n",
    "CREATE TABLE plain (x INTEGER);\n",
]
URLS = ["sqlite:db/flowsync.db", "sqlite:///abs/flowsync.db", "flowsync.db",
        "postgresql://user:secret@127.0.0.1:5432/db?schema=s&sslmode=disable",
        "postgres://u@[::1]:5/d?password=x", "host=h dbname=d password='a b'", "service=prod",
        "postgresql://%75ser:p%40ss@h/d?pass%77ord=y"]


def shared_dir():
    return os.environ.get("FLOWSYNC_SHARED") or os.path.join(REPO, "..", "shared")


def write_seeds(folder, texts):
    os.makedirs(folder, exist_ok=True)
    for i, data in enumerate(texts):
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(folder, f"seed{i:04d}"), "wb") as f:
            f.write(data[:MAX_LEN])


def read(path):
    with open(path, "rb") as f:
        return f.read()


def make_seeds(base):
    shared = shared_dir()
    json_files = sorted(glob.glob(os.path.join(shared, "corpus", "**", "*.json"), recursive=True))
    json_files = [p for p in json_files if os.path.getsize(p) <= MAX_LEN]
    step = max(1, len(json_files) // MAX_JSON_SEEDS)
    n8n = [read(p) for p in json_files[::step]]
    n8n += [read(p) for p in glob.glob(os.path.join(REPO, "examples", "**", "*.json"),
                                       recursive=True)]
    toml_files = glob.glob(os.path.join(shared, "fixtures", "**", "*.toml"), recursive=True)
    toml_files += glob.glob(os.path.join(REPO, "examples", "**", "*.toml"), recursive=True)
    tomls = [read(p) for p in toml_files]
    metas = [read(p) + b"\0# Title\n\nText.\n"
             for p in glob.glob(os.path.join(REPO, "examples", "**", "meta.json"), recursive=True)]
    metas += [b'{"categories":["a","b"],"ratings":{"x":1}}\0', b"{}"]
    rules, templates = [], []
    for text in tomls:
        for key, value in re.findall(rb'^\s*(rule|template)\s*=\s*"([^"]*)"', text, re.M):
            (rules if key == b"rule" else templates).append(value)
    crons = CRON + [m.group(1) for r in rules for m in [re.search(rb"cron=([^&]*)", r)] if m]
    write_seeds(os.path.join(base, "canonical_json"), n8n)
    write_seeds(os.path.join(base, "n8n_source"), n8n + [b"[" + b",".join(n8n[:3]) + b"]"])
    write_seeds(os.path.join(base, "bundle_meta"), metas)
    write_seeds(os.path.join(base, "phase_file"), tomls)
    write_seeds(os.path.join(base, "cron"), crons)
    write_seeds(os.path.join(base, "duration_rule"), DURATIONS + rules)
    write_seeds(os.path.join(base, "template"), templates + ["{SLUG}/{HOST}/{POD}/{uuid}#{TS}"])
    write_seeds(os.path.join(base, "sql_script"), SQL + MIGRATIONS)
    write_seeds(os.path.join(base, "migration_file"), MIGRATIONS + SQL)
    write_seeds(os.path.join(base, "database_url"), URLS)
    # Requests: the provider reads strings from the front and choices from
    # the back, so bodies of every kind with a few bytes of choices after.
    write_seeds(os.path.join(base, "serve_request"),
                [body + tail for body in n8n[:40] + [b"{}", b"", b"limit=5&before=3"]
                 for tail in (b"\x01\x01\x00\x02\x01", b"\xff\x03\x01\x00")])


INTERRUPTED = 72  # libFuzzer's exit status after SIGINT
STAT = re.compile(r"^stat::(\w+):\s*(\d+)", re.M)


def cpu_seconds_of(pid):
    """User + system CPU seconds a running process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_target(build, name, seconds, cpu_budget=None):
    binary = os.path.join(build, "fuzz", f"{name}_fuzz")
    corpus = os.path.join(build, "fuzz-corpus", name)
    crashes = os.path.join(build, "fuzz-crashes")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    # With a CPU budget the wall limit is only a backstop; the budget ends
    # the run with SIGINT, which libFuzzer answers with exit status 72.
    wall = seconds if cpu_budget is None else cpu_budget * 20
    cmd = [binary, corpus, os.path.join(build, "fuzz-seeds", name),
           f"-max_total_time={wall}", f"-max_len={MAX_LEN}", "-timeout=20",
           "-rss_limit_mb=2048", "-print_final_stats=1", "-close_fd_mask=1",
           f"-artifact_prefix={crashes}/{name}-"]
    started = time.monotonic()
    # The target's own CPU time (user + system, from wait4), which is what
    # "N CPU-minutes per target" counts when targets share the machine.
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL,
                                env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
                                         UBSAN_OPTIONS="print_stacktrace=1"))
        deadline = started + wall * 3 + 600
        interrupted = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
            if cpu_budget is not None and not interrupted:
                try:
                    if cpu_seconds_of(proc.pid) >= cpu_budget:
                        proc.send_signal(signal.SIGINT)
                        interrupted = True
                except (OSError, ValueError, IndexError):
                    pass
            time.sleep(0.2)
        returncode = proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
    if interrupted and returncode == INTERRUPTED and "Test unit written to" not in log:
        returncode = 0  # the budget's end, not a finding
    stats = {k: int(v) for k, v in STAT.findall(log)}
    result = {"target": name, "seconds": round(time.monotonic() - started, 1),
              "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
              "runs": stats.get("number_of_executed_units", 0),
              "peak_rss_mb": stats.get("peak_rss_mb", 0),
              "corpus": len(os.listdir(corpus)), "exit": returncode, "failed": returncode != 0}
    if returncode != 0:
        artifacts = re.findall(r"Test unit written to (\S+)", log)
        result["artifact"] = artifacts[-1] if artifacts else None
        # The sanitizer's or the property's report, without the input's bytes.
        summary = [line for line in log.splitlines()
                   if "ERROR:" in line or "SUMMARY:" in line or "property failed" in line
                   or re.match(r"\s+#\d+ 0x", line)]
        result["report"] = "\n".join(summary[:40])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=int, default=60, help="wall time per target")
    budget.add_argument("--cpu-seconds", type=int, help="CPU time per target (its own)")
    parser.add_argument("--only", default="")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once")
    args = parser.parse_args()
    only = [t for t in args.only.split(",") if t] or TARGETS
    unknown = sorted(set(only) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets {unknown}: choose from {', '.join(TARGETS)}")
    make_seeds(os.path.join(args.build, "fuzz-seeds"))
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = [pool.submit(run_target, args.build, name, args.seconds, args.cpu_seconds)
                for name in only]
        for run in runs:
            r = run.result()
            results.append(r)
            if not args.json:
                verdict = "FAILED" if r["failed"] else "ok"
                print(f"{r['target']:15} {r['seconds']:7.1f} s  {r['cpu_seconds']:7.1f} CPU s  "
                      f"{r['runs']:10} runs  corpus {r['corpus']:5}  "
                      f"peak RSS {r['peak_rss_mb']:5} MB  {verdict}",
                      file=sys.stderr, flush=True)
                if r["failed"]:
                    print(f"  input: {r.get('artifact')}\n{r.get('report', '')}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if any(r["failed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
