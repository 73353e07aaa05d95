// `flowsync serve` (the HTTP API, webhooks and the page: src/serve/),
// `flowsync token create` and `flowsync webhook add|list|remove`.
#include <fmt/format.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <thread>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "flowsync/serve_registry.h"
#include "flowsync/watch.h"
#include "phase/template.h"
#include "run/phase_task.h"
#include "run/variables.h"
#include "serve/http_server.h"
#include "serve/server.h"
#include "serve/signature.h"
#include "util/hash.h"
#include "util/time_format.h"

namespace flowsync::cli {
namespace {

std::atomic<bool> g_stop_serving{false};

void OnStopSignal(int) { g_stop_serving.store(true); }

ExitCode RunServe(ServeCommand& o) {
  auto listen = serve::ParseListen(o.listen);
  if (!listen.ok()) return Fail(listen.status());
  config::Overrides flags = o.common.flags;
  flags.root_rule = config::RootRule::kDatabase;
  auto ctx = ResolveCommandContext(flags);
  if (!ctx.ok()) return Fail(ctx.status());
  // The database is created (and its schema upgraded) once, here.
  {
    auto store = config::OpenContextStore(*ctx, config::IfMissing::kCreate);
    if (!store.ok()) return Fail(store.status());
  }
  if (o.scheduler && ctx->root.empty()) {
    return Fail(Status::InvalidArgument("--scheduler needs the phase files: give --root TREE"));
  }
  if (o.watch && ctx->root.empty()) {
    return Fail(Status::InvalidArgument("--watch needs the tree to sync: give --root TREE"));
  }
  auto timeout = run::ExecutionTimeoutFromEnv(std::getenv("WORKFLOW_EXECUTION_TIMEOUT"));
  if (!timeout.ok()) return Fail(timeout.status());
  serve::ServerOptions options;
  const config::Context c = *ctx;
  options.open_store = [c](const std::string& project) {
    config::Context scoped = c;
    scoped.store_options.project = project;
    return config::OpenContextStore(scoped, config::IfMissing::kFail);
  };
  options.project = ctx->store_options.project;
  options.root = ctx->root;
  options.max_file_size = ctx->limits.max_file_size;
  options.default_timeout_ms = *timeout;
  options.phase_refresh_ms = static_cast<int64_t>(o.refresh_s * 1000);
  auto secret_key = run::LoadSecretKey(RealFileSystem());
  if (!secret_key.ok()) return Fail(secret_key.status());
  options.secret_key = *secret_key;
  serve::Server server(options);
  Status prepared = server.Prepare();
  if (!prepared.ok()) return Fail(prepared);
  serve::HttpServerOptions http;
  http.host = listen->first;
  http.port = listen->second;
  http.max_body = o.max_body;
  http.threads = o.threads;
  auto started = serve::HttpServer::Start(
      http, [&server](const serve::HttpRequest& r) { return server.Handle(r); });
  if (!started.ok()) return Fail(started.status());
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // --watch is stopped through an eventfd (the signals come to this
  // thread), made before the scheduler's thread starts: returning with a
  // thread still joinable would abort.
  int stop_watch = -1;
  if (o.watch) {
    stop_watch = ::eventfd(0, EFD_CLOEXEC);
    if (stop_watch < 0) return Fail(Status::IOError("--watch: eventfd failed"));
  }
  // --scheduler: passes every second on a thread of its own, as
  // `flowsync scheduler` makes them (any number of schedulers may run).
  std::thread scheduler;
  if (o.scheduler) {
    scheduler = std::thread([&server, &options]() {
      run::SchedulerOptions pass;
      pass.default_timeout_ms = options.default_timeout_ms;
      pass.utc_offset = phase::LocalUtcOffset;
      while (!g_stop_serving.load()) {
        auto report = server.RunSchedulerPass(pass);
        if (!report.ok()) {
          std::fprintf(stderr, "flowsync: warning: scheduler: %s (trying again)\n",
                       report.status().message().c_str());
        } else {
          for (const std::string& e : report->errors) {
            std::fprintf(stderr, "flowsync: error: %s\n", e.c_str());
          }
        }
        for (int i = 0; i < 50 && !g_stop_serving.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  // --watch: `sync --watch` of the tree on a thread of its own, with its
  // own store.
  std::thread watcher;
  if (o.watch) {
    watcher = std::thread([&options, &c, stop_watch]() {
      auto store = options.open_store(options.project);
      if (!store.ok()) {
        std::fprintf(stderr, "flowsync: error: --watch: %s\n", store.status().message().c_str());
        return;
      }
      SyncOptions sync;
      sync.root = c.root;
      sync.limits = c.limits;
      WatchOptions watch;
      watch.stop_fd = stop_watch;
      WatchCallbacks callbacks;
      callbacks.on_run = [overflow_said = false](const WatchRun& run,
                                                 const Result<SyncReport>& r) mutable {
        if (run.trigger == WatchTrigger::kOverflow && !overflow_said) {
          overflow_said = true;
          std::fprintf(stderr, "flowsync: warning: --watch: %s\n", WatchOverflowAdvice().c_str());
        }
        if (!r.ok()) {
          std::fprintf(stderr, "flowsync: error: --watch: %s\n", r.status().message().c_str());
          return;
        }
        for (const Change& change : r->changes) {
          if (change.kind != ChangeKind::kError) continue;
          std::fprintf(stderr, "flowsync: error: --watch: %s\n", change.message.c_str());
        }
      };
      callbacks.on_state = [](const WatchState& state) {
        if (!state.problem.empty()) {
          std::fprintf(stderr, "flowsync: warning: --watch: %s\n", state.problem.c_str());
        }
      };
      Status s = WatchAndSync(**store, sync, watch, callbacks);
      if (!s.ok()) {
        std::fprintf(stderr, "flowsync: error: --watch stopped: %s\n", s.message().c_str());
      }
    });
  }
  const bool v6 = http.host.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", http.host.c_str(), v6 ? "]" : "",
              (*started)->port());
  std::fflush(stdout);
  // The phase files are refreshed here, off the path of requests.
  auto last_refresh = std::chrono::steady_clock::now();
  while (!g_stop_serving.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refresh < std::chrono::milliseconds(options.phase_refresh_ms)) continue;
    last_refresh = now;
    Status refreshed = server.RefreshPhases();
    if (!refreshed.ok()) {
      std::fprintf(stderr, "flowsync: warning: phase files: %s (the last good phases are used)\n",
                   refreshed.message().c_str());
    }
  }
  if (scheduler.joinable()) scheduler.join();
  if (watcher.joinable()) {
    const uint64_t one = 1;
    (void)!::write(stop_watch, &one, sizeof(one));
    watcher.join();
    ::close(stop_watch);
  }
  started->reset();
  return ExitCode::kOk;
}

ExitCode RunTokenCreate(TokenCommand& o) {
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kCreate);
  if (!opened.ok()) return Fail(opened.status());
  auto registry = OpenServeRegistry(*opened->store);
  if (!registry.ok()) return Fail(registry.status());
  auto token = serve::NewApiToken();
  if (!token.ok()) return Fail(token.status());
  ApiToken t;
  t.sha256 = Sha256Hex(*token);
  t.project = opened->store->project();
  t.write = o.write;
  t.created_ms = SystemClock().NowMs();
  Status added = (*registry)->AddToken(t);
  if (!added.ok()) return Fail(added);
  if (o.common.json) {
    std::cout << DumpJson({{"token", *token}, {"project", t.project}, {"write", t.write}})
              << std::endl;
  } else {
    std::cout << *token << std::endl;
    std::fprintf(stderr, "flowsync: a %s token for project %s; it is shown only now\n",
                 t.write ? "read-write" : "read-only", t.project.c_str());
  }
  return ExitCode::kOk;
}

// What `token list` shows of a token: the first 12 hex digits of its hash
// (the hash of a random 256-bit token gives nothing away).
std::string TokenId(const ApiToken& t) { return t.sha256.substr(0, 12); }

ExitCode RunTokenList(TokenCommand& o) {
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  auto registry = OpenServeRegistry(*opened->store);
  if (!registry.ok()) return Fail(registry.status());
  auto tokens = (*registry)->ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  auto last_used = [](const ApiToken& t) {
    return t.last_used_ms ? Json(FormatTimestampMs(*t.last_used_ms)) : Json(nullptr);
  };
  if (o.common.json) {
    Json arr = Json::array();
    for (const ApiToken& t : *tokens) {
      arr.push_back({{"id", TokenId(t)},
                     {"project", t.project},
                     {"write", t.write},
                     {"created", FormatTimestampMs(t.created_ms)},
                     {"last_used", last_used(t)}});
    }
    std::cout << DumpJson(arr) << std::endl;
    return ExitCode::kOk;
  }
  if (tokens->empty()) fmt::print("no tokens\n");
  for (const ApiToken& t : *tokens) {
    fmt::print("{}  {:<10} {}  created {}  last used {}\n", TokenId(t),
               t.write ? "read-write" : "read-only", DisplayText(t.project),
               FormatTimestampMs(t.created_ms),
               t.last_used_ms ? FormatTimestampMs(*t.last_used_ms) : "never");
  }
  return ExitCode::kOk;
}

ExitCode RunTokenRevoke(TokenCommand& o) {
  auto opened = OpenForCommand(o.common.flags, config::IfMissing::kFail);
  if (!opened.ok()) return Fail(opened.status());
  auto registry = OpenServeRegistry(*opened->store);
  if (!registry.ok()) return Fail(registry.status());
  // The token itself, or an id as `token list` shows it.
  std::string sha256;
  if (o.id.rfind("fst_", 0) == 0) {
    sha256 = Sha256Hex(o.id);
  } else {
    if (o.id.size() < 8) {
      return Fail(Status::InvalidArgument("token id '" + o.id +
                                          "': give at least 8 characters of an id `flowsync "
                                          "token list` shows, or the token itself"));
    }
    auto tokens = (*registry)->ListTokens();
    if (!tokens.ok()) return Fail(tokens.status());
    int found = 0;
    for (const ApiToken& t : *tokens) {
      if (t.sha256.rfind(o.id, 0) == 0) {
        sha256 = t.sha256;
        ++found;
      }
    }
    if (found > 1) {
      return Fail(Status::InvalidArgument("token id '" + o.id + "' names " + std::to_string(found) +
                                          " tokens; give more of it"));
    }
  }
  auto removed = sha256.empty() ? Result<bool>(false) : (*registry)->RemoveToken(sha256);
  if (!removed.ok()) return Fail(removed.status());
  if (!*removed) {
    // A token given is not echoed: it may be a live one of another database.
    return Fail(Status::NotFound(o.id.rfind("fst_", 0) == 0 ? "no such token"
                                                            : "no token " + DisplayText(o.id)));
  }
  fmt::print("revoked token {}\n", sha256.substr(0, 12));
  return ExitCode::kOk;
}

// A webhook path as stored: no leading or trailing '/', no empty, '.' or
// '..' segment, printable ASCII.
Result<std::string> WebhookPath(std::string path) {
  if (path.rfind("/hooks/", 0) == 0) path = path.substr(7);
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("webhook path '" + path + "': " + why);
  };
  if (path.empty()) return bad("empty");
  for (char c : path) {
    if (c <= ' ' || c >= 127 || c == '?' || c == '#' || c == '%') {
      return bad("only printable ASCII without spaces, '?', '#' or '%'");
    }
  }
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(at, end - at);
    if (seg.empty() || seg == "." || seg == "..") return bad("an empty, '.' or '..' segment");
    at = end + 1;
  }
  return path;
}

Result<std::unique_ptr<ServeRegistry>> OpenRegistry(WebhookCommand& o, Opened& opened,
                                                    config::IfMissing if_missing) {
  FS_TRY_ASSIGN(opened, OpenForCommand(o.common.flags, if_missing));
  return OpenServeRegistry(*opened.store);
}

ExitCode RunWebhookAdd(WebhookCommand& o) {
  auto path = WebhookPath(o.path);
  if (!path.ok()) return Fail(path.status());
  if (int(o.secret_env.has_value()) + int(o.secret_file.has_value()) + int(o.secret_stdin) != 1) {
    return Fail(Status::InvalidArgument(
        "a webhook needs one secret: --secret-env VAR, --secret-file FILE or --secret-stdin"));
  }
  std::optional<run::SecretKey> key;
  std::string secret;
  if (o.secret_stdin) {
    auto required = run::RequireSecretKey(RealFileSystem(), "--secret-stdin (a sealed secret)");
    if (!required.ok()) return Fail(required.status());
    key = *required;
    // One trailing newline is the terminal's, not the secret's.
    secret.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty())
      return Fail(Status::InvalidArgument("--secret-stdin: stdin held no secret"));
  }
  Opened opened;
  auto registry = OpenRegistry(o, opened, config::IfMissing::kCreate);
  if (!registry.ok()) return Fail(registry.status());
  WebhookRegistration hook;
  hook.path = *path;
  hook.task = o.task;
  hook.workflow = o.workflow.value_or("");
  hook.secret_env = o.secret_env;
  hook.secret_file = o.secret_file;
  if (key)
    hook.secret_sealed = serve::SealWebhookSecret(*key, opened.store->project(), hook, secret);
  hook.created_ms = SystemClock().NowMs();
  auto id = (*registry)->AddWebhook(hook);
  if (!id.ok()) return Fail(id.status());
  if (o.common.json) {
    std::cout << DumpJson({{"id", *id}, {"path", hook.path}, {"task", hook.task}}) << std::endl;
  } else {
    fmt::print("POST /hooks/{} starts {}\n", hook.path, hook.task);
  }
  return ExitCode::kOk;
}

