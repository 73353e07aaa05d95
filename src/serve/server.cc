#include "serve/server.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "diff/workflow_diff.h"
#include "phase/file_match.h"
#include "run/phase_task.h"
#include "serve/page.h"
#include "serve/router.h"
#include "serve/signature.h"
#include "source/findings_json.h"
#include "util/hash.h"
#include "util/time_format.h"
#include "util/uuid.h"

namespace flowsync::serve {

using Json = nlohmann::ordered_json;

namespace {

constexpr char kSessionCookie[] = "flowsync_session";
constexpr int64_t kMaxLimit = 1000;
constexpr size_t kMaxIdempotencyKey = 200;
// How far a signed webhook timestamp may be from the server's clock.
constexpr int64_t kMaxClockSkewS = 300;

enum class Access { kNone, kRead, kWrite };

// An answer that is not 2xx, as a value handlers return.
struct HttpError {
  int status;
  std::string code, message;
};

HttpResponse JsonResponse(int status, const Json& j) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

// What a library Status means over HTTP.
HttpError FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return {404, "not_found", s.message()};
    case StatusCode::kInvalidArgument:
      return {400, "bad_request", s.message()};
    case StatusCode::kConflict:
      return {409, "conflict", s.message()};
    case StatusCode::kIOError:
    case StatusCode::kBusy:
      return {503, "database_unavailable", s.message()};
    default:
      return {500, "internal", s.message()};
  }
}

bool SessionBroken(const Status& s) {
  return s.code() == StatusCode::kIOError || s.code() == StatusCode::kBusy;
}

Json OptTimeJson(const std::optional<int64_t>& ms) {
  return ms ? Json(FormatTimestampMs(*ms)) : Json(nullptr);
}
template <typename T>
Json OptJson(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json WorkflowJson(const WorkflowSummary& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"path", s.path},
          {"format", FormatName(s.format)},
          {"version", s.version},
          {"active", s.active},
          {"deleted_at", OptJson(s.deleted_at)},
          {"categories", s.categories},
          {"content_hash", s.content_hash},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at}};
}

Json VersionEntryJson(const WorkflowVersion& v) {
  return {{"version", v.version},
          {"path", v.path},
          {"name", v.name},
          {"content_hash", v.content_hash},
          {"valid_from", v.valid_from},
          {"replaced_at", OptJson(v.replaced_at)},
          {"current", v.current}};
}

Json RunJson(const RunRecord& run) {
  const RunCounts& c = run.counts;
  return {{"id", run.id},
          {"mode", run.mode},
          {"root", run.root},
          {"started_at", run.started_at},
          {"finished_at", run.finished_at},
          {"added", c.added},
          {"updated", c.updated},
          {"renamed", c.renamed},
          {"deleted", c.deleted},
          {"restored", c.restored},
          {"unchanged", c.unchanged},
          {"errors", c.errors}};
}

Json ExecutionEntryJson(const Execution& e) {
  return {{"id", e.id},
          {"task", e.Task()},
          {"workflow", e.workflow},
          {"status", ExecutionStatusName(e.status)},
          {"trigger", TriggerName(e.trigger)},
          {"attempt", e.attempt},
          {"max_attempts", e.max_attempts},
          {"task_time", OptTimeJson(e.task_time_ms)},
          {"created_at", FormatTimestampMs(e.created_at_ms)},
          {"started_at", OptTimeJson(e.started_at_ms)},
          {"finished_at", OptTimeJson(e.finished_at_ms)},
          {"error", OptJson(e.error)},
          {"parent", OptJson(e.parent_id)},
          {"info", e.info},
          {"meta", e.meta}};
}

// A whole number from a query argument, or a 400 naming it.
Result<int64_t> IntParam(const HttpRequest& r, const char* name, int64_t fallback, int64_t min,
                         int64_t max) {
  std::optional<std::string> text = r.Query(name);
  if (!text) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || v < min ||
      v > max) {
    return Status::InvalidArgument(
        fmt::format("{}: expected a number from {} to {}, got '{}'", name, min, max, *text));
  }
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `text` as a query-string value.
std::string QueryEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

