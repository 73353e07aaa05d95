#include "source/phase_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "util/hash.h"

namespace flowsync {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "unknown";
}

std::string Position(const toml::source_region& source) {
  return std::to_string(source.begin.line) + ":" + std::to_string(source.begin.column);
}

// A key quoted for a message: control characters as \uXXXX, as TOML writes
// them, so no message holds a NUL (which PostgreSQL cannot store) or breaks
// a line.
std::string QuoteKey(std::string_view key) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "'";
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

bool Before(const toml::source_region& a, const toml::source_region& b) {
  if (a.begin.line != b.begin.line) return a.begin.line < b.begin.line;
  return a.begin.column < b.begin.column;
}

enum class PhaseField { kTask, kRule, kDependsOn, kRetry, kTemplate };

struct FieldSpec {
  std::string_view name;
  PhaseField field;
};

constexpr FieldSpec kFields[] = {
    {"task", PhaseField::kTask},           {"rule", PhaseField::kRule},
    {"dependsOn", PhaseField::kDependsOn}, {"retry", PhaseField::kRetry},
    {"template", PhaseField::kTemplate},
};

const FieldSpec* FindField(std::string_view key) {
  for (const FieldSpec& spec : kFields) {
    if (EqualsIgnoreCase(spec.name, key)) return &spec;
  }
  return nullptr;
}

struct KeyedNode {
  std::string_view key;
  const toml::key* key_object;
  const toml::node* value;
};

// The entries of a table in file order (toml++ iterates them by key).
std::vector<KeyedNode> InFileOrder(const toml::table& table) {
  std::vector<KeyedNode> entries;
  for (const auto& [key, value] : table) entries.push_back({key.str(), &key, &value});
  std::stable_sort(entries.begin(), entries.end(), [](const KeyedNode& a, const KeyedNode& b) {
    return Before(a.key_object->source(), b.key_object->source());
  });
  return entries;
}

class PhaseReader {
 public:
  PhaseReader(const std::string& display, ParsedWorkflow* workflow)
      : display_(display), workflow_(workflow) {}

  Status ReadPhase(const toml::table& table, size_t ordinal) {
    PhaseEntry entry;
    entry.line = static_cast<int>(table.source().begin.line);
    const std::string where = "phase " + std::to_string(ordinal);
    std::vector<PhaseField> seen;
    for (const KeyedNode& kv : InFileOrder(table)) {
      const FieldSpec* spec = FindField(kv.key);
      const auto line = kv.key_object->source().begin.line;
      if (spec == nullptr) {
        Warn("unknown-key", line, where + ": unknown key " + QuoteKey(kv.key) + " (ignored)");
        continue;
      }
      if (std::find(seen.begin(), seen.end(), spec->field) != seen.end()) {
        Warn("duplicate-key", line,
             where + ": " + QuoteKey(kv.key) + " repeats '" + std::string(spec->name) +
                 "' in another letter case; the last one wins");
      }
      seen.push_back(spec->field);
      const toml::node& value = *kv.value;
      if (spec->field == PhaseField::kRetry) {
        if (!value.is_integer()) return TypeError(kv, where, "an integer");
        entry.retry = value.as_integer()->get();
        continue;
      }
      if (!value.is_string()) return TypeError(kv, where, "a string");
      std::string text = value.as_string()->get();
      if (text.find('\0') != std::string::npos) {
        // PostgreSQL's text cannot hold it: refused on every backend alike.
        return Status::Corruption(
            display_ + ":" + Position(value.source()) + ": " + where + ": " + QuoteKey(kv.key) +
            " holds a NUL character (\\u0000), which PostgreSQL cannot store");
      }
      switch (spec->field) {
        case PhaseField::kTask:
          entry.task = std::move(text);
          break;
        case PhaseField::kRule:
          entry.rule = std::move(text);
          break;
        case PhaseField::kDependsOn:
          entry.depends_on = std::move(text);
          break;
        case PhaseField::kTemplate:
          entry.template_text = std::move(text);
          break;
        case PhaseField::kRetry:
          break;
      }
    }
    workflow_->phases.push_back(std::move(entry));
    return Status::OK();
  }

  // A warning located at "<display>:<line>".
  void Warn(std::string code, toml::source_index line, std::string message) {
    warnings_.push_back({line, Finding{Severity::kWarning, std::move(code),
                                       display_ + ":" + std::to_string(line), std::move(message)}});
  }

  // Moves the warnings, in line order, into the workflow.
  void Finish() {
    std::stable_sort(warnings_.begin(), warnings_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [line, finding] : warnings_) workflow_->findings.push_back(std::move(finding));
    warnings_.clear();
  }

 private:
  Status TypeError(const KeyedNode& kv, const std::string& where, std::string_view expected) const {
    return Status::Corruption(display_ + ":" + Position(kv.value->source()) + ": " + where + ": " +
                              QuoteKey(kv.key) + " must be " + std::string(expected) + ", got " +
                              std::string(TomlTypeName(kv.value->type())));
  }

  const std::string& display_;
  ParsedWorkflow* workflow_;
  std::vector<std::pair<toml::source_index, Finding>> warnings_;
};

}  // namespace

Result<std::optional<ParsedWorkflow>> ReadPhaseFile(std::string_view text,
                                                    const std::string& display,
                                                    const std::string& name) {
  toml::table root;
  // toml++ reports syntax errors by exception; they stop here.
  try {
    root = toml::parse(text, display);
  } catch (const toml::parse_error& err) {
    return Status::Corruption(display + ":" + Position(err.source()) +
                              ": invalid TOML: " + std::string(err.description()));
  }

  // The phase tables of every top-level array named `phase` in any case, in
  // file order.
  std::vector<const toml::table*> tables;
  bool is_phase_file = false;
  for (const KeyedNode& kv : InFileOrder(root)) {
    if (!EqualsIgnoreCase(kv.key, "phase")) continue;
    const toml::array* array = kv.value->as_array();
    if (array == nullptr || !(array->empty() || array->is_array_of_tables())) {
      return Status::Corruption(display + ":" + Position(kv.value->source()) + ": '" +
                                std::string(kv.key) + "' must be an array of tables ([[" +
                                std::string(kv.key) + "]]), got " +
                                std::string(TomlTypeName(kv.value->type())));
    }
    is_phase_file = true;
    for (const toml::node& element : *array) tables.push_back(element.as_table());
  }
  if (!is_phase_file) return std::optional<ParsedWorkflow>();
  std::stable_sort(tables.begin(), tables.end(), [](const toml::table* a, const toml::table* b) {
    return Before(a->source(), b->source());
  });

  ParsedWorkflow workflow;
  workflow.format = Format::kPhase;
  workflow.name = name;
  workflow.content = std::string(text);
  // TOML has no canonical form here: the hash is over the raw bytes, so a
  // whitespace or comment change is a content change (as flowlord's md5).
  workflow.content_hash = HashHex(text);
  PhaseReader reader(display, &workflow);
  for (const KeyedNode& kv : InFileOrder(root)) {
    if (EqualsIgnoreCase(kv.key, "phase")) continue;
    reader.Warn("unknown-key", kv.key_object->source().begin.line,
                "unknown top-level key " + QuoteKey(kv.key) + " (ignored)");
  }
  for (size_t i = 0; i < tables.size(); ++i) FS_TRY(reader.ReadPhase(*tables[i], i + 1));
  reader.Finish();
  return std::optional<ParsedWorkflow>(std::move(workflow));
}

}  // namespace flowsync
