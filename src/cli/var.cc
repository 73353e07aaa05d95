// `flowsync var set|get|list|unset|keygen`: the variables a worker's
// commands receive (run/variables.h).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/output.h"
#include "config/context.h"
#include "flowsync/clock.h"
#include "flowsync/execution_queue.h"
#include "run/variables.h"
#include "util/time_format.h"

namespace flowsync::cli {

Result<std::string> VariablesEnvironment(const std::string& flag) {
  std::string env = flag;
  if (env.empty()) {
    const char* from = std::getenv("FLOWSYNC_ENV");
    env = from != nullptr && *from != '\0' ? from : "default";
  }
  FS_TRY(run::CheckEnvironmentName(env));
  return env;
}

namespace {

struct OpenedQueue {
  Opened opened;
  std::unique_ptr<ExecutionQueue> queue;
  std::string environment;
};

Result<OpenedQueue> OpenVariables(VarCommand& o, config::IfMissing if_missing) {
  OpenedQueue q;
  FS_TRY_ASSIGN(q.environment, VariablesEnvironment(o.environment));
  if (!o.name.empty()) FS_TRY(run::CheckVariableName(o.name));
  FS_TRY_ASSIGN(q.opened, OpenForCommand(o.common.flags, if_missing));
  FS_TRY_ASSIGN(q.queue, OpenExecutionQueue(*q.opened.store));
  return q;
}

Result<std::optional<Variable>> Find(OpenedQueue& q, const std::string& name) {
  FS_TRY_ASSIGN(std::vector<Variable> vars, q.queue->Variables(q.environment));
  for (Variable& v : vars) {
    if (v.name == name) return std::optional<Variable>(std::move(v));
  }
  return std::optional<Variable>();
}

ExitCode RunSet(VarCommand& o) {
  auto q = OpenVariables(o, config::IfMissing::kCreate);
  if (!q.ok()) return Fail(q.status());
  std::string value;
  if (o.value) {
    value = *o.value;
  } else {
    // From stdin, so that a secret stays out of the shell's history; one
    // trailing newline is the terminal's, not the value's.
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  Variable v;
  v.environment = q->environment;
  v.name = o.name;
  v.secret = o.secret;
  v.updated_ms = SystemClock().NowMs();
  if (o.secret) {
    auto key = run::RequireSecretKey(RealFileSystem(), "a secret");
    if (!key.ok()) return Fail(key.status());
    v.value = run::SealSecret(*key, v.environment, v.name, value);
  } else {
    v.value = value;
  }
  Status set = q->queue->SetVariable(v);
  if (!set.ok()) return Fail(set);
  if (o.common.json) {
    std::cout << DumpJson({{"name", v.name}, {"environment", v.environment}, {"secret", v.secret}})
              << std::endl;
  } else {
    std::fprintf(stderr, "%s set in %s%s\n", v.name.c_str(), v.environment.c_str(),
                 v.secret ? " (secret, sealed)" : "");
  }
  return ExitCode::kOk;
}

ExitCode RunGet(VarCommand& o) {
  auto q = OpenVariables(o, config::IfMissing::kFail);
  if (!q.ok()) return Fail(q.status());
  auto found = Find(*q, o.name);
  if (!found.ok()) return Fail(found.status());
  if (!*found) {
    return Fail(Status::NotFound("no variable " + o.name + " in environment " + q->environment));
  }
  if ((*found)->secret) {
    return Fail(Status::InvalidArgument(o.name +
                                        " is secret: its value is never printed (a "
                                        "worker's command receives it as $" +
                                        o.name + ")"));
  }
  std::cout << (*found)->value << "\n";
  return ExitCode::kOk;
}

ExitCode RunList(VarCommand& o) {
  auto q = OpenVariables(o, config::IfMissing::kFail);
  if (!q.ok()) return Fail(q.status());
  auto vars = q->queue->Variables(q->environment);
  if (!vars.ok()) return Fail(vars.status());
  if (o.common.json) {
    Json out = Json::array();
    for (const Variable& v : *vars) {
      out.push_back({{"name", v.name},
                     {"environment", v.environment},
                     {"secret", v.secret},
                     {"value", v.secret ? Json(nullptr) : Json(v.value)},
                     {"updated", FormatTimestampMs(v.updated_ms)}});
    }
    std::cout << DumpJson(out) << std::endl;
    return ExitCode::kOk;
  }
  for (const Variable& v : *vars) {
    std::cout << v.name << "=" << (v.secret ? "(secret)" : v.value) << "\n";
  }
  return ExitCode::kOk;
}

ExitCode RunUnset(VarCommand& o) {
  auto q = OpenVariables(o, config::IfMissing::kFail);
  if (!q.ok()) return Fail(q.status());
  auto removed = q->queue->UnsetVariable(q->environment, o.name);
  if (!removed.ok()) return Fail(removed.status());
  if (!*removed) {
    return Fail(Status::NotFound("no variable " + o.name + " in environment " + q->environment));
  }
  std::fprintf(stderr, "%s unset in %s\n", o.name.c_str(), q->environment.c_str());
  return ExitCode::kOk;
}

void SetupCommon(CLI::App* c, VarCommand& o) {
  AddDbOptions(c, o.common);
  c->add_option("--env", o.environment,
                "The environment (default $FLOWSYNC_ENV, else \"default\")");
}

void SetupName(CLI::App* c, VarCommand& o) {
  SetupCommon(c, o);
  c->add_option("name", o.name, "The variable's name (an environment variable's)")->required();
}

}  // namespace

Command VarCommandRow() {
  return {
      "var",
      "Variables a worker's commands receive, per environment; secrets sealed with a key kept "
      "outside the database",
      nullptr,
      nullptr,
      {
          {"set", "Set a variable: var set NAME VALUE, or the value on stdin",
           [](CLI::App* c, CommandOptions& o) {
             SetupName(c, o.var);
             c->add_option("value", o.var.value, "The value (default: read from stdin)");
             c->add_flag("--secret", o.var.secret,
                         "Seal it with the key of $FLOWSYNC_SECRET_KEY (or the file "
                         "$FLOWSYNC_SECRET_KEY_FILE); never printed again");
             c->add_flag("--json", o.var.common.json, "Print JSON");
           },
           [](CommandOptions& o) { return RunSet(o.var); }},
          {"get", "Print a variable's value (never a secret's)",
           [](CLI::App* c, CommandOptions& o) { SetupName(c, o.var); },
           [](CommandOptions& o) { return RunGet(o.var); }},
          {"list", "The variables of an environment (secrets as (secret))",
           [](CLI::App* c, CommandOptions& o) {
             SetupCommon(c, o.var);
             c->add_flag("--json", o.var.common.json, "Print JSON");
           },
           [](CommandOptions& o) { return RunList(o.var); }},
          {"unset", "Remove a variable",
           [](CLI::App* c, CommandOptions& o) { SetupName(c, o.var); },
           [](CommandOptions& o) { return RunUnset(o.var); }},
          {"keygen", "Print a new random key for FLOWSYNC_SECRET_KEY", nullptr,
           [](CommandOptions&) {
             std::cout << run::GenerateSecretKey() << "\n";
             return ExitCode::kOk;
           }},
      },
  };
}

}  // namespace flowsync::cli