HttpResponse ErrorResponse(int status, const std::string& code, const std::string& message) {
  return JsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

// What a route handler gets: the request, its path parameters, the token
// that let it in, and a session of the token's project, borrowed when first
// asked for and given back (or dropped, when broken) after the answer.
struct Server::Request {
  Server& server;
  const HttpRequest& http;
  PathParams params;
  std::optional<ApiToken> token;
  std::string project;
  std::unique_ptr<Session> session;
  bool broken = false;

  Result<Session*> Use() {
    if (!session) {
      FS_TRY_ASSIGN(session, server.Borrow(project));
    }
    return session.get();
  }
  ~Request() {
    if (session && !broken) server.Return(project, std::move(session));
  }
};

using Handler = std::function<Result<HttpResponse>(Server::Request&)>;

struct Server::Routes {
  struct Entry {
    Access access;
    Handler handler;
  };
  Router<Entry> router;
};

Server::Server(ServerOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &SystemClock();
  if (options_.fs == nullptr) options_.fs = &RealFileSystem();
  if (!options_.getenv) {
    options_.getenv = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
  routes_ = std::make_unique<Routes>();
  AddRoutes();
}

Server::~Server() = default;

Result<std::unique_ptr<Server::Session>> Server::Borrow(const std::string& project) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    auto& idle = pool_[project];
    if (!idle.empty()) {
      std::unique_ptr<Session> s = std::move(idle.back());
      idle.pop_back();
      return s;
    }
  }
  auto s = std::make_unique<Session>();
  FS_TRY_ASSIGN(s->store, options_.open_store(project));
  FS_TRY_ASSIGN(s->registry, OpenServeRegistry(*s->store));
  FS_TRY_ASSIGN(s->queue, OpenExecutionQueue(*s->store));
  return s;
}

void Server::Return(const std::string& project, std::unique_ptr<Session> session) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_[project].push_back(std::move(session));
}

std::unique_lock<std::mutex> Server::SerializeWrites(const Session& session) {
  if (session.store->dialect() != SqlDialect::kSqlite) return {};
  return std::unique_lock<std::mutex>(sqlite_write_mu_);
}

Status Server::Prepare() {
  if (options_.root.empty()) return Status::OK();
  return Phases().status();
}

Status Server::NewPhaseGeneration() {
  PhaseGeneration g;
  FS_TRY_ASSIGN(g.store, options_.open_store(options_.project));
  PhaseCacheOptions cache_options;
  cache_options.max_file_size = options_.max_file_size;
  cache_options.clock = options_.clock;
  FS_TRY_ASSIGN(g.cache, OpenPhaseCache(g.store.get(), options_.root, cache_options));
  FS_TRY(g.cache->Refresh().status());
  phases_.store(g.cache.get());
  phase_generations_.push_back(std::move(g));
  return Status::OK();
}

Result<PhaseCache*> Server::Phases() {
  if (options_.root.empty()) {
    return Status::Unsupported(
        "this server has no phase files: start `flowsync serve` with --root TREE");
  }
  if (PhaseCache* cache = phases_.load()) return cache;
  std::lock_guard<std::mutex> lock(phases_mu_);
  if (!phases_.load()) FS_TRY(NewPhaseGeneration());
  return phases_.load();
}

Status Server::RefreshPhases() {
  if (options_.root.empty()) return Status::OK();
  std::lock_guard<std::mutex> lock(phases_mu_);
  PhaseCache* cache = phases_.load();
  if (cache == nullptr) return NewPhaseGeneration();
  Status s = cache->Refresh().status();
  // The database went away: a new session and index; the old index keeps
  // answering lookups until the new one is loaded (and stays alive for the
  // threads that still hold it).
  if (SessionBroken(s)) return NewPhaseGeneration();
  return s;
}

Result<run::SchedulePassReport> Server::RunSchedulerPass(const run::SchedulerOptions& options) {
  FS_TRY_ASSIGN(PhaseCache * cache, Phases());
  FS_TRY_ASSIGN(std::unique_ptr<Session> session, Borrow(options_.project));
  Result<run::SchedulePassReport> report = run::RunSchedulePass(*cache, *session->queue, options);
  if (report.ok() || !SessionBroken(report.status())) Return(options_.project, std::move(session));
  return report;
}

HttpResponse Server::Handle(const HttpRequest& http) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "other";
  HttpResponse response = Route(http, route);
  if (http.method == "HEAD") response.body.clear();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Record(route, http.method, response.status, seconds);
  return response;
}

