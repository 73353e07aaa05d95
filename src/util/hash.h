// Content hashing. util/ knows nothing of workflows.
#pragma once

#include <string>
#include <string_view>

namespace flowsync {

// Streaming XXH3-128; Hex() gives 32 lowercase hex digits.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view data);
  std::string Hex() const;

 private:
  void* state_;  // XXH3_state_t*, owned
};

// XXH3-128 of `data` as 32 lowercase hex digits.
std::string HashHex(std::string_view data);

// SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace flowsync
