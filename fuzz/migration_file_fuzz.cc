// A migration file: its sections and markers (ParseMigrationFile) and the
// header fields and sidecar token the runner and `migration create` read.
#include "fuzz_check.h"
#include "promote/migrate.h"
#include "promote/migration_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  const std::string_view text = fuzz::AsText(data, size);
  auto file = ParseMigrationFile("20240101000000_fuzz.sql", text);
  (void)FindHeaderField(text, "Workflow id");
  (void)FindHeaderField(text, "Content hash");
  (void)FindHeaderMigrationName(text);
  (void)FindHeaderDialect(text);
  (void)FindSidecarRef(text);
  (void)IsWorkflowMigration(text);
  const size_t tokens = CountSidecarTokens(text);
  if (tokens == 1) {
    (void)SubstituteSidecar(SqlDialect::kSqlite, text, "{\"a\":'b'}");
    (void)SubstituteSidecar(SqlDialect::kPostgres, text, "{\"a\":'b'}");
  }
  if (file.ok()) {
    (void)file->UpSql(SqlDialect::kPostgres);
    (void)file->DownSql(SqlDialect::kSqlite);
  }
  (void)CompareMigrationVersions(text.substr(0, text.size() / 2), text.substr(text.size() / 2));
  return 0;
}
