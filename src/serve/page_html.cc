// The page itself: HTML, CSS and JavaScript in one raw string, so the
// binary serves it with nothing else to install and no build step.
#include "serve/page.h"

namespace flowsync::serve {

std::string_view PageHtml() {
  static constexpr std::string_view kPage = R"page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flowsync</title>
<style>
:root { --fg: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --bg2: #f4f4f4; --accent: #0b57d0;
        --add: #e6ffec; --del: #ffebe9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--fg); margin: 0; }
header { display: flex; align-items: center; gap: 1.5rem; padding: .5rem 1rem;
         border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.2rem; margin: 0; }
nav a { margin-right: 1rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f6b100; outline-offset: 1px; }
main { padding: 1rem; max-width: 1400px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--bg2); }
.muted { color: var(--muted); }
.status-completed { color: #137333; } .status-failed, .status-timeout { color: #b3261e; }
.status-running { color: #0b57d0; } .status-pending { color: #7a5c00; }
form.inline { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; margin: .5rem 0 1rem; }
form.inline label { display: flex; flex-direction: column; font-size: .9rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
#graph { border: 1px solid var(--line); background: #fcfcfc; width: 100%; overflow: auto; }
#graph svg { display: block; }
.node rect { fill: #fff; stroke: #5a5a5a; rx: 6; }
.node text { font-size: 12px; }
.edge { fill: none; stroke: #8a8a8a; stroke-width: 1.5; }
.diff { font: 12px/1.35 ui-monospace, monospace; table-layout: fixed; }
.diff td { border: 0; white-space: pre-wrap; word-break: break-all; padding: 0 .4rem; }
.diff td.n { color: var(--muted); text-align: right; }
.diff col.n { width: 3.5rem; }
main:focus { outline: none; }
.diff td.del { background: var(--del); } .diff td.add { background: var(--add); }
.diff tr.hunk td { background: var(--bg2); color: var(--muted); }
pre { background: var(--bg2); padding: .5rem; overflow: auto; max-height: 20rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
</style>
</head>
<body>
<a class="sr-only" href="#main">Skip to content</a>
<header>
<h1>flowsync</h1>
<nav aria-label="Sections">
<a href="#/">Workflows</a><a href="#/executions">Executions</a><a href="#/phases">Phases</a>
<a href="/logout">Sign out</a>
</nav>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="announce" class="sr-only" aria-live="polite"></div>
<script>
"use strict";
const main = document.getElementById("main");
let timer = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) if (c != null) e.append(c);
  return e;
}
async function api(path, options) {
  const r = await fetch(path, Object.assign({credentials: "same-origin"}, options || {}));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
  return body;
}
function show(...children) {
  main.replaceChildren(...children);
}
function problem(e) {
  return el("p", {role: "alert", text: "Error: " + e.message});
}
function announce(text) { document.getElementById("announce").textContent = text; }

// ---- Workflow list --------------------------------------------------------------
async function listPage(params) {
  const q = params.get("q") || "", category = params.get("category") || "";
  const input = el("input", {id: "search", type: "search", name: "q", value: q});
  const cat = el("input", {id: "category", name: "category", value: category});
  const form = el("form", {class: "inline", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = "#/?q=" + encodeURIComponent(input.value) +
                    (cat.value ? "&category=" + encodeURIComponent(cat.value) : "");
  }}, el("label", {for: "search"}, "Search names and paths", input),
      el("label", {for: "category"}, "Category", cat),
      el("button", {type: "submit", text: "Search"}));
  const table = el("table", {id: "workflow-list"});
  show(el("h2", {text: "Workflows"}), form, table);
  try {
    const data = await api("/api/v1/workflows?limit=500&q=" + encodeURIComponent(q) +
                           (category ? "&category=" + encodeURIComponent(category) : ""));
    table.append(el("caption", {class: "sr-only", text: "Workflows"}),
                 el("thead", {}, el("tr", {}, ...["Name", "Path", "Categories", "Format", "Version", "Updated"]
                     .map((t) => el("th", {scope: "col", text: t})))));
    const body = el("tbody");
    for (const w of data.workflows) {
      body.append(el("tr", {}, el("td", {}, el("a", {href: "#/w/" + w.id, text: w.name || w.path})),
                     el("td", {text: w.path}),
                     el("td", {}, ...w.categories.map((c) => el("a", {href: "#/?category=" +
                         encodeURIComponent(c), text: c + " "}))),
                     el("td", {text: w.format}),
                     el("td", {text: String(w.version)}), el("td", {text: w.updated_at})));
    }
    table.append(body);
    announce(data.total + " workflows");
  } catch (e) { table.replaceWith(problem(e)); }
}

// ---- A workflow -------------------------------------------------------------------
function graphOf(content) {
  let doc;
  try { doc = JSON.parse(content); } catch (e) { return null; }
  if (Array.isArray(doc)) doc = doc[0];
  if (!doc || !Array.isArray(doc.nodes)) return null;
  const W = 170, H = 48, pad = 30;
  const pos = {};
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  doc.nodes.forEach((n, i) => {
    const p = Array.isArray(n.position) ? n.position : [i * 220, 0];
    pos[n.name] = p;
    minX = Math.min(minX, p[0]); minY = Math.min(minY, p[1]);
    maxX = Math.max(maxX, p[0]); maxY = Math.max(maxY, p[1]);
  });
  if (!doc.nodes.length) { minX = minY = maxX = maxY = 0; }
  const tx = (x) => x - minX + pad, ty = (y) => y - minY + pad;
  const width = maxX - minX + W + 2 * pad, height = maxY - minY + H + 2 * pad;
  const root = svg("svg", {width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                           "aria-label": `Graph of ${doc.nodes.length} nodes`});
  const edges = svg("g", {});
  let edgeCount = 0;
  for (const [from, outputs] of Object.entries(doc.connections || {})) {
    for (const list of Object.values(outputs || {})) {
      for (const targets of list || []) {
        for (const t of targets || []) {
          const a = pos[from], b = pos[t && t.node];
          if (!a || !b) continue;
          const x1 = tx(a[0]) + W, y1 = ty(a[1]) + H / 2, x2 = tx(b[0]), y2 = ty(b[1]) + H / 2;
          const mid = (x1 + x2) / 2;
          edges.append(svg("path", {class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`},
                           svg("title", {}, `${from} → ${t.node}`)));
          ++edgeCount;
        }
      }
    }
  }
  root.append(edges);
  for (const n of doc.nodes) {
    const p = pos[n.name];
    const type = String(n.type || "").replace(/^.*\./, "");
    root.append(svg("g", {class: "node", transform: `translate(${tx(p[0])},${ty(p[1])})`},
      svg("title", {}, `${n.name} (${n.type})`),
      svg("rect", {width: W, height: H}),
      svg("text", {x: 8, y: 20}, String(n.name).slice(0, 24)),
      svg("text", {x: 8, y: 38, fill: "#5a5a5a"}, type.slice(0, 26))));
  }
  root.dataset.nodes = doc.nodes.length;
  root.dataset.edges = edgeCount;
  return root;
}

function sideBySide(unified) {
  const table = el("table", {class: "diff", id: "diff-table"});
  table.append(el("caption", {class: "sr-only", text: "Side-by-side difference"}),
               el("colgroup", {}, el("col", {class: "n"}), el("col", {}), el("col", {class: "n"}),
                  el("col", {})),
               el("thead", {}, el("tr", {}, el("th", {scope: "col", text: "old"}),
                  el("th", {scope: "col", text: "Before"}), el("th", {scope: "col", text: "new"}),
                  el("th", {scope: "col", text: "After"}))));
  const body = el("tbody");
  let l = 0, r = 0, dels = [], adds = [];
  const flush = () => {
    const n = Math.max(dels.length, adds.length);
    for (let i = 0; i < n; ++i) {
      const d = dels[i], a = adds[i];
      body.append(el("tr", {}, el("td", {class: "n", text: d ? String(d[0]) : ""}),
        el("td", {class: d ? "del" : "", text: d ? d[1] : ""}),
        el("td", {class: "n", text: a ? String(a[0]) : ""}),
        el("td", {class: a ? "add" : "", text: a ? a[1] : ""})));
    }
    dels = []; adds = [];
  };
  for (const line of unified.split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++")) continue;
    const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (m) {
      flush(); l = +m[1]; r = +m[2];
      body.append(el("tr", {class: "hunk"}, el("td", {colspan: "4", text: line})));
    } else if (line.startsWith("-")) dels.push([l++, line.slice(1)]);
    else if (line.startsWith("+")) adds.push([r++, line.slice(1)]);
    else if (line.startsWith(" ")) {
      flush();
      body.append(el("tr", {}, el("td", {class: "n", text: String(l++)}), el("td", {text: line.slice(1)}),
                     el("td", {class: "n", text: String(r++)}), el("td", {text: line.slice(1)})));
    }
  }
  flush();
  table.append(body);
  return table;
}

async function workflowPage(id) {
  try {
    const [w, versions] = await Promise.all([api("/api/v1/workflows/" + id),
                                             api(`/api/v1/workflows/${id}/versions`)]);
    const graph = el("div", {id: "graph"});
    const g = graphOf(w.content);
    graph.append(g || el("pre", {text: w.content}));
    const vlist = versions.versions;
    const opts = (sel) => vlist.map((v) => {
      const o = el("option", {value: String(v.version), text: `${v.version} (${v.valid_from})`});
      if (v.version === sel) o.selected = true;
      return o;
    });
    const cur = vlist.length ? vlist[vlist.length - 1].version : 1;
    const from = el("select", {id: "diff-from"}, ...opts(Math.max(1, cur - 1)));
    const to = el("select", {id: "diff-to"}, ...opts(cur));
    const diffBox = el("div", {id: "diff"});
    const loadDiff = async () => {
      diffBox.replaceChildren(el("p", {text: "Loading…"}));
      try {
        const d = await api(`/api/v1/workflows/${id}/diff?from=${from.value}&to=${to.value}`);
        const summary = el("ul", {id: "diff-summary"});
        for (const n of d.nodes) summary.append(el("li", {text: `${n.state}: ${n.name}` +
            (n.changed_paths.length ? " (" + n.changed_paths.join(", ") + ")" : "")}));
        for (const e of d.edges_added) summary.append(el("li", {text: "connection added: " + e}));
        for (const e of d.edges_removed) summary.append(el("li", {text: "connection removed: " + e}));
        diffBox.replaceChildren(d.equal ? el("p", {text: "No difference."}) : summary,
                                d.equal ? "" : sideBySide(d.unified));
      } catch (e) { diffBox.replaceChildren(problem(e)); }
    };
    const vt = el("table", {id: "versions"}, el("thead", {}, el("tr", {},
      ...["Version", "Name", "Path", "From", "Replaced"].map((t) => el("th", {scope: "col", text: t})))));
    const vb = el("tbody");
    for (const v of vlist.slice().reverse()) {
      vb.append(el("tr", {}, el("td", {text: String(v.version) + (v.current ? " (current)" : "")}),
        el("td", {text: v.name}), el("td", {text: v.path}), el("td", {text: v.valid_from}),
        el("td", {text: v.replaced_at || ""})));
    }
    vt.append(vb);
    show(el("p", {}, el("a", {href: "#/", text: "← Workflows"})),
         el("h2", {id: "workflow-name", text: w.name || w.path}),
         el("p", {class: "muted", text: `${w.path} · ${w.format} · version ${w.version} · id ${w.id}`}),
         el("h3", {text: "Graph"}), graph,
         el("h3", {text: "Versions"}), vt,
         el("h3", {text: "Differences"}),
         el("form", {class: "inline", onsubmit: (ev) => { ev.preventDefault(); loadDiff(); }},
            el("label", {for: "diff-from"}, "From version", from),
            el("label", {for: "diff-to"}, "To version", to),
            el("button", {type: "submit", id: "diff-show", text: "Compare"})),
         diffBox);
    if (vlist.length > 1) loadDiff();
    main.focus();
  } catch (e) { show(problem(e)); }
}

// ---- Executions -------------------------------------------------------------------
async function executionsPage() {
  const task = el("input", {id: "start-task", name: "task", required: "", placeholder: "topic:job"});
  const result = el("p", {id: "start-result", role: "status"});
  const form = el("form", {class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const e = await api("/api/v1/executions", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({task: task.value})});
      result.textContent = `Execution ${e.id} of ${e.task} is ${e.status}.`;
      refresh();
    } catch (e) { result.textContent = "Error: " + e.message; }
  }}, el("label", {for: "start-task"}, "Task to start", task),
      el("button", {type: "submit", id: "start-button", text: "Start"}));
  const table = el("table", {id: "executions"});
  const detail = el("div", {id: "execution-detail"});
  show(el("h2", {text: "Executions"}), form, result, table, detail);
  async function refresh() {
    try {
      const data = await api("/api/v1/executions?limit=100");
      const head = el("thead", {}, el("tr", {}, ...["ID", "Task", "Status", "Trigger", "Attempts",
        "Created", "Finished"].map((t) => el("th", {scope: "col", text: t}))));
      const body = el("tbody");
      for (const e of data.executions) {
        body.append(el("tr", {"data-id": String(e.id), "data-status": e.status},
          el("td", {}, el("a", {href: "#/executions/" + e.id, text: String(e.id)})),
          el("td", {text: e.task}), el("td", {class: "status-" + e.status, text: e.status}),
          el("td", {text: e.trigger}), el("td", {text: `${e.attempt}/${e.max_attempts}`}),
          el("td", {text: e.created_at}), el("td", {text: e.finished_at || ""})));
      }
      table.replaceChildren(el("caption", {class: "sr-only", text: "Executions, newest first"}),
                            head, body);
    } catch (e) { table.replaceChildren(el("caption", {}, problem(e))); }
  }
  await refresh();
  timer = setInterval(refresh, 1000);
}

async function executionPage(id) {
  try {
    const e = await api("/api/v1/executions/" + id);
    const items = [el("p", {}, el("a", {href: "#/executions", text: "← Executions"})),
      el("h2", {text: `Execution ${e.id}: ${e.task}`}),
      el("p", {id: "execution-status", class: "status-" + e.status, text: e.status +
        (e.error ? " (" + e.error + ")" : "")}),
      el("p", {class: "muted", text: `info ${e.info} · meta ${e.meta}`})];
    for (const a of e.attempts) {
      items.push(el("h3", {text: `Attempt ${a.attempt}: ${a.outcome}`}),
                 el("p", {class: "muted", text: `${a.owner} · ${a.started_at} → ${a.finished_at || ""}`}),
                 el("h4", {text: "stdout"}), el("pre", {text: a.stdout}),
                 el("h4", {text: "stderr"}), el("pre", {text: a.stderr}));
    }
    show(...items);
    if (e.status === "pending" || e.status === "running") {
      timer = setTimeout(() => executionPage(id), 1000);
    }
  } catch (err) { show(problem(err)); }
}

// ---- Phases -----------------------------------------------------------------------
// The phases of every file as a layered graph: a phase one column right of
// the phase it runs after (dependsOn names a task or its topic).
function phaseGraph(files) {
  const W = 170, H = 40, GX = 60, GY = 16, pad = 20;
  const nodes = [];
  for (const f of files) for (const p of f.phases) {
    const n = {file: f.file, task: p.task, dep: p.depends_on, depth: 0, row: 0};
    nodes.push(n);
  }
  const parentOf = (n) => n.dep ? nodes.find((m) => m.file === n.file && m !== n &&
      (m.task === n.dep || m.task.split(":")[0] === n.dep)) : null;
  for (let round = 0; round < nodes.length; ++round) {
    let moved = false;
    for (const n of nodes) {
      const p = parentOf(n);
      if (p && n.depth !== p.depth + 1 && p.depth + 1 < nodes.length) { n.depth = p.depth + 1; moved = true; }
    }
    if (!moved) break;
  }
  const rows = {};
  for (const n of nodes) n.row = rows[n.depth] = (rows[n.depth] === undefined ? 0 : rows[n.depth] + 1);
  const cols = Math.max(1, ...nodes.map((n) => n.depth + 1));
  const height = Math.max(1, ...Object.values(rows).map((r) => r + 1));
  const width = cols * (W + GX) + 2 * pad, h = height * (H + GY) + 2 * pad;
  const root = svg("svg", {width, height: h, viewBox: `0 0 ${width} ${h}`, role: "img",
                           "aria-label": `Phase dependencies: ${nodes.length} phases`});
  const x = (n) => pad + n.depth * (W + GX), y = (n) => pad + n.row * (H + GY);
  for (const n of nodes) {
    const p = parentOf(n);
    if (!p) continue;
    const x1 = x(p) + W, y1 = y(p) + H / 2, x2 = x(n), y2 = y(n) + H / 2, mid = (x1 + x2) / 2;
    root.append(svg("path", {class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`},
                    svg("title", {}, `${p.task} → ${n.task}`)));
  }
  for (const n of nodes) {
    root.append(svg("g", {class: "node", transform: `translate(${x(n)},${y(n)})`},
      svg("title", {}, `${n.task} (${n.file})`), svg("rect", {width: W, height: H}),
      svg("text", {x: 8, y: 17}, n.task.slice(0, 24)),
      svg("text", {x: 8, y: 33, fill: "#5a5a5a"}, n.file.slice(-26))));
  }
  root.dataset.nodes = nodes.length;
  return root;
}

async function phasesPage() {
  try {
    const data = await api("/api/v1/phases");
    const items = [el("h2", {text: "Phases"})];
    for (const f of data.files) {
      const t = el("table", {}, el("caption", {text: f.file}), el("thead", {}, el("tr", {},
        ...["Task", "Runs after", "Rule", "Template", "Status"].map((x) => el("th", {scope: "col", text: x})))));
      const b = el("tbody");
      for (const p of f.phases) b.append(el("tr", {}, el("td", {text: p.task}), el("td", {text: p.depends_on}),
        el("td", {text: p.rule}), el("td", {text: p.template}), el("td", {text: p.status})));
      t.append(b);
      items.push(t);
    }
    const deps = el("ul", {id: "phase-edges"});
    for (const e of data.edges) deps.append(el("li", {text: `${e.from} → ${e.to} (${e.file})`}));
    items.push(el("h3", {text: "Dependencies"}), el("div", {id: "phase-graph"}, phaseGraph(data.files)),
               deps);
    show(...items);
  } catch (e) { show(problem(e)); }
}

function route() {
  if (timer) { clearInterval(timer); clearTimeout(timer); timer = null; }
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  let m;
  if ((m = /^\/w\/([^/]+)$/.exec(path))) return workflowPage(decodeURIComponent(m[1]));
  if (path === "/executions") return executionsPage();
  if ((m = /^\/executions\/(\d+)$/.exec(path))) return executionPage(m[1]);
  if (path === "/phases") return phasesPage();
  return listPage(params);
}
window.addEventListener("hashchange", route);
route();
</script>
</body>
</html>
)page";
  return kPage;
}

}  // namespace flowsync::serve
