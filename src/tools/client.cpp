// paxoskv-client: one request to the cluster over the client protocol (SPEC §6).
//
//   paxoskv-client --hosts FILE [--site NAME] [--timeout-ms N] [--attempts N]
//                  put|append|get|delete|tag KEY [VALUE...]
//                  | member add NAME HOST PORT [voter|learner] | member remove NAME
//                  | member promote NAME | leader transfer NAME | print members
//
// Prints the lines the shell would print and exits 0 on success, 1 on failure, 2 on bad usage.
// The client id is random per invocation and persisted nowhere: each invocation is a new
// client with sequence number 1, and its retries (same id, same seq) are applied once.

#include <boost/asio.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "client/client.hpp"
#include "client/member_text.hpp"
#include "core/members_json.hpp"
#include "net/hosts_file.hpp"
#include "net/message_auth.hpp"
#include "paxoskv/limits.hpp"

namespace {

using namespace paxoskv;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char* const kUsage =
    "usage: paxoskv-client --hosts FILE [--site NAME] [--timeout-ms N] [--attempts N]\n"
    "                      [--secret FILE]\n"
    "                      put|append|get|delete|tag KEY [VALUE...] | cas KEY EXPECTED NEW...\n"
    "                      | member add NAME HOST PORT [voter|learner] | member remove NAME\n"
    "                      | member promote NAME | leader transfer NAME | print members\n"
    "  --hosts       hosts file of the cluster (default hosts.txt)\n"
    "  --site        site to ask first (default: the first of the file)\n"
    "  --timeout-ms  wait this long for a reply before trying the next site (default 1000)\n"
    "  --attempts    give up after this many attempts (default 12)\n"
    "  --secret      authenticate with the key in FILE, as the sites' --secret\n";

struct Invocation {
  std::string hosts = "hosts.txt";
  std::string site;
  std::string secret_path;
  client::SessionOptions session;
  net::ClientOp op = net::ClientOp::get;
  std::string key;
  std::string value;
  std::string expected;  // cas
  MemberChange change;   // op member: what was typed, for the result line
};

std::optional<std::uint64_t> parse_positive(const std::string& text) {
  try {
    std::size_t used = 0;
    unsigned long long v = std::stoull(text, &used);
    if (used != text.size() || v == 0 || v > 1'000'000'000) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// `member ...`, `leader transfer NAME` or `print members` from args[i] on, in the shell's words.
std::variant<Invocation, std::string> parse_membership(const std::vector<std::string>& args,
                                                       std::size_t i, Invocation inv) {
  const std::string command = args[i];
  std::string rest;
  for (++i; i < args.size(); ++i) rest += (rest.empty() ? "" : " ") + args[i];
  if (command == "print") {
    if (rest != "members") return "print takes only members (usage: print members)";
    inv.op = net::ClientOp::members;
    return inv;
  }
  auto parsed =
      command == "member" ? client::parse_member_words(rest) : client::parse_leader_words(rest);
  if (const std::string* what = std::get_if<std::string>(&parsed))
    return *what + " (usage: " +
           std::string(command == "member" ? client::member_usage : client::leader_usage) + ")";
  inv.op = net::ClientOp::member;
  inv.change = std::get<MemberChange>(std::move(parsed));
  const Command change = member_command(inv.change, {});
  inv.key = change.key;
  inv.value = change.value;
  return inv;
}

// The invocation, or a usage problem to report.
std::variant<Invocation, std::string> parse(const std::vector<std::string>& args) {
  Invocation inv;
  std::size_t i = 0;
  for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) return flag + " needs a value";
    const std::string& value = args[++i];
    if (flag == "--hosts") {
      inv.hosts = value;
    } else if (flag == "--site") {
      inv.site = value;
    } else if (flag == "--secret") {
      inv.secret_path = value;
    } else if (flag == "--timeout-ms" || flag == "--attempts") {
      auto n = parse_positive(value);
      if (!n) return flag + " needs a positive number";
      if (flag == "--timeout-ms")
        inv.session.attempt_timeout_ms = static_cast<std::int64_t>(*n);
      else
        inv.session.max_attempts = static_cast<int>(*n);
    } else {
      return "unknown option '" + flag + "'";
    }
  }
  if (i >= args.size()) return "a command is missing";
  if (args[i] == "member" || args[i] == "leader" || args[i] == "print")
    return parse_membership(args, i, std::move(inv));
  auto op = net::client_op_from_name(args[i]);
  if (op == net::ClientOp::member || op == net::ClientOp::members) op.reset();
  if (!op) return "unknown command '" + args[i] + "'";
  inv.op = *op;
  if (++i >= args.size()) return std::string(net::client_op_name(*op)) + " needs KEY";
  inv.key = args[i++];
  if (*op == net::ClientOp::cas) {
    if (i >= args.size()) return std::string("cas needs KEY EXPECTED NEW");
    inv.expected = args[i++];
  }
  for (; i < args.size(); ++i) inv.value += (inv.value.empty() ? "" : " ") + args[i];
  bool takes_value = *op == net::ClientOp::put || *op == net::ClientOp::append ||
                     *op == net::ClientOp::tag || *op == net::ClientOp::cas;
  if (takes_value && inv.value.empty())
    return std::string(net::client_op_name(*op)) + " needs KEY VALUE";
  if (!takes_value && !inv.value.empty())
    return std::string(net::client_op_name(*op)) + " takes only KEY";
  return inv;
}

// The shell's lines for this result (SPEC §3), and whether it succeeded.
std::pair<std::vector<std::string>, bool> result_lines(const Invocation& inv,
                                                       const client::Result& r) {
  if (inv.op == net::ClientOp::member) {
    Completion completion;
    completion.ok = r.ok;
    completion.reason = r.error;
    return {{client::format_member_result(inv.change, completion)}, r.ok};
  }
  if (inv.op == net::ClientOp::members) {
    if (!r.ok) return {{"unable to execute print members: " + r.error}, false};
    auto known = decode_known_members(r.value.value_or(""));
    if (const std::string* e = std::get_if<std::string>(&known))
      return {{"unable to execute print members: the site's answer is malformed: " + *e}, false};
    return {client::format_members(std::get<KnownMembers>(known).latest), true};
  }
  std::string op(net::client_op_name(inv.op));
  if (!r.ok) return {{"unable to execute " + op + ": " + r.error}, false};
  if (inv.op == net::ClientOp::get)
    return {{"get " + inv.key + " returned " + (r.value ? *r.value : "null")}, true};
  return {{op + " " + inv.key + " completed"}, true};
}

int run(const Invocation& inv, const Cluster& cluster) {
  std::string op(net::client_op_name(inv.op));
  if (inv.key.size() > limits::max_key_bytes) {
    std::cout << "unable to execute " << op << ": " << key_too_large_reason() << "\n";
    return kExitFailure;
  }
  if (inv.value.size() + inv.expected.size() > limits::max_value_bytes) {
    std::cout << "unable to execute " << op << ": " << value_too_large_reason() << "\n";
    return kExitFailure;
  }
  boost::asio::io_context io;
  client::Session session(io, cluster, inv.session);
  client::Result result;
  session.request(inv.op, inv.key, inv.value, inv.expected, [&](const client::Result& r) {
    result = r;
    session.close();
  });
  io.run();
  auto [lines, ok] = result_lines(inv, result);
  for (const std::string& line : lines) std::cout << line << '\n';
  std::cout << std::flush;
  return ok ? 0 : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  auto parsed = parse(args);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    std::cerr << "paxoskv-client: " << *problem << '\n' << kUsage;
    return kExitUsage;
  }
  Invocation inv = std::get<Invocation>(parsed);
  auto loaded = load_hosts(inv.hosts);
  if (auto* error = std::get_if<HostsError>(&loaded)) {
    std::cerr << error->text << '\n';
    return kExitUsage;
  }
  const Cluster& cluster = std::get<Cluster>(loaded);
  if (!inv.site.empty()) {
    auto site = cluster.find(inv.site);
    if (!site) {
      std::cerr << "paxoskv-client: no site named '" << inv.site << "' in " << inv.hosts << '\n';
      return kExitUsage;
    }
    inv.session.first_site = *site;
  }
  if (!inv.secret_path.empty()) {
    auto secret = net::load_secret(inv.secret_path);
    if (auto* error = std::get_if<net::SecretError>(&secret)) {
      std::cerr << "paxoskv-client: " << error->what << '\n';
      return kExitUsage;
    }
    inv.session.auth = std::make_shared<net::MessageAuth>(std::get<std::string>(secret));
  }
  try {
    return run(inv, cluster);
  } catch (const std::exception& error) {
    std::cerr << "paxoskv-client: " << error.what() << '\n';
    return kExitFailure;
  }
}
