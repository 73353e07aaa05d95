// Requests to `flowsync serve` as the HTTP layer hands them over (method,
// decoded path, query, headers, body): every route, the token and cookie
// checks, the webhook signature and delivery, the JSON bodies, on a real
// SQLite database in a temporary folder with one workflow, one phase file,
// a read token, a write token and two webhooks (one signed, one not).
//
// Properties, beyond no crash:
// - every answer has a status of 100-599, and a JSON answer's body is JSON;
//   an error answer (4xx, 5xx) in JSON is {"error": {"code", "message"}};
// - a request that carries no valid token (none of the two was put in it)
//   never gets a 2xx from /api/;
// - a delivery to the signed webhook without the right signature never
//   gets a 2xx;
// - a read token never gets a 2xx for a route that writes.
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowsync/database_url.h"
#include "flowsync/serve_registry.h"
#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "fuzz_check.h"
#include "serve/server.h"
#include "serve/signature.h"
#include "util/hash.h"

namespace {

using flowsync::serve::HttpRequest;
using flowsync::serve::HttpResponse;

constexpr char kReadToken[] =
    "fst_00000000000000000000000000000000000000000000000000000000000000aa";
constexpr char kWriteToken[] =
    "fst_00000000000000000000000000000000000000000000000000000000000000bb";
constexpr char kHookSecret[] = "fuzz-hook-secret";

flowsync::serve::Server* g_server = nullptr;

void Check(const flowsync::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "serve_request_fuzz: %s: %s\n", what, s.message().c_str());
    std::abort();
  }
}

void WriteText(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size()) std::abort();
  std::fclose(f);
}

// The database and the server, once per process.
void SetUp() {
  char dir_template[] = "/tmp/flowsync-serve-fuzz-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) std::abort();
  const std::string root = std::string(dir) + "/tree";
  std::filesystem::create_directories(root + "/phases");
  WriteText(root + "/orders.json",
            R"({"name": "Orders", "nodes": [{"name": "Start", "type": "n8n-nodes-base.start",)"
            R"( "parameters": {}}], "connections": {}})");
  WriteText(root + "/phases/etl.toml",
            "[[phase]]\ntask = \"load:hourly\"\nrule = \"cron=0 5 * * * *\"\n"
            "template = \"s3://bucket/{yyyy}/{mm}/{dd}/{hh}.json?id={meta:id}\"\n"
            "[[phase]]\ntask = \"transform\"\ndependsOn = \"load:hourly\"\n"
            "template = \"{meta:id}\"\n");
  auto url = flowsync::ParseDatabaseUrl(std::string("sqlite:") + dir + "/flowsync.db");
  Check(url.status(), "the database URL");
  static flowsync::DatabaseUrl db = *url;
  {
    auto store = flowsync::OpenStore(db, flowsync::StoreOptions());
    Check(store.status(), "opening the database");
    flowsync::SyncOptions sync;
    sync.root = root;
    Check(flowsync::RunSync(**store, sync).status(), "the first sync");
    auto registry = flowsync::OpenServeRegistry(**store);
    Check(registry.status(), "the registry");
    Check((*registry)->AddToken(
              {flowsync::Sha256Hex(kReadToken), flowsync::kDefaultProject, false, 1, std::nullopt}),
          "the read token");
    Check((*registry)->AddToken(
              {flowsync::Sha256Hex(kWriteToken), flowsync::kDefaultProject, true, 1, std::nullopt}),
          "the write token");
    flowsync::WebhookRegistration signed_hook;
    signed_hook.path = "signed";
    signed_hook.task = "load:hourly";
    signed_hook.secret_env = "FLOWSYNC_FUZZ_HOOK_SECRET";
    Check((*registry)->AddWebhook(signed_hook).status(), "the signed webhook");
  }
  flowsync::serve::ServerOptions options;
  options.open_store = [](const std::string& project) {
    flowsync::StoreOptions o;
    o.project = project;
    o.create_if_missing = false;
    return flowsync::OpenStore(db, o);
  };
  options.root = root;
  options.phase_refresh_ms = 1LL << 40;
  options.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "FLOWSYNC_FUZZ_HOOK_SECRET") return std::string(kHookSecret);
    return std::nullopt;
  };
  g_server = new flowsync::serve::Server(std::move(options));
  Check(g_server->Prepare(), "preparing the server");
}

