#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <stdexcept>

#include "sim/linearizability.hpp"

using namespace paxoskv::sim;

namespace {

Operation write_op(OpKind kind, std::uint64_t client, std::string key, std::string value,
                   std::int64_t invoked, std::int64_t completed) {
  Operation op;
  op.client = client;
  op.kind = kind;
  op.key = std::move(key);
  op.value = std::move(value);
  op.invoked_ms = invoked;
  op.completed_ms = completed;
  return op;
}

Operation put(std::uint64_t c, std::string key, std::string value, std::int64_t from,
              std::int64_t to) {
  return write_op(OpKind::put, c, std::move(key), std::move(value), from, to);
}

Operation append(std::uint64_t c, std::string key, std::string value, std::int64_t from,
                 std::int64_t to) {
  return write_op(OpKind::append, c, std::move(key), std::move(value), from, to);
}

Operation del(std::uint64_t c, std::string key, std::int64_t from, std::int64_t to) {
  return write_op(OpKind::del, c, std::move(key), "", from, to);
}

Operation get(std::uint64_t c, std::string key, std::optional<std::string> result,
              std::int64_t from, std::int64_t to) {
  Operation op = write_op(OpKind::get, c, std::move(key), "", from, to);
  op.result = std::move(result);
  return op;
}

// The client gave up: no completion, outcome unknown.
Operation timed_out(Operation op) {
  op.ok = false;
  op.completed_ms = kNeverCompleted;
  return op;
}

// A compare-and-swap that applied: the value was `expected`, it is now `value`.
Operation cas(std::uint64_t c, std::string key, std::string expected, std::string value,
              std::int64_t from, std::int64_t to) {
  Operation op = write_op(OpKind::cas, c, std::move(key), std::move(value), from, to);
  op.expected = std::move(expected);
  return op;
}

// A compare-and-swap whose condition failed (HTTP 412), having found `found`.
Operation failed_cas(std::uint64_t c, std::string key, std::string expected, std::string value,
                     std::optional<std::string> found, std::int64_t from, std::int64_t to) {
  Operation op = cas(c, std::move(key), std::move(expected), std::move(value), from, to);
  op.condition_failed = true;
  op.result = std::move(found);
  return op;
}

bool linearizable(const std::vector<Operation>& history) {
  const LinearizabilityReport report = check_linearizable(history);
  BOOST_TEST(!report.inconclusive);
  return report.ok;
}

bool contains(const std::vector<Operation>& history, const Operation& op) {
  return std::any_of(history.begin(), history.end(),
                     [&op](const Operation& o) { return describe(o) == describe(op); });
}

struct RandomHistoryOptions {
  std::uint64_t seed = 1;
  int clients = 8;
  int ops_per_client = 100;
  int keys = 3;
  double unknown_rate = 0.03;
};

struct TimedOp {
  Operation op;
  std::int64_t effect_ms = 0;  // when it takes effect in the sequential run
  bool applies = true;         // an unknown-outcome write may never take effect
};

// Clients issue one op at a time; each op takes effect at a random instant inside its
// interval, in a sequential key-value store that also answers the gets. Linearizable by
// construction. `extra` ops join the run at their given effect times.
std::vector<Operation> random_history(const RandomHistoryOptions& o,
                                      std::vector<TimedOp> extra = {}) {
  std::mt19937_64 rng(o.seed);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<TimedOp> timed = std::move(extra);
  for (int c = 1; c <= o.clients; ++c) {
    std::int64_t now = uniform(0, 20);
    for (int i = 0; i < o.ops_per_client; ++i) {
      const std::int64_t roll = uniform(0, 99);
      const OpKind kind = roll < 30   ? OpKind::put
                          : roll < 55 ? OpKind::append
                          : roll < 60 ? OpKind::del
                                      : OpKind::get;
      const std::string key = "k" + std::to_string(uniform(0, o.keys - 1));
      const std::string value = "<" + std::to_string(c) + "." + std::to_string(i) + ">";
      TimedOp t{write_op(kind, c, key, kind == OpKind::del ? "" : value, now, 0), 0, true};
      t.effect_ms = now + uniform(0, 15);
      t.op.completed_ms = t.effect_ms + uniform(0, 15);
      now = t.op.completed_ms + uniform(1, 5);
      if (kind != OpKind::get && uniform(0, 999) < o.unknown_rate * 1000) {
        t.op.ok = false;
        if (uniform(0, 1) == 0) t.op.completed_ms = kNeverCompleted;
        t.applies = uniform(0, 1) == 0;
      }
      if (kind == OpKind::get) t.op.value.clear();
      timed.push_back(std::move(t));
    }
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const TimedOp& a, const TimedOp& b) { return a.effect_ms < b.effect_ms; });
  std::map<std::string, std::optional<std::string>> store;
  std::vector<Operation> history;
  for (TimedOp& t : timed) {
    std::optional<std::string>& value = store[t.op.key];
    if (t.op.kind == OpKind::get) t.op.result = value;
    if (t.applies && t.op.kind == OpKind::put) value = t.op.value;
    if (t.applies && t.op.kind == OpKind::append) value = value.value_or("") + t.op.value;
    if (t.applies && t.op.kind == OpKind::del) value.reset();
    history.push_back(std::move(t.op));
  }
  std::shuffle(history.begin(), history.end(), rng);  // the checker must not rely on order
  return history;
}

