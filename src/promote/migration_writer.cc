#include "promote/migration_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "flowsync/source.h"
#include "n8n/n8n_ids.h"
#include "promote/n8n_workflow_sql.h"
#include "promote/secret_scan.h"
#include "sync/identity.h"
#include "util/hash.h"
#include "util/posix_error.h"
#include "util/temp_files.h"
#include "util/time_format.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxSlug = 50;

// Header keys `migration create` reads back (ReadMigrationFolder).
constexpr std::string_view kWorkflowIdKey = "Workflow id";
constexpr std::string_view kContentHashKey = "Content hash";

// "NAME (id ID)" for messages, escaped like header text.
std::string WorkflowLabel(const WorkflowExport& wf) {
  return EscapeHeaderText(wf.workflow.name) + " (id " + EscapeHeaderText(wf.id) + ")";
}

// What a sync would derive from `content` at wf.path, with the rest of the
// definition (meta.json and README.md of a bundle) as it was: the content
// hash, categories, findings and phases of the reduced content come from
// the very code a sync runs.
Result<ParsedWorkflow> Rederive(const WorkflowExport& wf, std::string content) {
  SourceContent source;
  source.format = wf.workflow.format;
  source.key = wf.path.empty() ? std::string("workflow") : wf.path;
  source.text = std::move(content);
  if (wf.workflow.format == Format::kBundle) {
    source.meta_json = wf.workflow.metadata_json;
    if (!wf.workflow.documentation.empty()) source.readme = wf.workflow.documentation;
  }
  auto parsed = ParseSource(std::move(source), SourceLimits{});
  if (!parsed.ok()) return parsed.status().WithPrefix(WorkflowLabel(wf));
  if (!parsed->has_value()) {
    return Status::Corruption(WorkflowLabel(wf) + ": is no " +
                              std::string(FormatName(wf.workflow.format)) + " workflow");
  }
  return std::move(**parsed);
}

