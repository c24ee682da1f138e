#include "site/site.hpp"

#include <boost/log/trivial.hpp>
#include <cassert>
#include <chrono>
#include <random>

#include "storage/kv_file.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::site {

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(10);
// SPEC §5: SITE.json is at most 100 ms behind the applied map.
constexpr auto kKvWriteDelay = std::chrono::milliseconds(100);

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

// The stores open the files of an existing directory; a fresh site makes its directory.
const std::filesystem::path& ensure_directory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw storage::StorageError("cannot create data directory " + dir.string() + ": " +
                                error.message());
  return dir;
}

}  // namespace

TimeMs now_ms() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

Site::Site(boost::asio::io_context& io, const Cluster& cluster, SiteId self,
           const std::filesystem::path& data_dir)
    : io_(io),
      cluster_(cluster),
      self_(self),
      data_dir_(data_dir),
      acceptor_store_(ensure_directory(data_dir), cluster.name(self)),
      log_store_(data_dir, cluster.name(self)),
      replica_(cluster, self, ReplicaOptions{}, random_seed()),
      transport_(io, cluster_, self),
      tick_timer_(io),
      kv_timer_(io) {
  restore();
}

void Site::restore() {
  std::vector<AcceptedEntry> accepted;
  accepted.reserve(acceptor_store_.accepted().size());
  // Records below the log's end are dead: those slots are decided and durable.
  for (const auto& [slot, entry] : acceptor_store_.accepted())
    if (slot >= log_store_.end()) accepted.push_back(entry);
  acceptor_store_.forget_below(log_store_.end());
  std::vector<LogEntry> log = log_store_.take_loaded();
  BOOST_LOG_TRIVIAL(info) << "recovered promised=" << to_string(acceptor_store_.promised())
                          << " accepted=" << accepted.size() << " decided=" << log.size();
  replica_.restore(acceptor_store_.promised(), accepted, log, now_ms());
}

void Site::start() {
  transport_.start(
      [this](const Message& message) {
        assert(message.from != self_);
        replica_.step(message, now_ms());
      },
      [this] { flush(); });
  arm_tick();
  // The map was rebuilt from the log: SITE.json may be stale (a crash) or absent (a new site).
  schedule_kv_write();
  flush();
}

void Site::stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  kv_timer_.cancel();
  transport_.close();
  write_kv();
  acceptor_store_.sync();
  log_store_.sync();
}

void Site::submit(const Command& command) {
  replica_.submit(command, now_ms());
  flush();
}

void Site::submit_read(RequestId id, const std::string& key) {
  replica_.submit_read(id, key, now_ms());
  flush();
}

void Site::arm_tick() {
  // Ticks keep a steady cadence; after a stall the next one comes a full interval later.
  auto next = tick_timer_.expiry() + kTickInterval;
  auto now = std::chrono::steady_clock::now();
  tick_timer_.expires_at(next > now ? next : now + kTickInterval);
  tick_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || stopped_) return;
    replica_.tick(now_ms());
    flush();
    arm_tick();
  });
}

void Site::flush() {
  if (stopped_) return;
  Ready ready = replica_.take_ready();
  persist(ready);
  for (Envelope& envelope : ready.messages) {
    if (envelope.to == self_) {
      deliver_to_self(std::move(envelope.message));
    } else {
      transport_.send(envelope);
    }
  }
  if (on_completion_)
    for (const Completion& completion : ready.completions) on_completion_(completion);
  if (ready.kv_changed) schedule_kv_write();
}

void Site::persist(const Ready& ready) {
  if (!ready.must_persist()) return;
  bool acceptor_records = ready.promised || !ready.accepted.empty();
  if (acceptor_records) acceptor_store_.record(ready.promised, ready.accepted);
  if (!ready.decided.empty()) {
    assert(ready.decided.front().slot == log_store_.end());
    log_store_.append(ready.decided);
  }
  // Both fsyncs happen before any message of this Ready leaves: a promise or an ack is
  // only ever seen by a peer once the state behind it is durable.
  if (acceptor_records) acceptor_store_.sync();
  if (!ready.decided.empty()) {
    log_store_.sync();
    acceptor_store_.forget_below(log_store_.end());
  }
}

void Site::deliver_to_self(Message message) {
  // Posted rather than stepped here, so the Replica never sees an input while it is still
  // handing out the Ready that produced it.
  boost::asio::post(io_, [this, message = std::move(message)] {
    if (stopped_) return;
    replica_.step(message, now_ms());
    flush();
  });
}

void Site::schedule_kv_write() {
  if (kv_write_scheduled_ || stopped_) return;
  kv_write_scheduled_ = true;
  kv_timer_.expires_after(kKvWriteDelay);
  kv_timer_.async_wait([this](const boost::system::error_code& error) {
    kv_write_scheduled_ = false;
    if (error || stopped_) return;
    write_kv();
  });
}

void Site::write_kv() {
  // SITE.json is a view rebuilt from the log at every start: failing to write it is worth a
  // loud message, not the loss of the site.
  try {
    storage::write_kv_file(data_dir_, name(), replica_.kv());
  } catch (const storage::StorageError& error) {
    BOOST_LOG_TRIVIAL(error) << error.what();
  }
}

}  // namespace paxoskv::site
