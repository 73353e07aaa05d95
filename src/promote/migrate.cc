#include "promote/migrate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "promote/migration_format.h"
#include "promote/n8n_workflow_sql.h"
#include "promote/workflow_sql.h"
#include "util/hash.h"
#include "util/host.h"

namespace flowsync {
namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view StripZeros(std::string_view v) {
  while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
  return v;
}

bool SameVersionNumber(std::string_view a, std::string_view b) {
  return StripZeros(a) == StripZeros(b);
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// ---- Parsing -------------------------------------------------------------------

struct Marker {
  bool up = true;
  size_t offset = 0;  // of the marker line in the text
  int line = 0;
  bool transaction = true;
};

// A marker is a whole line: "--", optional blanks, "migrate:WORD", then
// options separated by blanks (dbmate's syntax). nullopt when the line is
// no marker; InvalidArgument for a malformed one.
Result<std::optional<Marker>> ReadMarker(std::string_view file, std::string_view line, int number,
                                         size_t offset) {
  if (line.substr(0, 2) != "--") return std::optional<Marker>();
  std::string_view rest = TrimLeft(line.substr(2));
  constexpr std::string_view kPrefix = "migrate:";
  if (rest.substr(0, kPrefix.size()) != kPrefix) return std::optional<Marker>();
  rest.remove_prefix(kPrefix.size());
  size_t word_end = 0;
  while (word_end < rest.size() && !IsBlank(rest[word_end])) ++word_end;
  std::string_view word = rest.substr(0, word_end);
  if (word != "up" && word != "down") {
    return Status::InvalidArgument(
        fmt::format("{}:{}: unknown marker '-- migrate:{}' (expected '-- migrate:up' or "
                    "'-- migrate:down')",
                    file, number, word));
  }
  Marker m;
  m.up = word == "up";
  m.offset = offset;
  m.line = number;
  rest = TrimLeft(rest.substr(word_end));
  while (!rest.empty()) {
    size_t end = 0;
    while (end < rest.size() && !IsBlank(rest[end])) ++end;
    std::string_view option = rest.substr(0, end);
    if (option == "transaction:false") {
      m.transaction = false;
    } else if (option == "transaction:true") {
      m.transaction = true;
    } else {
      return Status::InvalidArgument(
          fmt::format("{}:{}: unknown option '{}' of '-- migrate:{}' (the one option is "
                      "transaction:false)",
                      file, number, option, word));
    }
    rest = TrimLeft(rest.substr(end));
  }
  return std::optional<Marker>(m);
}

// ---- History ---------------------------------------------------------------------

using HistoryRow = MigrationHistoryRow;

MigrationStatus BuildStatus(const MigrationFolder& folder, const std::vector<HistoryRow>& history,
                            const std::map<std::string, MigrationEvent>& events) {
  MigrationStatus out;
  std::map<std::string, const HistoryRow*> by_version;
  for (const HistoryRow& h : history) {
    by_version[h.version] = &h;
    if (out.newest_applied.empty() || CompareMigrationVersions(h.version, out.newest_applied) > 0) {
      out.newest_applied = h.version;
    }
  }
  std::set<std::string> seen;
  for (const MigrationFile& f : folder.files) {
    MigrationStatusRow row;
    row.version = f.version;
    row.name = f.name;
    row.file = f.file;
    row.checksum = f.checksum;
    auto it = by_version.find(f.version);
    if (it != by_version.end()) {
      const HistoryRow& h = *it->second;
      seen.insert(h.version);
      row.stored_checksum = h.checksum;
      row.applied_at = h.applied_at;
      row.applied_by = h.applied_by;
      row.execution_ms = h.execution_ms;
      row.installed_rank = h.installed_rank;
      if (h.checksum != f.checksum) {
        row.state = MigrationState::kChanged;
      } else {
        row.state = h.status == "baseline" ? MigrationState::kBaseline : MigrationState::kApplied;
      }
    } else {
      row.state = MigrationState::kPending;
      auto e = events.find(f.version);
      if (e != events.end() && e->second.event == "failed") {
        row.state = MigrationState::kFailed;
        row.error = e->second.detail.value_or("");
        row.applied_at = e->second.at;
        row.applied_by = e->second.by;
      }
      row.out_of_order = !out.newest_applied.empty() &&
                         CompareMigrationVersions(f.version, out.newest_applied) < 0;
    }
    out.migrations.push_back(std::move(row));
  }
  for (const HistoryRow& h : history) {
    if (seen.count(h.version) != 0) continue;
    MigrationStatusRow row;
    row.version = h.version;
    row.name = h.name;
    row.file = h.version + "_" + h.name + ".sql";
    row.state = MigrationState::kMissing;
    row.checksum = h.checksum;
    row.stored_checksum = h.checksum;
    row.applied_at = h.applied_at;
    row.applied_by = h.applied_by;
    row.execution_ms = h.execution_ms;
    row.installed_rank = h.installed_rank;
    out.migrations.push_back(std::move(row));
  }
  std::stable_sort(out.migrations.begin(), out.migrations.end(),
                   [](const MigrationStatusRow& a, const MigrationStatusRow& b) {
                     return CompareMigrationVersions(a.version, b.version) < 0;
                   });
  for (const MigrationStatusRow& r : out.migrations) {
    switch (r.state) {
      case MigrationState::kApplied:
        ++out.counts.applied;
        break;
      case MigrationState::kBaseline:
        ++out.counts.baseline;
        break;
      case MigrationState::kPending:
        ++out.counts.pending;
        break;
      case MigrationState::kFailed:
        ++out.counts.failed;
        break;
      case MigrationState::kChanged:
        ++out.counts.changed;
        break;
      case MigrationState::kMissing:
        ++out.counts.missing;
        break;
    }
  }
  return out;
}

bool IsPending(const MigrationStatusRow& r) {
  return r.state == MigrationState::kPending || r.state == MigrationState::kFailed;
}

// ---- Writing the history -------------------------------------------------------------

Status InsertEvent(MigrationHistory& s, const std::string& version, const std::string& name,
                   std::string_view event, const std::string& by,
                   std::optional<std::string> checksum, std::optional<int64_t> execution_ms,
                   std::optional<std::string> detail) {
  MigrationEvent e;
  e.version = version;
  e.name = name;
  e.event = std::string(event);
  e.by = by;
  e.checksum = std::move(checksum);
  e.execution_ms = execution_ms;
  e.detail = std::move(detail);
  return s.AppendEvent(e);
}

Status InsertHistory(MigrationHistory& s, const MigrationFile& f, const std::string& by,
                     int64_t execution_ms, std::string_view status) {
  MigrationHistoryRow row;
  row.version = f.version;
  row.name = f.name;
  row.checksum = f.checksum;
  row.applied_by = by;
  row.execution_ms = execution_ms;
  row.status = std::string(status);
  return s.InsertApplied(row);
}

// Records a failure in a transaction of its own (the failed one is gone).
Status RecordFailure(MigrationHistory& s, const std::string& version, const std::string& name,
                     const std::string& by, const std::string& checksum, int64_t execution_ms,
                     const std::string& detail) {
  Status st = s.Begin();
  if (st.ok()) {
    st = InsertEvent(s, version, name, "failed", by, checksum, execution_ms, detail);
  }
  if (st.ok()) st = s.Commit();
  if (!st.ok()) s.Rollback();
  return st;
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Runs `sql` and then `record` (the history rows), as one transaction when
// `transaction`; otherwise `sql` runs on its own and `record` in a
// transaction after it. On failure everything that can be is rolled back,
// a 'failed' event is written, and the Status says "<what> FILE failed:
// ...".
Status RunWithHistory(MigrationHistory& s, const std::string& what, const std::string& file,
                      const std::string& version, const std::string& name,
                      const std::string& checksum, const std::string& by, const std::string& sql,
                      bool transaction, const std::function<Status(int64_t ms)>& record,
                      int64_t* execution_ms) {
  auto start = std::chrono::steady_clock::now();
  int ran = 0;
  bool sql_done = false;
  Status st;
  if (transaction) st = s.Begin();
  if (st.ok()) st = s.ExecScript(sql, &ran);
  *execution_ms = MillisSince(start);
  if (st.ok()) {
    sql_done = true;
    if (!transaction) st = s.Begin();
  }
  if (st.ok()) st = record(*execution_ms);
  if (st.ok()) st = s.Commit();
  if (st.ok()) return st;
  s.Rollback();
  std::string detail = st.message();
  if (!transaction && (ran > 0 || sql_done)) {
    detail += sql_done ? " (its SQL ran outside a transaction (transaction:false) and stays "
                         "applied; only the history is missing)"
                       : fmt::format(
                             " ({} before it ran outside a transaction "
                             "(transaction:false) and stay applied)",
                             Plural(static_cast<size_t>(ran), "statement", "statements"));
  }
  std::string message = fmt::format("{} {} failed: {}", what, file, detail);
  Status recorded = RecordFailure(s, version, name, by, checksum, *execution_ms,
                                  what == "migration" ? detail : "down: " + detail);
  if (!recorded.ok()) message += "; recording the failure failed too: " + recorded.message();
  return Status(st.code(), message);
}

std::string By(const std::string& applied_by) {
  return applied_by.empty() ? DefaultMigrationUser() : applied_by;
}

std::string ChangedMessage(const std::vector<const MigrationStatusRow*>& changed) {
  std::string msg = fmt::format(
      "{} changed since {} applied:", Plural(changed.size(), "migration file", "migration files"),
      changed.size() == 1 ? "it was" : "they were");
  for (const MigrationStatusRow* r : changed) {
    msg += fmt::format("\n  {}: applied as {}, now {}", r->file, r->stored_checksum, r->checksum);
  }
  msg +=
      "\nrestore the applied text, or run `flowsync migrate repair` to accept the files as they "
      "are now";
  return msg;
}

std::string OutOfOrderMessage(const std::vector<const MigrationStatusRow*>& rows,
                              const std::string& newest) {
  std::string msg =
      fmt::format("{} older than the newest applied version {}:",
                  Plural(rows.size(), "pending migration is", "pending migrations are"), newest);
  for (const MigrationStatusRow* r : rows) msg += "\n  " + r->file;
  msg +=
      "\nthey were probably merged from another branch; run with --allow-out-of-order to apply "
      "them anyway";
  return msg;
}

}  // namespace

// ---- Files -----------------------------------------------------------------------

std::string MigrationFile::UpSql(SqlDialect dialect) const {
  if (!sidecar_content) return up_sql;
  return SubstituteSidecar(dialect, up_sql, *sidecar_content);
}

std::optional<std::string> MigrationFile::DownSql(SqlDialect dialect) const {
  if (!down_sql || !sidecar_content) return down_sql;
  return SubstituteSidecar(dialect, *down_sql, *sidecar_content);
}

Result<MigrationFile> ParseMigrationFile(std::string_view file, std::string_view text) {
  MigrationFile out;
  out.file = std::string(file);
  size_t digits = 0;
  while (digits < file.size() && file[digits] >= '0' && file[digits] <= '9') ++digits;
  constexpr std::string_view kExt = ".sql";
  if (digits == 0 || digits + 1 >= file.size() || file[digits] != '_' ||
      file.size() < digits + 1 + 1 + kExt.size() ||
      file.substr(file.size() - kExt.size()) != kExt) {
    return Status::InvalidArgument(fmt::format(
        "{}: not a migration file name: expected VERSION_NAME.sql, VERSION being digits "
        "(e.g. 20261122101500_add_users.sql)",
        file));
  }
  out.version = std::string(file.substr(0, digits));
  out.name = std::string(file.substr(digits + 1, file.size() - digits - 1 - kExt.size()));
  out.checksum = MigrationChecksum(text);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  out.workflow_migration = IsWorkflowMigration(text);
  out.n8n_target = IsN8nWorkflowMigration(text);
  out.written_for = FindHeaderDialect(text);
  out.generated_as = FindHeaderMigrationName(text);

  std::optional<Marker> up, down;
  int first_sql_line = 0;  // of SQL before any marker
  size_t pos = 0;
  int number = 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = TrimRight(text.substr(pos, end - pos));
    FS_TRY_ASSIGN(std::optional<Marker> marker, ReadMarker(file, line, number, pos));
    if (marker && marker->up) {
      if (up) {
        return Status::InvalidArgument(fmt::format(
            "{}:{}: a second '-- migrate:up' (the first is on line {})", file, number, up->line));
      }
      up = marker;
    } else if (marker) {
      if (down) {
        return Status::InvalidArgument(
            fmt::format("{}:{}: a second '-- migrate:down' (the first is on line {})", file, number,
                        down->line));
      }
      if (!up) {
        return Status::InvalidArgument(
            fmt::format("{}:{}: '-- migrate:down' before '-- migrate:up'", file, number));
      }
      down = marker;
    } else if (!up && first_sql_line == 0) {
      std::string_view content = TrimLeft(line);
      if (!content.empty() && content.substr(0, 2) != "--") first_sql_line = number;
    }
    pos = end + 1;
    ++number;
  }
  if (!up) {  // plain: the whole file is up
    out.up_sql = std::string(text);
    return out;
  }
  if (first_sql_line != 0) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: SQL before '-- migrate:up' (line {}): a file with sections runs only "
                    "what is in them",
                    file, first_sql_line, up->line));
  }
  out.up_transaction = up->transaction;
  if (down) {
    out.up_sql = std::string(text.substr(0, down->offset));
    out.down_sql = std::string(static_cast<size_t>(down->line - 1), '\n');
    out.down_sql->append(text.substr(down->offset));
    out.down_transaction = down->transaction;
  } else {
    out.up_sql = std::string(text);
  }
  return out;
}

