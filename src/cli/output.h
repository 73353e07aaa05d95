// How library values look on the command line: JSON documents (the stable,
// scriptable form) and human text.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "flowsync/watch.h"

namespace flowsync::cli {

using Json = nlohmann::ordered_json;

Json SyncReportJson(const SyncReport& report);
// sync --watch: what it watches ({"watching": ROOT, "folders": N,
// "max_user_watches": N, "problem": TEXT or null}) and, as the "watch"
// member of each run's report, why and how fast it ran.
Json WatchStateJson(const WatchState& state);
Json WatchRunJson(const WatchRun& run);
Json StatusJson(const SyncReport& report);
Json SummaryJson(const WorkflowSummary& s);
Json DetailJson(const WorkflowDetail& d);
// A version without its content: version, path, name, content_hash,
// valid_from, replaced_at (null for the current one), current.
Json VersionJson(const WorkflowVersion& v);
Json LogJson(const LogRecord& r);

// "1 file", "2 files": a count and its noun, plural by an "s".
std::string Plural(size_t n, std::string_view noun);

// `j` as JSON text (indent < 0: one line). flowsync's strings are valid
// UTF-8 (paths are path text, docs/formats.md); should one not be, it is
// written with U+FFFD instead of aborting the command.
std::string DumpJson(const Json& j, int indent = 2);

// `text` (a path, a name, a message) for one line of human output: as it
// is, unless it holds a control character (C0, DEL, C1, U+2028, U+2029) or
// starts with '"'; then in double quotes with C escapes, as git quotes file
// names ("a\nb.json": \a \b \t \n \v \f \r \" \\, other bytes of those
// characters in octal).
std::string DisplayText(std::string_view text);

// "3 added, 1 updated, ..., 0 unchanged, 4 ignored, 2 errors".
std::string CountsText(const RunCounts& c, size_t ignored);

// Display columns of UTF-8 text (one per code point).
size_t DisplayColumns(const std::string& text);

// Shortens `text` to at most `width` display columns (UTF-8 aware), with "…".
std::string Fit(const std::string& text, size_t width);

}  // namespace flowsync::cli