HttpResponse Server::Route(const HttpRequest& http, std::string& route_label) {
  auto match = routes_->router.Find(http.method, http.path);
  if (match.route != nullptr) route_label = match.route->pattern;
  // Nothing is done with a body over the limit: it was never read.
  if (http.body_too_large) {
    return ErrorResponse(413, "body_too_large",
                         "the request body is over the server's limit (--max-body)");
  }
  if (match.route == nullptr) {
    if (match.allow.empty()) {
      return ErrorResponse(404, "not_found", "no route " + http.path);
    }
    std::string allow;
    for (const std::string& m : match.allow) allow += (allow.empty() ? "" : ", ") + m;
    HttpResponse r =
        ErrorResponse(405, "method_not_allowed", http.method + " is not allowed here: " + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  Request request{*this,   http, std::move(match.params), std::nullopt, options_.project,
                  nullptr, false};
  const Routes::Entry& entry = match.route->handler;
  if (entry.access != Access::kNone) {
    std::optional<std::string> token;
    if (auto auth = http.Header("authorization")) {
      if (Lower(auth->substr(0, 7)) == "bearer ") token = auth->substr(7);
    }
    if (!token) token = http.Cookie(kSessionCookie);
    if (!token || token->empty()) {
      HttpResponse r = ErrorResponse(401, "unauthorized",
                                     "this route needs an API token (Authorization: Bearer "
                                     "TOKEN; `flowsync token create` makes one)");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    Result<std::optional<ApiToken>> found = [&]() -> Result<std::optional<ApiToken>> {
      FS_TRY_ASSIGN(Session * s, request.Use());
      FS_TRY_ASSIGN(std::optional<ApiToken> t, s->registry->FindToken(Sha256Hex(*token)));
      // A write only when the recorded use is a minute old (TouchToken's
      // own condition), so reads do not queue behind SQLite's one writer.
      const int64_t now = options_.clock->NowMs();
      if (t && (!t->last_used_ms || *t->last_used_ms < now - kTokenTouchIntervalMs)) {
        auto writing = SerializeWrites(*s);
        FS_TRY(s->registry->TouchToken(t->sha256, now));
      }
      return t;
    }();
    if (!found.ok()) {
      request.broken = SessionBroken(found.status());
      HttpError e = FromStatus(found.status());
      return ErrorResponse(e.status, e.code, e.message);
    }
    if (!*found) {
      HttpResponse r = ErrorResponse(401, "unauthorized", "unknown API token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    if (entry.access == Access::kWrite && !(*found)->write) {
      return ErrorResponse(403, "forbidden", "this token may only read (token create --write)");
    }
    request.token = std::move(*found);
    if (request.token->project != request.project) {
      // The token's project: a session of its own.
      if (request.session) Return(request.project, std::move(request.session));
      request.project = request.token->project;
    }
  }
  Result<HttpResponse> answer = entry.handler(request);
  if (answer.ok()) return std::move(*answer);
  request.broken = SessionBroken(answer.status());
  HttpError e = FromStatus(answer.status());
  return ErrorResponse(e.status, e.code, e.message);
}

namespace {

Result<WorkflowDetail> FindWorkflowOr404(Server::Session& s, const std::string& id) {
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> d, s.store->catalog().FindWorkflow(id));
  if (!d) return Status::NotFound("no workflow " + id);
  return std::move(*d);
}

Result<int64_t> VersionParam(std::string_view name, const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1) {
    return Status::InvalidArgument(
        fmt::format("{}: expected a version number (1 or more), got '{}'", name, text));
  }
  return v;
}

Result<WorkflowVersion> ReadVersionOr404(Server::Session& s, const std::string& id,
                                         int64_t version) {
  FS_TRY_ASSIGN(std::optional<WorkflowVersion> v, s.store->catalog().ReadVersion(id, version));
  if (!v) return Status::NotFound(fmt::format("workflow {} has no version {}", id, version));
  return std::move(*v);
}

Json DiffJson(const WorkflowDiff& d) {
  Json nodes = Json::array();
  for (const NodeDiff& n : d.nodes) {
    nodes.push_back({{"state", NodeStateName(n.state)},
                     {"name", n.name},
                     {"old_name", n.old_name},
                     {"type", n.type},
                     {"moved", n.moved},
                     {"changed_paths", n.changed_paths}});
  }
  return {{"equal", d.equal},
          {"nodes", std::move(nodes)},
          {"edges_added", d.edges_added},
          {"edges_removed", d.edges_removed},
          {"changed_paths", d.changed_paths},
          {"unified", d.unified}};
}

// The body as a JSON object, or a 400 saying why not.
Result<Json> JsonBody(const HttpRequest& r) {
  if (r.body.empty()) return Json::object();
  Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body: not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  return j;
}

// An optional string member of a JSON body, or a 400 naming it.
Result<std::optional<std::string>> StringField(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Status::InvalidArgument(fmt::format("{}: expected a string", name));
  }
  return std::optional<std::string>(it->get<std::string>());
}

// The members of a JSON object body whose values are strings, numbers or
// booleans, as the template's {meta:NAME} values of a webhook's task. A body
// sent as JSON that is not JSON is a 400 (nothing started); other bodies
// give no values.
Result<phase::QueryValues> PayloadMeta(const HttpRequest& r) {
  phase::QueryValues out;
  const std::string type = Lower(r.Header("content-type").value_or(""));
  const bool says_json = type.find("json") != std::string::npos;
  Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    if (says_json) return Status::InvalidArgument("body: not valid JSON");
    return out;
  }
  if (!j.is_object()) return out;
  for (const auto& [name, value] : j.items()) {
    if (value.is_string()) {
      out.Add(name, value.get<std::string>());
    } else if (value.is_number() || value.is_boolean()) {
      out.Add(name, value.dump());
    }
  }
  return out;
}

}  // namespace

