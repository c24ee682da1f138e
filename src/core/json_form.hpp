#pragma once

// The JSON form of the core types, shared by the wire codec and the files, so a command
// looks the same in a datagram, in SITE_log.json and in SITE_state.json:
//   ballot:  [round, site]
//   command: fields "op", and unless a no-op "key", "value", "client", "seq"
//            (merged into the enclosing object)
// Readers return an error text ("" when fine) that names the offending field.

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "paxoskv/ballot.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv::json_form {

boost::json::array ballot_to_json(Ballot b);
std::string read_ballot(const boost::json::object& o, std::string_view field, Ballot& out);

void put_command(boost::json::object& o, const Command& c);
std::string read_command(const boost::json::object& o, Command& out);

std::string read_u64(const boost::json::object& o, std::string_view field, std::uint64_t& out);
std::string read_string(const boost::json::object& o, std::string_view field, std::string& out);

}  // namespace paxoskv::json_form