const MigrationFile* MigrationFolder::Find(std::string_view version) const {
  for (const MigrationFile& f : files) {
    if (f.version == version) return &f;
  }
  return nullptr;
}

Status MigrationFolder::ProblemsStatus() const {
  if (problems.empty()) return Status::OK();
  if (problems.size() == 1) return Status::InvalidArgument(problems[0].message());
  std::string msg = fmt::format("{} in {}:", Plural(problems.size(), "problem", "problems"), dir);
  for (const Status& p : problems) msg += "\n  " + p.message();
  return Status::InvalidArgument(msg);
}

Result<MigrationFolder> LoadMigrations(const FileSystem& fs, const std::string& dir) {
  MigrationFolder out;
  out.dir = dir;
  Result<FileInfo> info = fs.Stat(dir);
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no migrations folder " + dir);
    }
    return info.status();
  }
  if (info->type != FileType::kDirectory) {
    return Status::InvalidArgument("migrations folder " + dir + " is not a folder");
  }
  FS_TRY_ASSIGN(std::vector<DirEntry> entries, fs.ListDir(dir));
  for (const DirEntry& e : entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::string path = JoinPath(dir, e.name);
    FileType type = e.type;
    if (type == FileType::kSymlink) {
      Result<FileInfo> target = fs.Stat(path);
      if (!target.ok()) {
        out.problems.push_back(target.status());
        continue;
      }
      type = target->type;
    }
    if (type == FileType::kDirectory) continue;
    std::string lower = e.name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.size() < 4 || lower.substr(lower.size() - 4) != ".sql") continue;
    Result<std::string> text = fs.ReadFile(path, kMaxMigrationFileSize);
    if (!text.ok()) {
      out.problems.push_back(text.status());
      continue;
    }
    Result<MigrationFile> file = ParseMigrationFile(e.name, *text);
    if (!file.ok()) {
      out.problems.push_back(file.status());
      continue;
    }
    if (std::optional<SidecarRef> ref = FindSidecarRef(*text)) {
      if (ref->file.empty() || ref->file.find('/') != std::string::npos || ref->file[0] == '.') {
        out.problems.push_back(Status::InvalidArgument(fmt::format(
            "{}: sidecar '{}' must be a file name in the same folder", e.name, ref->file)));
        continue;
      }
      Result<std::string> content = fs.ReadFile(JoinPath(dir, ref->file), kMaxMigrationFileSize);
      if (!content.ok()) {
        out.problems.push_back(
            Status(content.status().code() == StatusCode::kNotFound ? StatusCode::kInvalidArgument
                                                                    : content.status().code(),
                   content.status().code() == StatusCode::kNotFound
                       ? fmt::format("{}: sidecar {} is missing", e.name, ref->file)
                       : fmt::format("{}: sidecar {}: {}", e.name, ref->file,
                                     content.status().message())));
        continue;
      }
      std::string actual = "sha256:" + Sha256Hex(*content);
      if (actual != ref->sha256) {
        out.problems.push_back(Status::InvalidArgument(
            fmt::format("{}: sidecar {} does not match the checksum in the header (header {}, "
                        "file {})",
                        e.name, ref->file, ref->sha256, actual)));
        continue;
      }
      if (size_t tokens = CountSidecarTokens(file->up_sql); tokens != 1) {
        out.problems.push_back(Status::InvalidArgument(fmt::format(
            "{}: names sidecar {} but holds its token {} {} times outside quotes and comments "
            "(it must be once)",
            e.name, ref->file, kSidecarToken, tokens)));
        continue;
      }
      file->sidecar_file = ref->file;
      file->sidecar_content = std::move(content).value();
    } else if (CountSidecarTokens(file->up_sql) > 0) {
      out.problems.push_back(Status::InvalidArgument(
          fmt::format("{}: holds the sidecar token {} but its header names no sidecar "
                      "(\"{}NAME.json sha256:HEX\")",
                      e.name, kSidecarToken, kSidecarHeader)));
      continue;
    }
    out.files.push_back(std::move(file).value());
  }
  std::sort(out.files.begin(), out.files.end(), [](const MigrationFile& a, const MigrationFile& b) {
    return CompareMigrationVersions(a.version, b.version) < 0;
  });
  // A version names one file: drop every file of a version used twice.
  std::vector<MigrationFile> unique;
  for (size_t i = 0; i < out.files.size();) {
    size_t j = i + 1;
    while (j < out.files.size() && SameVersionNumber(out.files[i].version, out.files[j].version)) {
      ++j;
    }
    if (j - i == 1) {
      unique.push_back(std::move(out.files[i]));
    } else {
      std::string names;
      for (size_t k = i; k < j; ++k)
        names += (k == i ? "" : (k + 1 == j ? " and " : ", ")) + out.files[k].file;
      out.problems.push_back(Status::InvalidArgument(fmt::format(
          "version {} is used by more than one file: {}", out.files[i].version, names)));
    }
    i = j;
  }
  out.files = std::move(unique);
  return out;
}