void Server::AddRoutes() {
  auto& r = routes_->router;
  auto add = [&r](const char* method, const char* pattern, Access access, Handler h) {
    r.Add(method, pattern, Routes::Entry{access, std::move(h)});
  };

  add("GET", "/healthz", Access::kNone, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(int64_t cursor, s->store->catalog().ChangeCursor());
    return JsonResponse(200, {{"status", "ok"}, {"change_cursor", cursor}});
  });

  add("GET", "/metrics", Access::kNone, [this](Request&) -> Result<HttpResponse> {
    HttpResponse resp;
    resp.content_type = "text/plain; version=0.0.4";
    resp.body = metrics_.Text();
    return resp;
  });

  // ---- Workflows ----------------------------------------------------------------

  add("GET", "/api/v1/workflows", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    const HttpRequest& h = q.http;
    ListFilter filter;
    std::string status = h.Query("status").value_or("live");
    if (status == "live") {
      filter.deleted = ListFilter::Deleted::kExclude;
    } else if (status == "deleted") {
      filter.deleted = ListFilter::Deleted::kOnly;
    } else if (status == "all") {
      filter.deleted = ListFilter::Deleted::kInclude;
    } else {
      return Status::InvalidArgument("status: expected live, deleted or all, got '" + status + "'");
    }
    filter.category = h.Query("category");
    FS_TRY_ASSIGN(int64_t limit, IntParam(h, "limit", 100, 1, kMaxLimit));
    FS_TRY_ASSIGN(int64_t offset, IntParam(h, "offset", 0, 0, INT64_MAX));
    const std::string prefix = h.Query("prefix").value_or("");
    const std::string needle = Lower(h.Query("q").value_or(""));
    const std::optional<std::string> cursor = h.Query("cursor");
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(std::vector<WorkflowSummary> all, s->store->catalog().ListWorkflows(filter));
    Json items = Json::array();
    int64_t total = 0;
    std::optional<std::string> last;
    bool more = false;
    for (const WorkflowSummary& w : all) {
      if (!prefix.empty() && w.path.compare(0, prefix.size(), prefix) != 0) continue;
      if (!needle.empty() && Lower(w.name).find(needle) == std::string::npos &&
          Lower(w.path).find(needle) == std::string::npos) {
        continue;
      }
      ++total;
      if (cursor && w.path <= *cursor) continue;  // paths are in byte order
      if (!cursor && total <= offset) continue;
      if (static_cast<int64_t>(items.size()) == limit) {
        more = true;
        continue;
      }
      items.push_back(WorkflowJson(w));
      last = w.path;
    }
    return JsonResponse(200, {{"workflows", std::move(items)},
                              {"total", total},
                              {"next_cursor", more ? Json(*last) : Json(nullptr)}});
  });

  add("GET", "/api/v1/workflows/{id}", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(WorkflowDetail d, FindWorkflowOr404(*s, q.params["id"]));
    Json j = WorkflowJson(d.summary);
    Json metadata = Json::parse(d.metadata_json, nullptr, /*allow_exceptions=*/false);
    j["metadata"] = metadata.is_discarded() ? Json::object() : metadata;
    j["documentation"] = d.documentation;
    j["versions"] = d.stored_versions + 1;
    j["findings"] = FindingsJson(d.findings);
    j["content"] = d.content;
    return JsonResponse(200, j);
  });

  add("GET", "/api/v1/workflows/{id}/versions", Access::kRead,
      [](Request& q) -> Result<HttpResponse> {
        FS_TRY_ASSIGN(Session * s, q.Use());
        FS_TRY_ASSIGN(WorkflowDetail d, FindWorkflowOr404(*s, q.params["id"]));
        FS_TRY_ASSIGN(std::vector<WorkflowVersion> versions,
                      s->store->catalog().ListVersions(d.summary.id));
        Json items = Json::array();
        for (const WorkflowVersion& v : versions) items.push_back(VersionEntryJson(v));
        return JsonResponse(200, {{"id", d.summary.id}, {"versions", std::move(items)}});
      });

  add("GET", "/api/v1/workflows/{id}/versions/{version}", Access::kRead,
      [](Request& q) -> Result<HttpResponse> {
        FS_TRY_ASSIGN(int64_t version, VersionParam("version", q.params["version"]));
        FS_TRY_ASSIGN(Session * s, q.Use());
        FS_TRY_ASSIGN(WorkflowDetail d, FindWorkflowOr404(*s, q.params["id"]));
        FS_TRY_ASSIGN(WorkflowVersion v, ReadVersionOr404(*s, d.summary.id, version));
        Json j = VersionEntryJson(v);
        j["id"] = d.summary.id;
        j["format"] = FormatName(d.summary.format);
        j["content"] = v.content;
        j["metadata"] = v.metadata_json;
        j["documentation"] = v.documentation;
        return JsonResponse(200, j);
      });

  add("GET", "/api/v1/workflows/{id}/diff", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(WorkflowDetail d, FindWorkflowOr404(*s, q.params["id"]));
    int64_t to = d.summary.version;
    if (auto t = q.http.Query("to")) {
      FS_TRY_ASSIGN(to, VersionParam("to", *t));
    }
    int64_t from = std::max<int64_t>(1, to - 1);
    if (auto f = q.http.Query("from")) {
      FS_TRY_ASSIGN(from, VersionParam("from", *f));
    }
    FS_TRY_ASSIGN(WorkflowVersion a, ReadVersionOr404(*s, d.summary.id, from));
    FS_TRY_ASSIGN(WorkflowVersion b, ReadVersionOr404(*s, d.summary.id, to));
    WorkflowDiff diff = DiffWorkflows(
        d.summary.format,
        DiffSide{fmt::format("version {}", from), a.content, a.metadata_json, a.documentation},
        DiffSide{fmt::format("version {}", to), b.content, b.metadata_json, b.documentation});
    Json j = DiffJson(diff);
    j["id"] = d.summary.id;
    j["from"] = from;
    j["to"] = to;
    return JsonResponse(200, j);
  });

  // ---- Log and runs ---------------------------------------------------------------

  add("GET", "/api/v1/log", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(int64_t limit, IntParam(q.http, "limit", 50, 1, kMaxLimit));
    FS_TRY_ASSIGN(Session * s, q.Use());
    std::optional<std::string> workflow;
    if (auto w = q.http.Query("workflow")) {
      FS_TRY_ASSIGN(WorkflowDetail d, FindWorkflowOr404(*s, *w));
      workflow = d.summary.id;
    }
    FS_TRY_ASSIGN(std::vector<LogRecord> log, s->store->catalog().ReadLog(limit, workflow));
    Json items = Json::array();
    for (const LogRecord& l : log) {
      items.push_back({{"id", l.id},
                       {"run_id", l.run_id},
                       {"event", SyncEventName(l.event)},
                       {"workflow_id", l.workflow_id},
                       {"path", l.path},
                       {"old_path", l.old_path},
                       {"old_hash", l.old_hash},
                       {"new_hash", l.new_hash},
                       {"message", l.message},
                       {"time", l.time}});
    }
    return JsonResponse(200, {{"log", std::move(items)}});
  });

  add("GET", "/api/v1/sync-runs", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(int64_t limit, IntParam(q.http, "limit", 50, 1, kMaxLimit));
    std::optional<int64_t> before;
    if (q.http.Query("before")) {
      FS_TRY_ASSIGN(int64_t id, IntParam(q.http, "before", 0, 1, INT64_MAX));
      before = id;
    }
    FS_TRY_ASSIGN(Session * s, q.Use());
    // One more than asked: whether there is a next page.
    FS_TRY_ASSIGN(std::vector<RunRecord> runs, s->store->catalog().ListRuns(limit + 1, before));
    const bool more = static_cast<int64_t>(runs.size()) > limit;
    if (more) runs.pop_back();
    Json items = Json::array();
    for (const RunRecord& run : runs) items.push_back(RunJson(run));
    return JsonResponse(200, {{"runs", std::move(items)},
                              {"next_before", more ? Json(runs.back().id) : Json(nullptr)}});
  });

  add("GET", "/api/v1/sync-runs/last", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(std::optional<RunRecord> run, s->store->catalog().LastRun());
    if (!run) return Status::NotFound("no sync run yet");
    return JsonResponse(200, RunJson(*run));
  });

  AddExecutionRoutes();
  AddWebhookRoutes();
  AddPageRoutes();
}

}  // namespace flowsync::serve

