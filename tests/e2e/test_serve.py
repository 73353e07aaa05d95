"""End-to-end tests of `flowsync serve` on SQLite and on PostgreSQL (when
FLOWSYNC_PG_DIR names a test cluster): tokens and access, the workflow API
(list with filters and paging, show, versions, diff), errors as JSON, body
limits, webhooks (signatures, idempotency, 413) and the executions API. The
server listens on a free port; the tests speak HTTP with urllib."""

import hashlib
import hmac
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
import urllib.parse
import uuid

import fsync_helpers as h

PHASES = """\
[[phase]]
task = "ingest"
rule = "cron=0 0 1 1 *"
template = "ingest {yyyy}-{mm}-{dd}"

[[phase]]
task = "report"
dependsOn = "ingest"
template = "report:{meta:ref}"
"""

SECRET = "s3cr3t-for-tests"


class Http:
    """Answers as (status, headers, body bytes); never raises for a status."""

    def __init__(self, base):
        self.base = base

    def request(self, method, path, body=None, headers=None, timeout=10):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class ServeMixin:
    """The tests; a subclass says which database (`db_args`)."""

    def setUp(self):
        super().setUp()
        for i in range(3):
            h.write_json(self.p("flows", f"w{i}.json"),
                         h.n8n_workflow(f"Flow {i}", nodes=3, seed=i))
        h.write_json(self.p("other", "x.json"),
                     h.n8n_workflow("Other thing", nodes=2, seed=9, tags=[{"name": "ops"}]))
        h.write_text(self.p("phases", "etl.toml"), PHASES)
        self.fs("sync", self.root, *self.db_args(), expect=0)
        # Version 2 of flows/w0.json: a node renamed, a parameter changed.
        doc = h.n8n_workflow("Flow 0", nodes=3, seed=0)
        doc["nodes"][2]["parameters"]["values"]["string"][0]["value"] = "changed"
        h.write_json(self.p("flows", "w0.json"), doc)
        self.fs("sync", self.root, *self.db_args(), expect=0)
        self.read_token = self.token()
        self.write_token = self.token("--write")
        self.server = None

    def tearDown(self):
        self.stop_server()
        super().tearDown()

    def stop_server(self):
        if self.server is not None:
            # SIGTERM stops the server cleanly: exit 0, and nothing a
            # sanitizer (the ASan build) would say on stderr.
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            stderr = self.server.stderr.read()
            self.server.stdout.close()
            self.server.stderr.close()
            self.assertEqual(self.server.returncode, 0, stderr)
            for word in ("Sanitizer", "runtime error:"):
                self.assertNotIn(word, stderr)
            self.server = None

    def cmd(self, *args, expect=0, env=None):
        return self.fs(*args, *self.db_args(), expect=expect, env=env)

    def token(self, *args):
        res = self.cmd("token", "create", *args)
        token = res.stdout.strip()
        self.assertRegex(token, r"^fst_[0-9a-f]{64}$")
        return token

    def serve(self, *args, env=None):
        """Starts the server on a free port and waits for /healthz."""
        self.server = subprocess.Popen(
            [h.binary(), "serve", "--listen", "127.0.0.1:0", "--root", self.root,
             *self.db_args(), *args],
            cwd=self.root, env=h.clean_env(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.server.stdout.readline()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+)$", line.strip())
        self.assertIsNotNone(m, f"serve printed {line!r}, stderr "
                                f"{self.server.stderr.read() if self.server.poll() is not None else ''}")
        self.http = Http(m.group(1))
        deadline = time.monotonic() + 10
        while True:
            status, _, _ = self.http.request("GET", "/healthz")
            if status == 200:
                return
            self.assertLess(time.monotonic(), deadline, "healthz never answered 200")
            time.sleep(0.05)

    def get(self, path, token=None, expect=200):
        headers = {"Authorization": f"Bearer {token or self.read_token}"}
        status, hdrs, body = self.http.request("GET", path, headers=headers)
        self.assertEqual(status, expect, body)
        return json.loads(body)

    def error(self, status_and_body):
        status, _, body = status_and_body
        return status, json.loads(body)["error"]

    # ---- step 1: serve, tokens, workflows -----------------------------------

    def test_workflows_api(self):
        self.serve()
        listed = self.get("/api/v1/workflows")
        self.assertEqual([w["path"] for w in listed["workflows"]],
                         ["flows/w0.json", "flows/w1.json", "flows/w2.json", "other/x.json",
                          "phases/etl.toml"])
        self.assertEqual(listed["total"], 5)
        self.assertIsNone(listed["next_cursor"])
        w0 = listed["workflows"][0]
        self.assertEqual((w0["name"], w0["format"], w0["version"]), ("Flow 0", "n8n", 2))
        self.assertRegex(w0["id"], r"^[0-9a-f-]{36}$")

        # Filters and paging.
        self.assertEqual([w["path"] for w in self.get("/api/v1/workflows?prefix=flows/")["workflows"]],
                         ["flows/w0.json", "flows/w1.json", "flows/w2.json"])
        self.assertEqual([w["name"] for w in self.get("/api/v1/workflows?q=OTHER")["workflows"]],
                         ["Other thing"])
        page1 = self.get("/api/v1/workflows?limit=2")
        self.assertEqual([w["path"] for w in page1["workflows"]], ["flows/w0.json", "flows/w1.json"])
        self.assertEqual(page1["next_cursor"], "flows/w1.json")
        page2 = self.get("/api/v1/workflows?limit=2&cursor=" + page1["next_cursor"])
        self.assertEqual([w["path"] for w in page2["workflows"]], ["flows/w2.json", "other/x.json"])
        page3 = self.get("/api/v1/workflows?limit=2&offset=4")
        self.assertEqual([w["path"] for w in page3["workflows"]], ["phases/etl.toml"])
        self.assertIsNone(page3["next_cursor"])
        self.assertEqual(self.get("/api/v1/workflows?status=deleted")["workflows"], [])
        by_category = self.get("/api/v1/workflows?category=ops")["workflows"]
        self.assertEqual([(w["name"], w["categories"]) for w in by_category],
                         [("Other thing", ["ops"])])

        # Show, versions, a version's content, the diff.
        shown = self.get(f"/api/v1/workflows/{w0['id']}")
        self.assertEqual((shown["path"], shown["versions"]), ("flows/w0.json", 2))
        self.assertEqual(json.loads(shown["content"])["name"], "Flow 0")
        versions = self.get(f"/api/v1/workflows/{w0['id']}/versions")["versions"]
        self.assertEqual([(v["version"], v["current"]) for v in versions], [(1, False), (2, True)])
        v1 = self.get(f"/api/v1/workflows/{w0['id']}/versions/1")
        self.assertIn("Flow 0 value 0-2", v1["content"])
        diff = self.get(f"/api/v1/workflows/{w0['id']}/diff?from=1&to=2")
        self.assertFalse(diff["equal"])
        self.assertEqual([(n["state"], n["name"], n["changed_paths"]) for n in diff["nodes"]],
                         [("changed", "Set 2", ["parameters.values.string[0].value"])])
        self.assertIn('\n+              "value": "changed"\n', diff["unified"])
        self.assertEqual(self.get(f"/api/v1/workflows/{w0['id']}/diff")["from"], 1)

        # Errors: JSON with stable codes.
        self.assertEqual(self.get("/api/v1/workflows/ffffffff-0000", expect=404)["error"],
                         {"code": "not_found", "message": "no workflow ffffffff-0000"})
        self.assertEqual(self.get("/api/v1/workflows?limit=0", expect=400)["error"],
                         {"code": "bad_request",
                          "message": "limit: expected a number from 1 to 1000, got '0'"})
        self.assertEqual(self.get("/api/v1/workflows?status=gone", expect=400)["error"]["message"],
                         "status: expected live, deleted or all, got 'gone'")
        self.assertEqual(self.get(f"/api/v1/workflows/{w0['id']}/versions/9", expect=404)["error"]
                         ["message"], f"workflow {w0['id']} has no version 9")
        self.assertEqual(self.get("/api/v1/nothing", expect=404)["error"]["code"], "not_found")
        self.assertEqual(self.get("/../../etc/passwd", expect=404)["error"]["code"], "not_found")
        status, hdrs, body = self.http.request("DELETE", "/api/v1/workflows")
        self.assertEqual((status, hdrs["Allow"], json.loads(body)["error"]["code"]),
                         (405, "GET", "method_not_allowed"))

    def test_access_needs_a_token(self):
        self.serve()
        status, err = self.error(self.http.request("GET", "/api/v1/workflows"))
        self.assertEqual((status, err["code"]), (401, "unauthorized"))
        status, err = self.error(self.http.request(
            "GET", "/api/v1/workflows", headers={"Authorization": "Bearer fst_" + "0" * 64}))
        self.assertEqual((status, err), (401, {"code": "unauthorized",
                                               "message": "unknown API token"}))
        # A read token reads, and gets 403 on writes.
        self.get("/api/v1/executions")
        status, err = self.error(self.http.request(
            "POST", "/api/v1/executions", body=b'{"task": "ingest"}',
            headers={"Authorization": f"Bearer {self.read_token}"}))
        self.assertEqual((status, err["code"]), (403, "forbidden"))
        # Without a token: health, metrics and the login form.
        self.assertEqual(self.http.request("GET", "/healthz")[0], 200)
        status, _, body = self.http.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn(b'<label for="token">API token</label>', body)
        # /login sets an HttpOnly, SameSite=Strict cookie and redirects to /.
        status, hdrs, _ = self.http.request("GET", "/login?token=" + self.read_token)
        self.assertEqual((status, hdrs["Location"]), (303, "/"))
        cookie = hdrs["Set-Cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        session = cookie.split(";")[0]
        status, _, body = self.http.request("GET", "/", headers={"Cookie": session})
        self.assertEqual(status, 200)
        self.assertNotIn(b"API token</label>", body)
        status, _, body = self.http.request("GET", "/api/v1/workflows?limit=1",
                                            headers={"Cookie": session})
        self.assertEqual(status, 200)
        self.assertEqual(self.http.request("GET", "/login?token=wrong")[0], 401)

    def test_tokens_are_listed_without_themselves_and_revoked(self):
        listed = json.loads(self.cmd("token", "list", "--json").stdout)
        self.assertEqual([(t["project"], t["write"], t["last_used"]) for t in listed],
                         [("default", False, None), ("default", True, None)])
        for t in listed:
            self.assertRegex(t["id"], r"^[0-9a-f]{12}$")
        text = self.cmd("token", "list").stdout
        self.assertNotIn(self.read_token[4:16], text)  # the token never shows
        self.serve()
        self.get("/api/v1/workflows")
        # Revoked by id: refused from the next request on.
        read_id = [t["id"] for t in listed if not t["write"]][0]
        self.assertEqual(self.cmd("token", "revoke", read_id).stdout,
                         f"revoked token {read_id}\n")
        status, err = self.error(self.http.request(
            "GET", "/api/v1/workflows", headers={"Authorization": f"Bearer {self.read_token}"}))
        self.assertEqual((status, err["message"]), (401, "unknown API token"))
        # By the token itself; a second time: not found; a short id: usage.
        self.cmd("token", "revoke", self.write_token)
        res = self.cmd("token", "revoke", self.write_token, expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no such token\n")
        res = self.cmd("token", "revoke", "0123456789ab", expect=h.EXIT_FAILED)
        self.assertEqual(res.stderr, "flowsync: error: no token 0123456789ab\n")
        res = self.cmd("token", "revoke", "abc", expect=h.EXIT_USAGE)
        self.assertEqual(res.stderr, "flowsync: error: token id 'abc': give at least 8 characters "
                                     "of an id `flowsync token list` shows, or the token itself\n")
        self.assertEqual(self.cmd("token", "list").stdout, "no tokens\n")

    def test_a_token_reads_its_own_project(self):
        other = self.token("--project", "other")
        self.serve()
        self.assertEqual(self.get("/api/v1/workflows", token=other),
                         {"workflows": [], "total": 0, "next_cursor": None})
        w0 = self.get("/api/v1/workflows?limit=1")["workflows"][0]
        self.assertEqual(self.get(f"/api/v1/workflows/{w0['id']}", token=other, expect=404)
                         ["error"]["message"], f"no workflow {w0['id']}")
        self.assertEqual(self.get("/api/v1/phases", token=other, expect=403)["error"],
                         {"code": "forbidden",
                          "message": "this server runs the phases of project default"})

    def test_metrics(self):
        self.serve()
        self.get("/api/v1/workflows")
        self.http.request("GET", "/api/v1/workflows")
        status, hdrs, body = self.http.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["Content-Type"].startswith("text/plain"))
        text = body.decode()
        self.assertIn('flowsync_http_requests_total{route="/api/v1/workflows",method="GET",'
                      'status="200"} 1\n', text)
        self.assertIn('flowsync_http_requests_total{route="/api/v1/workflows",method="GET",'
                      'status="401"} 1\n', text)
        self.assertIn('flowsync_http_request_duration_seconds_count{route="/api/v1/workflows"} 2\n',
                      text)
        self.assertIn("flowsync_webhook_executions_started_total 0\n", text)

    # ---- step 2: webhooks -----------------------------------------------------

    def hook(self, path, body, secret=SECRET, key=None, extra=None):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + sig
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(extra or {})
        return self.http.request("POST", "/hooks/" + path, body=body, headers=headers)

    def executions(self):
        return self.get("/api/v1/executions")["executions"]

    def test_webhooks(self):
        self.cmd("webhook", "add", "gh/push", "--task", "ingest", "--secret-env", "HOOK_SECRET")
        secret_file = os.path.join(self.tmp, "secret")
        h.write_text(secret_file, "from-a-file\n")
        self.cmd("webhook", "add", "/hooks/filed/", "--task", "report", "--secret-file", secret_file)
        res = self.cmd("webhook", "add", "gh/push", "--task", "ingest", "--secret-env", "X",
                       expect=None)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("webhook POST /hooks/gh/push is registered already (task ingest)", res.stderr)
        listed = json.loads(self.cmd("webhook", "list", "--json").stdout)
        self.assertEqual([(w["path"], w["task"], w["secret_env"], w["secret_file"]) for w in listed],
                         [("filed", "report", None, secret_file),
                          ("gh/push", "ingest", "HOOK_SECRET", None)])
        self.serve("--max-body", "1000", env={"HOOK_SECRET": SECRET})

        payload = b'{"ref": "refs/heads/main", "n": 1}'
        status, _, body = self.hook("gh/push", payload, key="delivery-1")
        self.assertEqual(status, 202, body)
        first = json.loads(body)
        self.assertEqual((first["status"], first["duplicate"]), ("pending", False))
        # The same key starts nothing new.
        status, _, body = self.hook("gh/push", payload, key="delivery-1")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["execution_id"], first["execution_id"])
        self.assertTrue(json.loads(body)["duplicate"])
        # Wrong or missing signature: 401 and nothing started.
        status, err = self.error(self.hook("gh/push", payload, secret="wrong"))
        self.assertEqual((status, err), (401, {"code": "bad_signature", "message":
                                               "X-Hub-Signature-256 does not match the body"}))
        status, err = self.error(self.hook("gh/push", payload, secret=None))
        self.assertEqual((status, err["message"]),
                         (401, "missing X-Hub-Signature-256 (sha256=HMAC-SHA256 of the body)"))
        # A signed timestamp: the signature covers "TIMESTAMP.BODY"; an old one is refused.
        now = str(int(time.time()))
        sig = hmac.new(SECRET.encode(), now.encode() + b"." + payload, hashlib.sha256).hexdigest()
        status, _, body = self.http.request(
            "POST", "/hooks/gh/push", body=payload,
            headers={"X-Hub-Signature-256": "sha256=" + sig, "X-Signature-Timestamp": now,
                     "Idempotency-Key": "stamped"})
        self.assertEqual(status, 202, body)
        stamped = json.loads(body)["execution_id"]
        status, err = self.error(self.hook("gh/push", payload, key="stamped-2",
                                           extra={"X-Signature-Timestamp": now}))
        self.assertEqual((status, err["code"]), (401, "bad_signature"))
        old = str(int(time.time()) - 301)
        sig = hmac.new(SECRET.encode(), old.encode() + b"." + payload, hashlib.sha256).hexdigest()
        status, err = self.error(self.http.request(
            "POST", "/hooks/gh/push", body=payload,
            headers={"X-Hub-Signature-256": "sha256=" + sig, "X-Signature-Timestamp": old}))
        self.assertEqual((status, err), (401, {"code": "stale_timestamp", "message":
                                               "X-Signature-Timestamp: not within 300 s of the "
                                               "server's time (Unix seconds)"}))
        # Over the limit: 413 before anything else (even unsigned, unknown hooks).
        status, err = self.error(self.hook("nowhere", b"x" * 1001, secret=None))
        self.assertEqual((status, err["code"]), (413, "body_too_large"))
        status, err = self.error(self.hook("nowhere", b"{}"))
        self.assertEqual((status, err), (404, {"code": "not_found",
                                               "message": "no webhook /hooks/nowhere"}))
        # A body sent as JSON must be JSON.
        status, err = self.error(self.hook("gh/push", b"{not json", key="bad"))
        self.assertEqual((status, err), (400, {"code": "bad_request",
                                               "message": "body: not valid JSON"}))
        # A secret from a file (its final newline dropped); the payload's
        # members are the template's {meta:NAME}.
        status, _, body = self.hook("filed", b'{"ref": "v1.2", "n": 3}', secret="from-a-file")
        self.assertEqual(status, 202, body)
        second = json.loads(body)["execution_id"]
        self.assertEqual(self.get(f"/api/v1/executions/{second}")["info"], "report:v1.2")

        listed = self.executions()
        self.assertEqual([(e["id"], e["task"], e["trigger"], e["status"]) for e in listed],
                         [(second, "report", "webhook", "pending"),
                          (stamped, "ingest", "webhook", "pending"),
                          (first["execution_id"], "ingest", "webhook", "pending")])
        self.assertRegex(listed[2]["meta"], r"^workflow=phases/etl\.toml&cron=\d{4}-\d\d-\d\dT\d\d"
                                            r"&webhook=gh/push&delivery=delivery-1$")
        _, _, metrics = self.http.request("GET", "/metrics")
        self.assertIn(b"flowsync_webhook_executions_started_total 3\n", metrics)
        self.assertIn(b'route="/hooks/{path*}",method="POST",status="401"} 4\n', metrics)

        self.cmd("webhook", "remove", "gh/push")
        res = self.cmd("webhook", "remove", "gh/push", expect=None)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("no webhook /hooks/gh/push", res.stderr)
        self.assertEqual(self.hook("gh/push", payload, key="delivery-2")[0], 404)

    def test_a_sealed_secret_is_kept_encrypted_and_opened_by_the_server_only(self):
        key = self.fs("var", "keygen", expect=0).stdout.strip()
        secret_in = os.path.join(self.tmp, "secret-in")
        h.write_text(secret_in, SECRET + "\n")

        def add(path, env):
            with open(secret_in, "rb") as f:
                return h.run(["webhook", "add", path, "--task", "ingest", "--secret-stdin",
                              *self.db_args()], cwd=self.root, env=env, stdin=f)

        res = add("sealed", None)
        self.assertEqual(res.returncode, h.EXIT_USAGE, res.describe())
        self.assertIn("--secret-stdin (a sealed secret) needs a key: set FLOWSYNC_SECRET_KEY",
                      res.stderr)
        res = add("sealed", {"FLOWSYNC_SECRET_KEY": key})
        self.assertEqual(res.returncode, h.EXIT_OK, res.describe())
        res = self.cmd("webhook", "add", "two", "--task", "ingest", "--secret-stdin",
                       "--secret-env", "X", expect=h.EXIT_USAGE)
        self.assertIn("a webhook needs one secret: --secret-env VAR, --secret-file FILE or "
                      "--secret-stdin", res.stderr)
        listed = json.loads(self.cmd("webhook", "list", "--json").stdout)
        self.assertEqual([(w["path"], w["secret_env"], w["secret_file"], w["secret_sealed"])
                          for w in listed], [("sealed", None, None, True)])
        self.assertIn("secret: sealed", self.cmd("webhook", "list").stdout)
        # The database holds no plain text of it.
        stored = self.query("SELECT secret_sealed FROM webhook_registrations")
        self.assertEqual(len(stored), 1)
        self.assertTrue(stored[0][0].startswith("sealed:v1:"), stored)
        self.assertNotIn(SECRET, stored[0][0])

        # A server without the key cannot check the signature: 503, nothing started.
        self.serve()
        status, _, body = self.hook("sealed", b"{}")
        self.assertEqual((status, json.loads(body)["error"]["code"]),
                         (503, "secret_unavailable"), body)
        self.assertEqual(self.executions(), [])
        self.stop_server()
        # With it: signed deliveries start runs, others are refused.
        self.serve(env={"FLOWSYNC_SECRET_KEY": key})
        self.assertEqual(self.hook("sealed", b"{}", secret="wrong")[0], 401)
        status, _, body = self.hook("sealed", b"{}", key="d1")
        self.assertEqual(status, 202, body)
        self.assertEqual(len(self.executions()), 1)

    def test_concurrent_deliveries_with_one_key_start_one_execution(self):
        self.cmd("webhook", "add", "once", "--task", "ingest", "--secret-env", "HOOK_SECRET")
        self.serve(env={"HOOK_SECRET": SECRET})
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: self.hook("once", b"{}", key="same"), range(16)))
        ids = {json.loads(b)["execution_id"] for _, _, b in answers}
        self.assertEqual(len(ids), 1)
        self.assertEqual(sorted(s for s, _, _ in answers), [200] * 15 + [202])
        self.assertEqual(len(self.executions()), 1)

    # ---- step 3: executions ---------------------------------------------------

    def test_executions_api(self):
        self.serve()
        auth = {"Authorization": f"Bearer {self.write_token}"}
        status, _, body = self.http.request("POST", "/api/v1/executions", body=b'{"task": 7}',
                                            headers=auth)
        self.assertEqual((status, json.loads(body)["error"]),
                         (400, {"code": "bad_request", "message": "task: expected a string"}))
        status, _, body = self.http.request("POST", "/api/v1/executions", body=b'{"task": ',
                                            headers=auth)
        self.assertEqual((status, json.loads(body)["error"]["message"]),
                         (400, "body: not valid JSON"))
        status, _, body = self.http.request("POST", "/api/v1/executions",
                                            body=b'{"task": "nothing"}', headers=auth)
        self.assertEqual((status, json.loads(body)["error"]["message"]),
                         (404, "no phase runs task 'nothing'"))
        status, _, body = self.http.request(
            "POST", "/api/v1/executions",
            body=b'{"task": "ingest", "time": "2026-01-15T10:00:00Z"}', headers=auth)
        self.assertEqual(status, 201, body)
        started = json.loads(body)
        self.assertEqual((started["task"], started["trigger"], started["status"], started["info"]),
                         ("ingest", "manual", "pending", "ingest 2026-01-15"))
        # A worker runs it; show has its attempts and output.
        self.fs("worker", "--topic", "ingest", "--exit-when-idle", "--poll", "0.05",
                *self.db_args(), "--", sys.executable, "-c", "print('hello')", expect=0)
        shown = self.get(f"/api/v1/executions/{started['id']}")
        self.assertEqual(shown["status"], "completed")
        self.assertEqual([(a["outcome"], a["stdout"]) for a in shown["attempts"]],
                         [("completed", "hello\n")])
        status, _, body = self.http.request("POST", f"/api/v1/executions/{started['id']}/cancel",
                                            headers=auth)
        self.assertEqual((status, json.loads(body)["error"]["message"]),
                         (409, f"execution {started['id']} has ended already"))
        status, _, body = self.http.request("POST", f"/api/v1/executions/{started['id']}/retry",
                                            headers=auth)
        self.assertEqual((status, json.loads(body)["error"]["message"]),
                         (409, f"execution {started['id']} has not ended, or completed"))
        self.assertEqual(self.get("/api/v1/executions/999999", expect=404)["error"]["message"],
                         "no execution 999999")
        self.assertEqual([e["status"] for e in self.get("/api/v1/executions?status=completed")
                          ["executions"]], ["completed"])
        phases = self.get("/api/v1/phases")
        self.assertEqual([(p["task"], p["depends_on"]) for p in phases["files"][0]["phases"]],
                         [("ingest", ""), ("report", "ingest")])
        self.assertEqual(phases["edges"], [{"file": "phases/etl.toml", "from": "ingest",
                                            "to": "report"}])
        children = self.get("/api/v1/phases/children?task=ingest&workflow=phases/etl.toml")
        self.assertEqual([c["task"] for c in children["children"]], ["report"])
        log = self.get("/api/v1/log?limit=2")["log"]
        self.assertEqual(len(log), 2)
        # The last run may be the server's own refresh of the phase files.
        last = self.get("/api/v1/sync-runs/last")
        self.assertIn(last["mode"], ("full", "incremental"))
        # Every run, newest first, a page at a time.
        first = self.get("/api/v1/sync-runs?limit=1")
        self.assertEqual(first["runs"][0]["id"], last["id"])
        ids = [last["id"]]
        before = first["next_before"]
        while before is not None:
            page = self.get(f"/api/v1/sync-runs?limit=1&before={before}")
            ids += [r["id"] for r in page["runs"]]
            before = page["next_before"]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertGreaterEqual(len(ids), 1)
        self.assertEqual(self.get("/api/v1/sync-runs")["runs"][-1]["id"], ids[-1])
        self.assertEqual(self.get("/api/v1/sync-runs?before=x", expect=400)["error"]["code"],
                         "bad_request")


    def test_watch_in_the_server_syncs_the_tree_as_it_changes(self):
        self.serve("--watch")
        h.write_json(self.p("flows", "new.json"), h.n8n_workflow("Made while serving", seed=21))
        deadline = time.monotonic() + 15
        while True:
            paths = [w["path"] for w in self.get("/api/v1/workflows?prefix=flows/")["workflows"]]
            if "flows/new.json" in paths:
                break
            self.assertLess(time.monotonic(), deadline, f"never synced: {paths}")
            time.sleep(0.1)
        # An edit becomes a new version.
        h.write_json(self.p("flows", "new.json"),
                     h.n8n_workflow("Made while serving", nodes=4, seed=21))
        while True:
            shown = self.get("/api/v1/workflows/" + [
                w for w in self.get("/api/v1/workflows?prefix=flows/new")["workflows"]][0]["id"])
            if shown["version"] == 2:
                break
            self.assertLess(time.monotonic(), deadline + 15, f"edit never synced: {shown}")
            time.sleep(0.1)
        # tearDown's SIGTERM stops the watch too: exit 0.

    def test_watch_in_the_server_needs_the_tree(self):
        res = h.run(["serve", "--listen", "127.0.0.1:0", "--watch", *self.db_args()],
                    cwd=self.tmp)
        self.assertEqual(res.returncode, h.EXIT_USAGE, res.describe())
        self.assertIn("--watch needs the tree to sync: give --root TREE", res.stderr)

    def test_scheduler_in_the_server_enqueues_children(self):
        self.serve("--scheduler")
        status, _, body = self.http.request(
            "POST", "/api/v1/executions", body=b'{"task": "ingest"}',
            headers={"Authorization": f"Bearer {self.write_token}"})
        self.assertEqual(status, 201, body)
        self.fs("worker", "--topic", "ingest", "--exit-when-idle", "--poll", "0.05",
                *self.db_args(), "--", sys.executable, "-c", "pass", expect=0)
        deadline = time.monotonic() + 10
        while True:
            tasks = [(e["task"], e["trigger"]) for e in self.executions()]
            if len(tasks) == 2:
                break
            self.assertLess(time.monotonic(), deadline, f"no child enqueued: {tasks}")
            time.sleep(0.1)
        self.assertEqual(tasks, [("report", "workflow"), ("ingest", "manual")])


    def test_phase_files_are_read_again_while_serving(self):
        self.serve("--refresh", "0.2")
        with open(self.p("phases", "etl.toml"), "a", encoding="utf-8") as f:
            f.write('\n[[phase]]\ntask = "late"\ndependsOn = "ingest"\ntemplate = "late"\n')
        deadline = time.monotonic() + 10
        while True:
            tasks = [p["task"] for p in self.get("/api/v1/phases")["files"][0]["phases"]]
            if "late" in tasks:
                break
            self.assertLess(time.monotonic(), deadline, f"never read again: {tasks}")
            time.sleep(0.1)
        self.assertEqual(tasks, ["ingest", "report", "late"])


