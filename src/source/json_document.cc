#include "source/json_document.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "flowsync/source.h"
#include "util/utf8.h"

namespace flowsync {
namespace {

namespace od = simdjson::ondemand;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimTrailingSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// simdjson hands us the raw token without checking it.
bool IsValidNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  return i == n;
}

// Offset of the first control character (< 0x20) inside a string literal, or
// npos. Used only to place an error that simdjson reports without a location.
size_t FindUnescapedControl(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (c < 0x20) {
        return i;
      }
    } else if (c == '"') {
      in_string = true;
    }
  }
  return std::string_view::npos;
}

// Offset of the opening quote of a string that is never closed, or npos.
size_t FindUnclosedString(std::string_view text) {
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (start != std::string_view::npos) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        start = std::string_view::npos;
      }
    } else if (c == '"') {
      start = i;
    }
  }
  return start;
}

// Offset just past a string literal starting at `start` (a '"'), or npos.
size_t EndOfString(std::string_view text, size_t start) {
  for (size_t i = start + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::string DescribeByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '"') return "string";
  if (c == '-' || IsDigit(c)) return "number";
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  return buf;
}

}  // namespace

std::string_view JsonKindName(JsonKind kind) {
  switch (kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "boolean";
    case JsonKind::kNumber:
      return "number";
    case JsonKind::kString:
      return "string";
    case JsonKind::kArray:
      return "array";
    case JsonKind::kObject:
      return "object";
  }
  return "unknown";
}

std::string TextPosition(std::string_view text, size_t offset) {
  return TextPositions(text).At(offset);
}

std::string TextPositions::At(size_t offset) {
  offset = std::min(offset, text_.size());
  for (; offset_ < offset; ++offset_) {
    const char c = text_[offset_];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++column_;  // code points: UTF-8 continuation bytes do not count
    }
  }
  return std::to_string(line_) + ":" + std::to_string(column_);
}

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Whether any byte of `w` may be below 0x20, '"' or '\\' (false positives
// possible, never false negatives): the classic SWAR "has less" test.
bool MayNeedEscape(uint64_t w) {
  const uint64_t less = (w - kOnes * 0x20) & ~w;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  return ((less | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHighs) != 0;
}

}  // namespace

// Writes `s` as a JSON string literal at `p`, which has room for
// 6 * s.size() + 2 bytes; returns the end of what was written.
char* EscapeJsonString(std::string_view s, char* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  const size_t n = s.size();
  const char* in = s.data();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, in + i, 8);
      if (!MayNeedEscape(w)) {
        std::memcpy(p, &w, 8);
        p += 8;
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(in[i++]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      *p++ = static_cast<char>(c);
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
        *p++ = '"';
        break;
      case '\\':
        *p++ = '\\';
        break;
      case '\b':
        *p++ = 'b';
        break;
      case '\f':
        *p++ = 'f';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 0xf];
    }
  }
  *p++ = '"';
  return p;
}

void AppendJsonString(std::string_view s, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + 6 * s.size() + 2);
  char* end = EscapeJsonString(s, out->data() + old_size);
  out->resize(static_cast<size_t>(end - out->data()));
}

// The simdjson parser and the padded copy of the text, which the string views
// of the tree point into, plus the storage of the value list. A parse needs
// buffers of several times the text's size; allocating them per file cost
// more than parsing small files, so a thread keeps the Impls of the documents
// it destroyed (see Pool) and the next Parse reuses their buffers.
struct JsonDocument::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buffer;  // the text, then SIMDJSON_PADDING zero bytes
  size_t buffer_room = 0;          // bytes of text the buffer holds at most
  size_t size = 0;                 // bytes of text
  std::vector<JsonValue> values;   // storage handed to values_ while a document lives
  std::vector<JsonValue> stack;    // the Builder's members of open containers

  std::string_view text() const { return {buffer.get(), size}; }

  void Assign(std::string_view text) {
    if (buffer_room < text.size()) {
      buffer.reset(new char[text.size() + simdjson::SIMDJSON_PADDING]);
      buffer_room = text.size();
    }
    std::memcpy(buffer.get(), text.data(), text.size());
    std::memset(buffer.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    size = text.size();
  }

  // Whether keeping this Impl for another document is worth its memory: the
  // buffers of a large document (several times its size) are not kept.
  bool Reusable() const {
    return buffer_room <= kPooledMaxText && parser.capacity() <= kPooledMaxText &&
           values.capacity() <= kPooledMaxText / 16 && stack.capacity() <= kPooledMaxText / 16;
  }

  static constexpr size_t kPooledMaxText = 256 << 10;
};

