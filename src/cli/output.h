// How library values look on the command line: JSON documents (the stable,
// scriptable form) and human text.
#pragma once

#include <nlohmann/json.hpp>

#include "flowsync/store.h"
#include "flowsync/sync.h"

namespace flowsync::cli {

using Json = nlohmann::ordered_json;

Json SyncReportJson(const SyncReport& report);
Json StatusJson(const SyncReport& report);
Json SummaryJson(const WorkflowSummary& s);
Json DetailJson(const WorkflowDetail& d);
Json LogJson(const LogRecord& r);

// "3 added, 1 updated, ..., 2 errors".
std::string CountsText(const RunCounts& c);

// Shortens `text` to at most `width` display columns (UTF-8 aware), with "…".
std::string Fit(const std::string& text, size_t width);

}  // namespace flowsync::cli
