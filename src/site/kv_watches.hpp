#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <string>

#include "paxoskv/replica.hpp"
#include "site/http_handler.hpp"

namespace paxoskv::site {

// The long polls of GET /v1/watch: each waits until the key (or a key under the prefix) changes
// after its revision, or until its timeout, and then answers every change it can in one reply:
//   {"events":[{"type":"put","key":"k","value":"v","revision":12},
//              {"type":"delete","key":"k","revision":13}],"cluster_revision":13}
// A client watches on from the last event's revision (or from "cluster_revision" when there
// is none, unless that is lower than the revision it asked from: a site behind the one asked
// before answers nothing new with its own, lower, revision, and going back to it would bring
// the changes in between again), so it sees every change in order with no gap and none twice,
// whichever site it asks next. A revision this site no longer holds changes for gets 410
// (ChangeHistory).
class KvWatches {
 public:
  // Events in one reply at most; a client asks again from the last one.
  static constexpr std::size_t kMaxEvents = 1000;
  static constexpr std::chrono::seconds kDefaultTimeout{30};
  static constexpr std::chrono::seconds kMaxTimeout{60};
  // How often pending polls look for new changes: a change reaches its watchers this late.
  static constexpr std::chrono::milliseconds kPollInterval{10};

  KvWatches(boost::asio::io_context& io, const Replica& replica);

  // Answers at once when there is something to say, else waits.
  void watch(std::string key, bool is_prefix, std::uint64_t since,
             std::chrono::steady_clock::duration timeout, HttpRespond respond);
  void stop();
  std::size_t pending() const { return polls_.size(); }

 private:
  struct Poll {
    std::string key;
    bool is_prefix = false;
    std::uint64_t since = 0;
    std::chrono::steady_clock::time_point deadline;
    HttpRespond respond;
  };
  // Answers `poll` if it has changes, was compacted away or timed out; true when it did.
  bool try_answer(Poll& poll, std::chrono::steady_clock::time_point now) const;
  void arm();

  const Replica& replica_;
  boost::asio::steady_timer timer_;
  std::list<Poll> polls_;
  bool armed_ = false;
  bool stopped_ = false;
};

}  // namespace paxoskv::site