// Whether `op` may take effect when the value is `state`, and the value it leaves.
std::optional<std::optional<std::string>> brute_force_step(
    const Operation& op, const std::optional<std::string>& state) {
  switch (op.kind) {
    case OpKind::get:
      if (op.result != state) return std::nullopt;
      return state;
    case OpKind::put:
      return std::optional<std::string>(op.value);
    case OpKind::append:
      return std::optional<std::string>(state.value_or("") + op.value);
    case OpKind::del:
      return std::optional<std::string>();
    case OpKind::cas:
      if (op.condition_failed && op.completed_ms != kNeverCompleted && op.ok) {
        if (op.result != state || state == op.expected) return std::nullopt;
        return state;
      }
      if (state != op.expected) return std::nullopt;
      return std::optional<std::string>(op.value);
  }
  return std::nullopt;
}

// Reference checker for tiny histories: tries every order that respects real time, with each
// unknown-outcome write either placed somewhere or left out.
bool brute_force_linearizable(const std::vector<Operation>& ops, std::vector<bool>& done,
                              const std::optional<std::string>& state) {
  auto unknown = [](const Operation& op) { return !op.ok || op.completed_ms == kNeverCompleted; };
  bool all_completed_done = true;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!done[i] && !unknown(ops[i])) all_completed_done = false;
  if (all_completed_done) return true;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    bool may_go_next = true;  // no other pending op completed before this one was invoked
    for (std::size_t j = 0; j < ops.size(); ++j)
      if (j != i && !done[j] && !unknown(ops[j]) && ops[j].completed_ms < ops[i].invoked_ms)
        may_go_next = false;
    if (!may_go_next) continue;
    const auto next = brute_force_step(ops[i], state);
    if (!next) continue;
    done[i] = true;
    const bool found = brute_force_linearizable(ops, done, *next);
    done[i] = false;
    if (found) return true;
  }
  return false;
}

// Like random_history, with puts, cas and gets (the net tests' HTTP load): most cas expect
// the value at their instant and apply, the others expect an older value and fail, finding
// the value there. Every written value is unique.
std::vector<Operation> random_cas_history(const RandomHistoryOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<TimedOp> timed;
  for (int c = 1; c <= o.clients; ++c) {
    std::int64_t now = uniform(0, 20);
    for (int i = 0; i < o.ops_per_client; ++i) {
      const std::int64_t roll = uniform(0, 99);
      const OpKind kind = roll < 25 ? OpKind::put : roll < 65 ? OpKind::cas : OpKind::get;
      const std::string key = "k" + std::to_string(uniform(0, o.keys - 1));
      const std::string value = "<" + std::to_string(c) + "." + std::to_string(i) + ">";
      TimedOp t{write_op(kind, c, key, kind == OpKind::get ? "" : value, now, 0), 0, true};
      t.effect_ms = now + uniform(0, 15);
      t.op.completed_ms = t.effect_ms + uniform(0, 15);
      now = t.op.completed_ms + uniform(1, 5);
      if (kind != OpKind::get && uniform(0, 999) < o.unknown_rate * 1000) {
        t.op.ok = false;
        if (uniform(0, 1) == 0) t.op.completed_ms = kNeverCompleted;
        t.applies = uniform(0, 1) == 0;
      }
      timed.push_back(std::move(t));
    }
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const TimedOp& a, const TimedOp& b) { return a.effect_ms < b.effect_ms; });
  std::map<std::string, std::optional<std::string>> store;
  std::map<std::string, std::vector<std::string>> older;  // values each key held before
  std::vector<Operation> history;
  for (TimedOp& t : timed) {
    std::optional<std::string>& value = store[t.op.key];
    std::vector<std::string>& before = older[t.op.key];
    if (t.op.kind == OpKind::get) t.op.result = value;
    if (t.op.kind == OpKind::cas) {
      // Applies (when it may) from the current value; else expects an older or unknown one.
      const bool fresh = value && t.applies && uniform(0, 99) < 70;
      t.op.expected = fresh            ? *value
                      : before.empty() ? "<none>"
                                       : before[uniform(0, before.size() - 1)];
      if (!fresh && !outcome_unknown(t.op)) {
        t.op.condition_failed = true;
        t.op.result = value;
      }
      t.applies = fresh;
    }
    if (t.applies && (t.op.kind == OpKind::put || t.op.kind == OpKind::cas)) {
      if (value) before.push_back(*value);
      value = t.op.value;
    }
    history.push_back(std::move(t.op));
  }
  std::shuffle(history.begin(), history.end(), rng);  // the checker must not rely on order
  return history;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linearizability)

