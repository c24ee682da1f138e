#include "sim/cas_search.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

namespace paxoskv::sim::detail {
namespace {

using Outcome = CasKeyVerdict::Outcome;

constexpr std::uint32_t kAbsent = 0;
constexpr std::uint32_t kInvalid = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kNone = kInvalid;  // an op that mentions no value
// The shrinking's effort, in states searched: bounded by counts, not time, so that the same
// history always gives the same report.
constexpr std::uint64_t kShrinkMaxWork = 2'000'000;
constexpr std::uint64_t kShrinkMinRecheckStates = 20'000;

// Completed, and changes nothing: a get, or a cas that failed.
bool is_read(const Operation& op) {
  if (outcome_unknown(op)) return false;
  return op.kind == OpKind::get || (op.kind == OpKind::cas && op.condition_failed);
}

// Whether `op` needs the key to hold `value` at its instant: a read that returned it, or a
// cas that applied (or may have) from it.
bool mentions(const Operation& op, const std::optional<std::string>& value) {
  if (is_read(op)) return op.result == value;
  return op.kind == OpKind::cas && value && *value == op.expected;
}

// The value a write leaves (puts, cas and deletes; appends depend on the value before).
std::optional<std::string> written(const Operation& op) {
  if (op.kind == OpKind::del) return std::nullopt;
  return op.value;
}

bool has_append(const OpList& ops) {
  return std::any_of(ops.begin(), ops.end(),
                     [](const Operation* op) { return op->kind == OpKind::append; });
}

// The ops searched: all but the gets with an unknown outcome, in invocation order.
OpList searched_ops(const OpList& ops) {
  OpList out;
  for (const Operation* op : ops)
    if (op->kind != OpKind::get || !outcome_unknown(*op)) out.push_back(op);
  sort_by_invocation(out);
  return out;
}

// Values are interned, so that a memo key hashes in O(1) and a read is one comparison.
class Values {
 public:
  Values() : texts_(1, nullptr) {}

  std::uint32_t intern(const std::string& text) {
    auto [it, inserted] = ids_.try_emplace(text, static_cast<std::uint32_t>(texts_.size()));
    if (inserted) texts_.push_back(&it->first);  // map nodes never move
    return it->second;
  }
  std::uint32_t intern(const std::optional<std::string>& value) {
    return value ? intern(*value) : kAbsent;
  }
  std::uint32_t appended(std::uint32_t state, const std::string& suffix) {
    return intern((state == kAbsent ? std::string() : *texts_[state]) + suffix);
  }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> texts_;  // [0] stands for absent
};

struct SearchResult {
  Outcome outcome = Outcome::linearizable;
  std::uint64_t states = 0;
  std::vector<int> deepest;  // explain: the longest order found (ops taken, not retired)
};

// The search of one key's ops (searched_ops order). Completed ops sit in two linked lists, by
// invocation (with the unknown-outcome ones) and by completion; taking an op unlinks it, and
// undoing relinks it (the lists are only ever restored in the reverse order).
class Search {
 public:
  Search(const OpList& ops, std::uint64_t max_states, bool explain);
  SearchResult run();

 private:
  struct Frame {
    int op;
    std::uint32_t prev_state;
    std::size_t retired_mark;  // retired_.size() before op was taken
  };

  std::uint32_t transition(int op);
  std::int64_t earliest_pending_completion() const {
    return ops_[by_completion_[rnext_[0]]]->completed_ms;
  }
  bool try_take(int op);
  void consume(int op);
  void restore(int op);
  void undo();
  bool backtrack(int& at);
  bool taken(int op) const { return (linearized_[bit_of_[op] >> 6] >> (bit_of_[op] & 63)) & 1; }
  void flip(int op);
  const std::vector<std::uint64_t>& encode_set();
  SearchResult finish(Outcome outcome) {
    result_.outcome = outcome;
    return result_;
  }

  static void unlink(std::vector<int>& next, std::vector<int>& prev, int node) {
    next[prev[node]] = next[node];
    prev[next[node]] = prev[node];
  }
  static void relink(std::vector<int>& next, std::vector<int>& prev, int node) {
    next[prev[node]] = node;
    prev[next[node]] = node;
  }

