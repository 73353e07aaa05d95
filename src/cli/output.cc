#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "source/findings_json.h"
#include "util/path_text.h"

namespace flowsync::cli {

Json SyncReportJson(const SyncReport& r) {
  Json j;
  j["run_id"] = r.run_id;
  j["mode"] = SyncModeName(r.mode);
  j["dry_run"] = r.dry_run;
  j["added"] = r.counts.added;
  j["updated"] = r.counts.updated;
  j["renamed"] = r.counts.renamed;
  j["deleted"] = r.counts.deleted;
  j["restored"] = r.counts.restored;
  j["unchanged"] = r.counts.unchanged;
  j["changed_in_database"] = r.counts.database_changed;
  j["conflicts"] = r.counts.conflicts;
  j["ignored"] = r.ignored.size();
  Json errors = Json::array();
  Json changes = Json::array();
  for (const Change& c : r.changes) {
    if (c.kind == ChangeKind::kError) {
      errors.push_back({{"path", c.path}, {"message", c.message}});
      continue;
    }
    Json change;
    change["kind"] = ChangeKindName(c.kind);
    change["path"] = c.path;
    if (c.kind == ChangeKind::kRenamed) change["old_path"] = c.old_path;
    if (c.kind == ChangeKind::kDatabaseChanged || c.kind == ChangeKind::kConflict) {
      change["message"] = c.message;
    }
    change["id"] = c.workflow_id;
    changes.push_back(std::move(change));
  }
  j["errors"] = std::move(errors);
  j["changes"] = std::move(changes);
  Json ignored = Json::array();
  for (const IgnoredSource& i : r.ignored) {
    ignored.push_back({{"path", i.path}, {"reason", i.reason}});
  }
  j["ignored_files"] = std::move(ignored);
  j["duration_ms"] = r.duration_ms;
  return j;
}

Json WatchStateJson(const WatchState& state) {
  Json j;
  j["watching"] = PathToText(state.root);
  j["folders"] = state.folders;
  j["max_user_watches"] = state.max_user_watches;
  j["problem"] = state.problem.empty() ? Json() : Json(ValidUtf8(state.problem));
  return j;
}

Json WatchRunJson(const WatchRun& run) {
  Json j;
  j["trigger"] = WatchTriggerName(run.trigger);
  j["events"] = run.events;
  j["paths"] = run.paths;
  j["folders"] = run.folders;
  j["latency_ms"] = run.latency_ms;
  return j;
}

Json StatusJson(const SyncReport& r) {
  Json j;
  Json added = Json::array(), updated = Json::array(), renamed = Json::array(),
       deleted = Json::array(), restored = Json::array(), errors = Json::array(),
       database = Json::array(), conflicts = Json::array();
  for (const Change& c : r.changes) {
    switch (c.kind) {
      case ChangeKind::kAdded:
        added.push_back(c.path);
        break;
      case ChangeKind::kUpdated:
        updated.push_back(c.path);
        break;
      case ChangeKind::kRenamed:
        renamed.push_back({{"from", c.old_path}, {"to", c.path}});
        break;
      case ChangeKind::kDeleted:
      case ChangeKind::kMissing:
        deleted.push_back(c.path);
        break;
      case ChangeKind::kRestored:
        restored.push_back(c.path);
        break;
      case ChangeKind::kError:
        errors.push_back({{"path", c.path}, {"message", c.message}});
        break;
      case ChangeKind::kDatabaseChanged:
        database.push_back({{"path", c.path}, {"change", c.message}});
        break;
      case ChangeKind::kConflict:
        conflicts.push_back({{"path", c.path}, {"message", c.message}});
        break;
    }
  }
  bool clean = r.changes.empty();
  j["added"] = std::move(added);
  j["updated"] = std::move(updated);
  j["renamed"] = std::move(renamed);
  j["deleted"] = std::move(deleted);
  j["restored"] = std::move(restored);
  j["errors"] = std::move(errors);
  j["changed_in_database"] = std::move(database);
  j["conflicts"] = std::move(conflicts);
  j["unchanged"] = r.counts.unchanged;
  j["clean"] = clean;
  return j;
}

Json SummaryJson(const WorkflowSummary& s) {
  Json j;
  j["id"] = s.id;
  j["name"] = s.name;
  j["path"] = s.path;
  j["format"] = FormatName(s.format);
  j["content_hash"] = s.content_hash;
  j["source_id"] = s.source_id ? Json(*s.source_id) : Json(nullptr);
  j["active"] = s.active;
  j["deleted"] = s.deleted_at.has_value();
  j["deleted_at"] = s.deleted_at ? Json(*s.deleted_at) : Json(nullptr);
  j["categories"] = s.categories;
  j["version"] = s.version;
  j["created_at"] = s.created_at;
  j["updated_at"] = s.updated_at;
  return j;
}

Json DetailJson(const WorkflowDetail& d) {
  Json j = SummaryJson(d.summary);
  Json metadata = Json::parse(d.metadata_json, nullptr, /*allow_exceptions=*/false);
  j["metadata"] = metadata.is_discarded() ? Json::object() : metadata;
  j["documentation"] = d.documentation;
  j["ratings"] = {{"up", d.thumbs_up}, {"down", d.thumbs_down}};
  j["versions"] = d.stored_versions + 1;
  j["findings"] = FindingsJson(d.findings);
  Json phases = Json::array();
  for (const PhaseEntry& p : d.phases) {
    phases.push_back({{"task", p.task},
                      {"depends_on", p.depends_on},
                      {"rule", p.rule},
                      {"template", p.template_text},
                      {"retry", p.retry},
                      {"line", p.line}});
  }
  j["phases"] = std::move(phases);
  return j;
}

Json VersionJson(const WorkflowVersion& v) {
  return {{"version", v.version},
          {"path", v.path},
          {"name", v.name},
          {"content_hash", v.content_hash},
          {"valid_from", v.valid_from},
          {"replaced_at", v.replaced_at ? Json(*v.replaced_at) : Json(nullptr)},
          {"current", v.current}};
}

Json LogJson(const LogRecord& r) {
  auto opt = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json j;
  j["id"] = r.id;
  j["run_id"] = r.run_id;
  j["event"] = SyncEventName(r.event);
  j["workflow_id"] = opt(r.workflow_id);
  j["path"] = r.path;
  j["old_path"] = opt(r.old_path);
  j["old_hash"] = opt(r.old_hash);
  j["new_hash"] = opt(r.new_hash);
  j["message"] = opt(r.message);
  j["time"] = r.time;
  return j;
}

std::string Plural(size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string DumpJson(const Json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

namespace {

// The length of the control character at `i` that DisplayText escapes, or 0.
size_t ControlLength(std::string_view t, size_t i) {
  const auto c = static_cast<unsigned char>(t[i]);
  if (c < 0x20 || c == 0x7f) return 1;
  const auto at = [&](size_t k) {
    return i + k < t.size() ? static_cast<unsigned char>(t[i + k]) : 0;
  };
  if (c == 0xc2 && at(1) >= 0x80 && at(1) <= 0x9f) return 2;                     // C1
  if (c == 0xe2 && at(1) == 0x80 && (at(2) == 0xa8 || at(2) == 0xa9)) return 3;  // U+2028/9
  return 0;
}

}  // namespace

std::string DisplayText(std::string_view text) {
  bool quote = !text.empty() && text[0] == '"';
  for (size_t i = 0; i < text.size() && !quote; ++i) quote = ControlLength(text, i) > 0;
  if (!quote) return std::string(text);
  constexpr std::string_view kNamed = "\a\b\t\n\v\f\r";
  constexpr std::string_view kLetters = "abtnvfr";
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const size_t control = ControlLength(text, i);
    const size_t named = kNamed.find(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (control == 1 && named != std::string_view::npos) {
      out += '\\';
      out += kLetters[named];
    } else if (control > 0) {
      for (size_t k = 0; k < control; ++k) {
        out += fmt::format("\\{:03o}", static_cast<unsigned char>(text[i + k]));
      }
      i += control;
      continue;
    } else {
      out += c;
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string CountsText(const RunCounts& c, size_t ignored) {
  std::string text = fmt::format(
      "{} added, {} updated, {} renamed, {} deleted, {} restored, {} unchanged, {} ignored, {} {}",
      c.added, c.updated, c.renamed, c.deleted, c.restored, c.unchanged, ignored, c.errors,
      c.errors == 1 ? "error" : "errors");
  if (c.database_changed > 0)
    text += fmt::format(", {} changed in the database", c.database_changed);
  if (c.conflicts > 0) {
    text += fmt::format(", {} {}", c.conflicts, c.conflicts == 1 ? "conflict" : "conflicts");
  }
  return text;
}

size_t DisplayColumns(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string Fit(const std::string& text, size_t width) {
  size_t columns = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (columns + 1 > width) break;
    ++columns;
    i += len;
  }
  if (i >= text.size()) return text + std::string(width - columns, ' ');
  // Cut one column earlier to make room for the ellipsis.
  size_t cut = 0, cols = 0;
  while (cut < text.size() && cols + 1 < width) {
    unsigned char c = static_cast<unsigned char>(text[cut]);
    cut += c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    ++cols;
  }
  return text.substr(0, cut) + "…";
}

}  // namespace flowsync::cli
