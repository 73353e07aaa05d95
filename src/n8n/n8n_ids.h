// Workflow and tag ids in n8n's alphabet.
//
// n8n's own ids are 16 characters of [0-9A-Za-z] (a nanoid); older
// instances used numbers. A workflow keeps the `id` of its file when n8n can
// take it as is; otherwise its id derives from flowsync's stable id (a
// UUID, sync/identity.h), so every environment that syncs the same tree
// gives it the same n8n id and pushing twice, or to a second instance,
// never makes a duplicate. Derived ids hold at least one letter: SQLite
// would store an all-digit id in a column of integer affinity
// (workflows_tags."tagId") as a number.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace flowsync::n8n {

// Whether a file's `id` can be the n8n id as is: 1-36 characters of
// [0-9A-Za-z].
bool IsN8nId(std::string_view id);

// 16 characters of [0-9A-Za-z], at least one a letter, from the 128 bits
// of `uuid` (flowsync's stable workflow id).
std::string N8nIdFromUuid(std::string_view uuid);

// The id of a tag flowsync creates: N8nIdFromUuid of the name's UUIDv5, so
// the same tag gets the same id everywhere.
std::string N8nTagId(std::string_view name);

}  // namespace flowsync::n8n
