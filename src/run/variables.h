// Variables a task's command receives (`flowsync var`): names, the key that
// seals secrets, sealing and opening, and what a worker passes on.
//
// A secret is stored sealed with XChaCha20-Poly1305 (libsodium), bound to
// its environment and name, as "sealed:v1:" + base64(nonce + ciphertext).
// The key never enters the database: it comes from FLOWSYNC_SECRET_KEY (the
// key in base64) or the file FLOWSYNC_SECRET_KEY_FILE names (the same text).
//
// Thread-safety: pure functions, except LoadSecretKey (reads the
// environment and a file).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowsync/execution_queue.h"
#include "flowsync/file_system.h"
#include "flowsync/status.h"

namespace flowsync::run {

inline constexpr char kSecretKeyEnv[] = "FLOWSYNC_SECRET_KEY";
inline constexpr char kSecretKeyFileEnv[] = "FLOWSYNC_SECRET_KEY_FILE";

struct SecretKey {
  std::array<unsigned char, 32> bytes{};
};

// A new random key, in the base64 form the environment variable takes.
std::string GenerateSecretKey();

// The key from the environment; nullopt when neither variable is set;
// InvalidArgument naming the variable (or file) when it is not a key.
Result<std::optional<SecretKey>> LoadSecretKey(const FileSystem& fs);

// The key from the environment, required for `what` ("a secret", "a
// sealed webhook secret"): InvalidArgument saying how to set one when
// neither variable is set.
Result<SecretKey> RequireSecretKey(const FileSystem& fs, std::string_view what);

// OK when `name` can be an environment variable: [A-Za-z_][A-Za-z0-9_]*,
// at most 128 bytes, not starting with FLOWSYNC_ (the task's own).
Status CheckVariableName(const std::string& name);
// OK for an environment name: [A-Za-z0-9_.-]+, at most 64 bytes.
Status CheckEnvironmentName(const std::string& name);

std::string SealSecret(const SecretKey& key, const std::string& environment,
                       const std::string& name, const std::string& plain);
// The plain text; InvalidArgument when the value was sealed with another key
// or for another variable, or is not a sealed value.
Result<std::string> OpenSecret(const SecretKey& key, const Variable& v);

// What a command receives: every variable of the environment as NAME=value,
// secrets opened. Fails (naming the variable) when a secret cannot be
// opened, or when there are secrets and no key.
struct CommandVariables {
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> secret_values;  // to mask in what is kept of output
};
Result<CommandVariables> ResolveVariables(const std::vector<Variable>& vars,
                                          const std::optional<SecretKey>& key);

// `text` with every occurrence of each secret value (of 4 bytes or more)
// replaced by "[secret]".
std::string MaskSecrets(std::string text, const std::vector<std::string>& secret_values);

}  // namespace flowsync::run
