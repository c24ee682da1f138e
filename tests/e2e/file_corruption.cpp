// Acceptance item 4 of issue 7: every kind of damage to a stopped site's files (a truncated
// tail, a bit flip in the middle, an empty file, JSON of the wrong type, a file missing next
// to the others) either recovers with every acknowledged write kept, or is refused with a
// non-zero exit and a message on stderr naming the file and what is wrong with it.

#include <boost/test/unit_test.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

enum class Expect { recover, refuse, either };

struct Damage {
  std::string name;
  std::function<fs::path(Cluster&)> file;  // the file damaged (named in a refusal)
  std::function<void(const fs::path&)> apply;
  Expect expect;
  std::string problem;  // part of the refusal message, when refused ('|' between alternatives)
};

bool says_one_of(const std::string& text, const std::string& alternatives) {
  std::size_t start = 0;
  while (true) {
    std::size_t bar = alternatives.find('|', start);
    if (text.find(alternatives.substr(start, bar - start)) != std::string::npos) return true;
    if (bar == std::string::npos) return false;
    start = bar + 1;
  }
}

std::string cut_tail(const fs::path& path, std::size_t bytes) {
  std::string text = read_document(path);
  BOOST_TEST_REQUIRE(text.size() > bytes);
  return text.substr(0, text.size() - bytes);
}

std::vector<Damage> damages() {
  auto state = [](Cluster& c) { return c.state_file("gamma"); };
  auto log = [](Cluster& c) { return c.log_file("gamma"); };
  auto kv = [](Cluster& c) { return c.kv_file("gamma"); };
  auto write = [](std::string text) { return [text](const fs::path& p) { write_file(p, text); }; };
  // A crash in the middle of an append: the closing brackets and part of the last line gone.
  auto truncate = [](const fs::path& p) { write_file(p, cut_tail(p, 25)); };
  auto flip_middle_bit = [](const fs::path& p) {
    std::string text = read_document(p);
    text[text.size() / 2] ^= 0x01;
    write_file(p, text);
  };
  auto remove = [](const fs::path& p) { fs::remove(p); };
  std::vector<Damage> out = {
      // The site stopped cleanly, so its state file records the log fsynced to its end: a
      // log that lost its last entry lost what was fsynced (a power cut's unsynced tail is
      // cut instead: tests/sim/power_cut_recovery_test.cpp).
      {"log truncated tail", log, truncate, Expect::refuse, "records as fsynced"},
      {"state truncated tail", state, truncate, Expect::recover, ""},
      // Every log entry is covered by the hash chain: a flipped bit is always found.
      {"log bit flip in the middle", log, flip_middle_bit, Expect::refuse, "line |slot "},
      // The acceptor records carry no checksum: a flip inside a value may go unnoticed.
      {"state bit flip in the middle", state, flip_middle_bit, Expect::either, ""},
      {"log empty", log, write(""), Expect::refuse, "empty file"},
      {"state empty", state, write(""), Expect::refuse, "empty file"},
      {"log is an array", log, write("[]"), Expect::refuse, "line 1: is a JSON array"},
      {"log is a string", log, write("\"x\""), Expect::refuse, "line 1: is a JSON string"},
      {"log without its array", log, write("{\"site\":\"gamma\"}\n"), Expect::refuse,
       "has no \"entries\" array"},
      {"state is an array", state, write("[]"), Expect::refuse, "line 1: is a JSON array"},
      {"state is a string", state, write("\"x\""), Expect::refuse, "line 1: is a JSON string"},
      {"state without its array", state, write("{\"site\":\"gamma\"}\n"), Expect::refuse,
       "has no \"records\" array"},
      {"log missing next to the state", log, remove, Expect::refuse, "missing, but"},
      {"state missing next to the log", state, remove, Expect::refuse, "missing, but"},
      // SITE.json is a view of the log, rewritten from it.
      {"kv file garbage", kv, write("{\"x\":"), Expect::recover, ""},
      {"kv file missing", kv, remove, Expect::recover, ""},
  };
  // Acceptor records now carry a checksum (README, Files): a flipped bit inside any record is
  // refused, in the middle of the file and in its last record alike (the last one is not cut
  // as if torn: the closing brackets after it show that its write had completed).
  auto flip_in_record = [](bool last) {
    return [last](const fs::path& p) {
      std::string text = read_document(p);
      const std::size_t first = text.find('\n') + 1;  // after the header line
      const std::size_t closing = text.rfind("]}\n");
      BOOST_TEST_REQUIRE((first < closing && closing + 3 == text.size()), p << ": no record");
      std::vector<std::size_t> starts;
      for (std::size_t at = first; at < closing; at = text.find('\n', at) + 1) starts.push_back(at);
      const std::size_t start = last ? starts.back() : starts[starts.size() / 2];
      // Half way between the start of the record and its checksum: a ballot, key or value.
      const std::size_t sum = text.find(",\"checksum\"", start);
      BOOST_TEST_REQUIRE(sum != std::string::npos, p << ": a record without a checksum");
      text[start + (sum - start) / 2] ^= 0x01;
      write_file(p, text);
    };
  };
  out.push_back(
      {"state bit flip inside a record", state, flip_in_record(false), Expect::refuse, "line "});
  out.push_back(
      {"state bit flip in the last record", state, flip_in_record(true), Expect::refuse, "line "});
  return out;
}

class Scenario {
 public:
  Scenario() { c_.start_all(); }

  // One acknowledged write at each site, each with a key of its own.
  void write_round() {
    for (const std::string name : {"alpha", "beta", "gamma"}) {
      std::string key = "k" + std::to_string(acked_.size());
      std::string value = name + "-" + std::to_string(acked_.size());
      BOOST_TEST_REQUIRE(c_.run(name, "put " + key + " " + value) == "put " + key + " completed");
      acked_[key] = value;
    }
  }