namespace flowsync::serve {

std::optional<HttpResponse> Server::OtherProject(const Request& q) const {
  if (q.project == options_.project) return std::nullopt;
  return ErrorResponse(403, "forbidden",
                       "this server runs the phases of project " + options_.project);
}

Result<HttpResponse> Server::ExecutionResponse(Session& s, int64_t id, int status) {
  FS_TRY_ASSIGN(std::optional<ExecutionDetail> d, s.queue->Show(id));
  if (!d) return Status::NotFound(fmt::format("no execution {}", id));
  return JsonResponse(status, ExecutionEntryJson(d->execution));
}

Result<NewExecution> Server::PhaseTaskExecution(const std::string& task_name,
                                                const std::string& workflow, Trigger trigger,
                                                int64_t task_time_ms,
                                                const phase::QueryValues& template_meta) {
  FS_TRY_ASSIGN(PhaseCache * cache, Phases());
  Task task = TaskFromName(task_name);
  std::optional<FoundPhase> found;
  if (!workflow.empty()) {
    std::vector<std::string> keys;
    for (const StoredPhaseFile& f : cache->Files()) keys.push_back(f.key);
    auto key = phase::MatchPhaseFile(workflow, keys);
    if (!key.ok()) return key.status().WithPrefix("workflow");
    task.meta = "workflow=" + *key;
    found = cache->Get(task);
  } else {
    found = cache->Search(task.type, task.job);
  }
  if (!found) return Status::NotFound("no phase runs task '" + task_name + "'");
  run::PhaseTaskOptions options;
  options.trigger = trigger;
  options.run_at_ms = options_.clock->NowMs();
  options.task_time_ms = task_time_ms;
  options.default_timeout_ms = options_.default_timeout_ms;
  options.template_meta = template_meta;
  return run::PhaseExecution(*found, options);
}

void Server::AddExecutionRoutes() {
  auto& r = routes_->router;
  auto add = [&r](const char* method, const char* pattern, Access access, Handler h) {
    r.Add(method, pattern, Routes::Entry{access, std::move(h)});
  };

  add("GET", "/api/v1/executions", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    ExecutionFilter filter;
    FS_TRY_ASSIGN(filter.limit, IntParam(q.http, "limit", 50, 1, kMaxLimit));
    if (auto status = q.http.Query("status")) {
      filter.status = ParseExecutionStatus(*status);
      if (!filter.status) {
        return Status::InvalidArgument(
            "status: expected pending, running, completed, failed, cancelled or timeout, got '" +
            *status + "'");
      }
    }
    filter.topic = q.http.Query("topic");
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(std::vector<Execution> list, s->queue->List(filter));
    Json items = Json::array();
    for (const Execution& e : list) items.push_back(ExecutionEntryJson(e));
    return JsonResponse(200, {{"executions", std::move(items)}});
  });

