// How library values look on the command line: JSON documents (the stable,
// scriptable form) and human text.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "flowsync/store.h"
#include "flowsync/sync.h"

namespace flowsync::cli {

using Json = nlohmann::ordered_json;

Json SyncReportJson(const SyncReport& report);
Json StatusJson(const SyncReport& report);
Json SummaryJson(const WorkflowSummary& s);
Json DetailJson(const WorkflowDetail& d);
Json LogJson(const LogRecord& r);

// "1 file", "2 files": a count and its noun, plural by an "s".
std::string Plural(size_t n, std::string_view noun);

// "3 added, 1 updated, ..., 2 errors".
std::string CountsText(const RunCounts& c);

// Display columns of UTF-8 text (one per code point).
size_t DisplayColumns(const std::string& text);

// Shortens `text` to at most `width` display columns (UTF-8 aware), with "…".
std::string Fit(const std::string& text, size_t width);

}  // namespace flowsync::cli