ExitCode RunWebhookList(WebhookCommand& o) {
  Opened opened;
  auto registry = OpenRegistry(o, opened, config::IfMissing::kFail);
  if (!registry.ok()) return Fail(registry.status());
  auto hooks = (*registry)->ListWebhooks();
  if (!hooks.ok()) return Fail(hooks.status());
  if (o.common.json) {
    Json arr = Json::array();
    for (const WebhookRegistration& h : *hooks) {
      arr.push_back({{"id", h.id},
                     {"path", h.path},
                     {"method", h.method},
                     {"task", h.task},
                     {"workflow", h.workflow},
                     {"secret_env", h.secret_env ? Json(*h.secret_env) : Json(nullptr)},
                     {"secret_file", h.secret_file ? Json(*h.secret_file) : Json(nullptr)},
                     {"secret_sealed", h.secret_sealed.has_value()}});
    }
    std::cout << DumpJson(arr) << std::endl;
    return ExitCode::kOk;
  }
  if (hooks->empty()) {
    fmt::print("no webhooks\n");
    return ExitCode::kOk;
  }
  for (const WebhookRegistration& h : *hooks) {
    fmt::print("{} /hooks/{}  {}{}  secret: {}\n", h.method, DisplayText(h.path),
               DisplayText(h.task), h.workflow.empty() ? "" : " (" + DisplayText(h.workflow) + ")",
               h.secret_env    ? "$" + *h.secret_env
               : h.secret_file ? "file " + DisplayText(*h.secret_file)
                               : std::string("sealed"));
  }
  return ExitCode::kOk;
}