  const OpList& ops_;
  std::uint64_t max_states_;
  bool explain_;
  Values values_;
  std::vector<std::uint32_t> writes_;  // per op: the state a put, cas or delete leaves
  std::vector<std::uint32_t> needs_;   // per op: the state it needs (mentions), or kNone
  std::vector<bool> read_;             // is_read
  std::vector<bool> unknown_;
  std::vector<bool> never_fits_;  // a failed cas that says it found its expected value
  // By invocation: node op + 1; node 0 is the sentinel of the circular list.
  std::vector<int> inext_, iprev_;
  // Completed ops by completion: node i is by_completion_[i]; node 0 the sentinel.
  std::vector<int> rnext_, rprev_, by_completion_, completion_node_;
  // Retiring unknown-outcome writes (only without appends): the writes leaving each state,
  // and per write how many ops not taken yet mention what it leaves.
  bool retire_ = false;
  std::unordered_map<std::uint32_t, std::vector<int>> unknown_writers_;
  std::vector<int> mentions_left_;
  std::vector<int> retired_;

  std::vector<int> bit_of_;  // completed ops first (in invocation order), then the others
  std::vector<std::uint64_t> linearized_;
  std::size_t full_words_ = 0;  // linearized_[0, full_words_) are all ones
  std::uint64_t set_hash_ = 0;  // Zobrist hash of linearized_
  std::vector<std::uint64_t> zobrist_;
  std::vector<std::uint64_t> encoded_;
  VisitedSet visited_;
  std::vector<Frame> stack_;
  std::uint32_t state_ = kAbsent;
  SearchResult result_;
};

Search::Search(const OpList& ops, std::uint64_t max_states, bool explain)
    : ops_(ops),
      max_states_(max_states),
      explain_(explain),
      linearized_(std::max<std::size_t>(1, (ops.size() + 63) / 64), 0) {
  const int n = static_cast<int>(ops.size());
  writes_.assign(ops.size(), kNone);
  needs_.assign(ops.size(), kNone);
  read_.assign(ops.size(), false);
  unknown_.assign(ops.size(), false);
  never_fits_.assign(ops.size(), false);
  for (int i = 0; i < n; ++i) {
    const Operation& op = *ops[i];
    read_[i] = is_read(op);
    unknown_[i] = outcome_unknown(op);
    if (op.kind == OpKind::get || read_[i]) needs_[i] = values_.intern(op.result);
    if (op.kind == OpKind::cas && !read_[i]) needs_[i] = values_.intern(op.expected);
    if (op.kind == OpKind::put || op.kind == OpKind::del || (op.kind == OpKind::cas && !read_[i]))
      writes_[i] = values_.intern(written(op));
    never_fits_[i] = read_[i] && op.kind == OpKind::cas && op.result == op.expected;
    zobrist_.push_back(mix64(static_cast<std::uint64_t>(i) * 0x2545f4914f6cdd1dULL + 7));
  }
  inext_.resize(n + 1);
  iprev_.resize(n + 1);
  for (int node = 0; node <= n; ++node) {
    inext_[node] = (node + 1) % (n + 1);
    iprev_[node] = (node + n) % (n + 1);
  }
  by_completion_.assign(1, -1);
  for (int i = 0; i < n; ++i)
    if (!unknown_[i]) by_completion_.push_back(i);
  std::stable_sort(by_completion_.begin() + 1, by_completion_.end(),
                   [&ops](int a, int b) { return ops[a]->completed_ms < ops[b]->completed_ms; });
  const int completed = static_cast<int>(by_completion_.size()) - 1;
  rnext_.resize(completed + 1);
  rprev_.resize(completed + 1);
  completion_node_.assign(ops.size(), 0);
  for (int node = 0; node <= completed; ++node) {
    rnext_[node] = (node + 1) % (completed + 1);
    rprev_[node] = (node + completed) % (completed + 1);
    if (node > 0) completion_node_[by_completion_[node]] = node;
  }
  int bit = 0;
  bit_of_.resize(ops.size());
  for (int i = 0; i < n; ++i)
    if (!unknown_[i]) bit_of_[i] = bit++;
  for (int i = 0; i < n; ++i)
    if (unknown_[i]) bit_of_[i] = bit++;

  retire_ = !has_append(ops);
  if (!retire_) return;
  mentions_left_.assign(ops.size(), 0);
  for (int i = 0; i < n; ++i)
    if (unknown_[i] && writes_[i] != kNone) unknown_writers_[writes_[i]].push_back(i);
  for (int i = 0; i < n; ++i) {
    if (needs_[i] == kNone) continue;
    auto it = unknown_writers_.find(needs_[i]);
    if (it != unknown_writers_.end())
      for (int w : it->second) mentions_left_[w] += w != i ? 1 : 0;
  }
  // Those nothing ever mentions are retired for good, before the first frame.
  for (int i = 0; i < n; ++i)
    if (unknown_[i] && writes_[i] != kNone && mentions_left_[i] == 0 && !taken(i)) {
      retired_.push_back(i);
      consume(i);
    }
}

std::uint32_t Search::transition(int op) {
  const Operation& operation = *ops_[op];
  switch (operation.kind) {
    case OpKind::get:
      return state_ == needs_[op] ? state_ : kInvalid;
    case OpKind::put:
      return writes_[op];
    case OpKind::del:
      return kAbsent;
    case OpKind::append:
      return values_.appended(state_, operation.value);
    case OpKind::cas:
      if (read_[op]) return state_ == needs_[op] && !never_fits_[op] ? state_ : kInvalid;
      return state_ == needs_[op] ? writes_[op] : kInvalid;
  }
  return kInvalid;
}

void Search::flip(int op) {
  const std::size_t word = static_cast<std::size_t>(bit_of_[op]) >> 6;
  linearized_[word] ^= std::uint64_t{1} << (bit_of_[op] & 63);
  set_hash_ ^= zobrist_[op];
  if (word < full_words_) full_words_ = word;
  while (full_words_ < linearized_.size() && linearized_[full_words_] == ~std::uint64_t{0})
    ++full_words_;
}

// Completed ops are mostly taken in invocation order, so a set is an all-ones prefix and a few
// words after it.
const std::vector<std::uint64_t>& Search::encode_set() {
  encoded_.assign(1, full_words_);
  for (std::size_t word = full_words_; word < linearized_.size(); ++word) {
    if (linearized_[word] == 0) continue;
    encoded_.push_back(word);
    encoded_.push_back(linearized_[word]);
  }
  return encoded_;
}

// Marks `op` taken and unlinks it; then retires the unknown-outcome writes that nothing left
// mentions any more. Retiring one is exact: were it to take effect from here on, no op after
// it could read its value or expect it, so the next op that changes the key is a put or a
// delete, which leaves the same value without it (and an unknown-outcome cas that would then
// apply may as well not).
void Search::consume(int op) {
  flip(op);
  unlink(inext_, iprev_, op + 1);
  if (!unknown_[op]) unlink(rnext_, rprev_, completion_node_[op]);
  if (!retire_ || needs_[op] == kNone) return;
  auto it = unknown_writers_.find(needs_[op]);
  if (it == unknown_writers_.end()) return;
  for (int w : it->second)
    if (w != op && --mentions_left_[w] == 0 && !taken(w)) {
      retired_.push_back(w);
      consume(w);
    }
}

void Search::restore(int op) {
  if (retire_ && needs_[op] != kNone) {
    auto it = unknown_writers_.find(needs_[op]);
    if (it != unknown_writers_.end())
      for (int w : it->second) mentions_left_[w] += w != op ? 1 : 0;
  }
  if (!unknown_[op]) relink(rnext_, rprev_, completion_node_[op]);
  relink(inext_, iprev_, op + 1);
  flip(op);
}

bool Search::try_take(int op) {
  const std::uint32_t next = transition(op);
  if (next == kInvalid) return false;
  // An unknown-outcome write that changes nothing here only loses the option of coming later.
  if (unknown_[op] && next == state_) return false;
  stack_.push_back({op, state_, retired_.size()});
  state_ = next;
  consume(op);
  if (!visited_.insert(encode_set(), set_hash_ ^ mix64(state_), state_)) {
    undo();
    return false;
  }
  ++result_.states;
  if (explain_ && stack_.size() > result_.deepest.size()) {
    result_.deepest.clear();
    for (const Frame& frame : stack_) result_.deepest.push_back(frame.op);
  }
  return true;
}

void Search::undo() {
  const Frame frame = stack_.back();
  stack_.pop_back();
  for (; retired_.size() > frame.retired_mark; retired_.pop_back()) restore(retired_.back());
  restore(frame.op);
  state_ = frame.prev_state;
}

// Takes back choices until one leaves an untried alternative (`at`, the next candidate of its
// node); false when none does.
bool Search::backtrack(int& at) {
  while (!stack_.empty()) {
    const int op = stack_.back().op;
    undo();
    // A read is only ever taken as the single move of its node, so that node is dead too.
    if (read_[op]) continue;
    at = inext_[op + 1];
    return true;
  }
  return false;
}

SearchResult Search::run() {
  bool fresh = true;  // at a node none of whose moves was tried yet
  int at = 0;         // the next candidate to try at the current node
  while (result_.states <= max_states_) {
    if (rnext_[0] == 0) return finish(Outcome::linearizable);  // every completed op took effect
    // Candidates: the ops invoked by the earliest completion of an op not taken yet.
    const std::int64_t until = earliest_pending_completion();
    if (fresh) {
      fresh = false;
      // A read that fits the value may as well go now: it changes nothing, and every op that
      // must precede it has been taken, so any order that works still works with it moved
      // here. It is then the only move worth trying.
      int read = -1;
      for (int node = inext_[0]; node != 0 && ops_[node - 1]->invoked_ms <= until;
           node = inext_[node])
        if (read_[node - 1] && transition(node - 1) != kInvalid) {
          read = node - 1;
          break;
        }
      if (read >= 0) {
        if (try_take(read)) {
          fresh = true;
        } else if (!backtrack(at)) {
          return finish(Outcome::violation);
        }
        continue;
      }
      at = inext_[0];
    }
    bool moved = false;
    while (at != 0 && ops_[at - 1]->invoked_ms <= until) {
      const int op = at - 1;
      at = inext_[at];
      if (!read_[op] && try_take(op)) {
        moved = true;
        break;
      }
    }
    if (moved) {
      fresh = true;
      continue;
    }
    // Dead end: no candidate works here, so take back the last choice and try the next one.
    if (!backtrack(at)) return finish(Outcome::violation);
  }
  return finish(Outcome::inconclusive);
}

// Greedy shrinking in the style of delta debugging: removes chunks of halving size, then
// single ops until none can go, keeping each removal after which the history still fails.
// Only removals that cannot make a linearizable history fail are tried, so the smaller
// history fails only if the full one does: reads (they change nothing), and writes whose
// value no op left mentions (by the argument for retiring, in Search::consume), one after the
// other. Writes stay put in a key with appends.
class Shrinker {
 public:
  Shrinker(OpList failing, std::uint64_t failed_states, std::uint64_t max_states)
      : current_(std::move(failing)),
        appends_(has_append(current_)),
        recheck_states_(
            std::min(max_states, std::max(kShrinkMinRecheckStates, 4 * failed_states))) {}

