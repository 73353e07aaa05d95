// Which n8n wrote a database: the schema versions flowsync reads and writes.
//
// n8n records every migration it ran in its own `migrations` table (id,
// timestamp, name). The newest one names the schema; flowsync knows the
// schemas of the n8n releases below, taken from databases those releases
// created themselves, and refuses any other before touching anything.
// flowsync never alters n8n's schema.
//
// Thread-safety: pure functions, apart from the connection's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

struct N8nSchema {
  std::string n8n_version;       // the release that created it: "1.123.0"
  std::string newest_migration;  // its newest row in `migrations` (name)
  int major = 1;                 // 2: archiving, publishing, nodeGroups
};

// The schemas flowsync knows, oldest first.
const std::vector<N8nSchema>& KnownN8nSchemas();

// "1.123.0, 2.39.0": for messages.
std::string KnownN8nVersions();

// The schema of the n8n database behind `conn`, named `label` in messages.
// Unsupported when it holds no n8n `migrations` table (n8n never ran
// on it) or its newest migration is none flowsync knows; the message names
// the newest migration found and the versions flowsync knows.
Result<N8nSchema> DetectN8nSchema(SqlConnection& conn, std::string_view label);

}  // namespace flowsync::n8n