// ---- State -----------------------------------------------------------------------

std::string_view MigrationStateName(MigrationState state) {
  switch (state) {
    case MigrationState::kApplied:
      return "applied";
    case MigrationState::kBaseline:
      return "baseline";
    case MigrationState::kPending:
      return "pending";
    case MigrationState::kFailed:
      return "failed";
    case MigrationState::kChanged:
      return "changed";
    case MigrationState::kMissing:
      return "missing";
  }
  return "?";
}

Result<MigrationStatus> ReadMigrationStatus(MigrationHistory& session,
                                            const MigrationFolder& folder) {
  FS_TRY_ASSIGN(std::vector<HistoryRow> history, session.ReadApplied());
  FS_TRY_ASSIGN(auto events, session.ReadLastEvents());
  return BuildStatus(folder, history, events);
}

MigrationStatus FreshMigrationStatus(const MigrationFolder& folder) {
  return BuildStatus(folder, {}, {});
}

// ---- Operations -------------------------------------------------------------------

std::string DefaultMigrationUser() { return UserAtHost(); }

// Generated files name the dialect they were written for; SQL for the
// other backend would fail part-way through, so none of them runs.
Status CheckDialects(const MigrationHistory& session, const MigrationFolder& folder,
                     const std::vector<const MigrationStatusRow*>& todo) {
  std::string wrong;
  for (const MigrationStatusRow* r : todo) {
    const MigrationFile& f = *folder.Find(r->version);
    if (f.written_for && *f.written_for != session.dialect()) {
      wrong += fmt::format("\n  {} (written for {})", f.file, SqlDialectName(*f.written_for));
    }
  }
  if (wrong.empty()) return Status::OK();
  return Status::InvalidArgument(fmt::format(
      "this database is {}, and these migrations were generated for another database; nothing "
      "was applied (create them again with `flowsync migration create --dialect {}`):{}",
      SqlDialectName(session.dialect()), SqlDialectName(session.dialect()), wrong));
}