// Impls of destroyed documents, per thread: reading a bundle holds two
// documents at once (workflow.json and meta.json), so two are kept. Each
// holds at most about 13 * kPooledMaxText bytes (text, simdjson's index and
// string buffers, values); freed when the thread ends.
std::vector<std::unique_ptr<JsonDocument::Impl>>& JsonDocument::Pool() {
  thread_local std::vector<std::unique_ptr<Impl>> pool;
  return pool;
}

// Walks a simdjson On-Demand document depth first and appends every value to
// the document's flat value list.
class JsonDocument::Builder {
 public:
  Builder(JsonDocument* doc, od::document* od_doc, int max_depth)
      : doc_(doc),
        od_doc_(od_doc),
        text_(doc->impl_->text()),
        max_depth_(max_depth),
        stack_(doc->impl_->stack) {}

  Status Build() {
    od::json_type type;
    if (auto e = od_doc_->type().get(type)) return SimdjsonError(e, nullptr);
    JsonValue root;
    if (type == od::json_type::object || type == od::json_type::array) {
      od::value value;
      if (auto e = od_doc_->get_value().get(value)) return SimdjsonError(e, nullptr);
      if (!Value(value, 0, &root)) return error_;
      const char* location = nullptr;
      if (od_doc_->current_location().get(location) == simdjson::SUCCESS) {
        // Not at the end: something follows the top-level value.
        const size_t offset = static_cast<size_t>(location - text_.data());
        if (offset < TrimTrailingSpace(text_).size()) {
          return ErrorAt(offset, "invalid JSON: unexpected content after the top-level value");
        }
      }
    } else {
      if (!RootScalar(type, &root)) return error_;
    }
    doc_->root_ = static_cast<uint32_t>(doc_->values_.size());
    doc_->values_.push_back(root);
    return Status::OK();
  }

 private:
  bool Value(od::value value, int depth, JsonValue* out) {
    const std::string_view raw = value.raw_json_token();
    out->offset = static_cast<uint32_t>(raw.data() - text_.data());
    od::json_type type;
    if (auto e = value.type().get(type)) return Fail(SimdjsonError(e, raw.data()));
    switch (type) {
      case od::json_type::object: {
        if (depth >= max_depth_) return Fail(TooDeep(out->offset));
        od::object object;
        if (auto e = value.get_object().get(object)) return Fail(SimdjsonError(e, nullptr));
        const size_t mark = stack_.size();
        for (auto field_result : object) {
          od::field field;
          if (auto e = std::move(field_result).get(field)) return Fail(SimdjsonError(e, nullptr));
          JsonValue member;
          if (auto e = field.unescaped_key().get(member.key)) {
            return Fail(SimdjsonError(e, nullptr));
          }
          if (!Value(field.value(), depth + 1, &member)) return false;
          stack_.push_back(member);
        }
        out->kind = JsonKind::kObject;
        Close(mark, out);
        return true;
      }
      case od::json_type::array: {
        if (depth >= max_depth_) return Fail(TooDeep(out->offset));
        od::array array;
        if (auto e = value.get_array().get(array)) return Fail(SimdjsonError(e, nullptr));
        const size_t mark = stack_.size();
        for (auto element_result : array) {
          od::value element;
          if (auto e = std::move(element_result).get(element)) {
            return Fail(SimdjsonError(e, nullptr));
          }
          JsonValue member;
          if (!Value(element, depth + 1, &member)) return false;
          stack_.push_back(member);
        }
        out->kind = JsonKind::kArray;
        Close(mark, out);
        return true;
      }
      case od::json_type::string: {
        out->kind = JsonKind::kString;
        if (value.get_string().get(out->text) != simdjson::SUCCESS) {
          return Fail(ErrorAt(out->offset, "invalid JSON: bad escape sequence in string"));
        }
        return true;
      }
      case od::json_type::number:
      case od::json_type::boolean:
      case od::json_type::null:
        return Atom(TrimTrailingSpace(raw), out);
    }
    return Fail(ErrorAt(out->offset, "invalid JSON: unexpected value"));
  }