ExitCode RunWebhookRemove(WebhookCommand& o) {
  auto path = WebhookPath(o.path);
  if (!path.ok()) return Fail(path.status());
  Opened opened;
  auto registry = OpenRegistry(o, opened, config::IfMissing::kFail);
  if (!registry.ok()) return Fail(registry.status());
  auto removed = (*registry)->RemoveWebhook(*path);
  if (!removed.ok()) return Fail(removed.status());
  if (!*removed) return Fail(Status::NotFound("no webhook /hooks/" + *path));
  fmt::print("removed /hooks/{}\n", *path);
  return ExitCode::kOk;
}

}  // namespace

Command ServeCommandRow() {
  return {"serve", "Serve the JSON API, webhooks and the web page over HTTP",
          [](CLI::App* c, CommandOptions& o) {
            AddDbOptions(c, o.serve.common);
            c->add_option("--root", o.serve.common.flags.root,
                          "Tree of phase files webhooks and manual starts run tasks of")
                ->type_name("DIR");
            c->add_option("--listen", o.serve.listen, "HOST:PORT to listen on (127.0.0.1:8080)");
            c->add_flag("--scheduler", o.serve.scheduler,
                        "Also fire cron phases in this process, as `flowsync scheduler` does");
            c->add_flag("--watch", o.serve.watch,
                        "Also sync the tree (--root) into the database as it changes, as "
                        "`flowsync sync --watch` does");
            c->add_option("--max-body", o.serve.max_body,
                          "Largest request body in bytes (1048576); larger ones get 413")
                ->check(NumberRange(1, 1ll << 30));
            c->add_option("--threads", o.serve.threads, "Threads answering requests (8)")
                ->check(NumberRange(1, 256));
            c->add_option("--refresh", o.serve.refresh_s,
                          "Seconds between reads of the phase files (60)")
                ->check(NumberRange(0, 86400));
          },
          [](CommandOptions& o) { return RunServe(o.serve); }};
}