Result<UpReport> MigrateUp(MigrationHistory& session, const MigrationFolder& folder,
                           const UpOptions& options) {
  FS_TRY(folder.ProblemsStatus());
  if (options.target && !IsDigits(*options.target)) {
    return Status::InvalidArgument("target version '" + *options.target + "' is not all digits");
  }
  FS_TRY_ASSIGN(MigrationStatus status, ReadMigrationStatus(session, folder));
  UpReport report;
  report.dry_run = options.dry_run;
  std::vector<const MigrationStatusRow*> changed, out_of_order, todo;
  for (const MigrationStatusRow& r : status.migrations) {
    if (r.state == MigrationState::kChanged) changed.push_back(&r);
    if (r.state == MigrationState::kMissing) report.missing.push_back({r.version, r.name, r.file});
    if (!IsPending(r)) continue;
    if (options.target && CompareMigrationVersions(r.version, *options.target) > 0) {
      report.pending.push_back({r.version, r.name, r.file});
      continue;
    }
    todo.push_back(&r);
    if (r.out_of_order) out_of_order.push_back(&r);
  }
  if (!changed.empty()) return Status::Conflict(ChangedMessage(changed));
  if (!out_of_order.empty() && !options.allow_out_of_order) {
    return Status::Conflict(OutOfOrderMessage(out_of_order, status.newest_applied));
  }
  FS_TRY(CheckDialects(session, folder, todo));
  const std::string by = By(options.applied_by);
  for (size_t i = 0; i < todo.size(); ++i) {
    const MigrationFile& f = *folder.Find(todo[i]->version);
    AppliedMigration a;
    a.file = f.file;
    a.version = f.version;
    a.name = f.name;
    a.checksum = f.checksum;
    a.transaction = f.up_transaction;
    std::string sql = f.UpSql(session.dialect());
    if (options.dry_run) {
      a.sql = std::move(sql);
      report.applied.push_back(std::move(a));
      continue;
    }
    Status st = RunWithHistory(
        session, "migration", f.file, f.version, f.name, f.checksum, by, sql, f.up_transaction,
        [&](int64_t ms) -> Status {
          FS_TRY(InsertHistory(session, f, by, ms, "applied"));
          return InsertEvent(session, f.version, f.name, "applied", by, f.checksum, ms,
                             std::nullopt);
        },
        &a.execution_ms);
    if (!st.ok()) {
      report.failure = st;
      report.failed = MigrationRef{f.version, f.name, f.file};
      std::vector<MigrationRef> left;
      for (size_t j = i + 1; j < todo.size(); ++j) {
        left.push_back({todo[j]->version, todo[j]->name, todo[j]->file});
      }
      report.pending.insert(report.pending.begin(), left.begin(), left.end());
      break;
    }
    if (options.on_applied) options.on_applied(a);
    report.applied.push_back(std::move(a));
  }
  return report;
}

