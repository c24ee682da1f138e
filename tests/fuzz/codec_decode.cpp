// libFuzzer target: net::decode on arbitrary datagrams, against a fixed 3-site cluster (two
// voters and a learner). decode must never throw; whatever it accepts must re-encode to a
// datagram within the size limit that decodes to the same message (so a relayed or
// retransmitted message means what it meant); and its fast path for canonical text must read
// every datagram exactly as the general path does.

#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "net/codec.hpp"
#include "paxoskv/limits.hpp"

namespace {

const paxoskv::Cluster& cluster() {
  static const paxoskv::Cluster c({{"alpha", "127.0.0.1", 5001, paxoskv::Role::voter},
                                   {"beta", "127.0.0.1", 5002, paxoskv::Role::voter},
                                   {"gamma", "127.0.0.1", 5003, paxoskv::Role::learner}});
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace paxoskv;
  using fuzz::fuzz_check;
  std::variant<Message, net::DecodeError> decoded;
  try {
    decoded = net::decode(fuzz::as_text(data, size), cluster());
  } catch (...) {
    fuzz_check(false, "decode threw");
  }
  const auto general = net::detail::decode_generic(fuzz::as_text(data, size), cluster());
  fuzz_check(general.index() == decoded.index(), "the fast path accepts what the general does");
  if (const auto* error = std::get_if<net::DecodeError>(&decoded)) {
    fuzz_check(!error->what.empty(), "a refusal says why");
    return 0;
  }
  const Message& message = std::get<Message>(decoded);
  fuzz_check(net::encode(message, cluster()) == net::encode(std::get<Message>(general), cluster()),
             "the fast path reads a message as the general path does");
  fuzz_check(message.from < cluster().size(), "sender is a site of the cluster");
  const std::string again = net::encode(message, cluster());
  fuzz_check(again.size() <= limits::max_datagram_bytes, "re-encoding fits a datagram");
  auto round_trip = net::decode(again, cluster());
  const Message* back = std::get_if<Message>(&round_trip);
  fuzz_check(back != nullptr, "re-encoding decodes");
  fuzz_check(net::encode(*back, cluster()) == again, "re-encoding is stable");
  (void)net::describe(message.body);
  return 0;
}
