// ServeRegistry: what `flowsync serve` keeps in the store besides workflows
// and executions: API tokens, webhook registrations and their deliveries.
//
// Nothing secret is stored in plain text. A token is kept as the SHA-256 of
// its text (the text is shown once, when it is made); a webhook's signing
// secret is a reference (the name of an environment variable or the path of
// a file, read by the server when a delivery arrives) or sealed with the
// variables' key (run/variables.h), which never enters the database.
//
// Tokens belong to the database, not to a project (the server reads one
// before it knows the project, which is what the token says); registrations
// and deliveries belong to the store's project (row-level security on
// PostgreSQL). Times are milliseconds since the Unix epoch from the caller's
// Clock.
//
// Opened by OpenServeRegistry(store); lives no longer than its Store.
// Thread-safety: as its Store (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/execution_queue.h"
#include "flowsync/status.h"

namespace flowsync {

class Store;

// A token's last use is written at most this often (TouchToken).
inline constexpr int64_t kTokenTouchIntervalMs = 60'000;

struct ApiToken {
  std::string sha256;  // hex of the token's SHA-256
  std::string project;
  bool write = false;
  int64_t created_ms = 0;
  std::optional<int64_t> last_used_ms;
};

struct WebhookRegistration {
  int64_t id = 0;    // assigned by the store
  std::string path;  // below /hooks/, without a leading '/'
  std::string method = "POST";
  std::string task;      // TOPIC[:JOB] of a phase
  std::string workflow;  // the phase file's key; "" for the first phase of the task
  // Exactly one is set: where the signing secret is read from, or the
  // secret sealed ("sealed:v1:...", SealWebhookSecret in serve/server.h).
  std::optional<std::string> secret_env, secret_file, secret_sealed;
  int64_t created_ms = 0;
};

// What AcceptDelivery did.
struct DeliveryResult {
  int64_t execution_id = 0;
  bool created = false;  // false: an earlier delivery with the same key started it
};

class ServeRegistry {
 public:
  virtual ~ServeRegistry() = default;

  virtual Status AddToken(const ApiToken& token) = 0;
  // The token whose SHA-256 is `sha256`; nullopt when there is none.
  virtual Result<std::optional<ApiToken>> FindToken(const std::string& sha256) = 0;
  // Records that the token was used at `now_ms`, unless its recorded use is
  // less than kTokenTouchIntervalMs old (so a busy token costs no write per
  // request; callers holding a fresh ApiToken may skip the call).
  virtual Status TouchToken(const std::string& sha256, int64_t now_ms) = 0;
  // Every token of the database, oldest first (their hashes, never a token).
  virtual Result<std::vector<ApiToken>> ListTokens() = 0;
  // Removes one: a request with it is refused from then on. False when
  // there was none.
  virtual Result<bool> RemoveToken(const std::string& sha256) = 0;

  // Conflict when the path and method are registered already.
  virtual Result<int64_t> AddWebhook(const WebhookRegistration& hook) = 0;
  // Ordered by path.
  virtual Result<std::vector<WebhookRegistration>> ListWebhooks() = 0;
  virtual Result<std::optional<WebhookRegistration>> FindWebhook(const std::string& path,
                                                                 const std::string& method) = 0;
  // Removes every method of `path` and their deliveries; false when none was
  // registered.
  virtual Result<bool> RemoveWebhook(const std::string& path) = 0;

  // Enqueues `execution` for the delivery `key` of registration
  // `registration_id`, with the delivery row, in one transaction, unless a
  // delivery with that key was accepted before: then nothing is written and
  // its execution id comes back (created == false). Of concurrent
  // deliveries with one key exactly one enqueues.
  virtual Result<DeliveryResult> AcceptDelivery(int64_t registration_id, const std::string& key,
                                                const std::string& payload,
                                                const NewExecution& execution, int64_t now_ms) = 0;
};

// The registry of `store` (every store OpenStore returns has one).
Result<std::unique_ptr<ServeRegistry>> OpenServeRegistry(Store& store);

}  // namespace flowsync