Result<DownReport> MigrateDown(MigrationHistory& session, const MigrationFolder& folder,
                               const DownOptions& options) {
  if (options.count < 1) {
    return Status::InvalidArgument("down: the number of migrations to revert must be at least 1");
  }
  FS_TRY(folder.ProblemsStatus());
  FS_TRY_ASSIGN(std::vector<HistoryRow> history, session.ReadApplied());
  FS_TRY_ASSIGN(auto events, session.ReadLastEvents());
  MigrationStatus status = BuildStatus(folder, history, events);
  DownReport report;
  if (history.empty()) return report;
  if (static_cast<size_t>(options.count) > history.size()) {
    // Refused like a guard rail, nothing reverted: the database is not the
    // one the caller thinks it is.
    return Status::Conflict(fmt::format("cannot revert {}: only {} applied; nothing reverted",
                                        Plural(options.count, "migration", "migrations"),
                                        Plural(history.size(), "is", "are")));
  }
  std::map<std::string, const MigrationStatusRow*> rows;
  for (const MigrationStatusRow& r : status.migrations) rows[r.version] = &r;

  struct Target {
    const HistoryRow* history;
    std::string file;
    std::string sql;
    bool transaction = true;
    bool builtin = false;
  };
  std::vector<Target> targets;
  std::sort(history.begin(), history.end(), [](const HistoryRow& a, const HistoryRow& b) {
    return a.installed_rank > b.installed_rank;
  });
  for (int i = 0; i < options.count; ++i) {
    const HistoryRow& h = history[i];
    const MigrationStatusRow& row = *rows.at(h.version);
    Target t;
    t.history = &h;
    t.file = row.file;
    if (h.status == "baseline") {
      return Status::Conflict(fmt::format(
          "{} is a baseline, nothing to revert (it was marked applied, never run)", row.file));
    }
    if (row.state == MigrationState::kChanged) {
      return Status::Conflict(fmt::format(
          "{} changed since it was applied (applied as {}, now {}): its down section may not "
          "undo what ran; restore it, or run `flowsync migrate repair {}` to accept it",
          row.file, row.stored_checksum, row.checksum, row.version));
    }
    const MigrationFile* file = folder.Find(h.version);
    if (file != nullptr && file->down_sql) {
      t.sql = *file->DownSql(session.dialect());
      t.transaction = file->down_transaction;
    } else {
      // A generated file is known in migration_metadata by the name it was
      // generated with, even if it was renamed since.
      const std::string key =
          file != nullptr && file->generated_as ? *file->generated_as : row.file;
      FS_TRY_ASSIGN(bool claimed, session.HasWorkflowClaim(key));
      if (!claimed) {
        if (file != nullptr && file->workflow_migration) {
          return Status::InvalidArgument(fmt::format(
              "{} is a workflow migration, but migration_metadata holds no row for {}: nothing "
              "to revert (was it applied to this database by another route and then removed?)",
              row.file, key));
        }
        if (file == nullptr) {
          return Status::InvalidArgument(fmt::format(
              "{} is no longer in {} and is no workflow migration: there is no down to run",
              row.file, folder.dir));
        }
        return Status::InvalidArgument(row.file + " has no down section");
      }
      t.sql = file != nullptr && file->n8n_target ? N8nWorkflowDownSql(session.dialect(), key)
                                                  : WorkflowDownSql(session.dialect(), key);
      t.builtin = true;
    }
    targets.push_back(std::move(t));
  }
  const std::string by = By(options.applied_by);
  for (const Target& t : targets) {
    const HistoryRow& h = *t.history;
    RevertedMigration r;
    r.file = t.file;
    r.version = h.version;
    r.name = h.name;
    r.builtin = t.builtin;
    Status st = RunWithHistory(
        session, "down of migration", t.file, h.version, h.name, h.checksum, by, t.sql,
        t.transaction,
        [&](int64_t ms) -> Status {
          FS_TRY(session.RemoveApplied(h.version));
          return InsertEvent(session, h.version, h.name, "reverted", by, h.checksum, ms,
                             t.builtin ? "built-in workflow down" : "down section");
        },
        &r.execution_ms);
    if (!st.ok()) {
      report.failure = st;
      report.failed = MigrationRef{h.version, h.name, t.file};
      break;
    }
    if (options.on_reverted) options.on_reverted(r);
    report.reverted.push_back(std::move(r));
  }
  return report;
}

