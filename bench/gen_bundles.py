#!/usr/bin/env python3
"""Generates realistic synthetic workflow bundles for flowsync benchmarks.

    gen_bundles.py N OUTDIR [--seed S]          write N bundles under OUTDIR
    gen_bundles.py --mutate PCT ROOT [--seed S] change the content of PCT % of the workflows
    gen_bundles.py --delete PCT ROOT [--seed S] delete PCT % of the workflows
    gen_bundles.py --rename PCT ROOT [--seed S] move PCT % of the workflows to new folders

A bundle is a folder `category/service/NNNNN-slug/` holding `workflow.json` (an n8n workflow), `meta.json`
(categories, author, tags, description) and, for most bundles, `README.md`.

Why the data is realistic (numbers measured on the real corpus, ../shared/corpus/n8n/zie619, with
bench/corpus_stats.py, restricted to workflows of 3-25 nodes and 2-40 KB):
- The node count is drawn from the corpus histogram (kNodeCountHistogram below).
- The size of workflow.json is the node count times a per-node size drawn from a log-normal around the
  corpus median (830 B per node), so size and node count correlate as in the corpus; the total bundle size
  is clamped to 2-40 KB. Mean and median bundle size match the corpus window (10.7 vs 10.8 KB, 9.7 vs
  9.4 KB); the small end is heavier (every bundle has meta.json, most a README.md).
- Node types follow the corpus frequencies (sticky notes 23 %, Set 7.6 %, HTTP Request 7.3 %, ...), with
  a long tail of app nodes for the 18 % of nodes of rarer types. The first node is a trigger; AI sub-nodes
  (chat models, memories, tools, output parsers) are wired to an agent or chain with ai_* connections;
  If/Switch/Split in Batches have several outputs and Merge two inputs, as n8n has them.
- Parameters have the shapes n8n writes (resource locators with __rl, Set assignments, If conditions,
  HTTP headers and JSON bodies with "={{ $json.x }}" expressions, JavaScript in Code nodes, markdown in
  sticky notes); about a quarter of the nodes reference credentials, as in the corpus.
- Files are pretty-printed with a 2-space indent, as n8n exports and the whole corpus are.

The content is a pure function of (seed, bundle index): generating twice gives identical trees. The
--mutate/--delete/--rename modes pick their victims from the sorted list of workflows with the seed, and
print one JSON line with what they did, e.g. {"mode": "mutate", "count": 100}.
"""

import argparse
import json
import math
import os
import random
import shutil
import sys
import uuid

# Node counts of the corpus workflows of 3-25 nodes and 2-40 KB (1,424 files).
kNodeCountHistogram = {
    3: 24, 4: 110, 5: 127, 6: 89, 7: 101, 8: 72, 9: 74, 10: 85, 11: 64, 12: 93, 13: 65, 14: 65,
    15: 57, 16: 56, 17: 69, 18: 49, 19: 46, 20: 37, 21: 35, 22: 25, 23: 39, 24: 25, 25: 17,
}
# Bytes per node of workflow.json in that window: median 830 (10/90 % points 570/1310, i.e. sigma 0.32).
# The generator's sigma is wider because a node's fixed overhead already narrows the spread of sizes.
kBytesPerNodeMedian = 830.0
kBytesPerNodeSigma = 0.45
kMinBundleBytes = 2 * 1024
# workflow.json's share of the corpus per-node size: the bundle adds meta.json and README.md (~0.9 KB).
kWorkflowShare = 0.75
kMaxBundleBytes = 40 * 1024

kTriggers = [  # (type suffix, typeVersion, weight) - first nodes, weights from the corpus
    ("n8n-nodes-base.manualTrigger", 1, 772),
    ("n8n-nodes-base.webhook", 2, 348),
    ("n8n-nodes-base.scheduleTrigger", 1.2, 330),
    ("@n8n/n8n-nodes-langchain.chatTrigger", 1.1, 181),
    ("n8n-nodes-base.executeWorkflowTrigger", 1.1, 180),
    ("n8n-nodes-base.formTrigger", 2.2, 123),
    ("n8n-nodes-base.cron", 1, 110),
    ("n8n-nodes-base.telegramTrigger", 1.1, 94),
]