const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
const std::vector<std::string> kPaths = {
    "/",
    "/healthz",
    "/metrics",
    "/login",
    "/logout",
    "/api/v1/workflows",
    "/api/v1/workflows/",
    "/api/v1/workflows/orders.json",
    "/api/v1/workflows/orders.json/versions",
    "/api/v1/workflows/orders.json/versions/",
    "/api/v1/workflows/orders.json/diff",
    "/api/v1/log",
    "/api/v1/sync-runs",
    "/api/v1/sync-runs/last",
    "/api/v1/executions",
    "/api/v1/executions/",
    "/api/v1/executions/1/cancel",
    "/api/v1/executions/1/retry",
    "/api/v1/phases",
    "/api/v1/phases/children",
    "/hooks/signed",
    "/hooks/",
};
const std::vector<std::string> kQueryNames = {"limit", "before", "category", "status",   "task",
                                              "time",  "from",   "to",       "workflow", "q",
                                              "meta",  "id",     "after",    "path",     "version"};

const std::string& Pick(FuzzedDataProvider& in, const std::vector<std::string>& from) {
  return from[in.ConsumeIntegralInRange<size_t>(0, from.size() - 1)];
}

bool IsWriteRoute(const std::string& method, const std::string& path) {
  if (path.rfind("/api/", 0) != 0) return false;
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  SetUp();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  HttpRequest r;
  r.method = in.ConsumeBool() ? Pick(in, kMethods) : in.ConsumeRandomLengthString(8);
  if (in.ConsumeBool()) {
    r.path = Pick(in, kPaths) + in.ConsumeRandomLengthString(24);
  } else {
    r.path = in.ConsumeRandomLengthString(64);
  }
  const int queries = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < queries; ++i) {
    std::string name = in.ConsumeBool() ? Pick(in, kQueryNames) : in.ConsumeRandomLengthString(8);
    r.query.emplace_back(std::move(name), in.ConsumeRandomLengthString(32));
  }
  // 0: no token; 1: the read token; 2: the write token; 3: a made-up one;
  // 4: the read token as the session cookie; 5: a made-up cookie.
  const int auth = in.ConsumeIntegralInRange(0, 5);
  const bool valid_token = auth == 1 || auth == 2 || auth == 4;
  switch (auth) {
    case 1:
      r.headers.emplace_back("authorization", std::string("Bearer ") + kReadToken);
      break;
    case 2:
      r.headers.emplace_back("authorization", std::string("bearer ") + kWriteToken);
      break;
    case 3:
      r.headers.emplace_back("authorization", in.ConsumeRandomLengthString(80));
      break;
    case 4:
      r.headers.emplace_back("cookie", std::string("a=b; flowsync_session=") + kReadToken);
      break;
    case 5:
      r.headers.emplace_back("cookie", in.ConsumeRandomLengthString(80));
      break;
    default:
      break;
  }
  const int extra = in.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < extra; ++i) {
    static const std::vector<std::string> names = {"content-type", "idempotency-key",
                                                   "x-hub-signature-256", "accept",
                                                   "x-signature-timestamp"};
    std::string name = Pick(in, names);
    r.headers.emplace_back(std::move(name), in.ConsumeRandomLengthString(40));
  }
  const bool sign = in.ConsumeBool();
  r.body = in.ConsumeRemainingBytesAsString();
  if (sign) {
    r.headers.emplace_back("x-hub-signature-256",
                           "sha256=" + flowsync::serve::HmacSha256Hex(kHookSecret, r.body));
  }

  const HttpResponse response = g_server->Handle(r);
  FUZZ_CHECK(response.status >= 100 && response.status <= 599, "a status outside 100-599");
  const bool ok = response.status >= 200 && response.status < 300;
  if (response.content_type.rfind("application/json", 0) == 0 && !response.body.empty()) {
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!body.is_discarded(), "a JSON answer whose body is not JSON");
    if (response.status >= 400) {
      FUZZ_CHECK(body.is_object() && body.contains("error") && body["error"].is_object() &&
                     body["error"].contains("code") && body["error"]["code"].is_string() &&
                     body["error"].contains("message"),
                 "an error answer without error.code and error.message");
    }
  }
  if (!valid_token && r.path.rfind("/api/", 0) == 0) {
    FUZZ_CHECK(!ok, "an API route answered 2xx without a valid token");
  }
  if (auth == 1 || auth == 4) {
    FUZZ_CHECK(!(ok && IsWriteRoute(r.method, r.path)), "a read token wrote");
  }
  if (r.path == "/hooks/signed" && !sign) {
    FUZZ_CHECK(!ok, "the signed webhook took a delivery without its signature");
  }
  return 0;
}
