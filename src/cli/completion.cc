#include "cli/completion.h"

#include <fmt/format.h>

#include <iostream>
#include <string_view>
#include <utility>
#include <vector>

namespace flowsync::cli {
namespace {

// What an option's or a positional argument's value completes to, as the
// bash and zsh scripts name it: "file", "dir", "text" or "words W...";
// empty for a flag.
std::string KindWord(const OptionDoc& o) {
  switch (o.kind) {
    case ValueKind::kNone:
      return "";
    case ValueKind::kText:
      return "text";
    case ValueKind::kFile:
      return "file";
    case ValueKind::kDir:
      return "dir";
    case ValueKind::kWords: {
      std::string words = "words";
      for (const std::string& w : o.words) words += " " + w;
      return words;
    }
  }
  return "";
}

std::vector<std::string> Names(const OptionDoc& o) {
  std::vector<std::string> names;
  for (const std::string& s : o.short_names) names.push_back("-" + s);
  for (const std::string& l : o.long_names) names.push_back("--" + l);
  return names;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& w : words) joined += (joined.empty() ? "" : " ") + w;
  return joined;
}

// A POSIX shell function printing, for its arguments joined by ':', the
// lines of the first pattern that matches: the data of the bash and zsh
// scripts.
std::string CaseFunction(std::string_view name, std::string_view comment,
                         const std::vector<std::pair<std::string, std::vector<std::string>>>& rows,
                         bool two_arguments) {
  std::string text = fmt::format("# {}\n{}() {{\n  case \"{}\" in\n", comment, name,
                                 two_arguments ? "$1:$2" : "$1");
  for (const auto& [pattern, lines] : rows) {
    if (lines.empty()) continue;
    text += "    " + pattern + ") printf '%s\\n'";
    for (const std::string& line : lines) text += " " + ShellQuote(line);
    text += " ;;\n";
  }
  text += "  esac\n}\n\n";
  return text;
}

// For bash and zsh: the command (its sub-command words) that the words of
// the command line before the cursor name, and how many positional
// arguments follow it, skipping options and their values.
constexpr std::string_view kWalk =
    R"script(# "N CMD": the command the arguments $@ name and its N positional arguments.
_flowsync_command() {
  local cmd= w skip=0 positionals=0
  for w in "$@"; do
    if [ "$w" = = ]; then skip=1; continue; fi  # --opt = value (bash's COMP_WORDBREAKS)
    if [ $skip = 1 ]; then skip=0; continue; fi
    case $w in
      --*=*) continue ;;
      -*) [ -n "$(_flowsync_value "$cmd" "$w")" ] && skip=1; continue ;;
    esac
    case " $(_flowsync_commands "$cmd") " in
      *" $w "*) cmd=${cmd:+$cmd }$w; positionals=0 ;;
      *) positionals=$((positionals + 1)) ;;
    esac
  done
  printf '%s %s\n' "$positionals" "$cmd"
}

)script";

// The data functions both the bash and the zsh script read: sub-commands
// and options of a command (named by its words joined by spaces, '' for
// the program), how each option's value and each positional completes, and
// (for zsh) their descriptions.
std::string PosixData(const CommandDoc& program, bool descriptions) {
  std::vector<std::pair<std::string, std::vector<std::string>>> commands, options, values,
      positionals, command_docs, option_docs;
  // zsh's _describe reads NAME:DESCRIPTION.
  auto described = [](const std::string& name, const std::string& description) {
    std::string escaped;
    for (char c : description) escaped += c == ':' ? std::string("\\:") : std::string(1, c);
    return name + ":" + escaped;
  };
  for (const CommandDoc* cmd : AllCommands(program)) {
    const std::string key = ShellQuote(cmd->Joined());
    std::vector<std::string> subs, sub_docs, opts, opt_docs;
    for (const CommandDoc& sub : cmd->subcommands) {
      subs.push_back(sub.path.back());
      sub_docs.push_back(described(sub.path.back(), sub.description));
    }
    for (const OptionDoc& o : cmd->options) {
      for (const std::string& n : Names(o)) {
        opts.push_back(n);
        opt_docs.push_back(described(n, o.description));
        const std::string kind = KindWord(o);
        if (!kind.empty()) values.push_back({ShellQuote(cmd->Joined() + ":" + n), {kind}});
      }
    }
    for (size_t i = 0; i < cmd->positionals.size(); ++i) {
      const OptionDoc& p = cmd->positionals[i];
      positionals.push_back(
          {ShellQuote(cmd->Joined() + ":" + (p.repeats ? "" : std::to_string(i + 1))) +
               (p.repeats ? "*" : ""),
           {KindWord(p)}});
    }
    commands.push_back({key, {JoinWords(subs)}});
    options.push_back({key, {JoinWords(opts)}});
    command_docs.push_back({key, sub_docs});
    option_docs.push_back({key, opt_docs});
  }
  for (auto* rows : {&commands, &options}) {
    std::erase_if(*rows, [](const auto& row) { return row.second.front().empty(); });
  }
  std::string text;
  text += CaseFunction("_flowsync_commands", "The sub-commands of a command ('' is flowsync).",
                       commands, false);
  text += CaseFunction("_flowsync_options", "The options of a command.", options, false);
  text += CaseFunction("_flowsync_value",
                       "How the value of option $2 of command $1 completes: file, dir, text or "
                       "'words W...'; nothing for a flag.",
                       values, true);
  text += CaseFunction("_flowsync_positional",
                       "How positional argument $2 (from 1) of command $1 completes.", positionals,
                       true);
  text += kWalk;
  if (descriptions) {
    text += CaseFunction("_flowsync_command_docs", "Sub-commands with descriptions (_describe).",
                         command_docs, false);
    text += CaseFunction("_flowsync_option_docs", "Options with descriptions (_describe).",
                         option_docs, false);
  }
  return text;
}