  add("GET", "/api/v1/executions/{id}", Access::kRead, [](Request& q) -> Result<HttpResponse> {
    FS_TRY_ASSIGN(int64_t id, VersionParam("id", q.params["id"]));
    FS_TRY_ASSIGN(Session * s, q.Use());
    FS_TRY_ASSIGN(std::optional<ExecutionDetail> d, s->queue->Show(id));
    if (!d) return Status::NotFound(fmt::format("no execution {}", id));
    Json j = ExecutionEntryJson(d->execution);
    Json attempts = Json::array();
    for (const AttemptRecord& a : d->attempts) {
      attempts.push_back({{"attempt", a.attempt},
                          {"owner", a.owner},
                          {"outcome", a.outcome},
                          {"started_at", FormatTimestampMs(a.started_at_ms)},
                          {"finished_at", OptTimeJson(a.finished_at_ms)},
                          {"exit_status", OptJson(a.exit_status)},
                          {"error", OptJson(a.error)},
                          {"stdout", a.stdout_tail},
                          {"stderr", a.stderr_tail}});
    }
    j["attempts"] = std::move(attempts);
    return JsonResponse(200, j);
  });

  for (const char* action : {"cancel", "retry"}) {
    const bool cancel = std::string_view(action) == "cancel";
    add("POST", cancel ? "/api/v1/executions/{id}/cancel" : "/api/v1/executions/{id}/retry",
        Access::kWrite, [this, cancel](Request& q) -> Result<HttpResponse> {
          FS_TRY_ASSIGN(int64_t id, VersionParam("id", q.params["id"]));
          FS_TRY_ASSIGN(Session * s, q.Use());
          const int64_t now = options_.clock->NowMs();
          auto writing = SerializeWrites(*s);
          FS_TRY_ASSIGN(bool changed,
                        cancel ? s->queue->Cancel(id, now) : s->queue->Retry(id, now));
          writing = {};
          if (!changed) {
            return ErrorResponse(409, "conflict",
                                 cancel
                                     ? fmt::format("execution {} has ended already", id)
                                     : fmt::format("execution {} has not ended, or completed", id));
          }
          return ExecutionResponse(*s, id, 200);
        });
  }

  add("POST", "/api/v1/executions", Access::kWrite, [this](Request& q) -> Result<HttpResponse> {
    if (auto refused = OtherProject(q)) return std::move(*refused);
    FS_TRY_ASSIGN(Json body, JsonBody(q.http));
    FS_TRY_ASSIGN(std::optional<std::string> task, StringField(body, "task"));
    FS_TRY_ASSIGN(std::optional<std::string> workflow, StringField(body, "workflow"));
    FS_TRY_ASSIGN(std::optional<std::string> time, StringField(body, "time"));
    if (!task || task->empty()) return Status::InvalidArgument("task: required (TOPIC[:JOB])");
    int64_t task_time = options_.clock->NowMs();
    if (time) {
      auto t = ParseRfc3339Ms(*time);
      if (!t) {
        return Status::InvalidArgument(
            "time: expected an RFC 3339 time such as "
            "2026-01-15T10:00:00Z, got '" +
            *time + "'");
      }
      task_time = *t;
    }
    FS_TRY_ASSIGN(NewExecution e,
                  PhaseTaskExecution(*task, workflow.value_or(""), Trigger::kManual, task_time));
    FS_TRY_ASSIGN(Session * s, q.Use());
    auto writing = SerializeWrites(*s);
    FS_TRY_ASSIGN(int64_t id, s->queue->Enqueue(e, options_.clock->NowMs()));
    writing = {};
    return ExecutionResponse(*s, id, 201);
  });

