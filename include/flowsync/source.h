// Source readers: turn one workflow definition into a ParsedWorkflow.
//
// The tree walk (sync module) decides which paths are candidates by name:
// a folder holding workflow.json is a bundle, a *.json file an n8n export,
// a *.toml file a phase file. ReadSource then reads one candidate's files
// and ParseSource validates their bytes, which may also come from elsewhere
// (rows of an n8n database, a definition being exported). All functions
// here are pure apart from FileSystem reads and are safe to call from
// several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

struct SourceLimits {
  uint64_t max_file_size = 64ull << 20;  // bytes, per file
  int max_json_depth = 512;              // nesting of arrays and objects
  // What the reads of one run may hold at once, estimated as
  // kReadMemoryPerByte times the bytes being read and parsed: parallel
  // reads wait for room (one read always proceeds, however large).
  uint64_t read_memory = 1ull << 30;
};

// Parsing a JSON workflow holds about this many times its size at its peak
// (the text, simdjson's padded copy and tape, the canonical form, the
// content kept for the store): measured at 8.8x for a 66 MB export.
inline constexpr uint64_t kReadMemoryPerByte = 10;

struct SourceCandidate {
  Format format = Format::kN8n;
  // Key of the workflow: path relative to the sync root, '/'-separated, as
  // path text (valid UTF-8; bytes that are not become "\xHH", see
  // docs/formats.md). For a bundle, the folder; otherwise the file.
  std::string key;
  // Where to read it: the file, or the bundle folder (bytes as on disk).
  std::string path;
  // Its size in bytes as the walk saw it (a bundle: its members'); 0 when
  // not known.
  uint64_t bytes = 0;
};

// A definition as bytes, wherever they came from.
struct SourceContent {
  Format format = Format::kN8n;
  // Names the workflow in errors, as SourceCandidate::key: "flows/a.json",
  // or a bundle's folder ("bundles/b", whose files are "bundles/b/meta.json"...).
  std::string key;
  // The n8n export, the phase file, or a bundle's workflow.json.
  std::string text;
  // A bundle's meta.json and README.md, when it has them.
  std::optional<std::string> meta_json;
  std::optional<std::string> readme;
};

// Validates a definition's bytes: the same results and errors, byte for
// byte, as ReadSource's (below) once the files are read. Only
// limits.max_json_depth applies: the size limit is for reading. Takes the
// content by value so that its text becomes the workflow's content without
// a copy: move it in.
Result<std::optional<ParsedWorkflow>> ParseSource(SourceContent content,
                                                  const SourceLimits& limits);

// Reads a candidate's files through `fs`, then ParseSource.
// - A value: the workflow, with its findings (n8n structure rules, unknown
//   phase keys, ...). Findings never make the read fail.
// - std::nullopt: the file is well-formed but is no workflow of that format
//   (a .json without `nodes` and `connections`, a .toml without [[phase]]
//   tables); the caller ignores it.
// - An error Status whose message starts with the offending file relative to
//   the sync root and, where known, line and column:
//   "flows/a.json:3:7: invalid JSON: ...". The cases: unreadable file, file
//   over the size limit, empty file, invalid UTF-8, invalid or truncated JSON,
//   nesting deeper than max_json_depth, a bundle workflow.json that is not an
//   object with `nodes` (array) and `connections` (object), a meta.json that
//   is not an object, TOML syntax or type errors.
Result<std::optional<ParsedWorkflow>> ReadSource(const FileSystem& fs,
                                                 const SourceCandidate& candidate,
                                                 const SourceLimits& limits);

// Canonical form of a JSON text: no insignificant whitespace, object keys
// sorted by their UTF-8 bytes (for duplicate keys the last one wins, as in
// JavaScript), strings re-escaped minimally, numbers as written. Two texts
// with the same canonical form are the same document for flowsync.
// Errors: InvalidArgument/Corruption with "line:column: reason".
Result<std::string> CanonicalJson(std::string_view text, int max_depth);

}  // namespace flowsync