constexpr std::string_view kBashMain =
    R"script(# The command before the cursor, how many positional arguments it has
# been given, then what the word at the cursor may be.
_flowsync() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= opt= kind= w
  (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
  w=$(_flowsync_command "${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local -i positionals=${w%% *}
  cmd=${w#* }
  if [[ $cur == = ]]; then
    opt=$prev cur=
  elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
    opt=${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $prev == -* ]]; then
    opt=$prev
  fi
  if [[ -n $opt ]]; then
    kind=$(_flowsync_value "$cmd" "$opt")
    if [[ -n $kind ]]; then
      _flowsync_complete "$kind" "$cur"
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_flowsync_options "$cmd")" -- "$cur")
    return
  fi
  w=$(_flowsync_commands "$cmd")
  if [[ -n $w ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$w" -- "$cur")
    return
  fi
  _flowsync_complete "$(_flowsync_positional "$cmd" $((positionals + 1)))" "$cur"
}

# Fills COMPREPLY with the completions of kind $1 of the word $2.
_flowsync_complete() {
  case $1 in
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
    dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
    words\ *) mapfile -t COMPREPLY < <(compgen -W "${1#words }" -- "$2") ;;
    *) COMPREPLY=() ;;
  esac
}

complete -F _flowsync flowsync
)script";

constexpr std::string_view kZshMain = R"script(_flowsync() {
  local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd= kind= w
  local -a candidates
  w=$(_flowsync_command "${(@)words[2,CURRENT-1]}")
  integer positionals=${w%% *}
  cmd=${w#* }
  if [[ $cur == --*=* ]]; then
    kind=$(_flowsync_value "$cmd" "${cur%%=*}")
    compset -P '*='
    _flowsync_complete "$kind"
    return
  fi
  if [[ $prev == -* ]]; then
    kind=$(_flowsync_value "$cmd" "$prev")
    if [[ -n $kind ]]; then
      _flowsync_complete "$kind"
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    candidates=(${(f)"$(_flowsync_option_docs "$cmd")"})
    _describe -t options option candidates
    return
  fi
  if [[ -n $(_flowsync_commands "$cmd") ]]; then
    candidates=(${(f)"$(_flowsync_command_docs "$cmd")"})
    _describe -t commands command candidates
    return
  fi
  _flowsync_complete "$(_flowsync_positional "$cmd" $((positionals + 1)))"
}

_flowsync_complete() {
  local -a choices
  case $1 in
    file) _files ;;
    dir) _files -/ ;;
    words\ *) choices=(${=${1#words }}); compadd -a choices ;;
    text) _message value ;;
  esac
}

# Autoloaded from fpath, this file is the body of _flowsync; sourced, it
# registers it.
if [[ $funcstack[1] == _flowsync ]]; then
  _flowsync "$@"
else
  compdef _flowsync flowsync
fi
)script";

// `text` as one single-quoted fish word.
std::string FishQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

constexpr std::string_view kFishMain =
    R"script(# The number of positional arguments, then the command (sub-command words),
# on the command line before the cursor.
function __flowsync_command
    set -l cmd ''
    set -l skip 0
    set -l positionals 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
                continue
            case '-*'
                set -l kind (__flowsync_value "$cmd" $w)
                test -n "$kind"; and set skip 1
                continue
        end
        if contains -- $w (string split ' ' -- (__flowsync_commands "$cmd"))
            if test -z "$cmd"
                set cmd $w
            else
                set cmd "$cmd $w"
            end
            set positionals 0
        else
            set positionals (math $positionals + 1)
        end
    end
    echo $positionals
    echo $cmd
end

# Whether the command before the cursor is $argv[1].
function __flowsync_at
    set -l at (__flowsync_command)
    test "$at[2]" = "$argv[1]"
end

