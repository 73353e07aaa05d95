// Source readers: turn a workflow source into ParsedWorkflows.
//
// The tree walk (sync module) decides which paths are candidates by name:
// a folder holding workflow.json is a bundle, a *.json file an n8n export,
// a *.toml file a phase file. ReadSourceWorkflows then reads one
// candidate's files and ParseSourceWorkflows validates their bytes. A
// source holds one workflow, except an n8n array export (what
// `n8n export:workflow --all --output=FILE` writes), which holds one per
// element. ReadSource and ParseSource read one definition, whose bytes may
// also come from elsewhere (a stored workflow, a definition being
// exported). All functions here are pure apart from FileSystem reads and
// are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// One workflow of a source, read or refused.
struct SourceWorkflow {
  // The workflow's key: the source's, or "<file>#<id>" (ElementKey in
  // source/workflow_path.h) for an element of an n8n array export. An
  // element refused before its key is known is named "<file>[<index>]"
  // (0-based), which no stored workflow has.
  std::string key;
  // The workflow with its findings, or why this one workflow cannot be
  // read: the message starts with its name and, where known, line:column in
  // the file ("all.json#4Qv1:12:3: missing 'nodes'").
  Result<ParsedWorkflow> workflow;
};

// What one source holds.
struct SourceWorkflows {
  // In file order: one for a workflow file or bundle; one per element of an
  // n8n array export (several elements with the same id are one refused
  // entry, at the first one's place); none when the source is no workflow.
  std::vector<SourceWorkflow> workflows;
  bool array_export = false;  // an n8n array export: keys are "<file>#<id>"
  // When `workflows` is empty: why the source is no workflow, for the list
  // of ignored files: `not an n8n workflow (no top-level "nodes" or
  // "connections")`.
  std::string ignored;
};

// Validates a source's bytes: the same results and errors, byte for byte,
// as ReadSourceWorkflows's (below) once the files are read. Only
// limits.max_json_depth applies: the size limit is for reading. Takes the
// content by value so that its text becomes the workflow's content without
// a copy: move it in.
//
// An n8n file is a workflow when it is an object with both `nodes` and
// `connections`, an array export when it is an array of which some element
// is an object with `nodes` or `connections`; other JSON is no workflow.
// Every element of an array export is keyed by its `id`; an element that is
// not a workflow object, lacks `nodes` or `connections`, has no usable id
// (IsElementId) or shares its id with another element is refused on its
// own, and the others are read. The element's text in the file is its
// content, so its content hash is that of the same workflow in a file of
// its own.
Result<SourceWorkflows> ParseSourceWorkflows(SourceContent content, const SourceLimits& limits);

// Reads a candidate's files through `fs`, then ParseSourceWorkflows.
// - Each workflow with its findings (n8n structure rules, unknown phase
//   keys, ...). Findings never make a read fail.
// - No workflow (and `ignored` says why): the file is well-formed but is no
//   workflow of that format (a .json without `nodes` and `connections`, a
//   .toml without [[phase]] tables); the caller ignores it.
// - An error Status whose message starts with the offending file relative to
//   the sync root and, where known, line and column:
//   "flows/a.json:3:7: invalid JSON: ...". The cases: unreadable file, file
//   over the size limit, empty file, invalid UTF-8, invalid or truncated JSON,
//   nesting deeper than max_json_depth, a bundle workflow.json that is not an
//   object with `nodes` (array) and `connections` (object), a meta.json that
//   is not an object, TOML syntax or type errors; an object with only one of
//   `nodes` and `connections`.
Result<SourceWorkflows> ReadSourceWorkflows(const FileSystem& fs, const SourceCandidate& candidate,
                                            const SourceLimits& limits);

// One definition: ParseSourceWorkflows's one workflow or its error;
// std::nullopt for no workflow; InvalidArgument for an array export
// ("KEY: holds N n8n workflows (an array export), not one").
Result<std::optional<ParsedWorkflow>> ParseSource(SourceContent content,
                                                  const SourceLimits& limits);

// ReadSourceWorkflows's files, then ParseSource's outcome.
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