MigrationValidation ValidateMigrationStatus(const MigrationFolder& folder,
                                            const MigrationStatus& status,
                                            const ValidateOptions& options) {
  MigrationValidation out;
  for (const Status& p : folder.problems) out.problems.push_back(p.message());
  const bool broken = !out.problems.empty();
  for (const MigrationStatusRow& r : status.migrations) {
    if (r.state == MigrationState::kChanged) {
      out.problems.push_back(fmt::format("{}: changed since it was applied (applied as {}, now {})",
                                         r.file, r.stored_checksum, r.checksum));
    } else if (r.state == MigrationState::kMissing) {
      // A file that is there but broken is a problem of its own already.
      bool broken_file = false;
      for (const Status& p : folder.problems) {
        broken_file = broken_file || p.message().rfind(r.version + "_", 0) == 0;
      }
      if (!broken_file) {
        out.problems.push_back(
            fmt::format("{}: applied on {} but no longer in {}", r.file, r.applied_at, folder.dir));
      }
    } else if (IsPending(r) && r.out_of_order && !options.allow_out_of_order) {
      out.problems.push_back(fmt::format(
          "{}: pending but older than the newest applied version {} (--allow-out-of-order)", r.file,
          status.newest_applied));
    }
  }
  if (!out.problems.empty()) {
    out.code = broken ? StatusCode::kInvalidArgument : StatusCode::kConflict;
  }
  return out;
}

