#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paxoskv::net {

// Standard base64 (RFC 4648, with '=' padding). Snapshot pieces travel as base64 because a
// piece cut at an arbitrary byte may split a UTF-8 character, which a JSON string cannot hold.
std::string base64_encode(std::string_view bytes);
// Nothing when `text` is not canonical base64 (bad length, bad character, misplaced padding,
// or non-zero padding bits).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace paxoskv::net
