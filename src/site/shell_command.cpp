#include "site/shell_command.hpp"

#include <charconv>
#include <optional>

#include "client/command_words.hpp"
#include "client/member_text.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv::site {

namespace {

using client::skip_separators;
using client::take_word;

const CommandUsage* find_usage(std::string_view name) {
  for (const CommandUsage& usage : command_usages())
    if (usage.name == name) return &usage;
  return nullptr;
}

Refusal invalid(std::string_view name, const std::string& what) {
  std::string line = "invalid command: " + what;
  if (const CommandUsage* usage = find_usage(name)) {
    line += " (usage: ";
    line += usage->usage;
    line += ")";
  }
  return {line};
}

Refusal unable(std::string_view name, const std::string& reason) {
  return {"unable to execute " + std::string(name) + ": " + reason};
}

// The checks every key and value passes before it may enter the log.
std::optional<Refusal> check_sizes(std::string_view name, std::string_view key,
                                   std::string_view value) {
  if (key.size() > limits::max_key_bytes) return unable(name, key_too_large_reason());
  if (value.size() > limits::max_value_bytes) return unable(name, value_too_large_reason());
  if (!is_valid_utf8(key)) return unable(name, "key is not valid UTF-8");
  if (!is_valid_utf8(value)) return unable(name, "value is not valid UTF-8");
  return std::nullopt;
}

ShellCommand parse_write(std::string_view name, Op op, std::string_view rest) {
  std::string_view key = take_word(rest);
  std::string_view value = skip_separators(rest);
  if (op == Op::del) {
    if (key.empty()) return invalid(name, "delete needs KEY");
    if (!value.empty()) return invalid(name, "delete takes only KEY");
  } else if (key.empty() || value.empty()) {
    return invalid(name, std::string(name) + " needs KEY and VALUE");
  }
  if (auto refusal = check_sizes(name, key, value)) return *refusal;
  return WriteCommand{op, std::string(key), std::string(value), {}};
}

// cas KEY EXPECTED NEW...: EXPECTED is one word, NEW the rest of the line. Both count against
// the value limit together, as they travel in one command.
ShellCommand parse_cas(std::string_view rest) {
  std::string_view key = take_word(rest);
  std::string_view expected = take_word(rest);
  std::string_view value = skip_separators(rest);
  if (key.empty() || expected.empty() || value.empty())
    return invalid("cas", "cas needs KEY, EXPECTED and NEW");
  if (auto refusal = check_sizes("cas", key, value)) return *refusal;
  if (auto refusal = check_sizes("cas", key, expected)) return *refusal;
  if (expected.size() + value.size() > limits::max_value_bytes)
    return unable("cas", value_too_large_reason());
  return WriteCommand{Op::put, std::string(key), std::string(value),
                      Precondition{Precondition::Kind::value, std::string(expected), 0}};
}

ShellCommand parse_get(std::string_view rest) {
  std::string_view key = take_word(rest);
  if (key.empty()) return invalid("get", "get needs KEY");
  if (!skip_separators(rest).empty()) return invalid("get", "get takes only KEY");
  if (auto refusal = check_sizes("get", key, "")) return *refusal;
  return GetCommand{std::string(key)};
}

ShellCommand parse_print(std::string_view rest) {
  std::string_view what = take_word(rest);
  if (what.empty()) return invalid("print", "print needs what to print");
  if (!skip_separators(rest).empty()) return invalid("print", "print takes one word");
  if (what == "log") return PrintCommand{PrintTarget::log};
  if (what == "kv") return PrintCommand{PrintTarget::kv};
  if (what == "chain") return PrintCommand{PrintTarget::chain};
  if (what == "status") return PrintCommand{PrintTarget::status};
  if (what == "members") return PrintCommand{PrintTarget::members};
  return invalid("print", "cannot print '" + std::string(what) + "'");
}

ShellCommand parse_sleep(std::string_view rest) {
  std::string_view word = take_word(rest);
  if (word.empty()) return invalid("sleep", "sleep needs MS");
  if (!skip_separators(rest).empty()) return invalid("sleep", "sleep takes only MS");
  std::uint64_t ms = 0;
  auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), ms);
  if (error == std::errc::result_out_of_range || (error == std::errc{} && ms > max_sleep_ms))
    return invalid("sleep", "sleep is limited to " + std::to_string(max_sleep_ms) + " ms");
  if (error != std::errc{} || end != word.data() + word.size())
    return invalid("sleep", "'" + std::string(word) + "' is not a whole number of milliseconds");
  return SleepCommand{ms};
}

