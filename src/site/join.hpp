#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/members_json.hpp"
#include "site/options.hpp"

namespace paxoskv::site {

// The configurations a site starts with and its own id in them.
struct StartingMembers {
  // `initial` governs slot 0: the log replays from it (or a snapshot restores later ones).
  // `latest` names this site and every site it may hear from; the transport binds with it.
  KnownMembers members;
  SiteId self = 0;
};

// Why a site started with --join cannot start; the message is for the user.
class JoinError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `paxoskv-site NAME --join HOST:PORT` (README, "Adding a site"): the operator has first added
// NAME with `member add NAME HOST PORT` at the cluster. A restart finds what the first start
// learned in DIR/NAME_members.json and asks no one. Otherwise the site asks HOST:PORT for its
// members (client protocol, `members`) for up to `patience`, finds NAME among the members of
// the latest configuration, and writes DIR/NAME_members.json durably before anything else.
// Throws JoinError when the cluster cannot be reached or does not have NAME, and
// storage::StorageError for a members file it cannot trust.
StartingMembers join_cluster(const std::string& name, const JoinTarget& target,
                             const std::filesystem::path& data_dir,
                             const std::optional<std::string>& secret,
                             std::chrono::milliseconds patience = std::chrono::seconds(10));

}  // namespace paxoskv::site
