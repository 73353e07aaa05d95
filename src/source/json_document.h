// JsonDocument: one strict parse of a JSON text into a compact read-only
// tree, shared by the canonical form (CanonicalJson, content hashes) and the
// n8n structure rules, so that each file is parsed exactly once.
//
// The parse uses simdjson On-Demand and walks every value, so the whole text
// is validated (UTF-8, strings, literals, numbers, structure, trailing
// content). Numbers keep their text as written: "1.50" stays "1.50". Our own
// depth limit bounds the recursion, so hostile nesting cannot overflow the
// stack.
//
// Errors are Status::Corruption with "line:column: reason" (1-based; the
// column counts Unicode code points), without any file name: callers prefix
// it. Messages never quote string contents of the document.
//
// Thread-safety: a JsonDocument is immutable once parsed and may be read from
// several threads; Parse and the destructor touch no shared state (each
// thread keeps its own few parse buffers for reuse).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync {

enum class JsonKind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// "null", "boolean", "number", "string", "array", "object".
std::string_view JsonKindName(JsonKind kind);

// One value of the tree. Arrays and objects own a contiguous run of member
// values (document order, duplicates kept) inside their JsonDocument.
struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;  // kBool only
  uint32_t offset = 0;   // byte offset of the value's first byte in the text
  uint32_t first = 0;    // kArray/kObject: index of the first member
  uint32_t size = 0;     // kArray/kObject: number of members
  // kString: the unescaped UTF-8 text; kNumber: the token exactly as written.
  std::string_view text;
  // Members of an object: their unescaped key.
  std::string_view key;

  bool is_object() const { return kind == JsonKind::kObject; }
  bool is_array() const { return kind == JsonKind::kArray; }
  bool is_string() const { return kind == JsonKind::kString; }
  bool is_number() const { return kind == JsonKind::kNumber; }
  bool is_bool() const { return kind == JsonKind::kBool; }
  bool is_null() const { return kind == JsonKind::kNull; }
};

class JsonDocument {
 public:
  // Parses `text`; nesting of arrays and objects deeper than max_depth levels
  // is an error ("JSON nested deeper than 512 levels"). A leading UTF-8 byte
  // order mark is skipped. The document keeps its own copy of the text.
  static Result<std::unique_ptr<JsonDocument>> Parse(std::string_view text, int max_depth);

  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;
  ~JsonDocument();

  const JsonValue& root() const { return values_[root_]; }
  // Members of an array or object (empty for scalars), duplicates included.
  std::span<const JsonValue> Members(const JsonValue& container) const {
    return {values_.data() + container.first, container.size};
  }
  // The member of `object` named `key`; for duplicate keys the last one, as
  // in JavaScript. nullptr when absent or when `object` is no object.
  const JsonValue* Find(const JsonValue& object, std::string_view key) const;
  // Appends to `out` the indices into Members(object) sorted by key bytes,
  // one per distinct key (its last occurrence).
  void SortedUniqueMembers(const JsonValue& object, std::vector<uint32_t>* out) const;

  // Canonical text of `value` (see CanonicalJson in flowsync/source.h).
  void AppendCanonical(const JsonValue& value, std::string* out) const;
  std::string Canonical() const;

  // "line:column" of a byte offset of the parsed text.
  std::string Position(uint32_t offset) const;
  // Position() of each of `values`, in one pass over the text.
  // REQUIRES: `values` in document order (the members of one container).
  std::vector<std::string> Positions(std::span<const JsonValue> values) const;

  // Element `i` of the root array exactly as written, without the
  // whitespace and separators around it.
  // REQUIRES: root().is_array() && i < root().size.
  std::string_view RootElementText(size_t i) const;

 private:
  class Builder;
  JsonDocument() = default;

  struct Impl;
  // Impls of destroyed documents, kept by the thread for its next Parse.
  static std::vector<std::unique_ptr<Impl>>& Pool();
  static constexpr size_t kPoolSize = 2;

  std::unique_ptr<Impl> impl_;  // simdjson buffers that `text` views point into
  std::vector<JsonValue> values_;
  uint32_t root_ = 0;
};

// "line:column" (1-based, the column in code points) of byte `offset` of `text`.
std::string TextPosition(std::string_view text, size_t offset);

// TextPosition of increasing offsets of one text, each call going on from
// the last instead of from the start (a text of one line, such as
// `n8n export:workflow --all` writes, has all its offsets on line 1).
class TextPositions {
 public:
  explicit TextPositions(std::string_view text) : text_(text) {}
  // REQUIRES: `offset` is at least the previous call's.
  std::string At(size_t offset);

 private:
  std::string_view text_;
  size_t offset_ = 0;
  size_t line_ = 1;
  size_t column_ = 1;
};

// Appends `s` as a JSON string literal, escaping only '"', '\\' and control
// characters below 0x20 (\b \f \n \r \t, else \u00xx).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace flowsync