  // Numbers and literals, from their raw token.
  bool Atom(std::string_view token, JsonValue* out) {
    if (token == "true" || token == "false") {
      out->kind = JsonKind::kBool;
      out->boolean = token == "true";
    } else if (token == "null") {
      out->kind = JsonKind::kNull;
    } else if (!token.empty() && (token[0] == '-' || IsDigit(token[0]))) {
      if (!IsValidNumber(token)) return Fail(ErrorAt(out->offset, "invalid JSON: invalid number"));
      out->kind = JsonKind::kNumber;
      out->text = token;
    } else {
      return Fail(ErrorAt(out->offset, "invalid JSON: invalid literal"));
    }
    return true;
  }

  bool RootScalar(od::json_type type, JsonValue* out) {
    std::string_view raw;
    if (auto e = od_doc_->raw_json_token().get(raw)) return Fail(SimdjsonError(e, nullptr));
    out->offset = static_cast<uint32_t>(raw.data() - text_.data());
    size_t end;
    if (type == od::json_type::string) {
      out->kind = JsonKind::kString;
      if (od_doc_->get_string().get(out->text) != simdjson::SUCCESS) {
        return Fail(ErrorAt(out->offset, "invalid JSON: bad escape sequence in string"));
      }
      end = EndOfString(text_, out->offset);
    } else {
      // A root scalar's raw token runs to the next structural character.
      const std::string_view token = TrimTrailingSpace(raw);
      if (!Atom(token, out)) return false;
      end = out->offset + token.size();
    }
    while (end < text_.size() && IsJsonSpace(text_[end])) ++end;
    if (end < text_.size()) {
      return Fail(ErrorAt(end, "invalid JSON: unexpected content after the top-level value"));
    }
    return true;
  }

  void Close(size_t mark, JsonValue* out) {
    auto& values = doc_->values_;
    out->first = static_cast<uint32_t>(values.size());
    out->size = static_cast<uint32_t>(stack_.size() - mark);
    values.insert(values.end(), stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
  }

  bool Fail(Status status) {
    error_ = std::move(status);
    return false;
  }

  Status ErrorAt(size_t offset, std::string_view reason) const {
    return Status::Corruption(TextPosition(text_, offset) + ": " + std::string(reason));
  }

  Status TooDeep(size_t offset) const {
    return ErrorAt(offset, "JSON nested deeper than " + std::to_string(max_depth_) + " levels");
  }

  Status Truncated() const {
    return ErrorAt(TrimTrailingSpace(text_).size(), "unexpected end of input (truncated JSON)");
  }

  // Turns a simdjson error met while walking into a positioned Status.
  // `hint` is where the walk was, when the caller knows better than simdjson.
  Status SimdjsonError(simdjson::error_code error, const char* hint) const {
    if (error == simdjson::DEPTH_ERROR) return TooDeep(0);
    const char* location = hint;
    if (location == nullptr && od_doc_->current_location().get(location) != simdjson::SUCCESS) {
      location = nullptr;  // past the end of the input
    }
    const size_t content_end = TrimTrailingSpace(text_).size();
    if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || location == nullptr ||
        static_cast<size_t>(location - text_.data()) >= content_end) {
      return Truncated();
    }
    const size_t offset = static_cast<size_t>(location - text_.data());
    if (error == simdjson::TAPE_ERROR || error == simdjson::INCORRECT_TYPE) {
      return ErrorAt(offset, "invalid JSON: unexpected " + DescribeByte(text_[offset]));
    }
    return ErrorAt(offset, std::string("invalid JSON: ") + simdjson::error_message(error));
  }

  JsonDocument* doc_;
  od::document* od_doc_;
  std::string_view text_;
  int max_depth_;
  std::vector<JsonValue>& stack_;  // members of the open containers (Impl's, reused)
  Status error_;
};

JsonDocument::~JsonDocument() {
  if (impl_ == nullptr) return;
  impl_->values = std::move(values_);
  std::vector<std::unique_ptr<Impl>>& pool = Pool();
  if (pool.size() < kPoolSize && impl_->Reusable()) pool.push_back(std::move(impl_));
}