class ServeSqliteTest(ServeMixin, h.FlowsyncCase):

    def db_args(self):
        return ["--db", os.path.join(self.tmp, "flowsync.db")]

    def query(self, sql):
        con = sqlite3.connect(os.path.join(self.tmp, "flowsync.db"))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


class ServePostgresTest(ServeMixin, h.FreshPgDatabaseMixin, h.FlowsyncCase):
    server_url = None  # the server's own database URL, when not self.url

    def db_args(self):
        return ["--db", self.url]

    def query(self, sql):
        return h.psql(self.url, sql)

    def serve(self, *args, env=None):
        if self.server_url is None:
            return super().serve(*args, env=env)
        url, self.url = self.url, self.server_url
        try:
            return super().serve(*args, env=env)
        finally:
            self.url = url

    def test_a_server_connected_as_a_granted_role_reads_only_that_project(self):
        """Row-level security, not only the server's own filter: the server
        runs as a role that does not own the tables and was granted one
        project; a token of another project reads nothing of that one."""
        role, password = f"srv_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        h.psql(self.admin, f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        # Cleanups run last-in first-out: the database (holding the role's
        # privileges) goes first, then the role.
        self.addCleanup(h.psql, self.admin, f'DROP ROLE IF EXISTS "{role}"')
        self.addCleanup(h.psql, self.admin, f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        other = os.path.join(self.tmp, "other-tree")
        h.write_json(os.path.join(other, "secret.json"), h.n8n_workflow("Other project", seed=5))
        self.fs("sync", other, *self.db_args(), "--project", "other", expect=0)
        self.cmd("grant", "default", role)
        other_token = self.token("--project", "other")
        parts = urllib.parse.urlsplit(self.url)
        self.server_url = urllib.parse.urlunsplit(
            (parts.scheme, f"{role}:{password}@{parts.hostname}:{parts.port}", parts.path,
             parts.query, ""))
        self.serve()
        self.assertEqual(self.get("/api/v1/workflows")["total"], 5)
        status, _, body = self.http.request(
            "GET", "/api/v1/workflows", headers={"Authorization": f"Bearer {other_token}"})
        self.assertEqual((status, json.loads(body)), (200, {"workflows": [], "total": 0,
                                                           "next_cursor": None}))
        # The rows are there: a server connected as the tables' owner shows
        # them to the same token.
        self.server.terminate()
        self.assertEqual(self.server.wait(timeout=20), 0)
        self.server.stdout.close()
        self.server.stderr.close()
        self.server_url = None
        self.serve()
        status, _, body = self.http.request(
            "GET", "/api/v1/workflows", headers={"Authorization": f"Bearer {other_token}"})
        self.assertEqual((status, json.loads(body)["total"]), (200, 1))

    def test_database_that_goes_away_answers_503_and_recovers(self):
        self.serve()
        self.get("/api/v1/workflows")
        h.psql(self.admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           f"WHERE datname = '{self.dbname}' AND pid <> pg_backend_pid()")
        status, _, body = self.http.request(
            "GET", "/api/v1/workflows", headers={"Authorization": f"Bearer {self.read_token}"})
        self.assertEqual((status, json.loads(body)["error"]["code"]),
                         (503, "database_unavailable"))
        # Each pooled session that died answers 503 once, then is replaced.
        for _ in range(10):
            status, _, _ = self.http.request(
                "GET", "/api/v1/workflows",
                headers={"Authorization": f"Bearer {self.read_token}"})
            if status == 200:
                break
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