  OpList run() {
    for (std::size_t chunk = current_.size() / 2; chunk > 1;
         chunk = std::min(chunk / 2, current_.size() / 2))
      pass(chunk);
    while (pass(1)) {
    }
    return current_;
  }

 private:
  bool pass(std::size_t chunk) {
    bool removed_any = false;
    for (std::size_t i = 0; i < current_.size() && work_ < kShrinkMaxWork;) {
      if (try_without(i, std::min(i + chunk, current_.size())))
        removed_any = true;
      else
        i += chunk;
    }
    return removed_any;
  }

  bool removable(OpList writes, const OpList& kept) const {
    if (!writes.empty() && appends_) return false;
    // One at a time, each once no op left (kept, or a write still to remove) mentions it.
    while (!writes.empty()) {
      auto free = std::find_if(writes.begin(), writes.end(), [&](const Operation* w) {
        const std::optional<std::string> value = written(*w);
        auto mention = [&](const Operation* op) { return op != w && mentions(*op, value); };
        return std::none_of(kept.begin(), kept.end(), mention) &&
               std::none_of(writes.begin(), writes.end(), mention);
      });
      if (free == writes.end()) return false;
      writes.erase(free);
    }
    return true;
  }

  bool try_without(std::size_t begin, std::size_t end) {
    OpList trial, writes;
    for (std::size_t i = 0; i < current_.size(); ++i) {
      if (i < begin || i >= end)
        trial.push_back(current_[i]);
      else if (!is_read(*current_[i]))
        writes.push_back(current_[i]);
    }
    if (trial.empty() || !removable(writes, trial)) return false;
    const SearchResult result = Search(trial, recheck_states_, false).run();
    work_ += trial.size() + result.states;
    // An inconclusive recheck counts as passing: the report must only show proven failures.
    if (result.outcome != Outcome::violation) return false;
    current_ = std::move(trial);
    return true;
  }

