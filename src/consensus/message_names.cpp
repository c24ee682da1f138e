#include "paxoskv/consensus.hpp"

namespace paxoskv::consensus {

std::string to_string(MessageType type) {
  switch (type) {
    case MessageType::prepare:
      return "prepare";
    case MessageType::promise:
      return "promise";
    case MessageType::accept:
      return "accept";
    case MessageType::accepted:
      return "accepted";
    case MessageType::decided:
      return "decided";
    case MessageType::decided_ack:
      return "decided_ack";
    case MessageType::done_notice:
      return "done_notice";
  }
  return "unknown";
}

}  // namespace paxoskv::consensus