# Non-trigger node types: (type, typeVersion, percent of all nodes in the corpus window).
kNodeTypes = [
    ("n8n-nodes-base.stickyNote", 1, 23.2),
    ("n8n-nodes-base.set", 3.4, 7.6),
    ("n8n-nodes-base.httpRequest", 4.2, 7.3),
    ("n8n-nodes-base.if", 2.2, 3.8),
    ("n8n-nodes-base.code", 2, 3.2),
    ("@n8n/n8n-nodes-langchain.lmChatOpenAi", 1.2, 2.1),
    ("n8n-nodes-base.googleSheets", 4.5, 2.05),
    ("n8n-nodes-base.merge", 3, 1.55),
    ("@n8n/n8n-nodes-langchain.agent", 1.7, 1.55),
    ("n8n-nodes-base.noOp", 1, 1.3),
    ("n8n-nodes-base.telegram", 1.2, 1.3),
    ("n8n-nodes-base.splitOut", 1, 1.2),
    ("n8n-nodes-base.googleDrive", 3, 1.1),
    ("@n8n/n8n-nodes-langchain.openAi", 1.8, 1.05),
    ("n8n-nodes-base.gmail", 2.1, 1.05),
    ("n8n-nodes-base.function", 1, 0.95),
    ("n8n-nodes-base.respondToWebhook", 1.1, 0.9),
    ("n8n-nodes-base.splitInBatches", 3, 0.85),
    ("@n8n/n8n-nodes-langchain.memoryBufferWindow", 1.3, 0.85),
    ("n8n-nodes-base.switch", 3.2, 0.8),
    ("@n8n/n8n-nodes-langchain.chainLlm", 1.5, 0.8),
    ("n8n-nodes-base.slack", 2.2, 0.77),
    ("n8n-nodes-base.filter", 2.2, 0.77),
    ("n8n-nodes-base.airtable", 2.1, 0.75),
    ("@n8n/n8n-nodes-langchain.lmChatGoogleGemini", 1, 0.66),
    ("n8n-nodes-base.aggregate", 1, 0.65),
    ("n8n-nodes-base.wait", 1.1, 0.65),
    ("@n8n/n8n-nodes-langchain.toolHttpRequest", 1.1, 0.54),
    ("@n8n/n8n-nodes-langchain.outputParserStructured", 1.2, 0.53),
    ("n8n-nodes-base.notion", 2.2, 0.53),
    ("@n8n/n8n-nodes-langchain.toolWorkflow", 2, 0.48),
    ("n8n-nodes-base.extractFromFile", 1, 0.46),
    ("n8n-nodes-base.emailSend", 2.1, 0.43),
    ("n8n-nodes-base.html", 1.2, 0.43),
    ("n8n-nodes-base.executeWorkflow", 1.2, 0.40),
    ("@n8n/n8n-nodes-langchain.embeddingsOpenAi", 1.2, 0.33),
    ("n8n-nodes-base.postgres", 2.5, 0.30),
    ("n8n-nodes-base.redis", 1, 0.30),
]
# The long tail: app nodes with a generic resource/operation shape (18 % of nodes in the corpus).
kTailApps = [
    "hubspot", "jira", "trello", "asana", "clickup", "mailchimp", "stripe", "shopify", "woocommerce",
    "zendesk", "intercom", "pipedrive", "salesforce", "discord", "mattermost", "twilio", "sendGrid",
    "dropbox", "awsS3", "mongoDb", "mySql", "github", "gitlab", "todoist", "typeform", "calendly",
    "googleCalendar", "googleDocs", "microsoftOutlook", "microsoftExcel", "baserow", "supabase", "linear",
    "freshdesk", "activeCampaign", "mautic", "youTube", "twitter", "linkedIn", "rssFeedRead",
]
kTailPercent = 18.0

# AI sub-nodes: the connection type they feed into an agent or chain.
kAiSubNodes = {
    "@n8n/n8n-nodes-langchain.lmChatOpenAi": "ai_languageModel",
    "@n8n/n8n-nodes-langchain.lmChatGoogleGemini": "ai_languageModel",
    "@n8n/n8n-nodes-langchain.memoryBufferWindow": "ai_memory",
    "@n8n/n8n-nodes-langchain.toolHttpRequest": "ai_tool",
    "@n8n/n8n-nodes-langchain.toolWorkflow": "ai_tool",
    "@n8n/n8n-nodes-langchain.outputParserStructured": "ai_outputParser",
    "@n8n/n8n-nodes-langchain.embeddingsOpenAi": "ai_embedding",
}
kAiRoots = ("@n8n/n8n-nodes-langchain.agent", "@n8n/n8n-nodes-langchain.chainLlm")
kOutputs = {"n8n-nodes-base.if": 2, "n8n-nodes-base.splitInBatches": 2, "n8n-nodes-base.filter": 1}

kDisplayNames = {
    "manualTrigger": "When clicking \u2018Test workflow\u2019", "webhook": "Webhook",
    "scheduleTrigger": "Schedule Trigger", "chatTrigger": "When chat message received",
    "executeWorkflowTrigger": "Execute Workflow Trigger", "formTrigger": "On form submission",
    "cron": "Cron", "telegramTrigger": "Telegram Trigger", "stickyNote": "Sticky Note",
    "set": "Edit Fields", "httpRequest": "HTTP Request", "if": "If", "code": "Code",
    "lmChatOpenAi": "OpenAI Chat Model", "googleSheets": "Google Sheets", "merge": "Merge",
    "agent": "AI Agent", "noOp": "No Operation, do nothing", "telegram": "Telegram",
    "splitOut": "Split Out", "googleDrive": "Google Drive", "openAi": "OpenAI", "gmail": "Gmail",
    "function": "Function", "respondToWebhook": "Respond to Webhook", "splitInBatches": "Loop Over Items",
    "memoryBufferWindow": "Window Buffer Memory", "switch": "Switch", "chainLlm": "Basic LLM Chain",
    "slack": "Slack", "filter": "Filter", "airtable": "Airtable",
    "lmChatGoogleGemini": "Google Gemini Chat Model", "aggregate": "Aggregate", "wait": "Wait",
    "toolHttpRequest": "HTTP Request Tool", "outputParserStructured": "Structured Output Parser",
    "notion": "Notion", "toolWorkflow": "Call Workflow Tool", "extractFromFile": "Extract from File",
    "emailSend": "Send Email", "html": "HTML", "executeWorkflow": "Execute Workflow",
    "embeddingsOpenAi": "Embeddings OpenAI", "postgres": "Postgres", "redis": "Redis",
}
kVerbs = ["Get", "Fetch", "Create", "Update", "Send", "Check", "Prepare", "Format", "Parse", "Filter",
          "Merge", "Store", "Notify", "Extract", "Enrich", "Sync", "Build", "Split", "Route", "Save"]
