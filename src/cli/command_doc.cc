#include "cli/command_doc.h"

#include <string_view>

namespace flowsync::cli {
namespace {

// "TEXT:{dev,prod,staging}" (CLI11 appends a validator's description to the
// type name; CLI::IsMember describes its set in braces): the set's words.
std::vector<std::string> FixedWords(const std::string& type_name) {
  std::vector<std::string> words;
  const size_t open = type_name.find(":{");
  if (open == std::string::npos || type_name.back() != '}') return words;
  std::string_view set(type_name);
  set = set.substr(open + 2, set.size() - open - 3);
  while (!set.empty()) {
    const size_t comma = set.find(',');
    words.emplace_back(set.substr(0, comma));
    set.remove_prefix(comma == std::string_view::npos ? set.size() : comma + 1);
  }
  return words;
}

OptionDoc DescribeOption(const CLI::Option& opt) {
  OptionDoc doc;
  doc.short_names = opt.get_snames();
  doc.long_names = opt.get_lnames();
  if (opt.get_positional() && doc.short_names.empty() && doc.long_names.empty()) {
    doc.positional = opt.get_name();
  }
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  if (opt.get_items_expected_max() == 0) return doc;  // a flag
  doc.repeats = opt.get_expected_max() > 1;
  const std::string type_name = opt.get_type_name();
  doc.value_name = type_name.substr(0, type_name.find(':'));
  doc.words = FixedWords(type_name);
  if (!doc.words.empty()) {
    doc.kind = ValueKind::kWords;
  } else if (doc.value_name == "DIR") {
    doc.kind = ValueKind::kDir;
  } else if (doc.value_name == "PATH" || doc.value_name == "FILE" || doc.value_name == "URL") {
    doc.kind = ValueKind::kFile;
  } else {
    doc.kind = ValueKind::kText;
  }
  return doc;
}

CommandDoc Describe(const CLI::App& app, std::vector<std::string> path) {
  CommandDoc doc;
  doc.path = std::move(path);
  doc.description = app.get_description();
  doc.footer = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    OptionDoc o = DescribeOption(*opt);
    (o.positional.empty() ? doc.options : doc.positionals).push_back(std::move(o));
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    std::vector<std::string> sub_path = doc.path;
    sub_path.push_back(sub->get_name());
    doc.subcommands.push_back(Describe(*sub, std::move(sub_path)));
  }
  return doc;
}

void Collect(const CommandDoc& doc, std::vector<const CommandDoc*>& out) {
  out.push_back(&doc);
  for (const CommandDoc& sub : doc.subcommands) Collect(sub, out);
}

}  // namespace

std::string CommandDoc::Joined() const {
  std::string joined;
  for (const std::string& word : path) joined += (joined.empty() ? "" : " ") + word;
  return joined;
}

CommandDoc DescribeCommandLine(const CLI::App& app) { return Describe(app, {}); }

std::vector<const CommandDoc*> AllCommands(const CommandDoc& root) {
  std::vector<const CommandDoc*> out;
  Collect(root, out);
  return out;
}

}  // namespace flowsync::cli