Status MigrationValidation::ToStatus() const {
  if (problems.empty()) return Status::OK();
  if (problems.size() == 1) return Status(code, problems[0]);
  std::string msg = fmt::format("{}:", Plural(problems.size(), "problem", "problems"));
  for (const std::string& p : problems) msg += "\n  " + p;
  return Status(code, msg);
}

Status ValidateMigrations(MigrationHistory& session, const MigrationFolder& folder,
                          const ValidateOptions& options) {
  FS_TRY_ASSIGN(MigrationStatus status, ReadMigrationStatus(session, folder));
  return ValidateMigrationStatus(folder, status, options).ToStatus();
}

Result<std::vector<RepairedMigration>> RepairMigrations(MigrationHistory& session,
                                                        const MigrationFolder& folder,
                                                        const std::vector<std::string>& versions,
                                                        const std::string& applied_by) {
  FS_TRY(folder.ProblemsStatus());
  FS_TRY_ASSIGN(MigrationStatus status, ReadMigrationStatus(session, folder));
  std::vector<const MigrationStatusRow*> todo;
  if (versions.empty()) {
    for (const MigrationStatusRow& r : status.migrations) {
      if (r.state == MigrationState::kChanged) todo.push_back(&r);
    }
  } else {
    std::set<std::string> done;
    for (const std::string& v : versions) {
      const MigrationStatusRow* found = nullptr;
      for (const MigrationStatusRow& r : status.migrations) {
        if (r.version == v || (IsDigits(v) && SameVersionNumber(r.version, v))) found = &r;
      }
      if (found == nullptr) return Status::NotFound("no migration has version " + v);
      if (found->state != MigrationState::kChanged) {
        return Status::InvalidArgument(fmt::format("{} is {}, not changed: nothing to repair",
                                                   found->file, MigrationStateName(found->state)));
      }
      if (done.insert(found->version).second) todo.push_back(found);
    }
  }
  std::vector<RepairedMigration> out;
  if (todo.empty()) return out;
  const std::string by = By(applied_by);
  FS_TRY(session.Begin());
  Status st;
  for (const MigrationStatusRow* r : todo) {
    st = session.UpdateChecksum(r->version, r->checksum);
    if (st.ok()) {
      st = InsertEvent(session, r->version, r->name, "repaired", by, r->checksum, std::nullopt,
                       r->stored_checksum + " -> " + r->checksum);
    }
    if (!st.ok()) break;
    out.push_back({r->file, r->version, r->name, r->stored_checksum, r->checksum});
  }
  if (st.ok()) st = session.Commit();
  if (!st.ok()) {
    session.Rollback();
    return st;
  }
  return out;
}