kObjects = ["Leads", "Contacts", "Orders", "Invoices", "Tickets", "Issues", "Rows", "Messages", "Emails",
            "Articles", "Products", "Customers", "Events", "Records", "Summary", "Report", "Metrics",
            "Payload", "Results", "Candidates", "Deals", "Posts", "Comments", "Files", "Tasks"]
kFields = ["id", "email", "name", "status", "title", "url", "createdAt", "amount", "owner", "priority",
           "message", "text", "chatId", "query", "items", "body", "score", "category", "company", "tags"]
kCategories = {
    "marketing": ["mailchimp", "hubspot", "linkedin", "twitter", "google-sheets", "activecampaign"],
    "sales": ["pipedrive", "salesforce", "hubspot", "airtable", "gmail", "stripe"],
    "ai": ["openai", "agents", "gemini", "rag", "langchain", "telegram-bots", "summarize"],
    "devops": ["github", "gitlab", "jira", "http", "webhooks", "postgres", "redis"],
    "support": ["zendesk", "freshdesk", "intercom", "slack", "email", "discord"],
    "finance": ["invoices", "stripe", "quickbooks", "google-sheets", "reports"],
    "data": ["etl", "google-sheets", "postgres", "airtable", "notion", "scraping", "csv"],
    "productivity": ["notion", "google-drive", "calendar", "todoist", "trello", "asana"],
    "ecommerce": ["shopify", "woocommerce", "orders", "inventory", "stripe"],
    "communication": ["slack", "telegram", "discord", "email", "twilio", "mattermost"],
    "hr": ["recruiting", "onboarding", "forms", "calendar"],
    "content": ["rss", "youtube", "wordpress", "seo", "social-media"],
}
kAuthors = ["Ada Lindqvist", "Bruno Okafor", "Chen Wei", "Dana Kowalski", "Elif Yilmaz", "Farid Haddad",
            "Grace Mbeki", "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kavya Rao", "Liam O'Connor",
            "Maya Cohen", "Nils Petersen", "Olga Ivanova", "Pablo Ruiz", "automation-team", "ops-bot"]
kTags = ["automation", "ai", "crm", "leads", "reporting", "notifications", "etl", "webhook", "scheduled",
         "email", "chatbot", "internal", "customer", "finance", "devops", "monitoring", "sync", "beta"]
kWords = ("the a workflow data item each node request response user customer record field value list "
          "when then if after before every hour day new updated error retry send receive store check "
          "format parse build merge split filter map result status message team channel report summary "
          "token api key credential webhook trigger schedule batch loop page limit offset cursor json "
          "output input agent model prompt memory tool chain document vector email sheet row column "
          "table database query insert update delete upsert notify alert slack telegram").split()
kJsLines = [
    "const items = $input.all();",
    "const results = [];",
    "for (const item of items) {{",
    "  const data = item.json;",
    "  if (!data.{f}) {{ continue; }}",
    "  const {f} = String(data.{f} ?? '').trim().toLowerCase();",
    "  results.push({{ json: {{ {f}, {g}: data.{g}, processedAt: new Date().toISOString() }} }});",
    "}}",
    "return results;",
    "// Normalize the {f} field before it is written to the sheet",
    "const seen = new Set();",
    "const unique = items.filter(i => {{ const k = i.json.{f}; if (seen.has(k)) return false; seen.add(k); return true; }});",
    "const total = items.reduce((sum, i) => sum + Number(i.json.{g} || 0), 0);",
    "const byKey = Object.fromEntries(items.map(i => [i.json.{f}, i.json]));",
    "const text = $('{n}').first().json.{f};",
    "const parsed = JSON.parse(text.replace(/```json|```/g, ''));",
    "if (parsed.{f} === undefined) {{ throw new Error('missing {f} in model output'); }}",
    "const chunks = text.match(/[\\s\\S]{{1,1800}}/g) || [];",
    "return chunks.map((c, index) => ({{ json: {{ index, chunk: c }} }}));",
    "const url = `https://api.example.com/v2/{g}/${{encodeURIComponent(data.{f})}}`;",
    "const headers = {{ 'Content-Type': 'application/json', Accept: 'application/json' }};",
    "const date = DateTime.now().minus({{ days: 7 }}).toFormat('yyyy-MM-dd');",
    "return [{{ json: {{ total, count: items.length, since: date }} }}];",
    "  // skip rows that were already exported",
    "  if (data.{g} === 'done') {{ continue; }}",
    "const html = items.map(i => `<li>${{i.json.{f}}}: ${{i.json.{g}}}</li>`).join('\\n');",
    "return {{ json: {{ html: `<ul>${{html}}</ul>` }} }};",
]