  void stop_gamma() {
    BOOST_TEST_REQUIRE(c_.site("gamma").close_and_wait(after(20s)), "gamma did not quit");
    BOOST_TEST_REQUIRE(c_.site("gamma").exit_code() == 0);
  }

  // Starts gamma on its files; true when its shell answers, false when it exits first.
  bool start_gamma(std::string& new_stderr) {
    SiteProcess& gamma = c_.site("gamma");
    const std::size_t stderr_before = read_file(gamma.stderr_file()).size();
    gamma.start();
    gamma.send_line("print log");
    bool answered = gamma.wait_for_line("end of log", after(20s)).has_value();
    if (!answered)
      BOOST_TEST_REQUIRE(gamma.wait_exit(after(10s)), "gamma neither answers nor exits");
    new_stderr = read_file(gamma.stderr_file()).substr(stderr_before);
    return answered;
  }

  // Gamma's map after catch-up holds every acknowledged write.
  void check_nothing_acknowledged_lost(const std::string& what) {
    auto has_all = [&](const Lines&, const Lines& kv) {
      std::map<std::string, std::string> map = kv_map(kv);
      for (const auto& [key, value] : acked_)
        if (map[key] != value) return false;
      return true;
    };
    std::map<std::string, Lines> kvs;
    BOOST_TEST(c_.wait_converged(after(20s), nullptr, &kvs, {}, has_all),
               what << ": gamma lost acknowledged writes or did not converge; gamma's kv:"
                    << join_lines(kvs["gamma"]));
  }

  Cluster& cluster() { return c_; }

 private:
  Cluster c_;
  std::map<std::string, std::string> acked_;
};

std::optional<std::string> current(const fs::path& path) {
  return fs::exists(path) ? std::optional<std::string>(read_file(path)) : std::nullopt;
}

// gamma's three files as they were, to put back after a refusal.
struct Backup {
  std::map<fs::path, std::optional<std::string>> files;
  explicit Backup(Cluster& c) {
    for (const fs::path& p : {c.state_file("gamma"), c.log_file("gamma"), c.kv_file("gamma")})
      files[p] = current(p);
  }
  void restore() const {
    for (const auto& [path, text] : files) {
      if (text)
        write_file(path, *text);
      else
        fs::remove(path);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(file_corruption)

BOOST_AUTO_TEST_CASE(each_damage_recovers_without_loss_or_is_refused_naming_the_file) {
  Scenario s;
  Cluster& c = s.cluster();
  for (int i = 0; i < 4; ++i) s.write_round();  // a log long enough to have a middle
  for (const Damage& d : damages()) {
    BOOST_TEST_CONTEXT("case '" << d.name << "'") {
      s.write_round();
      s.stop_gamma();
      Backup backup(c);
      const fs::path file = d.file(c);
      d.apply(file);
      const std::optional<std::string> damaged = current(file);
      std::string err;
      if (s.start_gamma(err)) {
        BOOST_TEST_MESSAGE(d.name << ": recovered");
        BOOST_TEST((d.expect != Expect::refuse), "expected a refusal; stderr: " << err);
        s.check_nothing_acknowledged_lost(d.name);
        continue;
      }
      BOOST_TEST_MESSAGE(d.name << ": refused: " << err);
      SiteProcess& gamma = c.site("gamma");
      BOOST_TEST((d.expect != Expect::recover),
                 "expected recovery; " << gamma.describe_exit() << "; stderr: " << err);
      BOOST_TEST(gamma.exit_code() > 0, gamma.describe_exit());
      BOOST_TEST(err.find(file.string()) != std::string::npos, "stderr names no file: " << err);
      BOOST_TEST(says_one_of(err, d.problem), "stderr: " << err);
      BOOST_TEST(err.find("refusing to start") != std::string::npos, "stderr: " << err);
      BOOST_TEST((current(file) == damaged), "the refused file was changed");
      backup.restore();
      c.restart("gamma");
      s.check_nothing_acknowledged_lost(d.name + " (restored)");
    }
  }
}

// What the refusal of a missing file tells the user to do works: with all of its files
// deleted, the site starts empty, recovers from its peers before it votes, and catches up with
// every acknowledged write.
BOOST_AUTO_TEST_CASE(deleting_all_of_a_sites_files_starts_it_empty_and_it_catches_up) {
  Scenario s;
  Cluster& c = s.cluster();
  for (int i = 0; i < 3; ++i) s.write_round();
  s.stop_gamma();
  fs::remove(c.log_file("gamma"));
  std::string err;
  BOOST_TEST_REQUIRE(!s.start_gamma(err), "gamma started without its log");
  BOOST_TEST(err.find("delete all of its files (" + c.state_file("gamma").string() + ", " +
                      c.log_file("gamma").string()) != std::string::npos,
             "stderr: " << err);
  for (const fs::path& file : {c.state_file("gamma"), c.log_file("gamma"), c.kv_file("gamma"),
                               c.data_dir() / "gamma_snapshot.json"})
    fs::remove(file);
  BOOST_TEST_REQUIRE(s.start_gamma(err), "gamma refused to start empty: " << err);
  BOOST_TEST(err.find("recovering from the other voters before voting") != std::string::npos,
             "gamma started empty without recovering first; stderr: " << err);
  s.check_nothing_acknowledged_lost("started empty");
  s.write_round();
  s.check_nothing_acknowledged_lost("after one more round");
}

BOOST_AUTO_TEST_SUITE_END()