Result<std::vector<MigrationRef>> BaselineMigrations(MigrationHistory& session,
                                                     const MigrationFolder& folder,
                                                     const std::string& version,
                                                     const std::string& applied_by) {
  if (!IsDigits(version)) {
    return Status::InvalidArgument("baseline version '" + version + "' is not all digits");
  }
  FS_TRY(folder.ProblemsStatus());
  FS_TRY_ASSIGN(MigrationStatus status, ReadMigrationStatus(session, folder));
  std::vector<const MigrationFile*> todo;
  for (const MigrationStatusRow& r : status.migrations) {
    if (IsPending(r) && CompareMigrationVersions(r.version, version) <= 0) {
      todo.push_back(folder.Find(r.version));
    }
  }
  std::vector<MigrationRef> out;
  if (todo.empty()) return out;
  const std::string by = By(applied_by);
  FS_TRY(session.Begin());
  Status st;
  for (const MigrationFile* f : todo) {
    st = InsertHistory(session, *f, by, 0, "baseline");
    if (st.ok()) {
      st = InsertEvent(session, f->version, f->name, "baseline", by, f->checksum, std::nullopt,
                       "baseline " + version + ": marked applied, not run");
    }
    if (!st.ok()) break;
    out.push_back({f->version, f->name, f->file});
  }
  if (st.ok()) st = session.Commit();
  if (!st.ok()) {
    session.Rollback();
    return st;
  }
  return out;
}

}  // namespace flowsync
