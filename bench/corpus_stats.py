#!/usr/bin/env python3
"""Prints size and node-count distributions of a tree of workflows, as a markdown table row set.

    corpus_stats.py ROOT [ROOT...] [--window] [--check]

A workflow is a bundle folder (workflow.json + meta.json + README.md; its size is the sum of the three) or a
standalone n8n export (*.json). --window keeps only workflows of 3-25 nodes and 2-40 KB, the range the
synthetic generator (gen_bundles.py) targets. --check also applies n8n's structure rules (unique node names,
connections naming existing nodes, integer indexes) and counts violations.

Only aggregate numbers are printed, never file contents: the real corpus may hold secrets.
"""

import argparse
import collections
import json
import os
import statistics
import sys


def Workflows(root):
    for d, dirs, files in os.walk(root):
        dirs.sort()
        if "workflow.json" in files:
            size = sum(os.path.getsize(os.path.join(d, f)) for f in ("workflow.json", "meta.json", "README.md")
                       if f in files)
            yield os.path.join(d, "workflow.json"), size
            dirs[:] = []
            continue
        for name in sorted(files):
            if name.endswith(".json"):
                path = os.path.join(d, name)
                yield path, os.path.getsize(path)


def Violations(wf):
    nodes = [n for n in wf.get("nodes", []) if isinstance(n, dict)]
    names = [n.get("name") for n in nodes]
    bad = len(names) - len(set(names))
    known = set(names)
    for src, by_type in (wf.get("connections") or {}).items():
        bad += src not in known
        for ctype, buckets in (by_type or {}).items():
            for bucket in buckets or []:
                for c in bucket or []:
                    bad += (c.get("node") not in known or not c.get("type") or not isinstance(c.get("index"), int)
                            or c["index"] < 0)
    return bad


def Quantiles(values, qs=(0.1, 0.25, 0.5, 0.75, 0.9)):
    s = sorted(values)
    return [s[min(len(s) - 1, int(q * len(s)))] for q in qs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="+")
    parser.add_argument("--window", action="store_true")
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args()
    print("| tree | workflows | total MB | size mean KB | size p10/p25/p50/p75/p90 KB | nodes mean | "
          "nodes p10/p25/p50/p75/p90 | sticky % | with credentials % | rule violations |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for root in opts.roots:
        sizes, counts, types, cred, violations = [], [], collections.Counter(), 0, 0
        for path, size in Workflows(root):
            try:
                with open(path, encoding="utf-8") as f:
                    wf = json.load(f)
            except (ValueError, UnicodeDecodeError):
                continue
            if not isinstance(wf, dict) or not isinstance(wf.get("nodes"), list):
                continue
            nodes = [n for n in wf["nodes"] if isinstance(n, dict)]
            if opts.window and not (3 <= len(nodes) <= 25 and 2048 <= size <= 40960):
                continue
            sizes.append(size)
            counts.append(len(nodes))
            types.update(str(n.get("type")) for n in nodes)
            cred += sum(1 for n in nodes if n.get("credentials"))
            if opts.check:
                violations += Violations(wf)
        if not sizes:
            print("| %s | 0 | | | | | | | | |" % os.path.basename(root.rstrip("/")))
            continue
        all_nodes = sum(types.values())
        print("| %s | %d | %.1f | %.1f | %s | %.1f | %s | %.0f | %.0f | %s |" % (
            os.path.basename(root.rstrip("/")), len(sizes), sum(sizes) / 1e6, statistics.mean(sizes) / 1024,
            " / ".join("%.1f" % (q / 1024) for q in Quantiles(sizes)), statistics.mean(counts),
            " / ".join(str(q) for q in Quantiles(counts)),
            100.0 * types["n8n-nodes-base.stickyNote"] / all_nodes, 100.0 * cred / all_nodes,
            violations if opts.check else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
