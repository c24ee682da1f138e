// Acceptance item 6 of issue 2: kill -9 every site in the middle of a stream of writes.
// Whatever was reported `completed` survives on every site, and the files stay valid JSON.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <set>

#include "harness.hpp"

using namespace e2e;
namespace json = boost::json;

namespace {

struct Write {
  std::string key;
  std::string value;
};

// One writer per site: it types the next put only after the previous one completed.
class Writer {
 public:
  Writer(SiteProcess& site, std::string prefix) : site_(site), prefix_(std::move(prefix)) {}

  void send_next() {
    pending_ = Write{prefix_ + std::to_string(next_), "v" + prefix_ + std::to_string(next_)};
    ++next_;
    if (!site_.send_line("put " + pending_->key + " " + pending_->value)) pending_.reset();
  }

  // Consumes the answers read so far; returns false on an answer other than `completed`.
  bool consume(bool send_more) {
    bool ok = true;
    while (auto line = site_.take_line()) {
      if (pending_ && *line == "put " + pending_->key + " completed") {
        completed_.push_back(*pending_);
        pending_.reset();
        if (send_more) send_next();
      } else {
        ok = false;
        BOOST_TEST(false, site_.name() << ": unexpected answer `" << *line << "` to put "
                                       << (pending_ ? pending_->key : std::string("(none)")));
      }
    }
    return ok;
  }

  const std::vector<Write>& completed() const { return completed_; }

 private:
  SiteProcess& site_;
  std::string prefix_;
  int next_ = 0;
  std::optional<Write> pending_;
  std::vector<Write> completed_;
};

json::value parse_json_file(const std::filesystem::path& path) {
  boost::system::error_code ec;
  json::value v = json::parse(read_file(path), ec);
  BOOST_TEST(!ec, path.filename().string() << " is not valid JSON: " << ec.message());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kill_all)

BOOST_AUTO_TEST_CASE(every_completed_write_survives_kill_9_of_all_sites) {
  Cluster c;
  c.start_all();
  const std::vector<std::string> names = c.names();
  std::vector<SiteProcess*> sites;
  std::vector<std::unique_ptr<Writer>> writers;
  for (const auto& name : names) {
    sites.push_back(&c.site(name));
    writers.push_back(std::make_unique<Writer>(c.site(name), name.substr(0, 1) + "w"));
  }

  // Stream writes for 1.5 to 2.5 s (an arbitrary moment, but printed for a rerun).
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  const auto stream_for = std::chrono::milliseconds(1500 + rng() % 1000);
  BOOST_TEST_MESSAGE("kill -9 after " << stream_for.count() << " ms (seed " << seed << ")");
  for (auto& w : writers) w->send_next();
  const Deadline kill_at = after(stream_for);
  while (Clock::now() < kill_at) {
    pump_any(sites, kill_at);
    for (auto& w : writers) w->consume(true);
  }
  for (SiteProcess* s : sites) s->signal_kill();
  for (SiteProcess* s : sites) s->kill9();

  // Answers already in the pipes were printed before the kill: they count too.
  for (SiteProcess* s : sites)
    while (!s->stdout_eof() && s->pump(after(5s))) {
    }
  for (auto& w : writers) w->consume(false);
  std::size_t total = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    BOOST_TEST_MESSAGE(names[i] << ": " << writers[i]->completed().size()
                                << " writes completed before the kill");
    BOOST_TEST(!writers[i]->completed().empty(), names[i] << " completed no write in the stream");
    total += writers[i]->completed().size();
  }

  // Restart all three on their files.
  for (const auto& name : names) c.start(name);
  for (const auto& name : names)
    BOOST_TEST_REQUIRE(c.print_log(name).has_value(), name << " did not come back");

  auto has_every_completed_write = [&](const Lines& log, const Lines& kv) {
    auto map = kv_map(kv);
    for (const auto& w : writers)
      for (const auto& write : w->completed()) {
        if (!log_has(log, "put", write.key, write.value)) return false;
        auto it = map.find(write.key);
        if (it == map.end() || it->second != write.value) return false;
      }
    return true;
  };
  std::map<std::string, Lines> logs;
  std::map<std::string, Lines> kvs;
  bool converged = c.wait_converged(after(30s), &logs, &kvs, {}, has_every_completed_write);
  if (!converged) {
    for (const auto& name : names) {
      auto map = kv_map(kvs[name]);
      std::size_t missing = 0;
      std::string first_missing;
      for (const auto& w : writers)
        for (const auto& write : w->completed())
          if (!log_has(logs[name], "put", write.key, write.value) || !map.count(write.key)) {
            if (missing++ == 0) first_missing = write.key;
          }
      BOOST_TEST(missing == 0u, name << " lacks " << missing << " of " << total
                                     << " completed writes after recovery, e.g. " << first_missing
                                     << "; its log has " << logs[name].size() << " slots");
    }
  }
  BOOST_TEST(converged, "sites did not converge to one log holding every completed write");

  // Clean shutdown, then every file of every site is one JSON document matching the shell.
  BOOST_TEST_REQUIRE(c.quit_all(), "a site did not exit cleanly after quit");
  for (const auto& name : names) {
    for (const auto& path : {c.state_file(name), c.log_file(name), c.kv_file(name)}) {
      BOOST_TEST_REQUIRE(std::filesystem::exists(path), path.string() << " does not exist");
      parse_json_file(path);
    }
    json::value log = parse_json_file(c.log_file(name));
    const json::array* entries = nullptr;
    if (log.is_object() && log.as_object().contains("entries") &&
        log.as_object().at("entries").is_array())
      entries = &log.as_object().at("entries").as_array();
    BOOST_TEST_REQUIRE(entries != nullptr, name << "_log.json has no \"entries\" array");
    // The cluster may decide more slots between the last `print log` and `quit` (a new
    // leader fills a slot accepted before the kill), so the file must hold at least what was
    // printed and every completed write, and SITE.json must be that file's log applied.
    BOOST_TEST(entries->size() >= logs[name].size(), name << "_log.json holds " << entries->size()
                                                          << " entries, `print log` showed "
                                                          << logs[name].size());
    std::map<std::string, std::string> replayed;
    std::set<std::pair<std::string, std::string>> puts;
    for (const json::value& e : *entries) {
      const json::object& o = e.as_object();
      std::string op(o.at("op").as_string());
      if (op == "no-op") continue;
      std::string key(o.at("key").as_string()), value(o.at("value").as_string());
      if (op == "put") replayed[key] = value, puts.emplace(key, value);
      if (op == "append") replayed[key] += value;
      if (op == "delete") replayed.erase(key);
    }
    std::size_t missing = 0;
    for (const auto& w : writers)
      for (const auto& write : w->completed()) missing += !puts.contains({write.key, write.value});
    BOOST_TEST(missing == 0u, name << "_log.json lacks " << missing << " completed writes");

    json::value kv = parse_json_file(c.kv_file(name));
    BOOST_TEST_REQUIRE(kv.is_object(), name << ".json is not a JSON object");
    std::map<std::string, std::string> file_map;
    for (const auto& [key, value] : kv.as_object())
      file_map[std::string(key)] = value.is_string() ? std::string(value.as_string()) : "?";
    BOOST_TEST((file_map == replayed), name << ".json differs from its log file, applied");
  }
}

BOOST_AUTO_TEST_SUITE_END()