Command TokenCommandRow() {
  return {"token",
          "API tokens for `flowsync serve`",
          nullptr,
          nullptr,
          {
              {"create", "Make a token and print it once (only its SHA-256 is stored)",
               [](CLI::App* c, CommandOptions& o) {
                 AddDbOptions(c, o.token.common);
                 c->add_flag("--write", o.token.write,
                             "Let it start, cancel and retry executions (default: read only)");
                 c->add_flag("--json", o.token.common.json, "Print JSON");
               },
               [](CommandOptions& o) { return RunTokenCreate(o.token); }},
              {"list", "The tokens: id, project, read or write, created, last used (never a token)",
               [](CLI::App* c, CommandOptions& o) {
                 AddDbOptions(c, o.token.common);
                 c->add_flag("--json", o.token.common.json, "Print JSON");
               },
               [](CommandOptions& o) { return RunTokenList(o.token); }},
              {"revoke", "Revoke a token: requests with it are refused from then on",
               [](CLI::App* c, CommandOptions& o) {
                 AddDbOptions(c, o.token.common);
                 c->add_option("id", o.token.id,
                               "The token's id as `token list` shows it (8 characters or more), "
                               "or the token itself")
                     ->required();
               },
               [](CommandOptions& o) { return RunTokenRevoke(o.token); }},
          }};
}

