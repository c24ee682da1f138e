#include "load.hpp"

#include <boost/asio.hpp>
#include <memory>
#include <random>
#include <stdexcept>

#include "client/client.hpp"
#include "net/hosts_file.hpp"

namespace net_test {

namespace {

using paxoskv::sim::OpKind;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kEpochMs = 5'000;
constexpr int kKeysPerEpoch = 3;

paxoskv::Cluster load_cluster(const std::filesystem::path& hosts) {
  auto loaded = paxoskv::load_hosts(hosts.string());
  if (auto* error = std::get_if<paxoskv::HostsError>(&loaded))
    throw std::runtime_error(error->text);
  return std::get<paxoskv::Cluster>(loaded);
}

paxoskv::client::SessionOptions session_options(const paxoskv::Cluster& cluster,
                                                std::size_t client) {
  paxoskv::client::SessionOptions options;
  // Short: a client gives up after 2 s, so kills and partitions leave writes whose outcome is
  // unknown, and the checker must treat them as possibly applied.
  options.attempt_timeout_ms = 500;
  options.max_attempts = 4;
  options.first_site = static_cast<paxoskv::SiteId>(client % cluster.size());
  return options;
}

paxoskv::net::ClientOp client_op(OpKind kind) {
  switch (kind) {
    case OpKind::put:
      return paxoskv::net::ClientOp::put;
    case OpKind::append:
      return paxoskv::net::ClientOp::append;
    case OpKind::del:
      return paxoskv::net::ClientOp::del;
    case OpKind::get:
      return paxoskv::net::ClientOp::get;
    case OpKind::cas:
      return paxoskv::net::ClientOp::cas;
  }
  return paxoskv::net::ClientOp::get;
}

}  // namespace

Load::Load(std::filesystem::path hosts_file, std::size_t clients, std::uint64_t seed,
           LoadOptions options)
    : hosts_file_(std::move(hosts_file)),
      clients_(clients),
      seed_(seed),
      options_(options),
      start_(Clock::now()) {}

Load::~Load() {
  join();
}

std::int64_t Load::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
}

void Load::start(std::chrono::seconds duration) {
  start_ = Clock::now();
  thread_ = std::thread([this, duration] { run(duration); });
}

void Load::stop() {
  stopped_ = true;
}

void Load::join() {
  if (thread_.joinable()) thread_.join();
}

void Load::run(std::chrono::seconds duration) {
  paxoskv::Cluster cluster = load_cluster(hosts_file_);
  boost::asio::io_context io;
  std::mt19937_64 random(seed_);
  std::vector<std::unique_ptr<paxoskv::client::Session>> sessions;
  std::vector<std::uint64_t> written(clients_, 0);
  std::shared_ptr<paxoskv::client::SiteHealth> health;
  if (options_.share_site_health)
    health = std::make_shared<paxoskv::client::SiteHealth>(cluster.size());
  for (std::size_t i = 0; i < clients_; ++i) {
    auto options = session_options(cluster, i);
    options.health = health;
    sessions.push_back(std::make_unique<paxoskv::client::Session>(io, cluster, options));
  }
  const std::int64_t end_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();

  std::function<void(std::size_t)> issue = [&](std::size_t client) {
    std::int64_t now = now_ms();
    if (now >= end_ms || stopped_) {
      sessions[client]->close();
      return;
    }
    int dice = std::uniform_int_distribution<int>(0, 99)(random);
    OpKind kind = dice < 35 ? OpKind::put : dice < 60 ? OpKind::append : OpKind::get;
    std::string key =
        "e" + std::to_string(now / kEpochMs) + "k" +
        std::to_string(std::uniform_int_distribution<int>(0, kKeysPerEpoch - 1)(random));
    keys_.insert(key);
    std::string value;
    if (kind != OpKind::get)
      value = "c" + std::to_string(client) + "." + std::to_string(++written[client]) + ";";
    std::size_t index = history_.invoke(client, kind, key, value, now);
    sessions[client]->request(client_op(kind), key, value,
                              [this, &issue, client, index](const paxoskv::client::Result& r) {
                                if (r.ok)
                                  history_.complete(index, now_ms(), r.value);
                                else
                                  history_.abandon(index);
                                issue(client);
                              });
  };
  for (std::size_t i = 0; i < clients_; ++i) issue(i);
  io.run();
}

void Load::final_reads(const std::filesystem::path& hosts_file) {
  paxoskv::Cluster cluster = load_cluster(hosts_file.empty() ? hosts_file_ : hosts_file);
  boost::asio::io_context io;
  paxoskv::client::Session session(io, cluster, session_options(cluster, 0));
  const std::uint64_t reader = clients_;  // a client id of its own in the history
  std::vector<std::string> keys(keys_.begin(), keys_.end());
  std::size_t next = 0;
  std::function<void()> read_next = [&] {
    if (next >= keys.size()) {
      session.close();
      return;
    }
    const std::string& key = keys[next++];
    std::size_t index = history_.invoke(reader, OpKind::get, key, "", now_ms());
    session.request(paxoskv::net::ClientOp::get, key, "",
                    [&, index](const paxoskv::client::Result& r) {
                      if (r.ok)
                        history_.complete(index, now_ms(), r.value);
                      else
                        history_.abandon(index);
                      read_next();
                    });
  };
  read_next();
  io.run();
}

LoadFigures Load::figures() const {
  LoadFigures f;
  for (std::size_t i = 0; i < history_.size(); ++i) {
    if (history_.completed(i))
      ++f.ok;
    else if (history_.at(i).kind == OpKind::get)
      ++f.failed_reads;
    else
      ++f.indeterminate;
  }
  return f;
}

std::vector<AckedWrite> Load::acked_writes() const {
  std::vector<AckedWrite> out;
  for (std::size_t i = 0; i < history_.size(); ++i) {
    const auto& op = history_.at(i);
    if (!history_.completed(i) || op.kind == OpKind::get) continue;
    out.push_back({op.kind == OpKind::put ? "put" : "append", op.key, op.value});
  }
  return out;
}

}  // namespace net_test