std::string site_list(const Cluster& cluster) {
  std::string list;
  for (const SiteInfo& site : cluster.sites()) {
    if (!list.empty()) list += ", ";
    list += site.name;
  }
  return list;
}

ShellCommand parse_link(std::string_view name, bool failed, std::string_view rest,
                        const Cluster& cluster, SiteId self) {
  std::string_view site = take_word(rest);
  if (site.empty()) return invalid(name, std::string(name) + " needs SITE");
  if (!skip_separators(rest).empty()) return invalid(name, std::string(name) + " takes only SITE");
  auto id = cluster.find(site);
  if (!id)
    return invalid(name,
                   "no site named '" + std::string(site) + "' (sites: " + site_list(cluster) + ")");
  if (*id == self) return invalid(name, "'" + std::string(site) + "' is this site");
  return LinkCommand{*id, std::string(site), failed};
}

// The words are client::parse_member_words's, which paxoskv-client shares.
ShellCommand parse_member(std::string_view rest) {
  auto parsed = client::parse_member_words(rest);
  if (const std::string* what = std::get_if<std::string>(&parsed)) return invalid("member", *what);
  return MemberCommand{std::get<MemberChange>(std::move(parsed))};
}

ShellCommand parse_leader(std::string_view rest) {
  auto parsed = client::parse_leader_words(rest);
  if (const std::string* what = std::get_if<std::string>(&parsed)) return invalid("leader", *what);
  return MemberCommand{std::get<MemberChange>(std::move(parsed))};
}

template <typename Command>
ShellCommand parse_bare(std::string_view name, std::string_view rest) {
  if (!skip_separators(rest).empty())
    return invalid(name, std::string(name) + " takes no arguments");
  return Command{};
}

}  // namespace

ShellCommand parse_command(std::string_view line, const Cluster& cluster, SiteId self) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view rest = line;
  std::string_view name = take_word(rest);
  if (name.empty()) return EmptyLine{};
  if (name == "put") return parse_write(name, Op::put, rest);
  if (name == "append") return parse_write(name, Op::append, rest);
  if (name == "delete") return parse_write(name, Op::del, rest);
  if (name == "tag") return parse_write(name, Op::tag, rest);
  if (name == "cas") return parse_cas(rest);
  if (name == "get") return parse_get(rest);
  if (name == "print") return parse_print(rest);
  if (name == "sleep") return parse_sleep(rest);
  if (name == "member") return parse_member(rest);
  if (name == "leader") return parse_leader(rest);
  if (name == "faillink") return parse_link(name, true, rest, cluster, self);
  if (name == "fixlink") return parse_link(name, false, rest, cluster, self);
  if (name == "crash") return parse_bare<CrashCommand>(name, rest);
  if (name == "help") return parse_bare<HelpCommand>(name, rest);
  if (name == "quit") return parse_bare<QuitCommand>(name, rest);
  return Refusal{"invalid command: '" + std::string(name) +
                 "' is not a command (type help for the list)"};
}

const std::vector<CommandUsage>& command_usages() {
  static const std::vector<CommandUsage> usages{
      {"put", "put KEY VALUE...", "set KEY to VALUE (the rest of the line)"},
      {"append", "append KEY VALUE...", "append VALUE to KEY (a put if KEY is absent)"},
      {"get", "get KEY", "read KEY (linearizable)"},
      {"delete", "delete KEY", "remove KEY"},
      {"tag", "tag KEY VALUE...", "set KEY only if it was never set"},
      {"cas", "cas KEY EXPECTED NEW...", "set KEY to NEW only if its value is EXPECTED"},
      {"print", "print log|kv|chain|status|members",
       "show the decided log, the map, the hash chain, "
       "this site's status or the members"},
      {"member", client::member_usage, "change the membership (decided in the log)"},
      {"leader", client::leader_usage, "hand leadership to the voter NAME"},
      {"sleep", "sleep MS", "wait MS milliseconds before the next command"},
      {"faillink", "faillink SITE", "drop all traffic to and from SITE"},
      {"fixlink", "fixlink SITE", "restore the link to SITE"},
      {"crash", "crash", "stop this site at once, as a power cut would"},
      {"help", "help", "list the commands"},
      {"quit", "quit", "shut down cleanly (also at end of input)"},
  };
  return usages;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
    if (length == 0 || byte > 0xF4 || i + length > text.size()) return false;
    std::uint32_t code = byte & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

}  // namespace paxoskv::site
