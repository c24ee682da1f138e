#include "net/canonical_decode.hpp"

#include "net/canonical_reader.hpp"

namespace paxoskv::net {

std::optional<Message> decode_canonical(std::string_view datagram, const Cluster& cluster,
                                        WireBounds bounds) {
  if (datagram.size() > limits::max_datagram_bytes) return std::nullopt;
  CanonicalReader r(datagram, bounds);
  std::string_view type;
  std::string_view from_name;
  if (!(r.literal("{\"type\":") && r.string(type) && r.literal(",\"from\":") &&
        r.string(from_name)))
    return std::nullopt;
  std::optional<SiteId> from = cluster.find(from_name);
  if (!from) return std::nullopt;
  Message message;
  message.from = *from;
  auto entries = [&](std::vector<SlotCommand>& out) {
    return r.literal(",\"entries\":") &&
           r.list(out, [&](SlotCommand& e) { return r.slot_command(e); });
  };
  bool read = false;
  if (type == "accept") {
    Accept& m = message.body.emplace<Accept>();
    read = r.literal(",\"ballot\":") && r.ballot(m.ballot, cluster) &&
           r.literal(",\"decided_end\":") && r.number(m.decided_end) && entries(m.entries);
  } else if (type == "ack") {
    Ack& m = message.body.emplace<Ack>();
    read = r.literal(",\"ballot\":") && r.ballot(m.ballot, cluster) && r.literal(",\"slots\":") &&
           r.list(m.slots, [&](Slot& s) { return r.number(s); });
  } else if (type == "commit") {
    Commit& m = message.body.emplace<Commit>();
    read = r.literal(",\"decided_end\":") && r.number(m.decided_end) && entries(m.entries);
  }
  if (!(read && r.literal("}") && r.at_end())) return std::nullopt;
  return message;
}

}  // namespace paxoskv::net