# Whether the word at the cursor is positional argument $argv[2] of command
# $argv[1] (from 1; N+ for N and after).
function __flowsync_arg
    set -l at (__flowsync_command)
    test "$at[2]" = "$argv[1]"; or return 1
    set -l n (math $at[1] + 1)
    switch $argv[2]
        case '*+'
            test $n -ge (string trim -r -c + -- $argv[2])
        case '*'
            test $n -eq $argv[2]
    end
end

complete -c flowsync -f
)script";

// fish's `switch` over $argv[1] (and $argv[2]), printing the value.
std::string FishSwitch(std::string_view name,
                       const std::vector<std::pair<std::string, std::string>>& rows,
                       bool two_arguments) {
  std::string text = fmt::format("function {}\n    switch \"{}\"\n", name,
                                 two_arguments ? "$argv[1]:$argv[2]" : "$argv[1]");
  for (const auto& [pattern, value] : rows) {
    text += "        case " + FishQuote(pattern) + "\n            echo " + FishQuote(value) + "\n";
  }
  return text + "    end\nend\n\n";
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string BashCompletion(const CommandDoc& program) {
  return "# bash completion for flowsync (generated by `flowsync completion bash`)\n\n" +
         PosixData(program, false) + std::string(kBashMain);
}

std::string ZshCompletion(const CommandDoc& program) {
  return "#compdef flowsync\n# zsh completion for flowsync (generated by `flowsync completion "
         "zsh`)\n\n" +
         PosixData(program, true) + std::string(kZshMain);
}

std::string FishCompletion(const CommandDoc& program) {
  std::vector<std::pair<std::string, std::string>> commands, values;
  std::string completions;
  for (const CommandDoc* cmd : AllCommands(program)) {
    const std::string at = "-n " + FishQuote("__flowsync_at " + ShellQuote(cmd->Joined()));
    std::vector<std::string> subs;
    for (const CommandDoc& sub : cmd->subcommands) {
      subs.push_back(sub.path.back());
      completions += fmt::format("complete -c flowsync {} -a {} -d {}\n", at,
                                 FishQuote(sub.path.back()), FishQuote(sub.description));
    }
    if (!subs.empty()) commands.push_back({cmd->Joined(), JoinWords(subs)});
    auto value_args = [](const OptionDoc& o) -> std::string {
      switch (o.kind) {
        case ValueKind::kNone:
          return "";
        case ValueKind::kText:
          return " -x";
        case ValueKind::kFile:
          return " -r -F";
        case ValueKind::kDir:
          return " -x -a '(__fish_complete_directories)'";
        case ValueKind::kWords:
          return " -x -a " + FishQuote(JoinWords(o.words));
      }
      return "";
    };
    for (const OptionDoc& o : cmd->options) {
      std::string line = "complete -c flowsync " + at;
      for (const std::string& s : o.short_names) line += " -s " + FishQuote(s);
      for (const std::string& l : o.long_names) line += " -l " + FishQuote(l);
      completions += line + value_args(o) + " -d " + FishQuote(o.description) + "\n";
      if (o.kind != ValueKind::kNone) {
        for (const std::string& n : Names(o)) values.push_back({cmd->Joined() + ":" + n, "value"});
      }
    }
    for (size_t i = 0; i < cmd->positionals.size(); ++i) {
      const OptionDoc& p = cmd->positionals[i];
      std::string args = value_args(p);
      if (args.empty() || p.kind == ValueKind::kText) continue;
      if (p.kind == ValueKind::kFile) args = " -F";
      const std::string arg = "__flowsync_arg " + ShellQuote(cmd->Joined()) + " " +
                              std::to_string(i + 1) + (p.repeats ? "+" : "");
      completions += "complete -c flowsync -n " + FishQuote(arg) + args + "\n";
    }
  }
  return "# fish completion for flowsync (generated by `flowsync completion fish`)\n\n" +
         FishSwitch("__flowsync_commands", commands, false) +
         FishSwitch("__flowsync_value", values, true) + std::string(kFishMain) + completions;
}

Command CompletionCommandRow() {
  return {
      "completion",
      "Print a shell completion script: bash, zsh or fish",
      [](CLI::App* c, CommandOptions& o) {
        c->add_option("shell", o.completion.shell, "bash, zsh or fish")
            ->required()
            ->check(CLI::IsMember({"bash", "zsh", "fish"}));
        c->footer(
            "Load it in the current shell with `source <(flowsync completion bash)`; "
            "`cmake --install` installs all three where the shells look for them.");
      },
      [](CommandOptions& o) {
        const CommandDoc program = DescribeCommandLine(*o.app);
        const std::string& shell = o.completion.shell;
        std::cout << (shell == "bash"  ? BashCompletion(program)
                      : shell == "zsh" ? ZshCompletion(program)
                                       : FishCompletion(program));
        return ExitCode::kOk;
      },
  };
}

}  // namespace flowsync::cli
