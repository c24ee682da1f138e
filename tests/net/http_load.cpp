#include "http_load.hpp"

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <random>

#include "support/http_test_client.hpp"

namespace net_test {

namespace {

using paxoskv::sim::OpKind;
using paxoskv::test::HttpTestClient;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kEpochMs = 5'000;
constexpr int kKeysPerEpoch = 3;
// A request gets this long for its answer, from the connect. The site's own write timeout is
// 3 attempts of 2 s: hasty clients go on sooner, as the UDP load's clients do, so their writes
// are left without an answer; patient ones wait for the site's 504 ("outcome unknown").
constexpr auto kHastyTimeout = 3s;
constexpr auto kPatientTimeout = 8s;
// A client moves to another site (at random) this often, so that clients stay spread over
// the sites and every fault finds some of them at the site it hits.
constexpr auto kStayAtASite = 2s;
constexpr auto kConnectTimeout = 1s;
// Pacing after a request no site took or refused, so that clients do not spin while no site
// has a quorum (a 503 says Retry-After: 1; the next site may answer sooner).
constexpr auto kRefusedPause = 50ms;
constexpr auto kFinalReadsFor = 60s;

}  // namespace

// What became of one request.
struct HttpLoad::Exchange {
  enum class Kind { answered, not_sent, no_answer };
  Kind kind = Kind::not_sent;
  int status = 0;
  boost::json::object body;  // empty if the body was not a JSON object
};

// One client's connection: to one site at a time, kept alive across requests; on to the next
// site when that one does not answer.
class HttpLoad::Client {
 public:
  Client(const HttpLoad& load, std::size_t first_site, Clock::duration timeout)
      : load_(load), site_(first_site), timeout_(timeout) {}

  Exchange request(const std::string& method, const std::string& target, const std::string& body) {
    const auto deadline = Clock::now() + timeout_;
    if (connection_ && !connection_->still_open()) connection_.reset();
    if (!connection_) {
      connection_ = std::make_unique<HttpTestClient>(load_.addresses_[site_], load_.port_,
                                                     Clock::now() + kConnectTimeout);
      if (!connection_->connected()) {
        next_site();
        return {};  // nothing sent
      }
    }
    auto response =
        connection_->exchange(paxoskv::test::http_request(method, target, {}, body), deadline);
    if (!response) {
      next_site();
      return {Exchange::Kind::no_answer, 0, {}};
    }
    Exchange exchange{Exchange::Kind::answered, response->status, {}};
    boost::system::error_code error;
    boost::json::value parsed = boost::json::parse(response->body, error);
    if (!error && parsed.is_object()) exchange.body = std::move(parsed.as_object());
    return exchange;
  }

  // Goes on to the next site: this one did not answer, or said it could not.
  void next_site() {
    move_to((site_ + 1) % load_.addresses_.size());
    ++switches_;
  }
  void move_to(std::size_t site) {
    connection_.reset();
    site_ = site;
    arrived_ = Clock::now();
  }
  Clock::time_point arrived() const { return arrived_; }
  std::uint64_t switches() const { return switches_; }