  OpList current_;
  bool appends_;
  std::uint64_t recheck_states_;
  std::uint64_t work_ = 0;
};

std::optional<std::string> apply(std::optional<std::string> value, const Operation& op) {
  switch (op.kind) {
    case OpKind::put:
      return op.value;
    case OpKind::append:
      return value.value_or("") + op.value;
    case OpKind::del:
      return std::nullopt;
    case OpKind::cas:
      return is_read(op) ? value : std::optional<std::string>(op.value);
    case OpKind::get:
      break;
  }
  return value;
}

// Why the search failed, from its deepest point: the longest order consistent with real time
// and the model, and why each completed op that could come next does not fit.
std::string explain_dead_end(const OpList& ops, const std::vector<int>& deepest) {
  std::vector<bool> taken(ops.size(), false);
  std::optional<std::string> value;
  std::string text = "The longest consistent order found: ";
  if (deepest.empty()) text += "none (no operation can take effect first).\n";
  for (std::size_t i = 0; i < deepest.size(); ++i) {
    const Operation& op = *ops[deepest[i]];
    taken[deepest[i]] = true;
    value = apply(std::move(value), op);
    if (i >= 20 && i + 10 < deepest.size()) continue;  // long orders: the start and the end
    text += (i == 0 ? "#" : ", #") + std::to_string(deepest[i] + 1);
    if (outcome_unknown(op)) text += " (outcome unknown, taken as applied)";
    if (i == 19 && deepest.size() > 30) text += ", ...";
  }
  if (!deepest.empty()) text += "; the value is then " + shown(value) + ".\n";
  std::size_t blocker = ops.size();  // the op not taken that completes first
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!taken[i] && !outcome_unknown(*ops[i]) &&
        (blocker == ops.size() || ops[i]->completed_ms < ops[blocker]->completed_ms))
      blocker = i;
  if (blocker == ops.size()) return text;
  const std::int64_t until = ops[blocker]->completed_ms;
  text += "Next must come an op invoked by " + std::to_string(until) + ", when #" +
          std::to_string(blocker + 1) + " completes, and none fits:\n";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    if (taken[i] || outcome_unknown(op) || op.invoked_ms > until) continue;
    text += "  #" + std::to_string(i + 1) + " ";
    if (op.kind == OpKind::get && op.result != value)
      text += "would read " + shown(value) + ", not " + shown(op.result) + "\n";
    else if (is_read(op) && op.result == op.expected)
      text += "failed, yet found the value it expected\n";
    else if (is_read(op) && op.result != value)
      text += "failed finding " + shown(op.result) + ", but the value is " + shown(value) + "\n";
    else if (op.kind == OpKind::cas && !is_read(op) && value != op.expected)
      text +=
          "applied, so the value must be " + quoted(op.expected) + ", not " + shown(value) + "\n";
    else
      text += "fits here, but no order of the remaining ops works after it\n";
  }
  return text;
}