Command WebhookCommandRow() {
  return {
      "webhook",
      "Webhooks of `flowsync serve`: POST /hooks/PATH starts a task",
      nullptr,
      nullptr,
      {
          {"add", "Register POST /hooks/PATH to start TASK, signed with a secret",
           [](CLI::App* c, CommandOptions& o) {
             AddDbOptions(c, o.webhook.common);
             c->add_option("path", o.webhook.path, "PATH below /hooks/")->required();
             c->add_option("--task", o.webhook.task, "TOPIC[:JOB] of a phase")->required();
             c->add_option("--workflow", o.webhook.workflow,
                           "The phase file (default: the first with the task)");
             c->add_option("--secret-env", o.webhook.secret_env,
                           "Environment variable of the server holding the HMAC secret")
                 ->type_name("VAR");
             c->add_option("--secret-file", o.webhook.secret_file,
                           "File the server reads the HMAC secret from")
                 ->type_name("FILE");
             c->add_flag("--secret-stdin", o.webhook.secret_stdin,
                         "Read the HMAC secret from stdin and keep it in the database, sealed "
                         "with FLOWSYNC_SECRET_KEY (which the server needs too)");
             c->add_flag("--json", o.webhook.common.json, "Print JSON");
           },
           [](CommandOptions& o) { return RunWebhookAdd(o.webhook); }},
          {"list", "Registered webhooks",
           [](CLI::App* c, CommandOptions& o) {
             AddDbOptions(c, o.webhook.common);
             c->add_flag("--json", o.webhook.common.json, "Print JSON");
           },
           [](CommandOptions& o) { return RunWebhookList(o.webhook); }},
          {"remove", "Unregister /hooks/PATH (its deliveries go too)",
           [](CLI::App* c, CommandOptions& o) {
             AddDbOptions(c, o.webhook.common);
             c->add_option("path", o.webhook.path, "PATH below /hooks/")->required();
           },
           [](CommandOptions& o) { return RunWebhookRemove(o.webhook); }},
      },
  };
}

}  // namespace flowsync::cli