BOOST_AUTO_TEST_CASE(describe_names_client_op_result_and_interval) {
  BOOST_TEST(describe(append(3, "k1", "x", 120, 180)) == "[c3] append(k1, \"x\") @120..180");
  BOOST_TEST(describe(get(2, "k1", "ab", 100, 150)) == "[c2] get(k1) -> \"ab\" @100..150");
  BOOST_TEST(describe(get(2, "k1", std::nullopt, 100, 150)) == "[c2] get(k1) -> null @100..150");
  BOOST_TEST(describe(del(4, "k1", 1, 2)) == "[c4] delete(k1) @1..2");
  BOOST_TEST(describe(timed_out(put(1, "k1", "x", 100, 0))) ==
             "[c1] put(k1, \"x\") @100..? (outcome unknown)");
  Operation failed = put(1, "k1", "a\"b\n", 100, 130);
  failed.ok = false;
  BOOST_TEST(describe(failed) ==
             "[c1] put(k1, \"a\\\"b\\x0a\") @100..130 (failed, outcome unknown)");
}

BOOST_AUTO_TEST_CASE(empty_and_sequential_histories_are_linearizable) {
  BOOST_TEST(linearizable({}));
  const std::vector<Operation> history = {
      get(1, "k", std::nullopt, 0, 1),   put(1, "k", "a", 2, 3),      get(2, "k", "a", 4, 5),
      append(2, "k", "b", 6, 7),         get(1, "k", "ab", 8, 9),     del(1, "k", 10, 11),
      get(2, "k", std::nullopt, 12, 13), append(1, "k", "c", 14, 15), get(1, "k", "c", 16, 17)};
  const LinearizabilityReport report = check_linearizable(history);
  BOOST_TEST(report.ok);
  BOOST_TEST(report.states_explored == history.size());  // no branching in a sequence
  std::vector<Operation> wrong = history;
  wrong[4].result = "ba";
  BOOST_TEST(!linearizable(wrong));
}

BOOST_AUTO_TEST_CASE(a_get_overlapping_a_put_may_see_it_or_not) {
  const Operation w = put(1, "k", "x", 0, 100);
  BOOST_TEST(linearizable({w, get(2, "k", "x", 10, 20)}));
  BOOST_TEST(linearizable({w, get(2, "k", std::nullopt, 10, 20)}));
  BOOST_TEST(linearizable({get(2, "k", "x", 0, 100), put(1, "k", "x", 10, 20)}));
  // Once a read saw the write, a later read cannot miss it.
  BOOST_TEST(!linearizable({w, get(2, "k", "x", 10, 20), get(3, "k", std::nullopt, 30, 40)}));
  BOOST_TEST(linearizable({w, get(2, "k", std::nullopt, 10, 20), get(3, "k", "x", 30, 40)}));
}

BOOST_AUTO_TEST_CASE(ops_touching_at_one_millisecond_count_as_concurrent) {
  BOOST_TEST(linearizable({put(1, "k", "x", 0, 10), get(2, "k", std::nullopt, 10, 20)}));
  BOOST_TEST(!linearizable({put(1, "k", "x", 0, 10), get(2, "k", std::nullopt, 11, 20)}));
}