std::string explain_violation(const std::string& key, const OpList& ops,
                              const SearchResult& search) {
  std::string text = "key " + quoted(key) + ": no linearizable order exists for " +
                     (ops.size() == 1 ? std::string("this operation")
                                      : "these " + std::to_string(ops.size()) + " operations") +
                     " (in invocation order):\n";
  text += list_ops(ops);
  text += "Every order that respects real time and the semantics of put, cas and get fails (" +
          std::to_string(search.states) + " states searched).\n";
  text += explain_dead_end(ops, search.deepest);
  if (std::any_of(ops.begin(), ops.end(), [](const Operation* op) { return outcome_unknown(*op); }))
    text += "Writes with an unknown outcome may also never take effect; that fails too.\n";
  return text;
}

}  // namespace

CasKeyVerdict check_cas_key(const std::string& key, const OpList& ops, std::uint64_t max_states) {
  const OpList searched = searched_ops(ops);
  const SearchResult result = Search(searched, max_states, false).run();
  CasKeyVerdict verdict;
  verdict.outcome = result.outcome;
  verdict.states = result.states;
  verdict.ops = searched.size();
  if (result.outcome != Outcome::violation) return verdict;
  const OpList smallest = Shrinker(searched, result.states, max_states).run();
  SearchResult explained = Search(smallest, max_states, true).run();
  for (const Operation* op : smallest) verdict.history.push_back(*op);
  verdict.explanation = explain_violation(key, smallest, explained);
  return verdict;
}

}  // namespace paxoskv::sim::detail
