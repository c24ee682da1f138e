#pragma once

// The JSON text of the core types written straight into a string, for the hot paths (accepts,
// acks, commits, the log and the acceptor state): the same bytes boost::json::serialize gives
// for the objects of json_form.hpp, without building a boost::json::value first (a node
// allocation per field). The unit tests compare the two byte for byte.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "paxoskv/ballot.hpp"
#include "paxoskv/command.hpp"

namespace paxoskv::json_text {

// A JSON string literal, escaped as boost::json::serialize escapes it: `"` and `\`, the
// short forms \b \t \n \f \r, \u00xx (lower-case hex) for the other control characters; every
// other byte as it is.
void append_string(std::string& out, std::string_view text);
void append_u64(std::string& out, std::uint64_t n);
// {"k":"v",...}: string pairs in the order given (SITE.json, and a snapshot's "kv").
void append_string_object(
    std::string& out, const std::vector<std::pair<std::string_view, std::string_view>>& entries);
// [round,site]
void append_ballot(std::string& out, Ballot b);
// "op":"put","key":…,"value":…,"client":…,"seq":… (only "op" for a no-op), without braces:
// json_form::put_command's fields, in its order.
void append_command_fields(std::string& out, const Command& c);

}  // namespace paxoskv::json_text