std::string VersionOf(int64_t unix_seconds) {
  std::string t = FormatTimestampMs(unix_seconds * 1000);  // 2026-11-22T10:15:00.000Z
  std::string out;
  for (char c : t.substr(0, 19)) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

// Seconds since the epoch of a YYYYMMDDHHMMSS version, if it is one.
std::optional<int64_t> SecondsOf(std::string_view version) {
  if (version.size() != 14) return std::nullopt;
  std::string text = fmt::format("{}-{}-{}T{}:{}:{}Z", version.substr(0, 4), version.substr(4, 2),
                                 version.substr(6, 2), version.substr(8, 2), version.substr(10, 2),
                                 version.substr(12, 2));
  std::optional<int64_t> ms = ParseTimestampMs(text);
  if (!ms || *ms % 1000 != 0) return std::nullopt;
  if (VersionOf(*ms / 1000) != version) return std::nullopt;  // 20261399... normalised away
  return *ms / 1000;
}

// The version of a migration file name ("20261122101500" of
// "20261122101500_a.sql"); empty when it is no .sql file or has no leading
// digits.
std::string_view SqlFileVersion(std::string_view name) {
  if (!name.ends_with(".sql")) return {};
  size_t digits = 0;
  while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
  return name.substr(0, digits);
}

// The second of a version that starts with a YYYYMMDDHHMMSS timestamp (leading
// zeros aside), perhaps followed by a counter: "2026112210150012" -> the
// second of 20261122101500.
std::optional<int64_t> TimestampSecondsOf(std::string_view version) {
  while (version.size() > 1 && version.front() == '0') version.remove_prefix(1);
  if (version.size() < 14) return std::nullopt;
  return SecondsOf(version.substr(0, 14));
}

struct Prepared {
  // wf.workflow.metadata_json and .documentation are redacted in place.
  WorkflowExport wf;
  std::string content;  // after credential reduction (and redaction, later)
  int references = 0;
  // In the order workflow JSON, meta.json, README.md.
  std::vector<SecretFinding> blocking;
  std::vector<SecretFinding> allowed;
};

bool InFile(const SecretFinding& f, std::string_view file) {
  return f.json_path.size() > file.size() && f.json_path.starts_with(file) &&
         f.json_path[file.size()] == ':';
}

// Appends the findings of what travels with the workflow besides its JSON: a
// bundle's meta.json and README.md ("{}" and "" for the other formats, which
// have neither). Findings at `options.allowed_paths` are left out.
Status ScanMembers(const WorkflowExport& wf, const ScanOptions& options,
                   std::vector<SecretFinding>* findings) {
  const ParsedWorkflow& w = wf.workflow;
  if (!w.metadata_json.empty()) {
    auto meta = ScanJsonForSecrets(w.metadata_json, kMetaJsonFile, options);
    if (!meta.ok()) return meta.status().WithPrefix(WorkflowLabel(wf));
    findings->insert(findings->end(), meta->begin(), meta->end());
  }
  std::vector<SecretFinding> readme = ScanTextForSecrets(w.documentation, kReadmeFile, options);
  findings->insert(findings->end(), readme.begin(), readme.end());
  return Status::OK();
}

Status Prepare(const MigrationCreateOptions& options, Prepared* p,
               std::set<std::string>* used_allowed) {
  p->content = p->wf.workflow.content;
  std::vector<SecretFinding> findings;
  // Phase files are not JSON and hold no credentials: their text is
  // searched for token formats, as a README is ("PATH:LINE").
  if (p->wf.workflow.format == Format::kPhase) {
    findings = ScanTextForSecrets(p->content, p->wf.path);
  } else {
    auto reduced = ReduceCredentials(p->content);
    if (!reduced.ok()) return reduced.status().WithPrefix(WorkflowLabel(p->wf));
    p->references = reduced->references;
    p->content = std::move(reduced->content);
    auto scanned = ScanWorkflowForSecrets(p->content);
    if (!scanned.ok()) return scanned.status().WithPrefix(WorkflowLabel(p->wf));
    findings = std::move(*scanned);
  }
  FS_TRY(ScanMembers(p->wf, ScanOptions{}, &findings));
  for (SecretFinding& f : findings) {
    if (options.allowed_paths.count(f.json_path) != 0) {
      used_allowed->insert(f.json_path);
      p->allowed.push_back(std::move(f));
    } else {
      p->blocking.push_back(std::move(f));
    }
  }
  return Status::OK();
}

// Replaces the blocking findings with kRedactedPlaceholder, in the workflow
// JSON, meta.json and README.md (each rewritten only when it has one), and
// scans each rewritten part again. Belt and braces: what the scanner still
// sees there would leave the environment, so it stays blocking.
Status Redact(const MigrationCreateOptions& options, Prepared* p) {
  bool content = false;
  bool meta = false;
  bool readme = false;
  const bool phase = p->wf.workflow.format == Format::kPhase;
  bool phase_text = false;
  for (const SecretFinding& f : p->blocking) {
    if (phase && InFile(f, p->wf.path)) {
      phase_text = true;
    } else if (InFile(f, kMetaJsonFile)) {
      meta = true;
    } else if (InFile(f, kReadmeFile)) {
      readme = true;
    } else {
      content = true;
    }
  }
  const ScanOptions allowed{options.allowed_paths};
  ParsedWorkflow& w = p->wf.workflow;
  std::vector<SecretFinding> left;
  if (content) {
    FS_TRY_ASSIGN(p->content, RedactSecrets(p->content, p->blocking, kRedactedPlaceholder));
    p->content += "\n";
    FS_TRY_ASSIGN(left, ScanWorkflowForSecrets(p->content, allowed));
  }
  if (phase_text) {
    p->content = RedactTextSecrets(p->content, p->blocking, p->wf.path, kRedactedPlaceholder);
    left = ScanTextForSecrets(p->content, p->wf.path, allowed);
  }
  if (meta) {
    auto redacted =
        RedactJsonSecrets(w.metadata_json, p->blocking, kMetaJsonFile, kRedactedPlaceholder);
    if (!redacted.ok()) return redacted.status().WithPrefix(WorkflowLabel(p->wf));
    w.metadata_json = std::move(*redacted);
  }
  if (readme) {
    w.documentation =
        RedactTextSecrets(w.documentation, p->blocking, kReadmeFile, kRedactedPlaceholder);
  }
  if (meta || readme) FS_TRY(ScanMembers(p->wf, allowed, &left));
  p->blocking = std::move(left);
  return Status::OK();
}

Status Refusal(const std::vector<Prepared>& prepared, bool after_redaction = false) {
  size_t count = 0;
  std::string lines;
  for (const Prepared& p : prepared) {
    for (const SecretFinding& f : p.blocking) {
      ++count;
      lines += "\n  " + WorkflowLabel(p.wf) + ": " + EscapeHeaderText(f.json_path) + ": " + f.kind;
    }
  }
  if (after_redaction) {
    return Status::Conflict(fmt::format(
        "refusing to create migrations: {} literal secret{} left after redaction, nothing "
        "written (--allow PATH accepts one deliberately):{}",
        count, count == 1 ? "" : "s", lines));
  }
  return Status::Conflict(fmt::format(
      "refusing to create migrations: {} literal secret{} found, nothing written (--redact "
      "replaces them with {}; --allow PATH accepts one deliberately):{}",
      count, count == 1 ? "" : "s", kRedactedPlaceholder, lines));
}

std::vector<std::string> UniquePaths(const std::vector<SecretFinding>& findings) {
  std::vector<std::string> paths;
  for (const SecretFinding& f : findings) {
    if (std::find(paths.begin(), paths.end(), f.json_path) == paths.end()) {
      paths.push_back(f.json_path);
    }
  }
  return paths;
}

std::string Header(const MigrationCreateOptions& options, const PlannedMigration& m,
                   const WorkflowExport& wf) {
  std::string h;
  auto line = [&h](std::string_view key, std::string_view value) {
    h += "-- ";
    h += key;
    h += ": ";
    h += EscapeHeaderText(value);
    h += '\n';
  };
  line("Migration", m.sql.name);
  h += "-- Generated by flowsync migration create; review before merging.\n";
  line("Source", options.source);
  line("Dialect", SqlDialectName(options.dialect));
  if (options.target == MigrationTarget::kN8n) {
    line(kTargetKey, "n8n");
    line("n8n id", m.n8n_id);
    if (options.n8n_project) line("n8n project", *options.n8n_project);
  }
  line("Workflow", wf.workflow.name);
  line(kWorkflowIdKey, wf.id);
  line("Path", wf.path);
  line("Format", FormatName(wf.workflow.format));
  line("Last updated", wf.updated_at);
  line(kContentHashKey, wf.workflow.content_hash);
  if (m.credential_references > 0) {
    h += fmt::format("-- Credentials: {} reference{} kept as type and name ({})\n",
                     m.credential_references, m.credential_references == 1 ? "" : "s",
                     options.target == MigrationTarget::kN8n
                         ? "re-bound to the target's own when applied"
                         : "ids dropped");
  }
  for (const std::string& path : m.redacted) line("Redacted", path);
  for (const std::string& path : m.allowed) line("Allowed", path);
  if (!options.notes.empty()) line("Notes", options.notes);
  if (m.sidecar) {
    h += fmt::format("{}{} sha256:{}\n", kSidecarHeader, m.sidecar->name,
                     Sha256Hex(m.sidecar->bytes));
  }
  h += kWorkflowMigrationMarker;
  h += '\n';
  return h;
}

// The SQL after the header: the up statements alone, or dbmate's sections.
template <typename Down>
std::string Sections(MigrationStyle style, const std::string& up, Down down) {
  if (style != MigrationStyle::kDbmate) return up;
  return "-- migrate:up\n" + up + "\n-- migrate:down\n" + down();
}

bool IsSlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string SlugOf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (IsSlugChar(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  if (out.size() > kMaxSlug) out.resize(kMaxSlug);
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace

// ---- Pieces -----------------------------------------------------------------------

Result<CredentialReduction> ReduceCredentials(std::string_view workflow_json) {
  CredentialReduction out;
  Json doc;
  try {
    doc = Json::parse(workflow_json);
  } catch (const Json::parse_error& e) {
    // e.what() may quote the text, which can hold secrets: position only.
    return Status::Corruption(fmt::format("not valid JSON (byte {})", e.byte));
  }
  auto nodes = doc.is_object() ? doc.find("nodes") : doc.end();
  if (nodes == doc.end() || !nodes->is_array()) {
    out.content = std::string(workflow_json);
    return out;
  }
  for (Json& node : *nodes) {
    if (!node.is_object()) continue;
    auto credentials = node.find("credentials");
    if (credentials == node.end()) continue;
    if (!credentials->is_object()) {
      node.erase(credentials);
      out.changed = true;
      continue;
    }
    Json reduced = Json::object();
    for (auto& [type, ref] : credentials->items()) {
      std::optional<std::string> name;
      if (ref.is_string()) {
        name = ref.get<std::string>();
      } else if (ref.is_object()) {
        auto n = ref.find("name");
        if (n != ref.end() && n->is_string()) name = n->get<std::string>();
      }
      if (!name) {
        out.changed = true;  // nothing to rebind it by
        continue;
      }
      Json kept = Json::object();
      kept["id"] = nullptr;
      kept["name"] = *name;
      if (ref != kept) out.changed = true;
      reduced[type] = std::move(kept);
      ++out.references;
    }
    *credentials = std::move(reduced);
  }
  if (out.changed) {
    out.content = doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  } else {
    out.content = std::string(workflow_json);
  }
  return out;
}

std::string MigrationSlug(std::string_view name, std::string_view id, std::string_view source) {
  std::string slug = SlugOf(name);
  if (slug.empty()) {
    std::string short_id = SlugOf(id.substr(0, 8));
    slug = short_id.empty() ? "workflow" : "workflow_" + short_id;
  }
  return source == "prod" ? "prod_sync_" + slug : slug;
}

std::string EscapeHeaderText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto cont = [&](size_t i) {
    return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        out += fmt::format("\\x{:02x}", c);
      }
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length and the range of its second byte.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool valid = len > 0 && i + len <= text.size();
    if (valid) {
      const unsigned char second = static_cast<unsigned char>(text[i + 1]);
      valid = second >= lo && second <= hi;
      for (size_t k = 2; valid && k < len; ++k) valid = cont(i + k);
    }
    if (!valid) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (cp <= 0x9F) {
      out += fmt::format("\\u{:04x}", cp);  // C1 controls (NEL ends lines for some tools)
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

Result<std::vector<std::string>> MigrationVersions(int64_t now_ms, size_t count,
                                                   const std::vector<std::string>& existing_files) {
  int64_t now_s = now_ms / 1000;
  if (now_ms < 0 && now_ms % 1000 != 0) --now_s;
  std::vector<std::pair<const std::string*, std::string_view>> existing;  // file, version
  for (const std::string& name : existing_files) {
    if (std::string_view v = SqlFileVersion(name); !v.empty()) existing.emplace_back(&name, v);
  }
  // The second before now: a migration made by hand from now on (dbmate new
  // names it after the current second) sorts after the whole run.
  int64_t second = now_s - 1;
  for (const auto& [name, version] : existing) {
    if (std::optional<int64_t> secs = TimestampSecondsOf(version)) {
      second = std::max(second, *secs + 1);
    }
  }
  const std::string base = VersionOf(second);
  for (const auto& [name, version] : existing) {
    // Not a timestamp: "001_init.sql" sorts before any and does not matter;
    // one that sorts after the run's versions ("99999999999999") leaves no
    // room.
    if (!TimestampSecondsOf(version) && CompareMigrationVersions(version, base) >= 0) {
      return Status::Conflict(fmt::format(
          "the migrations folder holds {}, whose version {} is no YYYYMMDDHHMMSS timestamp and "
          "sorts after any new one",
          *name, version));
    }
  }
  std::vector<std::string> out;
  if (count == 1) out.push_back(base);
  if (count > 1) {
    const int width = static_cast<int>(std::to_string(count).size());
    out.reserve(count);
    for (size_t i = 1; i <= count; ++i) out.push_back(fmt::format("{}{:0{}}", base, i, width));
  }
  return out;
}

Result<MigrationPlan> PlanMigrations(std::vector<WorkflowExport> workflows,
                                     const ExistingMigrations& existing,
                                     const MigrationCreateOptions& options) {
  if (options.source != "dev" && options.source != "prod" && options.source != "staging") {
    return Status::InvalidArgument("source '" + EscapeHeaderText(options.source) +
                                   "': use dev, prod or staging");
  }
  std::stable_sort(workflows.begin(), workflows.end(),
                   [](const WorkflowExport& a, const WorkflowExport& b) {
                     return std::tie(a.path, a.id) < std::tie(b.path, b.id);
                   });

  // Every workflow is reduced and scanned before anything is decided, so a
  // refusal lists all findings of the batch at once.
  std::vector<Prepared> prepared;
  prepared.reserve(workflows.size());
  std::set<std::string> used_allowed;
  bool blocked = false;
  for (WorkflowExport& wf : workflows) {
    if (options.target == MigrationTarget::kN8n && wf.workflow.format == Format::kPhase) {
      return Status::InvalidArgument(EscapeHeaderText(wf.path) +
                                     ": a phase file is no n8n workflow; it cannot go into n8n");
    }
    Prepared p;
    p.wf = std::move(wf);
    FS_TRY(Prepare(options, &p, &used_allowed));
    blocked = blocked || !p.blocking.empty();
    prepared.push_back(std::move(p));
  }
  if (blocked && !options.redact) return Refusal(prepared);

  MigrationPlan plan;
  plan.dir = options.dir;
  for (const std::string& path : options.allowed_paths) {
    if (used_allowed.count(path) == 0) plan.unused_allowed.push_back(path);
  }
  // The newest migration of each workflow already in the folder.
  std::map<std::string, const ExistingWorkflowMigration*> newest;
  for (const ExistingWorkflowMigration& e : existing.workflow_migrations) {
    const ExistingWorkflowMigration*& n = newest[e.workflow_id];
    if (n == nullptr || CompareMigrationVersions(n->version, e.version) < 0) n = &e;
  }

  std::vector<PlannedMigration> planned;
  std::vector<WorkflowExport> to_write;
  for (Prepared& p : prepared) {
    PlannedMigration m;
    if (!p.blocking.empty()) {
      m.redacted = UniquePaths(p.blocking);
      FS_TRY(Redact(options, &p));
      if (!p.blocking.empty()) return Refusal({p}, /*after_redaction=*/true);
    }
    m.allowed = UniquePaths(p.allowed);
    m.credential_references = p.references;
    WorkflowExport& wf = p.wf;
    // Also when the content did not change: derived data as the target's
    // sync computes it, not as the source database holds it (its
    // duplicate-source-id warnings are its own). A bundle's hash covers its
    // (redacted) meta.json and README.md too, as a sync's does.
    FS_TRY_ASSIGN(wf.workflow, Rederive(wf, std::move(p.content)));
    m.workflow_id = wf.id;
    m.workflow_name = wf.workflow.name;
    m.path = wf.path;
    auto last = newest.find(EscapeHeaderText(wf.id));
    if (!options.force && last != newest.end() &&
        last->second->content_hash == EscapeHeaderText(wf.workflow.content_hash)) {
      plan.skipped.push_back({wf.id, wf.workflow.name, wf.path, last->second->file});
      continue;
    }
    planned.push_back(std::move(m));
    to_write.push_back(std::move(wf));
  }

  // n8n ids: kept from n8n, else the file's id when n8n can take it and no
  // other workflow of the batch holds it, else derived from the stable id;
  // Execute Workflow references to the batch's workflows follow them.
  std::map<std::string, std::string, std::less<>> n8n_ids;
  if (options.target == MigrationTarget::kN8n) {
    std::set<std::string> taken;
    for (const WorkflowExport& wf : to_write) {
      if (wf.n8n_id) taken.insert(*wf.n8n_id);
    }
    for (size_t i = 0; i < planned.size(); ++i) {
      const WorkflowExport& wf = to_write[i];
      std::string id;
      if (wf.n8n_id) {
        id = *wf.n8n_id;
      } else if (wf.workflow.source_id && n8n::IsN8nId(*wf.workflow.source_id) &&
                 taken.insert(*wf.workflow.source_id).second) {
        id = *wf.workflow.source_id;
      } else {
        id = n8n::N8nIdFromUuid(wf.id);
      }
      planned[i].n8n_id = id;
      // A workflow read from n8n is referred to by its n8n id there.
      const std::optional<std::string>& named = wf.n8n_id ? wf.n8n_id : wf.workflow.source_id;
      if (named) n8n_ids.emplace(*named, id);
    }
  }

  const int64_t now_ms = (options.clock != nullptr ? *options.clock : SystemClock()).NowMs();
  FS_TRY_ASSIGN(std::vector<std::string> versions,
                MigrationVersions(now_ms, planned.size(), existing.names));
  for (size_t i = 0; i < planned.size(); ++i) {
    PlannedMigration& m = planned[i];
    const WorkflowExport& wf = to_write[i];
    const std::string stem =
        versions[i] + "_" + MigrationSlug(wf.workflow.name, wf.id, options.source);
    m.sql.name = stem + ".sql";
    if (options.target == MigrationTarget::kN8n) {
      N8nWorkflowSqlOptions n8n_options;
      n8n_options.migration_file = m.sql.name;
      n8n_options.source = options.source;
      n8n_options.notes = options.notes;
      n8n_options.n8n_id = m.n8n_id;
      n8n_options.version_id = UuidV5(
          kWorkflowIdNamespace, "n8n-version\n" + m.sql.name + "\n" + wf.workflow.content_hash);
      n8n_options.project = options.n8n_project;
      n8n_options.workflow_ids = n8n_ids;
      FS_TRY_ASSIGN(std::string up,
                    N8nWorkflowUpSql(options.dialect, wf, n8n_options, &m.credential_references));
      m.sql.bytes = Header(options, m, wf) + Sections(options.style, up, [&] {
                      return N8nWorkflowDownSql(options.dialect, m.sql.name);
                    });
      continue;
    }
    WorkflowSqlOptions sql_options;
    sql_options.migration_file = m.sql.name;
    sql_options.source = options.source;
    sql_options.notes = options.notes;
    if (wf.workflow.content.size() > options.sidecar_threshold) {
      m.sidecar = PlannedFile{stem + ".json", wf.workflow.content};
      sql_options.content_in_sidecar = true;
    }
    m.sql.bytes = Header(options, m, wf) +
                  Sections(options.style, WorkflowUpSql(options.dialect, wf, sql_options),
                           [&] { return WorkflowDownSql(options.dialect, m.sql.name); });
  }
  plan.migrations = std::move(planned);
  return plan;
}

Result<ExistingMigrations> ReadMigrationFolder(const FileSystem& fs, const std::string& dir) {
  const std::string folder = dir.empty() ? "." : dir;
  ExistingMigrations out;
  auto entries = fs.ListDir(folder);
  if (!entries.ok()) {
    if (entries.status().code() == StatusCode::kNotFound) return out;
    return WithContext(entries.status(), folder, "cannot list " + folder);
  }
  for (const DirEntry& e : *entries) {
    out.names.push_back(e.name);
    std::string_view version = SqlFileVersion(e.name);
    if (version.empty() || e.name[version.size()] != '_' || e.type == FileType::kDirectory) {
      continue;
    }
    const std::string path = JoinPath(folder, e.name);
    Result<std::string> text = fs.ReadFile(path, kMaxMigrationFileSize);
    if (!text.ok()) return WithContext(text.status(), path, "cannot read " + path);
    if (!IsWorkflowMigration(*text)) continue;
    std::optional<std::string> id = FindHeaderField(*text, kWorkflowIdKey);
    std::optional<std::string> hash = FindHeaderField(*text, kContentHashKey);
    if (!id || !hash) continue;
    out.workflow_migrations.push_back({e.name, std::string(version), *id, *hash});
  }
  return out;
}

Status WriteMigrations(const MigrationPlan& plan, const FileSystem& fs) {
  if (plan.migrations.empty()) return Status::OK();
  const std::string dir = plan.dir.empty() ? "." : plan.dir;
  if (Status s = fs.CreateDirs(dir); !s.ok()) {
    return Status::IOError(WithContext(s, dir, "cannot create folder " + dir).message());
  }
  // What a killed run left: litter only (the runner skips hidden files), so
  // a failure to remove it is no reason to fail this run.
  (void)RemoveStaleTempFiles(fs, dir);

  struct Pending {
    std::string temp;
    std::string final;
  };
  std::vector<Pending> pending;
  std::vector<std::string> renamed;
  auto undo = [&]() {
    for (const std::string& f : renamed) (void)fs.RemoveFile(f);
    for (const Pending& p : pending) (void)fs.RemoveFile(p.temp);
  };
  // Errors name the final file, the one the user asked for.
  auto stage = [&](const PlannedFile& file) -> Status {
    const std::string final = JoinPath(dir, file.name);
    const std::string temp = TempPathFor(final);
    Status s = fs.WriteNewFile(temp, file.bytes, /*sync=*/false);
    if (!s.ok()) return WithContext(s, temp, "cannot write " + final);
    pending.push_back({temp, final});
    return Status::OK();
  };
  for (const PlannedMigration& m : plan.migrations) {
    Status s = m.sidecar ? stage(*m.sidecar) : Status::OK();
    if (s.ok()) s = stage(m.sql);
    if (!s.ok()) {
      undo();
      return s;
    }
  }
  // Every temporary file must be on disk before any rename makes it
  // visible. One syncfs(2) of the folder's file system does that for the
  // whole batch (a thousand fsync(2) calls took 2 s of a 3.5 s run).
  if (Status s = fs.SyncFileSystem(dir); !s.ok()) {
    undo();
    return WithContext(s, dir, "cannot sync the files in " + dir);
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    Status s = fs.Rename(pending[i].temp, pending[i].final, FileSystem::RenameMode::kNoReplace);
    if (!s.ok()) {
      const std::string final = pending[i].final;
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(i));
      undo();
      if (s.code() == StatusCode::kConflict) return Status::Conflict(final + " already exists");
      return WithContext(s, final, "cannot rename to " + final);
    }
    renamed.push_back(pending[i].final);
  }
  // The renames are durable once the folder is; a failure here is not a
  // reason to undo files that are complete.
  (void)fs.SyncDir(dir);
  return Status::OK();
}

}  // namespace flowsync
