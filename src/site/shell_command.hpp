#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/command.hpp"
#include "paxoskv/member_change.hpp"

namespace paxoskv::site {

// One line typed at the shell, parsed (SPEC §3). Parsing is pure: nothing is executed here.

struct EmptyLine {};

// put, append, delete (value empty), tag and cas (a put on the condition of a value).
struct WriteCommand {
  Op op = Op::put;
  std::string key;
  std::string value;
  Precondition pre;
};

struct GetCommand {
  std::string key;
};

enum class PrintTarget { log, kv, chain, status, members };
struct PrintCommand {
  PrintTarget target = PrintTarget::log;
};

// member add|remove|promote: a membership change, decided in the log (README, "Membership").
struct MemberCommand {
  MemberChange change;
};

struct CrashCommand {};

struct SleepCommand {
  std::uint64_t ms = 0;
};

// faillink (failed = true) / fixlink.
struct LinkCommand {
  SiteId site = 0;
  std::string name;
  bool failed = true;
};

struct HelpCommand {};
struct QuitCommand {};

// A line that is answered without running anything: "invalid command: ..." or
// "unable to execute put: value too large (limit 8192 bytes)".
struct Refusal {
  std::string line;
};

using ShellCommand =
    std::variant<EmptyLine, WriteCommand, GetCommand, PrintCommand, MemberCommand, CrashCommand,
                 SleepCommand, LinkCommand, HelpCommand, QuitCommand, Refusal>;

// `sleep` waits at most this long, so a typo cannot freeze a site for days.
inline constexpr std::uint64_t max_sleep_ms = 3'600'000;

// `line` without its '\n' (a trailing '\r' is ignored). Words are separated by spaces or tabs;
// a VALUE is the rest of the line after the key, inner spaces kept. `self` and `cluster`
// decide which SITE names faillink/fixlink accept.
ShellCommand parse_command(std::string_view line, const Cluster& cluster, SiteId self);

// Name and usage of every command, in the order `help` lists them.
struct CommandUsage {
  std::string_view name;
  std::string_view usage;
  std::string_view summary;
};
const std::vector<CommandUsage>& command_usages();

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): the files and the wire are JSON, which cannot carry anything else.
bool is_valid_utf8(std::string_view text);

}  // namespace paxoskv::site
