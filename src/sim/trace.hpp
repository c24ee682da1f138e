#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "paxoskv/message.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::sim {

enum class TraceKind : std::uint8_t {
  deliver,    // a message reached its site
  drop,       // lost at random
  cut,        // lost on a cut link
  down,       // lost: its site was down
  duplicate,  // the network made a second copy
  decide,     // a site's log grew by a decided slot
  crash,
  restart,
  network,  // the shape of the partitions changed
  client,   // a client invoked, retried, completed or gave up an operation
  member,   // a membership change typed, decided or reported; a site added or retired
  phase,    // the faults stopped
  check,    // a checker failed
};

// What a trace line shows of a message: enough to follow ballots and slots, cheap to take,
// and formatted only when the trace is printed.
struct MessageSummary {
  std::uint8_t type = 0;  // index in MessageBody
  Ballot ballot;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::uint64_t count = 0;
};

struct TraceEvent {
  TimeMs at = 0;
  TraceKind kind = TraceKind::deliver;
  SiteId site = 0;  // the receiver of a message, else the site concerned
  SiteId from = 0;
  MessageSummary message;
  std::string note;  // events other than messages
};

// The events of one run, the latest `capacity` of them, in order. Same seed, same trace.
class Trace {
 public:
  explicit Trace(std::size_t capacity) : capacity_(capacity) {}

  void message(TimeMs at, TraceKind kind, const Envelope& envelope);
  // `site` is printed as "sN", or not at all when it is kNoSite.
  void note(TimeMs at, TraceKind kind, SiteId site, std::string text);

  // False when nothing is kept: callers skip formatting notes then.
  bool enabled() const { return capacity_ > 0; }
  std::uint64_t total() const { return total_; }
  // One line per event kept, oldest first, preceded by a line saying how many were dropped.
  std::string render() const;
  // The last `lines` events kept.
  std::string render_tail(std::size_t lines) const;

  static constexpr SiteId kNoSite = ~SiteId{0};

 private:
  void push(TraceEvent event);
  std::string render_range(std::size_t skip) const;

  std::size_t capacity_;
  std::vector<TraceEvent> ring_;
  std::size_t head_ = 0;  // the oldest event once the ring is full
  std::uint64_t total_ = 0;
};

MessageSummary summarize(const MessageBody& body);
std::string format_event(const TraceEvent& event);

}  // namespace paxoskv::sim
