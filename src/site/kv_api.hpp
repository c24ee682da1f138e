#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <string>

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
// A write or a linearizable read goes to the Replica under this API's own client id, and is
// answered when its Completion comes; the rest is answered at once from the applied map.
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
  // A request waiting for its Completion.
  struct Pending {
    enum class Kind { get, list, write } kind = Kind::get;
    std::string key;  // the key, or the prefix of a list
    std::size_t limit = 0;
    bool is_delete = false;
    HttpRespond respond;
  };

  void handle_key(const HttpRequest& request, const std::string& key, HttpRespond respond);
  void handle_list(const HttpRequest& request, HttpRespond respond);
  void write(const HttpRequest& request, const std::string& key, HttpRespond respond);
  // A request the site cannot serve now: no leader known and no quorum heard.
  bool refuse_without_quorum(const HttpRespond& respond) const;
  // The reply to a request whose read or write completed (or failed).
  void answer(const Pending& pending, const Completion& completion);
  RequestId next_id();

  Site& site_;
  std::uint64_t client_id_;
  std::uint64_t next_seq_ = 1;
  std::map<RequestId, Pending> pending_;
  KvWatches watches_;
  bool stopped_ = false;
};

}  // namespace paxoskv::site
