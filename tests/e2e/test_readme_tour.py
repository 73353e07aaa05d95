"""The README's short tour, run as written: every command of its shell blocks,
in order, in a scratch folder whose flows/ is a copy of examples/.

The commands are read from README.md itself, so the tour cannot drift from
what the binary does: a command the README shows that fails, or a block this
test cannot run, fails the test.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import fsync_helpers as h

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def tour_commands():
    """The command lines of the shell blocks between '## A short tour' and the
    next '### ' or '## ' heading, comments removed."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("## A short tour")
    end = re.search(r"^#{2,3} ", text[start + 1:], re.M)
    section = text[start:start + 1 + end.start()] if end else text[start:]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line:
                commands.append(line)
    return commands


class ReadmeTourTest(unittest.TestCase):

    def test_every_command_of_the_tour_runs_as_written(self):
        commands = tour_commands()
        self.assertGreaterEqual(len(commands), 15, commands)
        with tempfile.TemporaryDirectory(prefix="flowsync-tour-") as scratch:
            shutil.copytree(os.path.join(REPO, "examples"), os.path.join(scratch, "flows"),
                            ignore=shutil.ignore_patterns(".flowsync"))
            cwd = scratch
            for line in commands:
                words = shlex.split(line)
                with self.subTest(command=line):
                    if words[0] == "cd":
                        cwd = os.path.normpath(os.path.join(cwd, words[1]))
                        self.assertTrue(os.path.isdir(cwd), line)
                        continue
                    self.assertEqual(words[0], "flowsync", f"not a flowsync command: {line}")
                    if "--watch" in words:
                        self.run_watch(words[1:], cwd)
                        continue
                    res = h.run(words[1:], cwd=cwd)
                    self.assertEqual(res.returncode, 0, res.describe())

    def run_watch(self, args, cwd):
        """--watch runs until Ctrl-C: it must sync, keep running, and stop
        cleanly on SIGINT."""
        proc = h.start(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(2)  # time to start and sync once
            self.assertIsNone(proc.poll(), "--watch ended on its own")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            h.stop(proc)
        self.assertIn(proc.returncode, (0, 130, -signal.SIGINT), err.decode())
        self.assertIn(b"watching", out)


if __name__ == "__main__":
    unittest.main()