Result<std::unique_ptr<JsonDocument>> JsonDocument::Parse(std::string_view text, int max_depth) {
  // RFC 8259 lets parsers ignore a byte order mark; Windows editors write one.
  // Positions then count from after it, as editors show them.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  max_depth = std::max(max_depth, 0);
  size_t first = 0;
  while (first < text.size() && IsJsonSpace(text[first])) ++first;
  if (first == text.size()) return Status::Corruption("empty file");

  std::unique_ptr<JsonDocument> doc(new JsonDocument());
  std::vector<std::unique_ptr<Impl>>& pool = Pool();
  if (pool.empty()) {
    doc->impl_ = std::make_unique<Impl>();
  } else {
    doc->impl_ = std::move(pool.back());
    pool.pop_back();
  }
  Impl& impl = *doc->impl_;
  impl.Assign(text);
  doc->values_ = std::move(impl.values);
  doc->values_.clear();
  impl.stack.clear();
  // Our own limit (in Builder) is the one that speaks; simdjson's must not
  // trip first. A reused parser keeps its capacity when that is enough.
  const size_t depth = static_cast<size_t>(max_depth) + 2;
  if (impl.parser.capacity() < text.size() || impl.parser.max_depth() != depth) {
    if (auto e = impl.parser.allocate(std::max(text.size(), impl.parser.capacity()), depth)) {
      return Status::Corruption(std::string("invalid JSON: ") + simdjson::error_message(e));
    }
  }
  od::document od_doc;
  if (auto e =
          impl.parser.iterate(impl.buffer.get(), impl.size, impl.size + simdjson::SIMDJSON_PADDING)
              .get(od_doc)) {
    switch (e) {
      case simdjson::UTF8_ERROR:
        return Status::Corruption(TextPosition(text, FindInvalidUtf8(text)) + ": invalid UTF-8");
      case simdjson::UNESCAPED_CHARS:
        return Status::Corruption(TextPosition(text, FindUnescapedControl(text)) +
                                  ": invalid JSON: unescaped control character in string");
      case simdjson::UNCLOSED_STRING:
        return Status::Corruption(TextPosition(text, FindUnclosedString(text)) +
                                  ": unterminated string (truncated JSON)");
      default:
        return Status::Corruption(std::string("invalid JSON: ") + simdjson::error_message(e));
    }
  }
  doc->values_.reserve(text.size() / 16);
  Builder builder(doc.get(), &od_doc, max_depth);
  FS_TRY(builder.Build());
  return doc;
}

const JsonValue* JsonDocument::Find(const JsonValue& object, std::string_view key) const {
  if (!object.is_object()) return nullptr;
  for (uint32_t i = object.size; i > 0; --i) {
    const JsonValue& member = values_[object.first + i - 1];
    if (member.key == key) return &member;
  }
  return nullptr;
}

namespace {
constexpr uint32_t kInsertionSortMax = 32;
}  // namespace

void JsonDocument::SortedUniqueMembers(const JsonValue& object, std::vector<uint32_t>* out) const {
  const size_t base = out->size();
  const JsonValue* members = values_.data() + object.first;
  bool sorted = true;
  for (uint32_t i = 0; i < object.size; ++i) {
    if (i > 0 && !(members[i - 1].key < members[i].key)) sorted = false;
    out->push_back(i);
  }
  if (sorted) return;
  // Stable, so among duplicate keys the last one in the text stays last.
  const auto less = [members](uint32_t a, uint32_t b) { return members[a].key < members[b].key; };
  if (object.size <= kInsertionSortMax) {
    // Objects are small (an n8n node has about eight keys): an insertion sort
    // beats std::stable_sort, which allocates a buffer on every call.
    uint32_t* idx = out->data() + base;
    for (uint32_t i = 1; i < object.size; ++i) {
      const uint32_t moving = idx[i];
      uint32_t j = i;
      for (; j > 0 && less(moving, idx[j - 1]); --j) idx[j] = idx[j - 1];
      idx[j] = moving;
    }
  } else {
    std::stable_sort(out->begin() + static_cast<ptrdiff_t>(base), out->end(), less);
  }
  size_t kept = base;
  for (size_t i = base; i < out->size(); ++i) {
    if (i + 1 < out->size() && members[(*out)[i]].key == members[(*out)[i + 1]].key) continue;
    (*out)[kept++] = (*out)[i];
  }
  out->resize(kept);
}