 private:
  const HttpLoad& load_;
  std::size_t site_;
  Clock::duration timeout_;
  Clock::time_point arrived_ = Clock::now();
  std::unique_ptr<HttpTestClient> connection_;
  std::uint64_t switches_ = 0;
};

namespace {

// The string at body[field], if there is one.
std::optional<std::string> string_field(const boost::json::object& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

}  // namespace

HttpLoad::HttpLoad(std::vector<std::string> addresses, std::uint16_t port, std::size_t clients,
                   std::uint64_t seed)
    : addresses_(std::move(addresses)),
      port_(port),
      clients_(clients),
      seed_(seed),
      start_(Clock::now()) {}

HttpLoad::~HttpLoad() {
  join();
}

std::int64_t HttpLoad::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
}

void HttpLoad::start(std::chrono::seconds duration) {
  start_ = Clock::now();
  for (std::size_t i = 0; i < clients_; ++i)
    threads_.emplace_back([this, i, end = start_ + duration] { run_client(i, end); });
}

void HttpLoad::join() {
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void HttpLoad::run_client(std::size_t id, Clock::time_point end) {
  Client client(*this, id % addresses_.size(), id % 2 == 0 ? kHastyTimeout : kPatientTimeout);
  std::mt19937_64 random(seed_ * 1000 + id);
  auto uniform = [&random](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(random);
  };
  std::map<std::string, std::string> seen;  // per key, the value this client last saw
  std::uint64_t written = 0;
  while (Clock::now() < end) {
    if (Clock::now() - client.arrived() >= kStayAtASite)
      client.move_to(static_cast<std::size_t>(uniform(0, static_cast<int>(addresses_.size()) - 1)));
    const std::string key = "h" + std::to_string(now_ms() / kEpochMs) + "k" +
                            std::to_string(uniform(0, kKeysPerEpoch - 1));
    const auto last = seen.find(key);
    const int dice = uniform(0, 99);
    const OpKind kind = last != seen.end() ? (dice < 45   ? OpKind::cas
                                              : dice < 65 ? OpKind::put
                                                          : OpKind::get)
                                           : (dice < 50 ? OpKind::put : OpKind::get);
    const std::string value =
        kind == OpKind::get ? "" : "h" + std::to_string(id) + "." + std::to_string(++written);
    const std::string expected = kind == OpKind::cas ? last->second : "";
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      keys_.insert(key);
      index = kind == OpKind::cas ? history_.invoke_cas(id, key, expected, value, now_ms())
                                  : history_.invoke(id, kind, key, value, now_ms());
    }
    const std::string target =
        "/v1/kv/" + key + (kind == OpKind::cas ? "?prev_value=" + expected : "");
    const Exchange exchange = client.request(kind == OpKind::get ? "GET" : "PUT", target, value);
    if (!record(index, kind, key, value, exchange, seen)) client.next_site();
    if (exchange.kind == Exchange::Kind::not_sent || exchange.status == 503)
      std::this_thread::sleep_for(kRefusedPause);
  }
  std::lock_guard lock(mutex_);
  figures_.site_switches += client.switches();
}

bool HttpLoad::record(std::size_t index, OpKind kind, const std::string& key,
                      const std::string& value, const Exchange& exchange,
                      std::map<std::string, std::string>& seen) {
  std::lock_guard lock(mutex_);
  const std::int64_t done = now_ms();
  const bool write = kind != OpKind::get;
  auto unknown = [&] {
    history_.abandon(index);  // a get without an answer is left out of the history
    ++(write ? figures_.indeterminate : figures_.failed_reads);
    seen.erase(key);
  };
  if (exchange.kind == Exchange::Kind::not_sent) {
    history_.refuse(index);
    ++figures_.not_connected;
    return true;  // the client has moved on already
  }
  if (exchange.kind == Exchange::Kind::no_answer) {
    unknown();
    return true;
  }
  const int status = exchange.status;
  const std::optional<std::string> read = string_field(exchange.body, "value");
  if (status == 200 && write) {
    history_.complete(index, done, std::nullopt);
    acked_.push_back({kind == OpKind::cas ? "cas" : "put", key, value});
    ++(kind == OpKind::cas ? figures_.cas_applied : figures_.puts);
    seen[key] = value;
    return true;
  }
  if ((status == 200 && !write && read) || (status == 404 && !write)) {
    history_.complete(index, done, read);
    ++figures_.gets;
    if (read)
      seen[key] = *read;
    else
      seen.erase(key);
    return true;
  }
  if (status == 412 && kind == OpKind::cas && exchange.body.contains("current") &&
      exchange.body.at("current").is_object()) {
    const auto found = string_field(exchange.body.at("current").as_object(), "value");
    history_.fail_condition(index, done, found);
    ++figures_.cas_failed;
    if (found)
      seen[key] = *found;
    else
      seen.erase(key);
    return true;
  }
  if (status == 503) {
    history_.refuse(index);  // nothing was done
    ++figures_.refused_503;
    return false;
  }
  unknown();
  if (status == 504 && write) {
    ++figures_.outcome_unknown_504;
    return false;
  }
  ++figures_.unexpected[status];
  return true;
}

void HttpLoad::final_reads(const std::filesystem::path&) {
  Client client(*this, 0, kHastyTimeout);
  const std::uint64_t reader = clients_;  // a client id of its own in the history
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mutex_);
    keys.assign(keys_.begin(), keys_.end());
  }
  const auto deadline = Clock::now() + kFinalReadsFor;
  for (const std::string& key : keys) {
    for (;;) {
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex_);
        index = history_.invoke(reader, OpKind::get, key, "", now_ms());
      }
      const Exchange exchange = client.request("GET", "/v1/kv/" + key, "");
      const auto read = string_field(exchange.body, "value");
      const bool answered = exchange.kind == Exchange::Kind::answered &&
                            ((exchange.status == 200 && read) || exchange.status == 404);
      {
        std::lock_guard lock(mutex_);
        if (answered) {
          history_.complete(index, now_ms(), read);
          break;
        }
        history_.abandon(index);
      }
      if (Clock::now() >= deadline) {
        ++final_reads_missing_;
        break;
      }
      if (exchange.kind == Exchange::Kind::answered) client.next_site();
      std::this_thread::sleep_for(kRefusedPause);
    }
  }
}

std::vector<paxoskv::sim::Operation> HttpLoad::for_checker() const {
  std::lock_guard lock(mutex_);
  return history_.for_checker();
}

std::vector<AckedWrite> HttpLoad::acked_writes() const {
  std::lock_guard lock(mutex_);
  return acked_;
}

HttpLoadFigures HttpLoad::figures() const {
  std::lock_guard lock(mutex_);
  return figures_;
}

std::size_t HttpLoad::keys() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace net_test
