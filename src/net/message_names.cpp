#include <array>
#include <variant>

#include "paxoskv/message.hpp"

namespace paxoskv {

namespace {
// In the order of the alternatives of MessageBody.
constexpr std::array<const char*, 15> kTypeNames{
    "prepare",
    "promise",
    "accept",
    "ack",
    "nack",
    "commit",
    "heartbeat",
    "heartbeat_reply",
    "catchup_request",
    "catchup_reply",
    "forward",
    "read_index_request",
    "read_index_reply",
    "recovery_query",
    "recovery_reply",
};
static_assert(kTypeNames.size() == std::variant_size_v<MessageBody>,
              "every message type needs a wire name");
}  // namespace

const char* type_name(const MessageBody& body) {
  return kTypeNames.at(body.index());
}

}  // namespace paxoskv