namespace {

// Writes through a raw cursor into a string that grows on demand: the
// canonical form is written byte by byte at a high rate, and a capacity check
// per value is cheaper than one per appended piece.
class CanonicalWriter {
 public:
  CanonicalWriter(const JsonDocument& doc, std::string* out, size_t size_hint)
      : doc_(doc), out_(out), pos_(out->size()) {
    out_->resize(pos_ + size_hint + 64);
  }
  ~CanonicalWriter() { out_->resize(pos_); }

  void Write(const JsonValue& value) {
    switch (value.kind) {
      case JsonKind::kNull:
        Raw("null");
        return;
      case JsonKind::kBool:
        Raw(value.boolean ? "true" : "false");
        return;
      case JsonKind::kNumber:
        Raw(value.text);
        return;
      case JsonKind::kString:
        String(value.text);
        return;
      case JsonKind::kArray: {
        Char('[');
        bool first = true;
        for (const JsonValue& member : doc_.Members(value)) {
          if (!first) Char(',');
          first = false;
          Write(member);
        }
        Char(']');
        return;
      }
      case JsonKind::kObject: {
        // The order lives in a shared scratch area: this level's indices sit
        // above those of the enclosing objects.
        const size_t base = scratch_.size();
        doc_.SortedUniqueMembers(value, &scratch_);
        const size_t end = scratch_.size();
        const auto members = doc_.Members(value);
        Char('{');
        for (size_t k = base; k < end; ++k) {
          if (k != base) Char(',');
          const JsonValue& member = members[scratch_[k]];
          String(member.key);
          Char(':');
          Write(member);  // may grow scratch_ beyond `end`, then shrinks it back
        }
        scratch_.resize(base);
        Char('}');
        return;
      }
    }
  }

 private:
  char* Room(size_t n) {
    if (out_->size() - pos_ < n) out_->resize(std::max(out_->size() * 2, pos_ + n));
    return out_->data() + pos_;
  }
  void Char(char c) {
    *Room(1) = c;
    ++pos_;
  }
  void Raw(std::string_view s) {
    std::memcpy(Room(s.size()), s.data(), s.size());
    pos_ += s.size();
  }
  void String(std::string_view s) {
    char* start = Room(6 * s.size() + 2);
    pos_ += static_cast<size_t>(EscapeJsonString(s, start) - start);
  }

  const JsonDocument& doc_;
  std::string* out_;
  size_t pos_;                     // end of what was written; out_ is longer until destruction
  std::vector<uint32_t> scratch_;  // member orders of the open objects
};

}  // namespace

void JsonDocument::AppendCanonical(const JsonValue& value, std::string* out) const {
  CanonicalWriter(*this, out, 0).Write(value);
}

std::string JsonDocument::Canonical() const {
  std::string out;
  // Never longer than the text: whitespace goes, escapes only get shorter.
  CanonicalWriter(*this, &out, impl_->size).Write(root());
  return out;
}

std::string JsonDocument::Position(uint32_t offset) const {
  return TextPosition(impl_->text(), offset);
}

std::vector<std::string> JsonDocument::Positions(std::span<const JsonValue> values) const {
  TextPositions positions(impl_->text());
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const JsonValue& v : values) out.push_back(positions.At(v.offset));
  return out;
}

std::string_view JsonDocument::RootElementText(size_t i) const {
  const std::span<const JsonValue> elements = Members(root());
  const std::string_view text = impl_->text();
  const size_t begin = elements[i].offset;
  const size_t end = i + 1 < elements.size() ? elements[i + 1].offset : text.size();
  // The element is followed by whitespace, ',' (']' after the last one) and
  // whitespace: JSON has no comments.
  std::string_view element = TrimTrailingSpace(text.substr(begin, end - begin));
  element.remove_suffix(1);
  return TrimTrailingSpace(element);
}

Result<std::string> CanonicalJson(std::string_view text, int max_depth) {
  FS_TRY_ASSIGN(auto doc, JsonDocument::Parse(text, max_depth));
  return doc->Canonical();
}

}  // namespace flowsync
