"""The man page and the shell completions (`flowsync man`, `flowsync
completion SHELL`): the bash script completes in bash as typed, the page
renders without warnings, the zsh and fish scripts parse (where those shells
are installed), the build writes them all to BUILD/share/ and `cmake
--install` puts them where man and the shells look."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import fsync_helpers as h

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

GENERATED = {
    ("man",): "share/man/man1/flowsync.1",
    ("completion", "bash"): "share/bash-completion/completions/flowsync",
    ("completion", "zsh"): "share/zsh/site-functions/_flowsync",
    ("completion", "fish"): "share/fish/vendor_completions.d/flowsync.fish",
}


def tour_examples():
    """(command, comment) of each line of the README tour's first shell block."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## A short tour"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [tuple(part.strip() for part in line.split(" # ", 1)) for line in block.splitlines()]


class CompletionTest(h.FlowsyncCase):

    def setUp(self):
        super().setUp()
        self.script = os.path.join(self.tmp, "flowsync.bash")
        h.write_text(self.script, self.fs("completion", "bash", expect=0).stdout)

    def complete(self, line):
        """What bash offers for `line` (the cursor at its end), sorted."""
        words = line.split(" ")
        program = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
                   'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _flowsync; '
                   'printf "%s\\n" "${COMPREPLY[@]}"')
        res = subprocess.run(["bash", "--norc", "--noprofile", "-c", program, "bash",
                              self.script] + words, cwd=self.root, capture_output=True,
                             text=True, timeout=20)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        return sorted(w for w in res.stdout.split("\n") if w)

    def test_bash_completes_commands_options_and_values(self):
        self.assertEqual(self.complete("flowsync sy"), ["sync"])
        self.assertEqual(self.complete("flowsync migrate "),
                         ["baseline", "down", "repair", "status", "up", "validate"])
        self.assertEqual(self.complete("flowsync phases g"), ["get", "graph"])
        self.assertEqual(self.complete("flowsync rate --user ann a.json "), ["down", "up"])
        self.assertEqual(self.complete("flowsync sync --dr"), ["--dry-run"])
        self.assertEqual(self.complete("flowsync migration create --source p"), ["prod"])
        self.assertEqual(self.complete("flowsync completion "), ["bash", "fish", "zsh"])
        self.assertEqual(self.complete("flowsync rate a.json "), ["down", "up"])
        self.assertEqual(self.complete("flowsync log --limit "), [])

    def test_bash_completes_paths_where_an_argument_is_one(self):
        os.makedirs(self.p("flows"))
        h.write_text(self.p("flow.json"), "{}")
        self.assertEqual(self.complete("flowsync show fl"), ["flow.json", "flows"])
        self.assertEqual(self.complete("flowsync sync fl"), ["flows"])
        self.assertEqual(self.complete("flowsync migrate up --dir fl"), ["flows"])
        self.assertEqual(self.complete("flowsync sync --db fl"), ["flow.json", "flows"])
        self.assertEqual(self.complete("flowsync migration create a.json fl"),
                         ["flow.json", "flows"])

    def shell_script(self, shell):
        """The script for `shell`, parsed by it; skips when it is not installed."""
        if shutil.which(shell) is None:
            self.skipTest(f"{shell} is not installed")
        path = os.path.join(self.tmp, "_flowsync" if shell == "zsh" else "flowsync.fish")
        h.write_text(path, self.fs("completion", shell, expect=0).stdout)
        check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
        res = subprocess.run(check + [path], capture_output=True, text=True, timeout=20)
        self.assertEqual((res.returncode, res.stderr), (0, ""), shell)
        return path

    def test_zsh_script_parses_and_offers_what_bash_offers(self):
        script = self.shell_script("zsh")
        # zsh's completion system, stubbed to print what it is given: the
        # candidates (NAME:DESCRIPTION) before zsh filters them by prefix.
        driver = ('compdef() { }; _describe() { print -rl -- ${(P)${@[-1]}} }; '
                  'compadd() { print -rl -- ${(P)2} }; _files() { print -r -- "FILES $*" }; '
                  '_message() { }; compset() { }; source "$1"; shift; words=("$@"); '
                  'CURRENT=$#; _flowsync')

        def offered(line):
            res = subprocess.run(["zsh", "-f", "-c", driver, "zsh", script] + line.split(" "),
                                 cwd=self.root, capture_output=True, text=True, timeout=20)
            self.assertEqual((res.returncode, res.stderr), (0, ""), line)
            return [w.split(":")[0] for w in res.stdout.splitlines()]

        self.assertEqual(offered("flowsync migrate "),
                         ["up", "down", "status", "validate", "repair", "baseline"])
        self.assertEqual(offered("flowsync rate --user ann a.json "), ["up", "down"])
        self.assertEqual(offered("flowsync sync "), ["FILES -/"])
        self.assertEqual(offered("flowsync show "), ["FILES "])
        self.assertIn("--dry-run", offered("flowsync sync --"))

    def test_fish_script_parses_and_completes(self):
        script = self.shell_script("fish")
        os.makedirs(self.p("flows"))

        def complete(line):
            res = subprocess.run(["fish", "--no-config", "-c", 'source $argv[1]; complete -C $argv[2]',
                                  script, line], cwd=self.root, capture_output=True, text=True,
                                 timeout=20)
            self.assertEqual((res.returncode, res.stderr), (0, ""), line)
            return sorted(w.split("\t")[0] for w in res.stdout.splitlines())

        self.assertEqual(complete("flowsync sy"), ["sync"])
        self.assertEqual(complete("flowsync phases g"), ["get", "graph"])
        self.assertEqual(complete("flowsync migration create --source p"), ["prod"])
        self.assertEqual(complete("flowsync sync --dr"), ["--dry-run"])
        self.assertEqual(complete("flowsync sync fl"), ["flows/"])
        self.assertEqual(complete("flowsync rate --user ann a.json "), ["down", "up"])
        self.assertEqual(complete("flowsync rate fl"), ["flows/"])