  // ---- Phases -----------------------------------------------------------------------

  add("GET", "/api/v1/phases", Access::kRead, [this](Request& q) -> Result<HttpResponse> {
    if (auto refused = OtherProject(q)) return std::move(*refused);
    FS_TRY_ASSIGN(PhaseCache * cache, Phases());
    const std::optional<std::string> task = q.http.Query("task");
    Json files = Json::array();
    Json edges = Json::array();
    for (const StoredPhaseFile& f : cache->Files()) {
      Json phases = Json::array();
      for (const Phase& p : f.phases) {
        if (task && p.task != *task && p.Topic() != *task) continue;
        phases.push_back({{"task", p.task},
                          {"depends_on", p.depends_on},
                          {"rule", p.rule},
                          {"template", p.template_text},
                          {"retry", p.retry},
                          {"status", p.status}});
        if (!p.depends_on.empty()) {
          edges.push_back({{"file", f.key}, {"from", p.depends_on}, {"to", p.task}});
        }
      }
      if (task && phases.empty()) continue;
      files.push_back({{"file", f.key}, {"hash", f.hash}, {"phases", std::move(phases)}});
    }
    return JsonResponse(200, {{"files", std::move(files)}, {"edges", std::move(edges)}});
  });

  add("GET", "/api/v1/phases/children", Access::kRead, [this](Request& q) -> Result<HttpResponse> {
    if (auto refused = OtherProject(q)) return std::move(*refused);
    std::optional<std::string> task = q.http.Query("task");
    std::optional<std::string> workflow = q.http.Query("workflow");
    if (!task || !workflow) {
      return Status::InvalidArgument("task and workflow: both required");
    }
    FS_TRY_ASSIGN(PhaseCache * cache, Phases());
    Task t = TaskFromName(*task);
    t.meta = "workflow=" + QueryEscape(*workflow);
    Json items = Json::array();
    for (const Phase& p : cache->Children(t)) {
      items.push_back({{"task", p.task}, {"depends_on", p.depends_on}, {"rule", p.rule}});
    }
    return JsonResponse(200, {{"children", std::move(items)}});
  });
}

void Server::AddWebhookRoutes() {
  routes_->router.Add(
      "POST", "/hooks/{path*}",
      Routes::Entry{
          Access::kNone, [this](Request& q) -> Result<HttpResponse> {
            const std::string path = q.params["path"];
            FS_TRY_ASSIGN(Session * s, q.Use());
            FS_TRY_ASSIGN(std::optional<WebhookRegistration> hook,
                          s->registry->FindWebhook(path, "POST"));
            if (!hook) return Status::NotFound("no webhook /hooks/" + path);
            std::optional<std::string> secret;
            std::string where;
            if (hook->secret_env) {
              where = "environment variable " + *hook->secret_env;
              secret = options_.getenv(*hook->secret_env);
            } else if (hook->secret_file) {
              where = "file " + *hook->secret_file;
              auto text = options_.fs->ReadFile(*hook->secret_file, 64 << 10);
              if (text.ok()) {
                while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) {
                  text->pop_back();
                }
                secret = std::move(*text);
              }
            } else if (hook->secret_sealed) {
              if (!options_.secret_key) {
                where = std::string("sealed; the server has no key: set ") + run::kSecretKeyEnv;
              } else if (auto opened =
                             OpenWebhookSecret(*options_.secret_key, s->store->project(), *hook);
                         opened.ok()) {
                secret = std::move(*opened);
              } else {
                where = "sealed: " + opened.status().message();
              }
            }
            if (!secret || secret->empty()) {
              return ErrorResponse(
                  503, "secret_unavailable",
                  "the secret of /hooks/" + path + " cannot be read (" + where + ")");
            }
            const std::string signature = q.http.Header("x-hub-signature-256").value_or("");
            // With X-Signature-Timestamp the signature covers "TIMESTAMP.BODY"
            // and a delivery older (or newer) than kMaxClockSkewS is refused,
            // so a captured delivery cannot be replayed later.
            const std::optional<std::string> stamp = q.http.Header("x-signature-timestamp");
            const std::string signed_text = stamp ? *stamp + "." + q.http.body : q.http.body;
            if (!SignatureMatches(signature, *secret, signed_text)) {
              return ErrorResponse(
                  401, "bad_signature",
                  signature.empty() ? "missing X-Hub-Signature-256 (sha256=HMAC-SHA256 of the body)"
                                    : "X-Hub-Signature-256 does not match the body");
            }
            if (stamp) {
              int64_t at = 0;
              auto [end, ec] = std::from_chars(stamp->data(), stamp->data() + stamp->size(), at);
              const int64_t now_s = options_.clock->NowMs() / 1000;
              if (stamp->empty() || ec != std::errc() || end != stamp->data() + stamp->size() ||
                  at < now_s - kMaxClockSkewS || at > now_s + kMaxClockSkewS) {
                return ErrorResponse(401, "stale_timestamp",
                                     fmt::format("X-Signature-Timestamp: not within {} s of the "
                                                 "server's time (Unix seconds)",
                                                 kMaxClockSkewS));
              }
            }
            std::string key = q.http.Header("idempotency-key").value_or("");
            if (key.size() > kMaxIdempotencyKey) {
              return Status::InvalidArgument(
                  fmt::format("Idempotency-Key: longer than {} characters", kMaxIdempotencyKey));
            }
            if (key.empty()) key = UuidV4();
            const int64_t now = options_.clock->NowMs();
            FS_TRY_ASSIGN(phase::QueryValues payload_meta, PayloadMeta(q.http));
            FS_TRY_ASSIGN(NewExecution e, PhaseTaskExecution(hook->task, hook->workflow,
                                                             Trigger::kWebhook, now, payload_meta));
            e.meta += "&webhook=" + QueryEscape(path) + "&delivery=" + QueryEscape(key);
            auto writing = SerializeWrites(*s);
            FS_TRY_ASSIGN(DeliveryResult d,
                          s->registry->AcceptDelivery(hook->id, key, q.http.body, e, now));
            writing = {};
            if (d.created) metrics_.WebhookExecutionStarted();
            return JsonResponse(d.created ? 202 : 200, {{"execution_id", d.execution_id},
                                                        {"status", "pending"},
                                                        {"duplicate", !d.created},
                                                        {"idempotency_key", key}});
          }});
}