BOOST_AUTO_TEST_CASE(a_stale_read_after_a_completed_write_is_reported_with_both_ops) {
  const Operation w = put(1, "k1", "new", 0, 10);
  const Operation r = get(2, "k1", std::nullopt, 20, 30);
  const LinearizabilityReport report = check_linearizable({r, w});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.key == "k1");
  BOOST_TEST(report.history.size() == 2u);
  BOOST_TEST(contains(report.history, w));
  BOOST_TEST(contains(report.history, r));
  BOOST_TEST(report.explanation.find(describe(w)) != std::string::npos);
  BOOST_TEST(report.explanation.find(describe(r)) != std::string::npos);
  BOOST_TEST(report.explanation.find("would read \"new\", not null") != std::string::npos);
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(appends_must_read_as_an_order_consistent_concatenation) {
  const Operation a = append(1, "k", "a", 0, 10);
  const Operation b = append(2, "k", "b", 20, 30);
  BOOST_TEST(linearizable({a, b, get(3, "k", "ab", 40, 50)}));
  const LinearizabilityReport report = check_linearizable({a, b, get(3, "k", "ba", 40, 50)});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.history.size() == 3u);
  BOOST_TEST_MESSAGE(report.explanation);
  // Concurrent appends may land in either order, but both must land.
  const Operation a2 = append(1, "k", "a", 0, 30);
  const Operation b2 = append(2, "k", "b", 10, 40);
  BOOST_TEST(linearizable({a2, b2, get(3, "k", "ba", 50, 60)}));
  BOOST_TEST(linearizable({a2, b2, get(3, "k", "ab", 50, 60)}));
  BOOST_TEST(!linearizable({a2, b2, get(3, "k", "a", 50, 60)}));
  BOOST_TEST(!linearizable({a2, b2, get(3, "k", "ba", 15, 20), get(4, "k", "ab", 50, 60)}));
}

BOOST_AUTO_TEST_CASE(delete_makes_the_key_absent_and_append_then_starts_afresh) {
  BOOST_TEST(
      linearizable({put(1, "k", "a", 0, 1), del(1, "k", 2, 3), get(2, "k", std::nullopt, 4, 5),
                    append(2, "k", "b", 6, 7), get(1, "k", "b", 8, 9)}));
  BOOST_TEST(!linearizable({put(1, "k", "a", 0, 1), del(1, "k", 2, 3), get(2, "k", "a", 4, 5)}));
  BOOST_TEST(!linearizable({put(1, "k", "a", 0, 1), del(1, "k", 2, 3), append(2, "k", "b", 6, 7),
                            get(1, "k", "ab", 8, 9)}));
}

BOOST_AUTO_TEST_CASE(an_unknown_outcome_write_may_explain_a_later_read_or_never_happen) {
  const Operation w = timed_out(put(1, "k", "x", 0, 0));
  BOOST_TEST(linearizable({w, get(2, "k", "x", 100, 110)}));
  BOOST_TEST(linearizable({w, get(2, "k", std::nullopt, 100, 110)}));
  // It may take effect long after the client gave up, between two reads.
  BOOST_TEST(linearizable({w, get(2, "k", std::nullopt, 100, 110), get(2, "k", "x", 200, 210)}));
  // But once seen it stays (no other write could undo it).
  BOOST_TEST(!linearizable({w, get(2, "k", "x", 100, 110), get(2, "k", std::nullopt, 200, 210)}));
  // A failed write with a known completion time is just as unknown.
  Operation failed = append(3, "k", "y", 0, 20);
  failed.ok = false;
  BOOST_TEST(linearizable({failed, get(2, "k", std::nullopt, 30, 40), get(2, "k", "y", 50, 60)}));
}

BOOST_AUTO_TEST_CASE(an_unknown_outcome_write_cannot_act_before_its_invocation) {
  const Operation r = get(2, "k", "x", 0, 10);
  const Operation w = timed_out(put(1, "k", "x", 20, 0));
  const LinearizabilityReport report = check_linearizable({w, r});
  BOOST_TEST(!report.ok);
  BOOST_TEST(contains(report.history, r));
  // The read fails on its own; the late write is named in a note.
  BOOST_TEST(report.explanation.find(describe(w)) != std::string::npos);
  BOOST_TEST_MESSAGE(report.explanation);
  BOOST_TEST(linearizable({timed_out(put(1, "k", "x", 10, 0)), r}));  // concurrent at 10: fine
}