class ManPageTest(h.FlowsyncCase):

    def test_page_renders_without_warnings(self):
        page = os.path.join(self.tmp, "flowsync.1")
        h.write_text(page, self.fs("man", expect=0).stdout)
        if shutil.which("groff"):
            res = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual((res.returncode, res.stderr), (0, ""))
        elif shutil.which("mandoc"):
            res = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", page],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual((res.returncode, res.stdout + res.stderr), (0, ""))
        else:
            self.skipTest("neither groff nor mandoc is installed")
        if shutil.which("man"):
            env = dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0")
            res = subprocess.run(["man", "--warnings", "-l", page], capture_output=True,
                                 text=True, timeout=20, env=env)
            self.assertEqual((res.returncode, res.stderr), (0, ""))
            text = re.sub(r".\x08", "", res.stdout)
            for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS",
                            "ENVIRONMENT", "FILES", "EXAMPLES"):
                self.assertRegex(text, re.compile("^" + heading + "$", re.M))
            self.assertIn("flowsync migrate up [OPTIONS]", text)
            self.assertIn("--allow-out-of-order", text)

    def test_examples_are_the_readme_tour(self):
        page = self.fs("man", expect=0).stdout
        section = page[page.index(".SH EXAMPLES\n"):page.index('.SH "SEE ALSO"')]
        examples = re.findall(r"^\.TP\n\.B (.*)\n(.*)$", section, re.M)
        unroff = lambda s: s.replace("\\-", "-").replace("\\&", "")
        self.assertEqual([(unroff(c), unroff(m)) for c, m in examples], tour_examples())


class BuildAndInstallTest(h.FlowsyncCase):

    def build_dir(self):
        build = os.path.dirname(os.path.abspath(h.binary()))
        if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
            self.skipTest(f"{build} is not a CMake build folder")
        return build

    def test_build_writes_what_the_binary_prints(self):
        build = self.build_dir()
        for args, rel in GENERATED.items():
            with open(os.path.join(build, rel), encoding="utf-8") as f:
                self.assertEqual(f.read(), self.fs(*args, expect=0).stdout, rel)

    def test_install_puts_them_where_man_and_the_shells_look(self):
        build = self.build_dir()
        prefix = os.path.join(self.tmp, "prefix")
        res = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(os.access(os.path.join(prefix, "bin", "flowsync"), os.X_OK))
        for args, rel in GENERATED.items():
            with open(os.path.join(prefix, rel), encoding="utf-8") as f:
                self.assertEqual(f.read(), self.fs(*args, expect=0).stdout, rel)


if __name__ == "__main__":
    unittest.main()