def Slug(text):
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:48]


class Bundle:
    """Builds one bundle from its own random generator."""

    def __init__(self, rng, index):
        self.rng = rng
        self.index = index
        self.names = set()

    def Uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def Sentence(self, lo=6, hi=18):
        words = [self.rng.choice(kWords) for _ in range(self.rng.randint(lo, hi))]
        return " ".join(words).capitalize() + "."

    def Paragraph(self, lo=2, hi=5):
        return " ".join(self.Sentence() for _ in range(self.rng.randint(lo, hi)))

    def Expr(self):
        r = self.rng.random()
        f = self.rng.choice(kFields)
        if r < 0.6:
            return "={{ $json.%s }}" % f
        if r < 0.8:
            return "={{ $('%s').item.json.%s }}" % (self.rng.choice(sorted(self.names) or ["Webhook"]), f)
        return "={{ $json.%s ?? '%s' }}" % (f, self.rng.choice(kWords))

    def JsCode(self, target_bytes):
        lines = ["// %s" % self.Sentence(5, 12)]
        size = len(lines[0])
        while size < target_bytes:
            line = self.rng.choice(kJsLines).format(
                f=self.rng.choice(kFields), g=self.rng.choice(kFields),
                n=self.rng.choice(sorted(self.names) or ["Webhook"]))
            lines.append(line)
            size += len(line) + 3  # newline escapes as \n in JSON
        return "\n".join(lines)

    def Markdown(self, target_bytes):
        parts = ["## %s %s" % (self.rng.choice(kVerbs), self.rng.choice(kObjects))]
        size = len(parts[0])
        while size < target_bytes:
            r = self.rng.random()
            if r < 0.5:
                part = self.Paragraph(1, 3)
            elif r < 0.8:
                part = "\n".join("- %s" % self.Sentence(3, 8) for _ in range(self.rng.randint(2, 4)))
            else:
                part = "### %s\n%s" % (self.rng.choice(kObjects), self.Sentence())
            parts.append(part)
            size += len(part) + 4
        return "\n\n".join(parts)

    def UniqueName(self, base):
        name, k = base, 1
        while name in self.names:
            name = "%s%d" % (base, k)
            k += 1
        self.names.add(name)
        return name

    def ResourceLocator(self, mode="list"):
        value = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
                        for _ in range(self.rng.choice((17, 32, 44))))
        rl = {"__rl": True, "value": value, "mode": mode}
        if mode == "list":
            rl["cachedResultName"] = "%s %s" % (self.rng.choice(kObjects), self.rng.randint(2019, 2025))
            if self.rng.random() < 0.5:
                rl["cachedResultUrl"] = "https://docs.google.com/spreadsheets/d/%s/edit" % value
        return rl

    def Credential(self, ctype):
        ident = "credential-id" if self.rng.random() < 0.3 else "".join(
            self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
        return {ctype: {"id": ident, "name": "%s account" % ctype.replace("Api", "").replace("OAuth2", "")}}

    def Parameters(self, ntype):
        """Returns (parameters, credentials or None, padable text key path or None)."""
        rng, short = self.rng, ntype.rsplit(".", 1)[1]
        f, g = rng.choice(kFields), rng.choice(kFields)
        if short == "stickyNote":
            return ({"content": self.Markdown(rng.randint(20, 120)), "height": rng.choice((240, 320, 480, 640)),
                     "width": rng.choice((240, 300, 420, 560)), "color": rng.randint(1, 7)}, None, ("content",))
        if short == "set":
            return ({"assignments": {"assignments": [
                {"id": self.Uuid(), "name": rng.choice(kFields), "value": self.Expr(), "type": "string"}
                for _ in range(rng.randint(1, 3))]}, "options": {}}, None, None)
        if short == "httpRequest":
            p = {"method": rng.choice(("GET", "POST", "POST", "PATCH")),
                 "url": "=https://api.%s.com/v%d/%s/{{ $json.%s }}" % (rng.choice(kTailApps).lower(),
                                                                        rng.randint(1, 3), g, f),
                 "authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth",
                 "sendHeaders": True, "headerParameters": {"parameters": [
                     {"name": "Content-Type", "value": "application/json"},
                     {"name": "X-Request-Id", "value": "={{ $execution.id }}"}]}, "options": {}}
            if p["method"] != "GET":
                p.update({"sendBody": True, "specifyBody": "json", "jsonBody": "={\n  \"%s\": \"{{ $json.%s }}\",\n"
                          "  \"%s\": {{ JSON.stringify($json.%s) }}\n}" % (f, f, g, g)})
            return (p, self.Credential("httpHeaderAuth") if rng.random() < 0.5 else None, None)
        if short in ("if", "filter"):
            return ({"conditions": {"options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict",
                                                "version": 2},
                                    "conditions": [{"id": self.Uuid(), "leftValue": "={{ $json.%s }}" % f,
                                                    "rightValue": rng.choice(kWords),
                                                    "operator": {"type": "string", "operation":
                                                                 rng.choice(("equals", "contains", "notEmpty"))}}
                                                   for _ in range(rng.choice((1, 1, 2)))],
                                    "combinator": rng.choice(("and", "or"))}, "options": {}}, None, None)
        if short in ("code", "function"):
            key = "jsCode" if short == "code" else "functionCode"
            return ({key: self.JsCode(rng.randint(60, 300))}, None, (key,))
        if short in ("lmChatOpenAi", "lmChatGoogleGemini"):
            model = rng.choice(("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")) if short == "lmChatOpenAi" else \
                "models/gemini-2.0-flash"
            p = {"model": {"__rl": True, "value": model, "mode": "list", "cachedResultName": model}, "options": {}}
            if short == "lmChatGoogleGemini":
                p = {"modelName": model, "options": {"temperature": 0.2}}
            return (p, self.Credential("openAiApi" if short == "lmChatOpenAi" else "googlePalmApi"), None)
        if short == "googleSheets":
            cols = rng.sample(kFields, rng.randint(2, 4))
            return ({"operation": rng.choice(("append", "appendOrUpdate", "read")),
                     "documentId": self.ResourceLocator(), "sheetName": {"__rl": True, "value": "gid=0",
                                                                         "mode": "list", "cachedResultName": "Sheet1"},
                     "columns": {"mappingMode": "defineBelow", "value": {c: "={{ $json.%s }}" % c for c in cols},
                                 "matchingColumns": cols[:1],
                                 "schema": [{"id": c, "displayName": c, "required": False, "defaultMatch": False,
                                             "display": True, "type": "string", "canBeUsedToMatch": True}
                                            for c in cols]},
                     "options": {}}, self.Credential("googleSheetsOAuth2Api"), None)
        if short == "merge":
            return ({"mode": "combine", "combineBy": rng.choice(("combineByPosition", "combineByFields")),
                     "options": {}}, None, None)
        if short in ("agent", "chainLlm"):
            p = {"promptType": "define", "text": "={{ $json.%s }}" % rng.choice(("chatInput", "text", "body")),
                 "options": {"systemMessage": "=" + self.Paragraph(1, 2)}}
            if rng.random() < 0.3:
                p["hasOutputParser"] = True
            return (p, None, ("options", "systemMessage"))
        if short in ("noOp", "manualTrigger"):
            return ({}, None, None)
        if short in ("telegram", "telegramTrigger"):
            if short == "telegramTrigger":
                return ({"updates": ["message"], "additionalFields": {}}, self.Credential("telegramApi"), None)
            return ({"chatId": "={{ $json.message.chat.id }}", "text": "=%s {{ $json.%s }}" % (self.Sentence(), f),
                     "additionalFields": {"parse_mode": "HTML", "appendAttribution": False}},
                    self.Credential("telegramApi"), ("text",))
        if short == "splitOut":
            return ({"fieldToSplitOut": f, "options": {}}, None, None)
        if short in ("googleDrive", "extractFromFile"):
            return ({"operation": rng.choice(("download", "upload", "pdf")), "fileId": self.ResourceLocator("id"),
                     "options": {}}, self.Credential("googleDriveOAuth2Api") if short == "googleDrive" else None, None)
        if short == "openAi":
            return ({"modelId": {"__rl": True, "value": "gpt-4o-mini", "mode": "list", "cachedResultName": "GPT-4O-MINI"},
                     "messages": {"values": [{"content": "=%s\n\n{{ $json.%s }}" % (self.Paragraph(1, 3), f)}]},
                     "options": {}}, self.Credential("openAiApi"), None)
        if short in ("gmail", "emailSend"):
            return ({"sendTo": "={{ $json.email }}", "subject": "=%s {{ $json.%s }}" % (self.Sentence(2, 6), f),
                     "message": "=" + self.Paragraph(1, 3), "options": {"appendAttribution": False}},
                    self.Credential("gmailOAuth2" if short == "gmail" else "smtp"), ("message",))
        if short == "respondToWebhook":
            return ({"respondWith": "json", "responseBody": "={\n  \"ok\": true,\n  \"%s\": \"{{ $json.%s }}\"\n}" % (f, f),
                     "options": {}}, None, None)
        if short == "splitInBatches":
            return ({"batchSize": rng.choice((1, 5, 10, 50)), "options": {}}, None, None)
        if short == "memoryBufferWindow":
            return ({"sessionIdType": "customKey", "sessionKey": "={{ $json.sessionId }}",
                     "contextWindowLength": rng.choice((5, 10, 20))}, None, None)
        if short == "switch":
            n = rng.choice((2, 2, 3))
            return ({"rules": {"values": [{"conditions": {
                "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict", "version": 2},
                "conditions": [{"leftValue": "={{ $json.%s }}" % f, "rightValue": rng.choice(kWords),
                                "operator": {"type": "string", "operation": "equals"}, "id": self.Uuid()}],
                "combinator": "and"}} for _ in range(n)]},
                "options": {}}, None, None)
        if short == "slack":
            return ({"select": "channel", "channelId": self.ResourceLocator(),
                     "text": "=%s {{ $json.%s }}" % (self.Sentence(), f), "otherOptions": {}},
                    self.Credential("slackApi"), ("text",))
        if short in ("airtable", "notion"):
            return ({"operation": rng.choice(("create", "search", "update")), "base": self.ResourceLocator(),
                     "table": self.ResourceLocator(), "columns": {"mappingMode": "autoMapInputData", "value": {}},
                     "options": {}}, self.Credential("airtableTokenApi" if short == "airtable" else "notionApi"), None)
        if short == "aggregate":
            return ({"aggregate": "aggregateAllItemData", "destinationFieldName": f, "options": {}}, None, None)
        if short == "wait":
            return ({"amount": rng.choice((1, 2, 5, 30))}, None, None)
        if short in ("toolHttpRequest", "toolWorkflow"):
            return ({"toolDescription": self.Paragraph(1, 2), "url": "https://api.example.com/%s" % g,
                     "sendQuery": True, "parametersQuery": {"values": [{"name": f}]}}, None, ("toolDescription",))
        if short == "outputParserStructured":
            props = {c: {"type": "string", "description": self.Sentence(3, 7)} for c in rng.sample(kFields, 3)}
            return ({"schemaType": "manual", "inputSchema": json.dumps(
                {"type": "object", "properties": props}, indent=2)}, None, None)
        if short == "html":
            return ({"operation": "extractHtmlContent", "extractionValues": {"values": [
                {"key": c, "cssSelector": "div.%s > span" % c, "returnValue": "text"} for c in rng.sample(kFields, 3)]},
                "options": {"trimValues": True, "cleanUpText": True}}, None, None)
        if short == "executeWorkflow":
            return ({"workflowId": self.ResourceLocator("id"), "options": {"waitForSubWorkflow": True}}, None, None)
        if short == "embeddingsOpenAi":
            return ({"options": {}}, self.Credential("openAiApi"), None)
        if short in ("postgres", "redis"):
            return ({"operation": "executeQuery", "query": "SELECT %s, %s FROM %s WHERE %s = $1 LIMIT 100" % (
                f, g, rng.choice(kObjects).lower(), f), "options": {}},
                self.Credential("postgres" if short == "postgres" else "redis"), None)
        if short == "webhook":
            return ({"httpMethod": "POST", "path": self.Uuid(), "responseMode": "responseNode", "options": {}},
                    None, None)
        if short in ("scheduleTrigger", "cron"):
            return ({"rule": {"interval": [{"field": "hours", "hoursInterval": rng.choice((1, 6, 12, 24))}]}},
                    None, None)
        if short in ("chatTrigger", "formTrigger", "executeWorkflowTrigger"):
            if short == "formTrigger":
                return ({"formTitle": self.Sentence(2, 5), "formDescription": self.Sentence(),
                         "formFields": {"values": [{"fieldLabel": c, "requiredField": True}
                                                   for c in rng.sample(kFields, 3)]}, "options": {}}, None, None)
            return ({"options": {}}, None, None)
        # Long tail: generic app node.
        return ({"resource": rng.choice(("contact", "deal", "issue", "message", "file", "record")),
                 "operation": rng.choice(("create", "get", "getAll", "update")),
                 "additionalFields": {c: "={{ $json.%s }}" % c for c in rng.sample(kFields, rng.randint(0, 4))}},
                self.Credential(short + "Api") if rng.random() < 0.6 else None, None)

    def Node(self, ntype, version, x, y):
        short = ntype.rsplit(".", 1)[1]
        base = kDisplayNames.get(short, short[:1].upper() + short[1:])
        if short not in ("stickyNote", "noOp") and "Trigger" not in short and self.rng.random() < 0.45:
            base = "%s %s" % (self.rng.choice(kVerbs), self.rng.choice(kObjects))
        params, creds, pad = self.Parameters(ntype)
        node = {"parameters": params, "id": self.Uuid(), "name": self.UniqueName(base), "type": ntype,
                "typeVersion": version, "position": [x, y]}
        if creds:
            node["credentials"] = creds
        if short in ("webhook", "telegramTrigger", "telegram", "formTrigger", "chatTrigger", "wait"):
            node["webhookId"] = self.Uuid()
        return node, pad

    def Workflow(self, n_nodes, target_bytes):
        rng = self.rng
        trig = rng.choices(kTriggers, weights=[t[2] for t in kTriggers])[0]
        types = [(t[0], t[1]) for t in kNodeTypes]
        weights = [t[2] for t in kNodeTypes]
        for app in kTailApps:
            types.append(("n8n-nodes-base." + app, rng.choice((1, 2, 2.1))))
            weights.append(kTailPercent / len(kTailApps))
        picks = [(trig[0], trig[1])] + rng.choices(types, weights=weights, k=n_nodes - 1)
        # AI sub-nodes need a root: the first sub-node without an earlier root becomes an agent.
        has_root = False
        for i, (t, _) in enumerate(picks):
            if t in kAiRoots:
                has_root = True
            elif t in kAiSubNodes and not has_root:
                picks[i] = ("@n8n/n8n-nodes-langchain.agent", 1.7)
                has_root = True

        nodes, pads, main, roots, connections = [], [], [], [], {}
        x = 0
        for t, v in picks:
            if t.endswith("stickyNote"):
                node, pad = self.Node(t, v, rng.randrange(-400, 220 * n_nodes, 20), rng.randrange(-600, -120, 20))
            elif t in kAiSubNodes:
                node, pad = self.Node(t, v, x - 200 + rng.randrange(0, 400, 20), 240 + rng.randrange(0, 200, 20))
            else:
                x += 220
                node, pad = self.Node(t, v, x, rng.randrange(-200, 200, 20))
            nodes.append(node)
            if pad:
                pads.append((node, pad))
            if t in kAiSubNodes:
                root = rng.choice(roots)  # picks guarantee a root before any sub-node
                connections[node["name"]] = {kAiSubNodes[t]: [[{"node": root, "type": kAiSubNodes[t],
                                                                "index": 0}]]}
                continue
            if t.endswith("stickyNote"):
                continue
            if main:
                src = main[-1] if rng.random() < 0.8 else rng.choice(main)
                src_type = next(nd["type"] for nd in nodes if nd["name"] == src)
                n_out = kOutputs.get(src_type, 1)
                if src_type.endswith(".switch"):
                    n_out = len(next(nd for nd in nodes if nd["name"] == src)["parameters"]["rules"]["values"])
                out = rng.randrange(n_out)
                index = rng.randrange(2) if t.endswith(".merge") else 0
                buckets = connections.setdefault(src, {}).setdefault("main", [])
                while len(buckets) <= out:
                    buckets.append([])
                buckets[out].append({"node": node["name"], "type": "main", "index": index})
            main.append(node["name"])
            if t in kAiRoots:
                roots.append(node["name"])
        wf = {"name": self.name, "nodes": nodes, "pinData": {}, "connections": connections,
              "active": rng.random() < 0.3, "settings": {"executionOrder": "v1"}, "versionId": self.Uuid(),
              "meta": {"templateCredsSetupCompleted": True,
                       "instanceId": "%064x" % rng.getrandbits(256)},
              "id": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                            for _ in range(16)),
              "tags": []}
        # Grow the padable texts (code, sticky notes, prompts, messages) until the file has its target size.
        text = Dump(wf)
        if not pads and len(text) < target_bytes:
            victim = next((nd for nd in nodes[1:] if not nd["type"].endswith("stickyNote")), nodes[-1])
            victim["notes"] = ""
            victim["notesInFlow"] = True
            pads.append((victim, ("notes",)))
        for _ in range(4):
            deficit = target_bytes - len(text)
            if deficit < 64:
                break
            share = deficit // len(pads)
            for node, path in pads:
                holder = node if path == ("notes",) else node["parameters"]
                for key in path[:-1]:
                    holder = holder[key]
                is_code = path[-1] in ("jsCode", "functionCode")
                extra = self.JsCode(int(share * 0.93)) if is_code else self.Markdown(int(share * 0.95))
                holder[path[-1]] = (holder[path[-1]] + "\n" + extra) if holder[path[-1]] else extra
            text = Dump(wf)
        return text


def Dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False)


def MakeBundle(seed, index):
    rng = random.Random("%s:%d" % (seed, index))
    b = Bundle(rng, index)
    n_nodes = rng.choices(list(kNodeCountHistogram), weights=list(kNodeCountHistogram.values()))[0]
    per_node = kBytesPerNodeMedian * math.exp(rng.gauss(0, kBytesPerNodeSigma))
    has_readme = rng.random() < 0.85
    meta_and_readme = 300 + (700 if has_readme else 0)
    # workflow.json: node count times per-node size; the bundle total stays within 2-40 KB.
    target = int(min(max(n_nodes * per_node * kWorkflowShare, kMinBundleBytes - meta_and_readme + 200),
                     kMaxBundleBytes - meta_and_readme - 2000))
    category = rng.choice(sorted(kCategories))
    service = rng.choice(kCategories[category])
    b.name = "%s %s %s" % (rng.choice(kVerbs), rng.choice(kObjects), rng.choice(
        ("to Slack", "from Gmail", "with OpenAI", "in Google Sheets", "via Webhook", "to Notion", "daily",
         "for new leads", "and notify the team", "with an AI agent", "on schedule")))
    workflow = b.Workflow(n_nodes, target)
    categories = [category.capitalize(), service.replace("-", " ").title()]
    meta = {"categories": categories, "author": rng.choice(kAuthors),
            "tags": sorted(rng.sample(kTags, rng.randint(1, 4))), "description": b.Sentence(8, 24),
            "version": "1.%d.%d" % (rng.randint(0, 4), rng.randint(0, 9)),
            "created": "20%02d-%02d-%02d" % (rng.randint(22, 25), rng.randint(1, 12), rng.randint(1, 28))}
    files = {"workflow.json": workflow + "\n", "meta.json": Dump(meta) + "\n"}
    if has_readme:
        readme = ["# %s" % b.name, "", b.Paragraph(1, 2), "", "## How it works", ""]
        readme += ["%d. **%s**: %s" % (i + 1, nd["name"], b.Sentence(4, 10))
                   for i, nd in enumerate(json.loads(workflow)["nodes"][:5])]
        readme += ["", "## Setup", "", b.Sentence(), "", "Credentials: " + (", ".join(sorted({
            c for nd in json.loads(workflow)["nodes"] for c in nd.get("credentials", {})})) or "none"), ""]
        files["README.md"] = "\n".join(readme)
    rel = os.path.join(category, service, "%05d-%s" % (index, Slug(b.name)))
    return rel, files


