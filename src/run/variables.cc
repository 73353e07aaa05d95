#include "run/variables.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace flowsync::run {
namespace {

constexpr std::string_view kSealedPrefix = "sealed:v1:";
constexpr uint64_t kMaxKeyFile = 4096;

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no entropy source: nothing is safe
  });
}

std::string ToBase64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> FromBase64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \t\r\n", &size, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string AssociatedData(const std::string& environment, const std::string& name) {
  return environment + '\0' + name;
}

Result<SecretKey> ParseKey(std::string_view text, const std::string& where) {
  auto bytes = FromBase64(text);
  SecretKey key;
  if (!bytes || bytes->size() != key.bytes.size()) {
    return Status::InvalidArgument(where +
                                   ": not a key (expected 32 bytes in base64, as `flowsync var "
                                   "keygen` prints)");
  }
  std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string GenerateSecretKey() {
  InitSodium();
  SecretKey key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.bytes.data());
  std::string text = ToBase64(key.bytes.data(), key.bytes.size());
  sodium_memzero(key.bytes.data(), key.bytes.size());
  return text;
}

Result<std::optional<SecretKey>> LoadSecretKey(const FileSystem& fs) {
  InitSodium();
  if (const char* text = std::getenv(kSecretKeyEnv); text != nullptr && *text != '\0') {
    FS_TRY_ASSIGN(SecretKey key, ParseKey(text, kSecretKeyEnv));
    return std::optional<SecretKey>(key);
  }
  if (const char* path = std::getenv(kSecretKeyFileEnv); path != nullptr && *path != '\0') {
    auto text = fs.ReadFile(path, kMaxKeyFile);
    if (!text.ok()) {
      return Status::InvalidArgument(std::string(kSecretKeyFileEnv) + ": " +
                                     text.status().message());
    }
    auto key = ParseKey(*text, path);
    sodium_memzero(text->data(), text->size());
    FS_TRY(key.status());
    return std::optional<SecretKey>(*key);
  }
  return std::optional<SecretKey>();
}

Result<SecretKey> RequireSecretKey(const FileSystem& fs, std::string_view what) {
  FS_TRY_ASSIGN(std::optional<SecretKey> key, LoadSecretKey(fs));
  if (!key) {
    return Status::InvalidArgument(std::string(what) + " needs a key: set " + kSecretKeyEnv +
                                   " (or " + kSecretKeyFileEnv +
                                   ") to one `flowsync var keygen` prints; the database never "
                                   "holds it");
  }
  return *key;
}

Status CheckVariableName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128 && IsAlpha(name[0]) &&
            std::all_of(name.begin(), name.end(), [](char c) { return IsAlpha(c) || IsDigit(c); });
  if (!ok) {
    return Status::InvalidArgument("variable name '" + name +
                                   "': expected letters, digits and _ (not first a digit), at "
                                   "most 128");
  }
  if (name.rfind("FLOWSYNC_", 0) == 0) {
    return Status::InvalidArgument("variable name '" + name +
                                   "': FLOWSYNC_ names are the task's own (FLOWSYNC_TASK, ...)");
  }
  return Status::OK();
}

Status CheckEnvironmentName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-';
  });
  if (!ok) {
    return Status::InvalidArgument("environment '" + name +
                                   "': expected letters, digits, _, . and -, at most 64");
  }
  return Status::OK();
}

std::string SealSecret(const SecretKey& key, const std::string& environment,
                       const std::string& name, const std::string& plain) {
  InitSodium();
  const std::string ad = AssociatedData(environment, name);
  std::string box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long sealed_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &sealed_size,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      key.bytes.data());
  return std::string(kSealedPrefix) +
         ToBase64(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + sealed_size);
}

Result<std::string> OpenSecret(const SecretKey& key, const Variable& v) {
  InitSodium();
  const std::string what = "variable " + v.name + " (environment " + v.environment + ")";
  if (v.value.rfind(kSealedPrefix, 0) != 0) {
    return Status::InvalidArgument(what + ": the stored value is not sealed");
  }
  auto box = FromBase64(std::string_view(v.value).substr(kSealedPrefix.size()));
  constexpr size_t kOverhead =
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (!box || box->size() < kOverhead) {
    return Status::InvalidArgument(what + ": the stored value is damaged");
  }
  const std::string ad = AssociatedData(v.environment, v.name);
  const auto* nonce = reinterpret_cast<const unsigned char*>(box->data());
  std::string plain(box->size() - kOverhead, '\0');
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_size, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          box->size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce,
          key.bytes.data()) != 0) {
    return Status::InvalidArgument(what + ": cannot be opened with this key (sealed with " +
                                   "another key, or for another variable)");
  }
  plain.resize(plain_size);
  return plain;
}

Result<CommandVariables> ResolveVariables(const std::vector<Variable>& vars,
                                          const std::optional<SecretKey>& key) {
  CommandVariables out;
  for (const Variable& v : vars) {
    if (!v.secret) {
      out.env.emplace_back(v.name, v.value);
      continue;
    }
    if (!key) {
      return Status::InvalidArgument("variable " + v.name + " (environment " + v.environment +
                                     ") is secret: set " + kSecretKeyEnv + " or " +
                                     kSecretKeyFileEnv + " to the key it was sealed with");
    }
    FS_TRY_ASSIGN(std::string plain, OpenSecret(*key, v));
    out.secret_values.push_back(plain);
    out.env.emplace_back(v.name, std::move(plain));
  }
  return out;
}

std::string MaskSecrets(std::string text, const std::vector<std::string>& secret_values) {
  for (const std::string& secret : secret_values) {
    if (secret.size() < 4) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 8)) {
      text.replace(at, secret.size(), "[secret]");
    }
  }
  return text;
}

}  // namespace flowsync::run