BOOST_AUTO_TEST_CASE(many_unobserved_timed_out_writes_do_not_blow_up_the_search) {
  // 60 concurrent timed-out appends: without dropping those whose value nobody read, proving
  // the stale read below would need every subset of them.
  std::vector<Operation> history;
  for (int i = 0; i < 60; ++i)
    history.push_back(timed_out(append(10 + i, "k", "<u" + std::to_string(i) + ">", i, 0)));
  history.push_back(timed_out(append(9, "k", "<seen>", 0, 0)));
  history.push_back(put(1, "k", "a", 100, 110));
  history.push_back(get(2, "k", "a<seen>", 120, 130));
  BOOST_TEST(linearizable(history));
  history.push_back(get(3, "k", "a", 140, 150));
  const LinearizabilityReport report = check_linearizable(history, 100'000);
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(report.history.size() <= 4u);
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(exceeding_the_state_budget_is_inconclusive_not_a_verdict) {
  std::vector<Operation> history;  // a sequence of 20 appends and gets: 20 states to check
  for (int i = 0; i < 10; ++i) {
    const std::string so_far(static_cast<std::size_t>(i) + 1, 'a');
    history.push_back(append(1, "k", "a", 10 * i, 10 * i + 1));
    history.push_back(get(2, "k", so_far, 10 * i + 2, 10 * i + 3));
  }
  history.push_back(put(1, "other", "v", 0, 1));
  const LinearizabilityReport report = check_linearizable(history, 5);
  BOOST_TEST(report.ok);
  BOOST_TEST(report.inconclusive);
  BOOST_TEST(report.states_explored > 5u);
  BOOST_TEST(report.explanation.find("inconclusive") != std::string::npos);
  BOOST_TEST(report.explanation.find("\"k\"") != std::string::npos);
  BOOST_TEST(report.explanation.find("\"other\"") == std::string::npos);
  const LinearizabilityReport enough = check_linearizable(history, 20);
  BOOST_TEST((enough.ok && !enough.inconclusive));
}

BOOST_AUTO_TEST_CASE(timed_out_deletes_are_interchangeable_and_do_not_blow_up_the_search) {
  // 30 timed-out deletes, any of which may explain a null read at any time: a search trying
  // each subset of them would never end refuting the stale read at the end.
  std::vector<Operation> history;
  for (int i = 0; i < 30; ++i) history.push_back(timed_out(del(100 + i, "k", i, 0)));
  for (int i = 0; i < 10; ++i) {
    const std::string value = "<v" + std::to_string(i) + ">";
    history.push_back(put(1, "k", value, 100 + 20 * i, 105 + 20 * i));
    history.push_back(get(2, "k", value, 110 + 20 * i, 115 + 20 * i));
    history.push_back(get(3, "k", std::nullopt, 110 + 20 * i, 115 + 20 * i));
  }
  BOOST_TEST(linearizable(history));
  history.push_back(put(1, "k", "<z>", 400, 405));
  history.push_back(get(2, "k", "<v9>", 410, 415));
  const LinearizabilityReport report = check_linearizable(history, 100'000);
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(report.history.size() <= 4u);
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(shrinking_keeps_what_the_remaining_reads_saw) {
  // Dropping the delete would leave a smaller failing history (the null read right after "a"),
  // but with a failure the full history does not have; the stale read of "a" is the real one.
  const Operation a = put(1, "k", "a", 0, 10);
  const Operation d = del(1, "k", 20, 30);
  const Operation null_read = get(2, "k", std::nullopt, 40, 50);
  const Operation b = put(1, "k", "b", 60, 70);
  const Operation stale = get(2, "k", "a", 80, 90);
  const LinearizabilityReport report = check_linearizable({a, d, null_read, b, stale});
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.history.size() == 3u);  // not {a, null_read}: that failure is made up
  BOOST_TEST(contains(report.history, a));
  BOOST_TEST(contains(report.history, stale));
  BOOST_TEST(!contains(report.history, null_read));
  // The stale read after either overwrite is genuine.
  BOOST_TEST((contains(report.history, b) || contains(report.history, d)));
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(keys_are_checked_apart_and_the_failing_key_is_named) {
  RandomHistoryOptions options;
  options.keys = 1;  // everything on k0
  options.ops_per_client = 200;
  std::vector<Operation> history = random_history(options);
  BOOST_TEST(linearizable(history));
  history.push_back(put(100, "k2", "v", 0, 10));
  history.push_back(get(101, "k2", "stale", 20, 30));
  const LinearizabilityReport report = check_linearizable(history);
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.key == "k2");
  BOOST_TEST(!report.history.empty());
  for (const Operation& op : report.history) BOOST_TEST(op.key == "k2");
}

BOOST_AUTO_TEST_CASE(large_random_linearizable_histories_pass_quickly) {
  RandomHistoryOptions options;
  options.clients = 12;
  options.ops_per_client = 500;
  options.keys = 4;
  const std::vector<Operation> history = random_history(options);
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = check_linearizable(history);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  BOOST_TEST_MESSAGE(history.size() << " ops on 4 keys checked in " << elapsed.count() << " s, "
                                    << report.states_explored << " states");
  BOOST_TEST(report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(elapsed.count() < 10.0);
  // Many smaller seeds, with more timed-out writes, for variety of interleavings.
  for (std::uint64_t seed = 2; seed < 42; ++seed) {
    RandomHistoryOptions small{seed, 6, 60, 2, 0.1};
    const LinearizabilityReport r = check_linearizable(random_history(small));
    BOOST_TEST((r.ok && !r.inconclusive), "seed " << seed << ": " << r.explanation);
  }
}

BOOST_AUTO_TEST_CASE(a_stale_read_planted_in_a_large_history_shrinks_to_a_few_ops) {
  RandomHistoryOptions options;
  options.clients = 10;
  options.ops_per_client = 300;
  options.keys = 2;
  const Operation old_write = put(500, "k0", "<planted-old>", 3000, 3002);
  const Operation new_write = put(500, "k0", "<planted-new>", 3003, 3005);
  std::vector<Operation> history =
      random_history(options, {{old_write, 3001, true}, {new_write, 3004, true}});
  BOOST_TEST(linearizable(history));
  const Operation stale = get(501, "k0", "<planted-old>", 3006, 3008);
  history.push_back(stale);
  const LinearizabilityReport report = check_linearizable(history);
  BOOST_TEST(!report.ok);
  BOOST_TEST(report.key == "k0");
  BOOST_TEST(report.history.size() <= 4u);
  BOOST_TEST(contains(report.history, stale));
  BOOST_TEST(contains(report.history, old_write));     // what the stale read saw stays in
  BOOST_TEST(!check_linearizable(report.history).ok);  // the shrunk history fails on its own
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(agrees_with_brute_force_on_small_random_histories) {
  std::mt19937_64 rng(7);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  // Tiny alphabets, empty values and substrings of each other: the corner cases of the
  // search's reductions.
  const std::vector<std::string> values = {"", "a", "b", "ab"};
  const std::vector<std::optional<std::string>> reads = {std::nullopt, "",   "a",  "b",
                                                         "ab",         "ba", "aa", "bab"};
  int verdicts[2] = {0, 0};
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<Operation> history;
    const int n = static_cast<int>(uniform(1, 7));
    for (int i = 0; i < n; ++i) {
      const auto kind = static_cast<OpKind>(uniform(0, 3));
      const std::int64_t from = uniform(0, 20);
      const std::string& value = kind == OpKind::del ? values[0] : values[uniform(0, 3)];
      Operation op = write_op(kind, i + 1, "k", value, from, from + uniform(0, 10));
      if (kind == OpKind::get) op.result = reads[uniform(0, reads.size() - 1)];
      if (kind != OpKind::get && uniform(0, 4) == 0) op = timed_out(op);
      if (kind != OpKind::get && uniform(0, 9) == 0) op.ok = false;  // failed, time known
      history.push_back(op);
    }
    std::vector<bool> done(history.size(), false);
    const bool expected = brute_force_linearizable(history, done, std::nullopt);
    const LinearizabilityReport report = check_linearizable(history);
    ++verdicts[expected];
    std::string listing;
    for (const Operation& op : history) listing += describe(op) + "\n";
    BOOST_TEST(report.ok == expected, "trial " << trial << ":\n" << listing);
    if (!report.ok) BOOST_TEST(!check_linearizable(report.history).ok);
  }
  BOOST_TEST(verdicts[0] > 500);  // both verdicts are well represented
  BOOST_TEST(verdicts[1] > 500);
}

BOOST_AUTO_TEST_CASE(an_op_completing_before_its_invocation_is_rejected) {
  BOOST_CHECK_THROW(check_linearizable({put(1, "k", "x", 10, 5)}), std::invalid_argument);
}

// ---- Compare-and-swap (the net tests' HTTP load: PUT with prev_value).

BOOST_AUTO_TEST_CASE(describe_shows_a_cas_with_its_expected_value_and_outcome) {
  BOOST_TEST(describe(cas(4, "k1", "x", "y", 10, 20)) ==
             "[c4] cas(k1, \"x\" -> \"y\") -> ok @10..20");
  BOOST_TEST(describe(failed_cas(5, "k1", "x", "z", "y", 12, 30)) ==
             "[c5] cas(k1, \"x\" -> \"z\") -> failed, found \"y\" @12..30");
  BOOST_TEST(describe(timed_out(cas(6, "k1", "x", "w", 5, 0))) ==
             "[c6] cas(k1, \"x\" -> \"w\") @5..? (outcome unknown)");
}

BOOST_AUTO_TEST_CASE(a_cas_applies_only_from_its_expected_value) {
  BOOST_TEST(linearizable(
      {put(1, "k", "a", 0, 10), cas(2, "k", "a", "b", 20, 30), get(3, "k", "b", 40, 50)}));
  // Nothing ever held "x".
  BOOST_TEST(!linearizable({put(1, "k", "a", 0, 10), cas(2, "k", "x", "b", 20, 30)}));
  // An absent key holds no value to expect.
  BOOST_TEST(!linearizable({cas(2, "k", "", "b", 20, 30)}));
  // Concurrent with the put it expects, it may go right after it.
  BOOST_TEST(linearizable(
      {put(1, "k", "a", 0, 30), cas(2, "k", "a", "b", 10, 20), get(3, "k", "b", 40, 50)}));
  // But not before it.
  BOOST_TEST(!linearizable({cas(2, "k", "a", "b", 0, 10), put(1, "k", "a", 20, 30)}));
}

BOOST_AUTO_TEST_CASE(two_cas_from_the_same_expected_value_cannot_both_apply) {
  const Operation p = put(1, "k", "a", 0, 10);
  const Operation first = cas(2, "k", "a", "b", 20, 40);
  const Operation second = cas(3, "k", "a", "c", 21, 41);
  const LinearizabilityReport report = check_linearizable({p, first, second});
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(report.key == "k");
  BOOST_TEST(report.history.size() == 3u);
  BOOST_TEST(report.explanation.find("applied, so the value must be \"a\"") != std::string::npos);
  BOOST_TEST_MESSAGE(report.explanation);
  // One of them applies, the other fails and finds what the first wrote.
  BOOST_TEST(linearizable({p, first, failed_cas(3, "k", "a", "c", "b", 21, 41)}));
  // Only if the first was there to find: a failure finding "a" means no cas applied yet.
  BOOST_TEST(!linearizable({p, first, failed_cas(3, "k", "a", "c", "a", 21, 41)}));
  // Unless the second was invoked only after the first put... it still found its own expected
  // value, which a failed cas cannot.
  BOOST_TEST(!linearizable({p, failed_cas(3, "k", "a", "c", "a", 21, 41)}));
}

BOOST_AUTO_TEST_CASE(a_failed_cas_is_a_read_of_the_value_it_found) {
  const Operation p = put(1, "k", "a", 0, 10);
  BOOST_TEST(linearizable({p, failed_cas(2, "k", "x", "b", "a", 20, 30)}));
  BOOST_TEST(linearizable({failed_cas(2, "k", "x", "b", std::nullopt, 0, 5), p}));
  // It found a value nobody wrote, or a stale one.
  BOOST_TEST(!linearizable({p, failed_cas(2, "k", "x", "b", "z", 20, 30)}));
  BOOST_TEST(
      !linearizable({p, put(1, "k", "c", 11, 15), failed_cas(2, "k", "x", "b", "a", 20, 30)}));
  // It changed nothing: a later read still sees the value it found.
  BOOST_TEST(
      linearizable({p, failed_cas(2, "k", "x", "b", "a", 20, 30), get(3, "k", "a", 40, 50)}));
  BOOST_TEST(
      !linearizable({p, failed_cas(2, "k", "x", "b", "a", 20, 30), get(3, "k", "b", 40, 50)}));
}

BOOST_AUTO_TEST_CASE(an_unknown_outcome_cas_may_apply_later_or_never) {
  const Operation p = put(1, "k", "a", 0, 10);
  const Operation maybe = timed_out(cas(2, "k", "a", "b", 20, 0));
  BOOST_TEST(linearizable({p, maybe, get(3, "k", "a", 30, 40)}));
  BOOST_TEST(linearizable({p, maybe, get(3, "k", "b", 30, 40)}));
  BOOST_TEST(linearizable({p, maybe, get(3, "k", "a", 30, 40), get(3, "k", "b", 50, 60)}));
  BOOST_TEST(!linearizable({p, maybe, get(3, "k", "b", 30, 40), get(3, "k", "a", 50, 60)}));
  // It applies only from its expected value: once the value moved on, it cannot.
  BOOST_TEST(!linearizable(
      {p, maybe, put(4, "k", "c", 30, 40), get(3, "k", "c", 50, 60), get(3, "k", "b", 70, 80)}));
  // Nor before its invocation.
  BOOST_TEST(!linearizable({p, get(3, "k", "b", 12, 15), maybe}));
}

BOOST_AUTO_TEST_CASE(timed_out_writes_nobody_mentions_do_not_blow_up_a_cas_search) {
  // 60 concurrent timed-out puts and cas whose values nobody reads: each would double the
  // search if tried; the stale read at the end needs every subset tried without retiring them.
  std::vector<Operation> history{put(1, "k", "a", 0, 5)};
  for (int i = 0; i < 60; ++i) {
    const std::string value = "<u" + std::to_string(i) + ">";
    history.push_back(i % 2 == 0 ? timed_out(put(10 + i, "k", value, 10 + i, 0))
                                 : timed_out(cas(10 + i, "k", "a", value, 10 + i, 0)));
  }
  history.push_back(put(2, "k", "b", 100, 110));
  history.push_back(cas(3, "k", "b", "c", 120, 130));
  BOOST_TEST(linearizable(history));
  history.push_back(get(4, "k", "b", 140, 150));
  const LinearizabilityReport report = check_linearizable(history, 100'000);
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(report.history.size() <= 4u);
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(large_random_cas_histories_pass_quickly) {
  RandomHistoryOptions options;
  options.clients = 8;
  options.ops_per_client = 600;
  options.keys = 3;
  const std::vector<Operation> history = random_cas_history(options);
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = check_linearizable(history);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  BOOST_TEST_MESSAGE(history.size() << " ops with cas on 3 keys checked in " << elapsed.count()
                                    << " s, " << report.states_explored << " states");
  BOOST_TEST(report.ok, report.explanation);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(elapsed.count() < 10.0);
  for (std::uint64_t seed = 2; seed < 42; ++seed) {
    RandomHistoryOptions small{seed, 6, 60, 2, 0.1};
    const LinearizabilityReport r = check_linearizable(random_cas_history(small));
    BOOST_TEST((r.ok && !r.inconclusive), "seed " << seed << ": " << r.explanation);
  }
}

BOOST_AUTO_TEST_CASE(a_double_cas_planted_in_a_large_history_is_found_and_shrunk) {
  RandomHistoryOptions options;
  options.clients = 8;
  options.ops_per_client = 300;
  options.keys = 2;
  std::vector<Operation> history = random_cas_history(options);
  BOOST_TEST(linearizable(history));
  // A second cas that says it applied from the same value as one that did: a lost update.
  const auto applied = std::find_if(history.begin(), history.end(), [](const Operation& op) {
    return op.kind == OpKind::cas && !op.condition_failed && op.ok && op.invoked_ms > 1500;
  });
  BOOST_TEST_REQUIRE((applied != history.end()));
  const Operation original = *applied;
  Operation twin = original;
  twin.client = 99;
  twin.value = "<twin>";
  history.push_back(twin);
  const LinearizabilityReport report = check_linearizable(history);
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.inconclusive);
  BOOST_TEST(report.key == original.key);
  BOOST_TEST(contains(report.history, original));
  BOOST_TEST(contains(report.history, twin));
  BOOST_TEST(report.history.size() <= 12u);
  BOOST_TEST(!check_linearizable(report.history).ok);  // the shrunk history fails on its own
  BOOST_TEST_MESSAGE(report.explanation);
}

BOOST_AUTO_TEST_CASE(cas_agrees_with_brute_force_on_small_random_histories) {
  std::mt19937_64 rng(11);
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const std::vector<std::string> values = {"a", "b", "c"};
  const std::vector<std::optional<std::string>> reads = {std::nullopt, "a", "b", "c"};
  int verdicts[2] = {0, 0};
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<Operation> history;
    const int n = static_cast<int>(uniform(1, 7));
    for (int i = 0; i < n; ++i) {
      const std::int64_t from = uniform(0, 20);
      const std::int64_t to = from + uniform(0, 10);
      const std::string& value = values[uniform(0, 2)];
      const std::string& expected = values[uniform(0, 2)];
      Operation op;
      switch (uniform(0, 5)) {
        case 0:
          op = put(i + 1, "k", value, from, to);
          break;
        case 1:
          op = del(i + 1, "k", from, to);
          break;
        case 2:
          op = get(i + 1, "k", reads[uniform(0, 3)], from, to);
          break;
        case 3:
          op = failed_cas(i + 1, "k", expected, value, reads[uniform(0, 3)], from, to);
          break;
        default:
          op = cas(i + 1, "k", expected, value, from, to);
          break;
      }
      if (op.kind != OpKind::get && !op.condition_failed && uniform(0, 3) == 0) op = timed_out(op);
      history.push_back(op);
    }
    if (std::none_of(history.begin(), history.end(),
                     [](const Operation& op) { return op.kind == OpKind::cas; }))
      history.push_back(timed_out(cas(9, "k", "a", "b", uniform(0, 20), 0)));
    std::vector<bool> done(history.size(), false);
    const bool expected = brute_force_linearizable(history, done, std::nullopt);
    const LinearizabilityReport report = check_linearizable(history);
    ++verdicts[expected];
    std::string listing;
    for (const Operation& op : history) listing += describe(op) + "\n";
    BOOST_TEST(report.ok == expected, "trial " << trial << ":\n" << listing);
    if (!report.ok) BOOST_TEST(!check_linearizable(report.history).ok);
  }
  BOOST_TEST(verdicts[0] > 500);
  BOOST_TEST(verdicts[1] > 500);
}

BOOST_AUTO_TEST_SUITE_END()