def Generate(n, outdir, seed):
    total = 0
    for i in range(n):
        rel, files = MakeBundle(seed, i)
        folder = os.path.join(outdir, rel)
        os.makedirs(folder, exist_ok=True)
        for name, text in files.items():
            data = text.encode("utf-8")
            total += len(data)
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    print(json.dumps({"mode": "generate", "count": n, "bytes": total}))


def Workflows(root):
    """Sorted workflow keys under root: bundle folders, else standalone *.json files."""
    found = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        if "workflow.json" in files:
            found.append(os.path.relpath(d, root))
            dirs[:] = []
            continue
        for name in sorted(files):
            if name.endswith(".json"):
                found.append(os.path.relpath(os.path.join(d, name), root))
    return sorted(found)


def Pick(root, pct, seed, salt):
    items = Workflows(root)
    count = max(1, round(len(items) * pct / 100.0)) if items else 0
    return random.Random("%s:%s" % (seed, salt)).sample(items, count)


def Mutate(root, pct, seed):
    """Edits one node of each picked workflow the way a person would in the editor."""
    done = 0
    for rel in Pick(root, pct, seed, "mutate"):
        path = os.path.join(root, rel)
        if os.path.isdir(path):
            path = os.path.join(path, "workflow.json")
        with open(path, "rb") as f:
            raw = f.read()
        try:
            wf = json.loads(raw)
        except ValueError:
            continue
        rng = random.Random("%s:mutate:%s" % (seed, rel))
        if isinstance(wf, dict) and isinstance(wf.get("nodes"), list) and wf["nodes"]:
            node = rng.choice(wf["nodes"])
            if isinstance(node, dict):
                pos = node.get("position")
                if isinstance(pos, list) and len(pos) == 2 and all(isinstance(p, (int, float)) for p in pos):
                    node["position"] = [pos[0] + 40, pos[1] + 20]
                params = node.setdefault("parameters", {})
                if isinstance(params, dict):
                    params["options"] = dict(params.get("options") or {}, batchInterval=rng.randint(100, 5000))
            wf["versionId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            new = (Dump(wf) + "\n").encode("utf-8")
        else:
            new = raw + b"\n"  # not a workflow object: still a content change
        if new == raw:
            continue
        with open(path, "wb") as f:
            f.write(new)
        done += 1
    print(json.dumps({"mode": "mutate", "count": done}))


def Delete(root, pct, seed):
    victims = Pick(root, pct, seed, "delete")
    for rel in victims:
        path = os.path.join(root, rel)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    print(json.dumps({"mode": "delete", "count": len(victims)}))


def Rename(root, pct, seed):
    """Moves each picked workflow to another folder (bundles: a new category; files: a new folder)."""
    victims = Pick(root, pct, seed, "rename")
    for rel in victims:
        src = os.path.join(root, rel)
        dst = os.path.join(root, "renamed", rel.replace(os.sep, "--"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.rename(src, dst)
    print(json.dumps({"mode": "rename", "count": len(victims)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("args", nargs="+", help="N OUTDIR, or ROOT with --mutate/--delete/--rename")
    parser.add_argument("--seed", default="1")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--mutate", type=float, metavar="PCT")
    group.add_argument("--delete", type=float, metavar="PCT")
    group.add_argument("--rename", type=float, metavar="PCT")
    opts = parser.parse_args()
    for mode, fn in (("mutate", Mutate), ("delete", Delete), ("rename", Rename)):
        pct = getattr(opts, mode)
        if pct is not None:
            if len(opts.args) != 1:
                parser.error("--%s takes exactly one ROOT" % mode)
            fn(opts.args[0], pct, opts.seed)
            return 0
    if len(opts.args) != 2 or not opts.args[0].isdigit():
        parser.error("expected N OUTDIR")
    Generate(int(opts.args[0]), opts.args[1], opts.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
