#include "site/join.hpp"

#include <boost/asio/io_context.hpp>

#include "client/client.hpp"
#include "log/log.hpp"
#include "storage/members_file.hpp"

namespace paxoskv::site {

namespace {

constexpr std::chrono::milliseconds kAttempt{500};

std::string endpoint_text(const JoinTarget& target) {
  const bool v6 = target.host.find(':') != std::string::npos;
  return (v6 ? "[" + target.host + "]" : target.host) + ":" + std::to_string(target.port);
}

KnownMembers ask_members(const JoinTarget& target, const std::optional<std::string>& secret,
                         std::chrono::milliseconds patience) {
  boost::asio::io_context io;
  // The one site asked, by its address alone: nothing else of the cluster is known yet.
  const Cluster contact({SiteInfo{"contact", target.host, target.port, Role::voter}});
  client::SessionOptions options;
  options.attempt_timeout_ms = kAttempt.count();
  options.max_attempts = static_cast<int>(std::max<std::int64_t>(1, patience / kAttempt));
  options.follow_leader_hint = false;
  if (secret) options.auth = std::make_shared<net::MessageAuth>(*secret);
  client::Result result;
  try {
    client::Session session(io, contact, options);
    session.request(net::ClientOp::members, "", "", [&](const client::Result& r) {
      result = r;
      session.close();
    });
    io.run();
  } catch (const std::exception& e) {
    throw JoinError("cannot ask the cluster at " + endpoint_text(target) + ": " + e.what());
  }
  if (!result.ok)
    throw JoinError("cannot reach the cluster at " + endpoint_text(target) + ": " + result.error);
  auto decoded = decode_known_members(result.value.value_or(""));
  if (const std::string* e = std::get_if<std::string>(&decoded))
    throw JoinError("the site at " + endpoint_text(target) + " answered with bad members: " + *e);
  return std::get<KnownMembers>(std::move(decoded));
}

}  // namespace

StartingMembers join_cluster(const std::string& name, const JoinTarget& target,
                             const std::filesystem::path& data_dir,
                             const std::optional<std::string>& secret,
                             std::chrono::milliseconds patience) {
  if (std::optional<KnownMembers> known = storage::read_members_file(data_dir, name)) {
    PAXOSKV_LOG(info) << "the cluster's configuration is the one learned when " << name
                      << " joined (" << storage::members_path(data_dir, name).string() << ")";
    const SiteId self = *known->latest.find(name);
    return StartingMembers{std::move(*known), self};
  }
  PAXOSKV_LOG(info) << "asking " << endpoint_text(target) << " for the cluster's configuration";
  KnownMembers members = ask_members(target, secret, patience);
  const std::optional<SiteId> self = members.latest.find(name);
  if (!self)
    throw JoinError(name + " is not a member of the cluster at " + endpoint_text(target) +
                    ": add it first with member add " + name + " HOST PORT");
  storage::write_members_file(data_dir, name, members);
  return StartingMembers{std::move(members), *self};
}

}  // namespace paxoskv::site