void Server::AddPageRoutes() {
  auto& r = routes_->router;
  // The page, or the login form when the request carries no valid session.
  r.Add("GET", "/",
        Routes::Entry{
            Access::kNone, [this](Request& q) -> Result<HttpResponse> {
              HttpResponse resp;
              resp.content_type = "text/html; charset=utf-8";
              resp.headers.emplace_back("Cache-Control", "no-store");
              resp.headers.emplace_back("Content-Security-Policy",
                                        "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                        "script-src 'self' 'unsafe-inline'; img-src 'self' data:");
              std::optional<std::string> token = q.http.Cookie(kSessionCookie);
              bool valid = false;
              if (token && !token->empty()) {
                FS_TRY_ASSIGN(Session * s, q.Use());
                FS_TRY_ASSIGN(std::optional<ApiToken> t, s->registry->FindToken(Sha256Hex(*token)));
                valid = t.has_value();
              }
              resp.body = valid ? std::string(PageHtml()) : std::string(LoginHtml(""));
              return resp;
            }});
  r.Add("GET", "/login",
        Routes::Entry{
            Access::kNone, [](Request& q) -> Result<HttpResponse> {
              std::string token = q.http.Query("token").value_or("");
              HttpResponse resp;
              resp.content_type = "text/html; charset=utf-8";
              resp.headers.emplace_back("Cache-Control", "no-store");
              if (token.empty()) {
                resp.body = LoginHtml("");
                return resp;
              }
              FS_TRY_ASSIGN(Session * s, q.Use());
              FS_TRY_ASSIGN(std::optional<ApiToken> t, s->registry->FindToken(Sha256Hex(token)));
              if (!t) {
                resp.status = 401;
                resp.body = LoginHtml("Unknown token.");
                return resp;
              }
              resp.status = 303;
              resp.headers.emplace_back("Location", "/");
              resp.headers.emplace_back("Set-Cookie",
                                        std::string(kSessionCookie) + "=" + token +
                                            "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
              return resp;
            }});
  r.Add("GET", "/logout", Routes::Entry{Access::kNone, [](Request&) -> Result<HttpResponse> {
                                          HttpResponse resp;
                                          resp.status = 303;
                                          resp.content_type = "text/plain";
                                          resp.headers.emplace_back("Location", "/");
                                          resp.headers.emplace_back(
                                              "Set-Cookie",
                                              std::string(kSessionCookie) +
                                                  "=; Path=/; HttpOnly; SameSite=Strict; "
                                                  "Max-Age=0");
                                          return resp;
                                        }});
}

namespace {

Variable WebhookSecretVariable(const std::string& project, const WebhookRegistration& hook) {
  Variable v;
  v.environment = "webhook:" + project;
  v.name = hook.method + " /hooks/" + hook.path;
  v.secret = true;
  return v;
}

}  // namespace

std::string SealWebhookSecret(const run::SecretKey& key, const std::string& project,
                              const WebhookRegistration& hook, const std::string& secret) {
  Variable v = WebhookSecretVariable(project, hook);
  return run::SealSecret(key, v.environment, v.name, secret);
}

Result<std::string> OpenWebhookSecret(const run::SecretKey& key, const std::string& project,
                                      const WebhookRegistration& hook) {
  Variable v = WebhookSecretVariable(project, hook);
  v.value = hook.secret_sealed.value_or("");
  return run::OpenSecret(key, v);
}

}  // namespace flowsync::serve
