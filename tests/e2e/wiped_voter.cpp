// Issue 15, acceptance 5a: the scenario of defect 1 with real processes. Three voters; `put k v`
// completes on the leader and one other voter while gamma hears nothing; the leader is killed;
// the other voter's disk is wiped and it restarts; gamma comes back and `put k w` is typed
// there; the old leader restarts. A wiped voter that voted at once with no memory would let
// gamma decide `put k w` in the slot of the acknowledged `put k v`, and the logs would
// diverge. With recovery before voting, every log agrees and holds `put k v`.

#include <boost/test/unit_test.hpp>
#include <thread>

#include "harness.hpp"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

// Each site in a data directory of its own, so that a wipe deletes a whole directory, as the
// README's procedure says.
ClusterSpec own_data_dirs(const fs::path& root) {
  ClusterSpec spec;
  for (const char* name : {"alpha", "beta", "gamma"})
    spec.sites.push_back(SiteSpec{name, "", {"--data-dir", (root / name).string()}});
  return spec;
}

std::string status_field(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  const auto at = (" " + line).find(needle);
  if (at == std::string::npos) return "";
  const std::string rest = line.substr(at + needle.size() - 1);
  return rest.substr(0, rest.find(' '));
}

// The one of `candidates` that says it leads, polling `print status` until the deadline.
std::optional<std::string> wait_for_leader(Cluster& c, const std::vector<std::string>& candidates,
                                           Deadline deadline) {
  for (;;) {
    for (const std::string& name : candidates)
      if (status_field(c.run(name, "print status"), "leader") == name) return name;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);  // a polling interval, not a wait for luck
  }
}

std::optional<std::uint64_t> slot_of(const Lines& log, const std::string& key,
                                     const std::string& value) {
  for (const std::string& line : log)
    if (auto entry = parse_log_line(line))
      if (entry->op == "put" && entry->key == key && entry->value == value) return entry->slot;
  return std::nullopt;
}

bool is_put_answer(const std::string& line) {
  return line == "put k completed" || line.rfind("unable to execute put: ", 0) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wiped_voter)

BOOST_AUTO_TEST_CASE(a_wiped_voter_does_not_lose_an_acknowledged_write) {
  TempDir data;  // declared first: the sites are gone before their directories
  Cluster c(own_data_dirs(data.path()));
  c.start_all();
  // A brand-new cluster comes up with no flag, and gamma learns this first slot.
  BOOST_TEST_REQUIRE(c.run("alpha", "put init 0") == "put init completed");
  auto has_init = [](const Lines& log, const Lines&) { return log_has(log, "put", "init", "0"); };
  BOOST_TEST_REQUIRE(c.wait_converged(after(20s), nullptr, nullptr, {}, has_init));

  // gamma cuts both of its links: it drops all traffic to and from alpha and beta.
  BOOST_TEST_REQUIRE(c.run("gamma", "faillink alpha") == "link to alpha failed");
  BOOST_TEST_REQUIRE(c.run("gamma", "faillink beta") == "link to beta failed");

  const std::optional<std::string> leader = wait_for_leader(c, {"alpha", "beta"}, after(20s));
  BOOST_TEST_REQUIRE(leader.has_value(), "neither alpha nor beta leads");
  BOOST_TEST_REQUIRE(c.run(*leader, "put k v") == "put k completed");
  // Decided and durable on a quorum without gamma: on the leader and the other voter.
  const std::string l = *leader;
  const std::string a = l == "alpha" ? "beta" : "alpha";
  BOOST_TEST_MESSAGE("leader " << l << ", wiped voter " << a);

  c.site(l).kill9();
  c.site(a).kill9();
  fs::remove_all(data.path() / a);
  c.restart(a);

  BOOST_TEST_REQUIRE(c.run("gamma", "fixlink alpha") == "link to alpha fixed");
  BOOST_TEST_REQUIRE(c.run("gamma", "fixlink beta") == "link to beta fixed");
  // With the old leader down, gamma and a voter that remembers nothing are no quorum that may
  // decide: whatever they decided could only be in the slot of `put k v`.
  BOOST_TEST_REQUIRE(c.site("gamma").send_line("put k w"));
  const std::optional<std::string> answer =
      c.site("gamma").wait_for_line(is_put_answer, after(30s));
  BOOST_TEST_REQUIRE(answer.has_value(), "gamma did not answer `put k w`");
  BOOST_TEST_MESSAGE("gamma, with " << l << " down: " << *answer);
  BOOST_TEST(*answer != "put k completed",
             "`put k w` completed while only gamma and the wiped " << a << " were up");

  c.restart(l);
  // Every log agrees and holds the acknowledged `put k v`, before `put k w` if that was decided
  // too (its outcome was unknown).
  auto agreed = [](const Lines& log, const Lines&) {
    const std::optional<std::uint64_t> v = slot_of(log, "k", "v");
    const std::optional<std::uint64_t> w = slot_of(log, "k", "w");
    return v && (!w || *v < *w);
  };
  std::map<std::string, Lines> logs;
  const bool converged = c.wait_converged(after(30s), &logs, nullptr, {}, agreed);
  BOOST_TEST(converged, "the logs do not agree with `put k v` in them (then `put k w`):\n"
                            << "alpha:" << join_lines(logs["alpha"]) << "\nbeta:"
                            << join_lines(logs["beta"]) << "\ngamma:" << join_lines(logs["gamma"]));
  for (const auto& [name, log] : logs)
    BOOST_TEST(slot_of(log, "k", "v").has_value(), name << " lost the acknowledged `put k v`");
  if (converged) BOOST_TEST_MESSAGE("every site's log:" << join_lines(logs["gamma"]));

  // The wiped voter recorded the end of its recovery, so it votes again.
  const fs::path state = data.path() / a / (a + "_state.json");
  auto recovered = [&] {
    return read_document(state).find("\"recovery\":\"done\"") != std::string::npos;
  };
  bool done = recovered();
  for (const Deadline d = after(10s); !done && Clock::now() < d; done = recovered())
    std::this_thread::sleep_for(20ms);  // a polling interval, not a wait for luck
  BOOST_TEST(done, a << " never recorded the end of its recovery in " << state.string());
}

BOOST_AUTO_TEST_SUITE_END()
