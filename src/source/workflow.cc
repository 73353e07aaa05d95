// Names of the workflow model's enums (kept beside the model they name).
#include "flowsync/workflow.h"

namespace flowsync {

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kBundle:
      return "bundle";
    case Format::kN8n:
      return "n8n";
    case Format::kPhase:
      return "phase";
  }
  return "unknown";
}

std::optional<Format> ParseFormat(std::string_view name) {
  for (Format f : {Format::kBundle, Format::kN8n, Format::kPhase}) {
    if (FormatName(f) == name) return f;
  }
  return std::nullopt;
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "unknown";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s : {Severity::kError, Severity::kWarning, Severity::kInfo}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace flowsync
