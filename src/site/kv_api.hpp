#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "paxoskv/ready.hpp"
#include "site/http_handler.hpp"
#include "site/kv_watches.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace paxoskv::site {

class Site;

// The KV API under /v1/ (README, "HTTP API"; SPEC §6c), served by the site's HTTP server:
//   GET    /v1/kv/KEY[?serializable=true]
//   PUT    /v1/kv/KEY[?prev_exists=false|prev_value=V|prev_revision=N][&ttl=S]   body: value
//   DELETE /v1/kv/KEY[?prev_value=V|prev_revision=N]
//   GET    /v1/kv?prefix=P[&limit=N][&serializable=true]
//   GET    /v1/watch?key=K|prefix=P[&since=REV][&timeout=S]   (KvWatches)
// A write or a linearizable read goes to the Replica under a client id of this API's own, and
// is answered when its Completion comes; the rest is answered at once from the applied map.
class KvApi {
 public:
  KvApi(boost::asio::io_context& io, Site& site);
  KvApi(const KvApi&) = delete;
  KvApi& operator=(const KvApi&) = delete;

  void handle(const HttpRequest& request, HttpRespond respond);
  // True when `completion` answered a request of this API.
  bool complete(const Completion& completion);
  // Answers nothing more; pending requests are dropped with their connections.
  void stop();

 private:
  // A client id of this API's writes and its next seq. The state machine keeps one record of
  // each client id, its last seq applied (the exactly-once rule), and takes a write of a lower
  // seq for a stale retry: it drops it. So a client id carries one write at a time, as a shell
  // or a paxoskv-client does: a write takes an idle lane and gives it back when answered, and
  // there are as many lanes as writes were ever in flight at once.
  struct Lane {
    std::uint64_t client = 0;
    std::uint64_t next_seq = 1;
  };

  // A request waiting for its Completion.
  struct Pending {
    enum class Kind { get, list, write } kind = Kind::get;
    std::string key;  // the key, or the prefix of a list
    std::size_t limit = 0;
    bool is_delete = false;
    HttpRespond respond;
    // A write's: the value it puts and its ttl (0: none), and the lane it holds.
    std::string value;
    std::uint32_t ttl_s = 0;
    Lane lane;
  };

  void handle_key(const HttpRequest& request, const std::string& key, HttpRespond respond);
  void handle_list(const HttpRequest& request, HttpRespond respond);
  void write(const HttpRequest& request, const std::string& key, HttpRespond respond);
  // A request the site cannot serve now: no leader known and no quorum heard.
  bool refuse_without_quorum(const HttpRespond& respond) const;
  // The reply to a request whose read or write completed (or failed).
  void answer(const Pending& pending, const Completion& completion);
  RequestId next_read_id();
  Lane take_lane();

  Site& site_;
  // Reads have a client id of their own: they are not applied, so they may overlap.
  std::uint64_t read_client_;
  std::uint64_t next_read_seq_ = 1;
  std::vector<Lane> idle_lanes_;
  std::set<std::uint64_t> lane_clients_;  // of every lane, idle or not
  std::map<RequestId, Pending> pending_;
  KvWatches watches_;
  bool stopped_ = false;
};

}  // namespace paxoskv::site
