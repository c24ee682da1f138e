#include "sim/trace.hpp"

#include <array>
#include <cstdio>
#include <variant>

namespace paxoskv::sim {

namespace {

// The trace's own names, in the order of MessageBody's alternatives (the wire names live in
// the net layer, which the simulator does not link).
constexpr std::array<const char*, 15> kMessageNames{
    "prepare", "promise",    "accept",           "ack",         "nack",
    "commit",  "heartbeat",  "hb_reply",         "catchup_req", "catchup_reply",
    "forward", "read_index", "read_index_reply", "recovery_q",  "recovery_reply",
};
static_assert(kMessageNames.size() == std::variant_size_v<MessageBody>);

// In the order of TraceKind.
constexpr std::array<const char*, 13> kKindNames{
    "deliver", "drop",    "drop-cut", "drop-down", "duplicate", "decide",    "CRASH",
    "restart", "network", "client",   "member",    "phase",     "VIOLATION",
};

template <typename Entries>
void slot_range(const Entries& entries, MessageSummary& s) {
  s.count = entries.size();
  if (entries.empty()) return;
  s.a = entries.front().slot;
  s.b = entries.back().slot;
}

struct Summarizer {
  MessageSummary& s;
  void operator()(const Prepare& m) {
    s.ballot = m.ballot;
    s.a = m.from;
  }
  void operator()(const Promise& m) {
    s.ballot = m.ballot;
    s.a = m.decided_end;
    s.count = m.accepted.size();
  }
  void operator()(const Accept& m) {
    s.ballot = m.ballot;
    slot_range(m.entries, s);
  }
  void operator()(const Ack& m) {
    s.ballot = m.ballot;
    s.count = m.slots.size();
    if (!m.slots.empty()) {
      s.a = m.slots.front();
      s.b = m.slots.back();
    }
  }
  void operator()(const Nack& m) { s.ballot = m.ballot; }
  void operator()(const Commit& m) { slot_range(m.entries, s); }
  void operator()(const Heartbeat& m) {
    s.ballot = m.ballot;
    s.a = m.decided_end;
    s.b = m.probe;
  }
  void operator()(const HeartbeatReply& m) {
    s.ballot = m.promised;
    s.a = m.decided_end;
    s.b = m.probe;
  }
  void operator()(const CatchupRequest& m) { s.a = m.from; }
  void operator()(const CatchupReply& m) { slot_range(m.entries, s); }
  void operator()(const Forward& m) {
    s.a = m.command.id.client;
    s.b = m.command.id.seq;
  }
  void operator()(const ReadIndexRequest& m) { s.a = m.read_id; }
  void operator()(const ReadIndexReply& m) {
    s.a = m.read_id;
    s.b = m.read_end;
  }
  void operator()(const RecoveryQuery& m) { s.a = m.query_id; }
  void operator()(const RecoveryReply& m) {
    s.ballot = m.promised;
    s.a = m.query_id;
    s.b = m.fresh ? 1 : 0;
  }
};

std::string format_message(const MessageSummary& m) {
  const std::string b = to_string(m.ballot);
  const std::string range =
      m.count == 0 ? std::string("none") : std::to_string(m.a) + ".." + std::to_string(m.b);
  switch (m.type) {
    case 0:
      return "b=" + b + " from=" + std::to_string(m.a);
    case 1:
      return "b=" + b + " decided_end=" + std::to_string(m.a) +
             " accepted=" + std::to_string(m.count);
    case 2:
    case 3:
      return "b=" + b + " slots=" + range;
    case 4:
      return "promised=" + b;
    case 5:
    case 9:
      return "slots=" + range;
    case 6:
    case 7:
      return "b=" + b + " decided_end=" + std::to_string(m.a) + " probe=" + std::to_string(m.b);
    case 8:
      return "from=" + std::to_string(m.a);
    case 10:
      return "req=" + std::to_string(m.a) + "." + std::to_string(m.b);
    case 11:
      return "read=" + std::to_string(m.a);
    case 13:
      return "query=" + std::to_string(m.a);
    case 14:
      return "query=" + std::to_string(m.a) + " promised=" + b + " fresh=" + std::to_string(m.b);
    default:
      return "read=" + std::to_string(m.a) + " read_end=" + std::to_string(m.b);
  }
}

}  // namespace

MessageSummary summarize(const MessageBody& body) {
  MessageSummary s;
  s.type = static_cast<std::uint8_t>(body.index());
  std::visit(Summarizer{s}, body);
  return s;
}

std::string format_event(const TraceEvent& e) {
  char head[64];
  std::snprintf(head, sizeof head, "%9lld ms  %-9s ", static_cast<long long>(e.at),
                kKindNames.at(static_cast<std::size_t>(e.kind)));
  std::string line = head;
  if (e.kind <= TraceKind::duplicate) {
    line += kMessageNames.at(e.message.type);
    line += " s" + std::to_string(e.from) + "->s" + std::to_string(e.site) + " ";
    line += format_message(e.message);
    return line;
  }
  if (e.site != Trace::kNoSite) line += "s" + std::to_string(e.site) + " ";
  line += e.note;
  return line;
}

void Trace::message(TimeMs at, TraceKind kind, const Envelope& envelope) {
  if (capacity_ == 0) return;
  push(TraceEvent{
      at, kind, envelope.to, envelope.message.from, summarize(envelope.message.body), {}});
}

void Trace::note(TimeMs at, TraceKind kind, SiteId site, std::string text) {
  if (capacity_ == 0) return;
  push(TraceEvent{at, kind, site, 0, {}, std::move(text)});
}

void Trace::push(TraceEvent event) {
  ++total_;
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(event));
    return;
  }
  ring_[head_] = std::move(event);
  head_ = (head_ + 1) % capacity_;
}

std::string Trace::render_range(std::size_t skip) const {
  std::string out;
  for (std::size_t i = skip; i < ring_.size(); ++i) {
    out += format_event(ring_[(head_ + i) % ring_.size()]);
    out += '\n';
  }
  return out;
}

std::string Trace::render() const {
  std::string out;
  if (total_ > ring_.size())
    out += "... " + std::to_string(total_ - ring_.size()) + " earlier events not kept\n";
  return out + render_range(0);
}

std::string Trace::render_tail(std::size_t lines) const {
  std::size_t skip = ring_.size() > lines ? ring_.size() - lines : 0;
  std::string out;
  if (total_ > ring_.size() - skip)
    out += "... " + std::to_string(total_ - (ring_.size() - skip)) + " earlier events\n";
  return out + render_range(skip);
}

}  // namespace paxoskv::sim
