#include "sim/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "sim/cas_search.hpp"
#include "sim/linearizability_detail.hpp"

namespace paxoskv::sim {
namespace {

using namespace detail;

// Shrinking is bounded by counts of work (states searched, ops rechecked, bytes of gets scanned)
// rather than wall time, so that the same history always yields the same report: the simulator
// promises byte-identical output for a seed. 2M is a few seconds at worst.
constexpr std::uint64_t kShrinkMaxWork = 2'000'000;
constexpr std::uint64_t kShrinkMinRecheckStates = 20'000;
constexpr std::int64_t kUnseen = std::numeric_limits<std::int64_t>::min();

bool writes_value(const Operation& op) {
  return op.kind == OpKind::put || op.kind == OpKind::append;
}

// Model states are interned: equal strings get equal ids, so a memo key hashes in O(1) and a
// get is checked with one comparison however long the value has grown by appends.
//
// One more state stands for every value that is not a prefix of a value some get of the key
// read. From such a value no get can succeed until a put or delete replaces it (appends only
// extend it), so its exact content cannot matter. Merging all of them lets the memo see that the
// orders of writes overwritten before anyone read them are all alike, which would otherwise be
// explored one by one.
class StateTable {
 public:
  static constexpr std::uint32_t kAbsent = 0;
  static constexpr std::uint32_t kUnreadable = 1;

  StateTable() : strings_(2, nullptr) {}

  std::uint32_t intern(std::string text) {
    auto [it, inserted] =
        ids_.try_emplace(std::move(text), static_cast<std::uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(&it->first);  // map nodes never move
    return it->second;
  }
  std::uint32_t intern(const std::optional<std::string>& value) {
    return value ? intern(*value) : kAbsent;
  }
  const std::string& text(std::uint32_t id) const { return *strings_[id]; }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> strings_;
};

// Which of some strings occur in a text: Rabin-Karp, one rolling hash per string length.
class Occurrences {
 public:
  explicit Occurrences(std::vector<std::string_view> needles) : needles_(std::move(needles)) {
    for (std::size_t i = 0; i < needles_.size(); ++i) {
      const std::size_t length = needles_[i].size();
      auto table = std::find_if(tables_.begin(), tables_.end(),
                                [length](const Table& t) { return t.length == length; });
      if (table == tables_.end())
        table = tables_.insert(tables_.end(), Table{length, power(length), {}});
      table->by_hash[hash(needles_[i])].push_back(i);
    }
  }

  // Calls found(i) for each needle i that occurs in `text` (once per occurrence).
  template <typename Found>
  void scan(std::string_view text, Found&& found) const {
    for (const Table& table : tables_) {
      if (table.length > text.size()) continue;
      std::uint64_t rolling = hash(text.substr(0, table.length));
      for (std::size_t at = 0;; ++at) {
        auto it = table.by_hash.find(rolling);
        if (it != table.by_hash.end())
          for (std::size_t i : it->second)
            if (text.compare(at, table.length, needles_[i]) == 0) found(i);
        if (at + table.length == text.size()) break;
        rolling = rolling * kBase + byte(text[at + table.length]) - byte(text[at]) * table.top;
      }
    }
  }

 private:
  static constexpr std::uint64_t kBase = 1099511628211ULL;
  struct Table {
    std::size_t length;
    std::uint64_t top;  // kBase^length: the weight of the byte leaving the window
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_hash;
  };

  static std::uint64_t byte(char c) { return static_cast<unsigned char>(c); }
  static std::uint64_t hash(std::string_view text) {
    std::uint64_t h = 0;
    for (char c : text) h = h * kBase + byte(c);
    return h;
  }
  static std::uint64_t power(std::size_t n) {
    std::uint64_t p = 1;
    while (n-- > 0) p *= kBase;
    return p;
  }

  std::vector<std::string_view> needles_;
  std::vector<Table> tables_;
};

// Whether a write may leave a value from which later ones are built afresh: a delete, or a put
// or append of "" (which makes an absent value empty). Other writes leave values containing
// theirs until the next put or delete.
bool starts_afresh(const Operation& op) {
  return op.kind == OpKind::del || op.value.empty();
}

// Whether a get's result may be a value built afresh, by appends only after a write that
// starts_afresh. Such a value is absent, empty, or starts with the value of an append.
bool built_afresh(const std::optional<std::string>& result,
                  const std::unordered_set<std::string_view>& append_values,
                  const std::vector<std::size_t>& append_lengths) {
  if (!result || result->empty()) return true;
  return std::any_of(append_lengths.begin(), append_lengths.end(), [&](std::size_t length) {
    return length <= result->size() &&
           append_values.contains(std::string_view(*result).substr(0, length));
  });
}

// For each op `picked`, if a write: the latest completion of a picked get that may have seen its
// effect, or kUnseen. May have seen it: read a value containing the write's value or, for a
// write that starts_afresh, a value built afresh; and completed after the write began. The gets
// picked must have completed; `scanned` counts the bytes read.
template <typename Picked>
std::vector<std::int64_t> latest_sightings(const OpList& ops, Picked picked,
                                           std::uint64_t& scanned) {
  std::vector<std::string_view> values;  // distinct values of picked writes
  std::unordered_map<std::string_view, std::size_t> value_ids;
  std::unordered_set<std::string_view> append_values;  // of all appends: "afresh" is fuzzy
  std::vector<std::size_t> append_lengths;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    if (op.kind == OpKind::append && !op.value.empty() && append_values.insert(op.value).second)
      append_lengths.push_back(op.value.size());
    if (picked(i) && op.kind != OpKind::get && !starts_afresh(op) &&
        value_ids.try_emplace(op.value, values.size()).second)
      values.push_back(op.value);
  }
  std::vector<std::int64_t> value_seen(values.size(), kUnseen);
  std::int64_t afresh_seen = kUnseen;
  const Occurrences occurrences(values);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    if (op.kind != OpKind::get || !picked(i)) continue;
    const std::int64_t done = op.completed_ms;
    scanned += op.result ? op.result->size() + 1 : 1;
    if (op.result)
      occurrences.scan(*op.result,
                       [&](std::size_t v) { value_seen[v] = std::max(value_seen[v], done); });
    if (built_afresh(op.result, append_values, append_lengths))
      afresh_seen = std::max(afresh_seen, done);
  }
  std::vector<std::int64_t> seen(ops.size(), kUnseen);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    if (op.kind == OpKind::get || !picked(i)) continue;
    const std::int64_t latest =
        starts_afresh(op) ? afresh_seen : value_seen[value_ids.at(op.value)];
    if (latest >= op.invoked_ms) seen[i] = latest;  // gets done before it began saw nothing
  }
  return seen;
}

// One key's ops as searched, in invocation order.
struct PreparedKey {
  OpList ops;
  // Per op with an unknown outcome: the latest completion of a get that may have seen it
  // (latest_sightings). Once every op completing by then has taken effect, it can no longer
  // matter.
  std::vector<std::int64_t> seen_until_ms;
};

// Drops what cannot matter:
//  - gets with an unknown outcome: they say nothing;
//  - unknown-outcome writes that no get completing after their invocation may have seen.
//    Sound: if one took effect, every value until the next put or delete would be one that no
//    get read, so no get can sit there in a valid order, and dropping it changes nothing
//    else. Each of them would otherwise double the search space.
PreparedKey prepare_key(const OpList& all) {
  OpList ops;
  for (const Operation* op : all)
    if (op->kind != OpKind::get || !outcome_unknown(*op)) ops.push_back(op);
  sort_by_invocation(ops);
  std::uint64_t scanned = 0;
  auto unknown_write_or_get = [&ops](std::size_t i) {  // all gets left completed
    return ops[i]->kind == OpKind::get || outcome_unknown(*ops[i]);
  };
  const std::vector<std::int64_t> seen = latest_sightings(ops, unknown_write_or_get, scanned);
  PreparedKey key;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (outcome_unknown(*ops[i]) && seen[i] == kUnseen) continue;
    key.ops.push_back(ops[i]);
    key.seen_until_ms.push_back(seen[i]);
  }
  return key;
}

enum class Outcome { linearizable, violation, inconclusive };

struct SearchResult {
  Outcome outcome = Outcome::linearizable;
  std::uint64_t states = 0;
  // The latest completion time the search depended on: ops were candidates only until the
  // earliest pending completion, and a pending get's needs (Search::note_needs) look up to
  // its completion. On a violation, dropping the ops invoked after it keeps the history
  // failing (Shrinker::drop_late).
  std::int64_t frontier_ms = std::numeric_limits<std::int64_t>::min();
  std::vector<int> deepest;  // with Mode::explain: the longest consistent order found
};

// Wing & Gong's depth-first search over one key's ops, with Lowe's memo.
//
// Completed ops sit in a doubly linked list of call and return entries sorted by time; an op
// may take effect next iff its call comes before the first return still in the list. Taking
// it unlinks both entries and backtracking relinks them in reverse order (dancing links).
// Ops with an unknown outcome have no return: they sit in a second list sorted by invocation,
// are tried only after the completed candidates (they rarely explain anything, and are never
// required), and the search succeeds once every completed op has taken effect. A third list
// orders them by PreparedKey::seen_until_ms, to retire those that can no longer matter.
class Search {
 public:
  enum class Mode {
    verdict,
    // Also records the deepest order, and leaves out the pruning of writes that would make a
    // pending get impossible: they are then tried, so the dead end shows the get that fails.
    explain,
    // Records the deepest order, pruning as for a verdict (when explain takes too long).
    explain_pruned,
  };

  Search(const PreparedKey& key, std::uint64_t max_states, Mode mode);
  SearchResult run();

 private:
  static constexpr std::uint32_t kInvalid = std::numeric_limits<std::uint32_t>::max();

  struct Step {
    int op;
    std::uint32_t prev_state;
    std::int64_t block_ms;     // the completion that bounded the candidates when op was taken
    std::size_t retired_mark;  // retired_.size() before op was taken
  };

  void build_entries();
  void build_unknown_lists();
  std::uint32_t transition(std::uint32_t state, int op);
  // Whether some get of the key read a value starting with `text`.
  bool readable(std::string_view text) const {
    auto it = std::lower_bound(read_values_.begin(), read_values_.end(), text);
    return it != read_values_.end() && it->starts_with(text);
  }
  struct Cursor {
    bool fresh = true;    // at a node none of whose moves was tried yet
    bool in_main = true;  // scanning completed ops' entries, else unknown-outcome ops
    int at = 0;
    std::int64_t block_ms = 0;  // outside in_main: candidates must be invoked by then
  };

  bool try_op(int op, std::int64_t block_ms);
  Step undo();
  bool backtrack(Cursor& cursor);
  // A pending get among the candidates, and what may still go before it (examine_node).
  struct ReadNeeds {
    int read = -1;
    std::vector<int> appends;        // non-empty appends that may go before it
    std::vector<int> useful_resets;  // puts/deletes that may too, and leave it possible
  };

  void examine_node();
  void note_needs(int read);
  bool read_possible_from(const ReadNeeds& needs, std::uint32_t state);
  bool appends_can_finish(const ReadNeeds& needs, std::size_t from);
  bool keeps_reads_possible(int op, std::uint32_t next_state);
  SearchResult finish(Outcome outcome) {
    result_.outcome = outcome;
    return result_;
  }
  void take(int op);
  bool twin_pending(int op) const;
  void retire_unneeded();
  void flip(int op);
  const std::vector<std::uint64_t>& encode_set();
  void unlink(std::vector<int>& next, std::vector<int>& prev, int node);
  void relink(std::vector<int>& next, std::vector<int>& prev, int node);

  const OpList& ops_;
  const std::vector<std::int64_t>& seen_until_ms_;
  std::uint64_t max_states_;
  Mode mode_;
  StateTable states_;
  std::vector<std::string_view> read_values_;  // sorted: all values that gets returned
  std::vector<std::uint32_t> arg_state_;       // put: its value; get: the value it read
  std::unordered_map<std::uint64_t, std::uint32_t> appended_;  // (state << 32 | op) -> state

  // Completed ops: entries 1..2n, entry 0 is the sentinel of a circular list.
  std::vector<int> next_, prev_, entry_op_;
  std::vector<std::int64_t> entry_ms_;
  std::vector<bool> entry_is_call_;
  std::vector<int> call_entry_;    // per op; 0 for an op with an unknown outcome
  std::vector<int> return_entry_;  // per op
  // Unknown-outcome ops not taken or retired: nodes 1..m, node 0 is the sentinel; linked in
  // invocation order by unext_/uprev_, and by seen_until_ms_ by xnext_/xprev_.
  std::vector<int> unext_, uprev_, xnext_, xprev_, unode_op_;
  std::vector<int> unode_of_;  // per op
  std::vector<int> retired_;   // unknown-outcome ops dropped as no longer able to matter
  std::vector<int> twin_;      // per op: the previous unknown-outcome op with the same effect

  std::vector<std::uint64_t> linearized_;
  std::vector<int> bit_of_;     // per op: completed ops by invocation, then the others by expiry
  std::size_t full_words_ = 0;  // linearized_[0, full_words_) are all ones
  std::vector<std::uint64_t> encoded_;
  std::uint64_t set_hash_ = 0;  // Zobrist hash of linearized_, updated per flip
  std::vector<std::uint64_t> zobrist_;
  VisitedSet visited_;
  std::vector<Step> stack_;
  std::uint32_t state_ = StateTable::kAbsent;
  // About the node at the top of stack_ (examine_node).
  int fitting_read_ = -1;         // a candidate get that reads the current state
  std::vector<ReadNeeds> needs_;  // [0, needs_count_) are in use; kept to reuse their memory
  std::size_t needs_count_ = 0;
  std::vector<int> movable_;
  std::vector<std::uint32_t> reached_;  // appends_can_finish: positions seen, by stamp
  std::uint32_t stamp_ = 0;
  std::vector<std::size_t> positions_;  // appends_can_finish: positions to extend
  SearchResult result_;
};

Search::Search(const PreparedKey& key, std::uint64_t max_states, Mode mode)
    : ops_(key.ops),
      seen_until_ms_(key.seen_until_ms),
      max_states_(max_states),
      mode_(mode),
      linearized_(std::max<std::size_t>(1, (key.ops.size() + 63) / 64), 0) {
  const OpList& ops = key.ops;
  for (const Operation* op : ops)
    if (op->kind == OpKind::get && op->result) read_values_.emplace_back(*op->result);
  std::sort(read_values_.begin(), read_values_.end());
  arg_state_.resize(ops.size(), StateTable::kAbsent);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    zobrist_.push_back(mix64(i * 0x2545f4914f6cdd1dULL + 1));
    if (ops[i]->kind == OpKind::put)
      arg_state_[i] =
          readable(ops[i]->value) ? states_.intern(ops[i]->value) : StateTable::kUnreadable;
    if (ops[i]->kind == OpKind::get) arg_state_[i] = states_.intern(ops[i]->result);
  }
  build_entries();
  build_unknown_lists();
  // Bits in about the order the search sets them, which keeps encode_set short.
  int bit = 0;
  bit_of_.resize(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!outcome_unknown(*ops[i])) bit_of_[i] = bit++;
  for (int x = xnext_[0]; x != 0; x = xnext_[x]) bit_of_[unode_op_[x]] = bit++;
}

void Search::build_entries() {
  struct Event {
    std::int64_t ms;
    bool is_return;  // a call at t sorts before a return at t: such ops count as concurrent
    int op;
  };
  std::vector<Event> events;
  for (int op = 0; op < static_cast<int>(ops_.size()); ++op) {
    if (outcome_unknown(*ops_[op])) continue;
    events.push_back({ops_[op]->invoked_ms, false, op});
    events.push_back({ops_[op]->completed_ms, true, op});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.ms != b.ms) return a.ms < b.ms;
    if (a.is_return != b.is_return) return b.is_return;
    return a.op < b.op;
  });
  const int entries = static_cast<int>(events.size());
  call_entry_.assign(ops_.size(), 0);
  return_entry_.assign(ops_.size(), 0);
  entry_op_.assign(entries + 1, -1);
  entry_ms_.assign(entries + 1, 0);
  entry_is_call_.assign(entries + 1, false);
  next_.resize(entries + 1);
  prev_.resize(entries + 1);
  for (int e = 0; e <= entries; ++e) {
    next_[e] = (e + 1) % (entries + 1);
    prev_[e] = (e + entries) % (entries + 1);
  }
  for (int e = 1; e <= entries; ++e) {
    const Event& event = events[e - 1];
    entry_op_[e] = event.op;
    entry_ms_[e] = event.ms;
    entry_is_call_[e] = !event.is_return;
    (event.is_return ? return_entry_ : call_entry_)[event.op] = e;
  }
}

void Search::build_unknown_lists() {
  std::vector<int> unknown;  // ops_ is sorted by invocation, so this is too
  for (int op = 0; op < static_cast<int>(ops_.size()); ++op)
    if (outcome_unknown(*ops_[op])) unknown.push_back(op);
  const int nodes = static_cast<int>(unknown.size());
  unode_of_.assign(ops_.size(), 0);
  unode_op_.assign(nodes + 1, -1);
  unext_.resize(nodes + 1);
  uprev_.resize(nodes + 1);
  for (int u = 0; u <= nodes; ++u) {
    unext_[u] = (u + 1) % (nodes + 1);
    uprev_[u] = (u + nodes) % (nodes + 1);
    if (u > 0) unode_op_[u] = unknown[u - 1];
    if (u > 0) unode_of_[unknown[u - 1]] = u;
  }
  std::vector<int> by_expiry(static_cast<std::size_t>(nodes));
  for (int u = 1; u <= nodes; ++u) by_expiry[u - 1] = u;
  std::stable_sort(by_expiry.begin(), by_expiry.end(), [this](int a, int b) {
    return seen_until_ms_[unode_op_[a]] < seen_until_ms_[unode_op_[b]];
  });
  by_expiry.insert(by_expiry.begin(), 0);
  twin_.assign(ops_.size(), -1);
  std::unordered_map<std::string, int> last_with_effect;
  for (int op : unknown) {
    const std::string effect = std::string(1, static_cast<char>(ops_[op]->kind)) + ops_[op]->value;
    auto [it, first] = last_with_effect.try_emplace(effect, op);
    if (!first) twin_[op] = std::exchange(it->second, op);
  }
  xnext_.resize(nodes + 1);
  xprev_.resize(nodes + 1);
  for (int i = 0; i <= nodes; ++i) {
    xnext_[by_expiry[i]] = by_expiry[(i + 1) % (nodes + 1)];
    xprev_[by_expiry[i]] = by_expiry[(i + nodes) % (nodes + 1)];
  }
}

std::uint32_t Search::transition(std::uint32_t state, int op) {
  const Operation& operation = *ops_[op];
  switch (operation.kind) {
    case OpKind::get:
      return state == arg_state_[op] ? state : kInvalid;
    case OpKind::put:
      return arg_state_[op];
    case OpKind::del:
      return StateTable::kAbsent;
    case OpKind::cas:  // keys with a cas are searched apart (cas_search.cpp)
      return kInvalid;
    case OpKind::append:
      break;
  }
  if (state == StateTable::kUnreadable) return state;
  // Appends are memoized per (state, op): backtracking revisits the same transitions, and
  // building the concatenation costs the length of the value.
  const std::uint64_t memo_key = (std::uint64_t{state} << 32) | static_cast<std::uint32_t>(op);
  auto it = appended_.find(memo_key);
  if (it != appended_.end()) return it->second;
  std::string text = state == StateTable::kAbsent ? std::string() : states_.text(state);
  text += operation.value;
  const std::uint32_t next =
      readable(text) ? states_.intern(std::move(text)) : StateTable::kUnreadable;
  appended_.emplace(memo_key, next);
  return next;
}

void Search::flip(int op) {
  const std::size_t word = bit_of_[op] >> 6;
  linearized_[word] ^= std::uint64_t{1} << (bit_of_[op] & 63);
  set_hash_ ^= zobrist_[op];
  if (word < full_words_) full_words_ = word;  // cleared a bit of the all-ones prefix
  while (full_words_ < linearized_.size() && linearized_[full_words_] == ~std::uint64_t{0})
    ++full_words_;
}

// The search takes completed ops roughly in invocation order, so the linearized set is an
// all-ones prefix (completed ops come first in bit order) plus a few scattered words: those
// are all it takes to tell sets apart.
const std::vector<std::uint64_t>& Search::encode_set() {
  encoded_.assign(1, full_words_);
  for (std::size_t word = full_words_; word < linearized_.size(); ++word) {
    if (linearized_[word] == 0) continue;
    encoded_.push_back(word);
    encoded_.push_back(linearized_[word]);
  }
  return encoded_;
}

void Search::unlink(std::vector<int>& next, std::vector<int>& prev, int node) {
  next[prev[node]] = next[node];
  prev[next[node]] = prev[node];
}

void Search::relink(std::vector<int>& next, std::vector<int>& prev, int node) {
  next[prev[node]] = node;
  prev[next[node]] = node;
}

bool Search::try_op(int op, std::int64_t block_ms) {
  const std::uint32_t next_state = transition(state_, op);
  if (next_state == kInvalid) return false;
  // An unknown-outcome write that changes nothing here only loses the option of taking it
  // later: whatever works after it works without it.
  if (call_entry_[op] == 0 && next_state == state_) return false;
  if (mode_ != Mode::explain && !keeps_reads_possible(op, next_state)) return false;
  stack_.push_back({op, state_, block_ms, retired_.size()});
  state_ = next_state;
  take(op);
  retire_unneeded();
  if (!visited_.insert(encode_set(), set_hash_ ^ mix64(state_), state_)) {
    undo();
    return false;
  }
  ++result_.states;
  if (mode_ != Mode::verdict && stack_.size() > result_.deepest.size()) {
    result_.deepest.clear();
    for (const Step& step : stack_) result_.deepest.push_back(step.op);
  }
  return true;
}

// Whether an earlier unknown-outcome op with the same effect is still pending. Then both are
// candidates, they are interchangeable from now on (same effect, same seen_until_ms), and the
// earlier one was tried first: trying this one too would only repeat its search.
bool Search::twin_pending(int op) const {
  for (int twin = twin_[op]; twin >= 0; twin = twin_[twin])
    if ((linearized_[bit_of_[twin] >> 6] >> (bit_of_[twin] & 63) & 1) == 0) return true;
  return false;
}

void Search::take(int op) {
  flip(op);
  if (call_entry_[op] != 0) {
    unlink(next_, prev_, call_entry_[op]);
    unlink(next_, prev_, return_entry_[op]);
  } else {
    unlink(unext_, uprev_, unode_of_[op]);
    unlink(xnext_, xprev_, unode_of_[op]);
  }
}

// Drops the unknown-outcome ops that can no longer matter: every get that may have seen them
// completed before the earliest pending completion, so it has taken effect. Counting them as
// taken makes configurations that differ only in such ops look alike to the memo.
void Search::retire_unneeded() {
  int e = next_[0];
  while (entry_is_call_[e]) e = next_[e];
  if (e == 0) return;  // nothing pending: the search is about to succeed
  for (int x = xnext_[0]; x != 0 && seen_until_ms_[unode_op_[x]] < entry_ms_[e]; x = xnext_[0]) {
    retired_.push_back(unode_op_[x]);
    take(unode_op_[x]);
  }
}

Search::Step Search::undo() {
  const Step step = stack_.back();
  stack_.pop_back();
  for (; retired_.size() > step.retired_mark; retired_.pop_back()) {
    const int node = unode_of_[retired_.back()];
    relink(xnext_, xprev_, node);
    relink(unext_, uprev_, node);
    flip(retired_.back());
  }
  if (call_entry_[step.op] != 0) {
    relink(next_, prev_, return_entry_[step.op]);
    relink(next_, prev_, call_entry_[step.op]);
  } else {
    relink(xnext_, xprev_, unode_of_[step.op]);
    relink(unext_, uprev_, unode_of_[step.op]);
  }
  flip(step.op);
  state_ = step.prev_state;
  return step;
}

// Takes back choices until one leaves an untried alternative; false when none does.
bool Search::backtrack(Cursor& cursor) {
  while (!stack_.empty()) {
    const Step step = undo();
    // A read is only ever taken as the single move of its node (see run), so when it fails
    // its node is dead too.
    if (ops_[step.op]->kind == OpKind::get) continue;
    cursor.fresh = false;
    cursor.in_main = call_entry_[step.op] != 0;
    cursor.at = cursor.in_main ? next_[call_entry_[step.op]] : unext_[unode_of_[step.op]];
    cursor.block_ms = step.block_ms;
    examine_node();
    return true;
  }
  return false;
}

// Looks at the moves of the current node: finds a get that fits, or else notes what the
// pending gets still need: those among the candidates, and the one that completes first.
void Search::examine_node() {
  fitting_read_ = -1;
  needs_count_ = 0;
  int e = next_[0];
  for (; entry_is_call_[e]; e = next_[e]) {
    const int op = entry_op_[e];
    if (ops_[op]->kind != OpKind::get) continue;
    if (arg_state_[op] == state_) {
      fitting_read_ = op;  // the only move tried here (see run), so nothing else is needed
      return;
    }
    note_needs(op);
  }
  for (; e != 0; e = next_[e]) {
    const int op = entry_op_[e];
    if (entry_is_call_[e] || ops_[op]->kind != OpKind::get) continue;
    if (std::none_of(needs_.begin(), needs_.begin() + static_cast<std::ptrdiff_t>(needs_count_),
                     [op](const ReadNeeds& needs) { return needs.read == op; }))
      note_needs(op);
    break;
  }
}

// Collects the ops that may still go before the pending `read`: those invoked by the time it
// completed (any later one must follow it).
void Search::note_needs(int read) {
  if (needs_count_ == needs_.size()) needs_.emplace_back();
  ReadNeeds& needs = needs_[needs_count_++];
  needs.read = read;
  needs.appends.clear();
  needs.useful_resets.clear();
  const std::int64_t until = ops_[read]->completed_ms;
  result_.frontier_ms = std::max(result_.frontier_ms, until);  // the pruning looks that far
  movable_.clear();
  for (int e = next_[0]; e != 0 && entry_ms_[e] <= until; e = next_[e])
    if (entry_is_call_[e] && entry_op_[e] != read) movable_.push_back(entry_op_[e]);
  for (int u = unext_[0]; u != 0 && ops_[unode_op_[u]]->invoked_ms <= until; u = unext_[u])
    movable_.push_back(unode_op_[u]);
  for (int op : movable_)
    if (ops_[op]->kind == OpKind::append && !ops_[op]->value.empty()) needs.appends.push_back(op);
  for (int op : movable_) {
    const OpKind kind = ops_[op]->kind;
    if ((kind == OpKind::put && read_possible_from(needs, arg_state_[op])) ||
        (kind == OpKind::del && read_possible_from(needs, StateTable::kAbsent)))
      needs.useful_resets.push_back(op);
  }
}

// Whether the read can still return its value when the value is `state` and, until the read,
// only the appends that may go before it follow.
bool Search::read_possible_from(const ReadNeeds& needs, std::uint32_t state) {
  if (state == StateTable::kUnreadable) return false;
  const std::uint32_t want = arg_state_[needs.read];
  if (want == StateTable::kAbsent) return state == StateTable::kAbsent;
  if (state == StateTable::kAbsent) return appends_can_finish(needs, 0);
  const std::string& have = states_.text(state);
  return states_.text(want).starts_with(have) && appends_can_finish(needs, have.size());
}

// Whether the rest of the read's value from `from` on is a concatenation of values of the
// appends that may go before it. Each may be used more than once: that over-approximates,
// which only weakens the pruning.
bool Search::appends_can_finish(const ReadNeeds& needs, std::size_t from) {
  const std::string& want = states_.text(arg_state_[needs.read]);
  if (reached_.size() <= want.size()) reached_.resize(want.size() + 1, 0);
  ++stamp_;
  positions_.assign(1, from);
  reached_[from] = stamp_;
  while (!positions_.empty()) {
    const std::size_t at = positions_.back();
    positions_.pop_back();
    if (at == want.size()) return true;
    for (int op : needs.appends) {
      const std::string& value = ops_[op]->value;
      if (want.compare(at, value.size(), value) != 0 || reached_[at + value.size()] == stamp_)
        continue;
      reached_[at + value.size()] = stamp_;
      positions_.push_back(at + value.size());
    }
  }
  return false;
}

// False when the write `op`, leaving `next_state`, makes some pending read impossible: unless
// a put/delete leading to the read's value may still go before it, only appends can, and
// appends only extend the value.
bool Search::keeps_reads_possible(int op, std::uint32_t next_state) {
  if (ops_[op]->kind == OpKind::get) return true;
  for (std::size_t i = 0; i < needs_count_; ++i) {
    const ReadNeeds& needs = needs_[i];
    const bool reset_left = std::any_of(needs.useful_resets.begin(), needs.useful_resets.end(),
                                        [op](int reset) { return reset != op; });
    if (!reset_left && !read_possible_from(needs, next_state)) return false;
  }
  return true;
}

SearchResult Search::run() {
  Cursor c;
  while (result_.states <= max_states_) {
    if (c.fresh) {
      c = Cursor{false, true, next_[0], 0};
      if (c.at == 0) return result_;  // every completed op has taken effect
      // A read that fits the state may as well go now: it changes nothing and no pending op
      // must precede it, so any order that works still works with it moved here. It is then
      // the only move worth trying, which saves exploring the orders of the writes around it.
      examine_node();
      const int read = fitting_read_;
      if (read >= 0 && try_op(read, 0)) c.fresh = true;
      if (read >= 0 && !c.fresh && !backtrack(c)) return finish(Outcome::violation);
      if (read >= 0) continue;
    }
    if (c.in_main && entry_is_call_[c.at]) {
      const int op = entry_op_[c.at];  // no get fits here: only writes can go next
      if (ops_[op]->kind != OpKind::get && try_op(op, 0)) c.fresh = true;
      if (!c.fresh) c.at = next_[c.at];
      continue;
    }
    if (c.in_main) {
      // The earliest pending completion: nothing invoked after it may take effect first.
      c.block_ms = entry_ms_[c.at];
      result_.frontier_ms = std::max(result_.frontier_ms, c.block_ms);
      c.in_main = false;
      c.at = unext_[0];
      continue;
    }
    if (c.at != 0 && ops_[unode_op_[c.at]]->invoked_ms <= c.block_ms) {
      if (!twin_pending(unode_op_[c.at]) && try_op(unode_op_[c.at], c.block_ms)) c.fresh = true;
      if (!c.fresh) c.at = unext_[c.at];
      continue;
    }
    // Dead end: no candidate works here, so take back the last choice and try the next one.
    if (!backtrack(c)) return finish(Outcome::violation);
  }
  return finish(Outcome::inconclusive);
}

struct KeyCheck {
  OpList ops;  // the ops searched (prepare_key), indexed by SearchResult::deepest
  SearchResult search;
};

KeyCheck check_key(const OpList& ops, std::uint64_t max_states,
                   Search::Mode mode = Search::Mode::verdict) {
  const PreparedKey key = prepare_key(ops);
  return KeyCheck{key.ops, Search(key, max_states, mode).run()};
}

// Greedy shrinking in the style of delta debugging: remove chunks of halving size, then single
// ops until none can go, keeping each removal after which the history still fails.
//
// A write stays while a remaining get may have seen it (latest_sightings). Then the smaller
// history is linearizable if the larger one is, since every remaining get sees the same value
// in the same order without the removed ops: its failure is one of the whole history, not one
// made up by the removal (say, of the delete that explains a later null read). That also keeps
// the story: the smallest history of a stale read is not the lone get, wrongly suggesting that
// nothing ever wrote what it read.
class Shrinker {
 public:
  Shrinker(OpList failing, const SearchResult& failed, std::uint64_t max_states)
      : current_(std::move(failing)),
        frontier_ms_(failed.frontier_ms),
        recheck_states_(
            std::min(max_states, std::max(kShrinkMinRecheckStates, 4 * failed.states))) {}

  OpList run();

 private:
  bool exhausted() const { return work_ >= kShrinkMaxWork; }
  std::size_t first_late() const;
  bool keep_last_few();
  bool drop_late();
  bool pass(std::size_t chunk);
  template <typename Removed>
  bool try_without(Removed removed);

  OpList current_;            // in invocation order, failing
  std::int64_t frontier_ms_;  // of current_'s failed search
  std::uint64_t recheck_states_;
  std::uint64_t work_ = 0;
};

OpList Shrinker::run() {
  if (!keep_last_few()) drop_late();
  for (std::size_t chunk = current_.size() / 2; chunk > 1;
       chunk = std::min(chunk / 2, current_.size() / 2))
    pass(chunk);
  while (pass(1)) {
  }
  return current_;
}

// The first op invoked after the frontier of current_'s failed search. No op from there on was
// ever a candidate in that search, so without them the same search fails the same way.
std::size_t Shrinker::first_late() const {
  return static_cast<std::size_t>(
      std::find_if(current_.begin(), current_.end(),
                   [this](const Operation* op) { return op->invoked_ms > frontier_ms_; }) -
      current_.begin());
}

// A violation usually shows within the last few ops before the frontier: trying to keep only
// the last 16, 32, 64... of them is cheap, whereas on a long history each recheck of a half is
// about as costly as the first check.
bool Shrinker::keep_last_few() {
  const std::size_t late = first_late();
  for (std::size_t keep = 16; keep < late / 2 && !exhausted(); keep *= 2)
    if (try_without([late, keep](std::size_t i) { return i < late - keep || i >= late; }))
      return true;
  return false;
}

bool Shrinker::drop_late() {
  const std::size_t late = first_late();
  return late < current_.size() && try_without([late](std::size_t i) { return i >= late; });
}

bool Shrinker::pass(std::size_t chunk) {
  bool removed_any = false;
  for (std::size_t i = 0; i < current_.size() && !exhausted();) {
    const std::size_t end = std::min(i + chunk, current_.size());
    if (try_without([i, end](std::size_t j) { return j >= i && j < end; })) {
      removed_any = true;
      drop_late();
    } else {
      i += chunk;
    }
  }
  return removed_any;
}

// Tries without the ops at the positions `removed` picks, but the writes that the other gets
// may have seen.
template <typename Removed>
bool Shrinker::try_without(Removed removed) {
  if (exhausted()) return false;
  const std::vector<std::int64_t> seen = latest_sightings(
      current_, [&](std::size_t i) { return removed(i) == (current_[i]->kind != OpKind::get); },
      work_);
  OpList trial;
  for (std::size_t i = 0; i < current_.size(); ++i)
    if (!removed(i) || seen[i] != kUnseen) trial.push_back(current_[i]);
  if (trial.size() == current_.size() || trial.empty()) return false;
  const KeyCheck check = check_key(trial, recheck_states_);
  work_ += trial.size() + check.search.states;
  // An inconclusive recheck counts as passing: the report must only show proven failures.
  if (check.search.outcome != Outcome::violation) return false;
  current_ = std::move(trial);  // with the writes prepare_key drops, which may tell the story
  frontier_ms_ = check.search.frontier_ms;
  return true;
}

// ---- The readable report.

std::optional<std::string> apply_write(std::optional<std::string> state, const Operation& op) {
  switch (op.kind) {
    case OpKind::put:
      return op.value;
    case OpKind::append:
      return state.value_or("") + op.value;
    case OpKind::del:
      return std::nullopt;
    case OpKind::cas:  // keys with a cas are searched apart (cas_search.cpp)
    case OpKind::get:
      break;
  }
  return state;
}

// Why the search failed, from its deepest point: the longest order consistent with real time
// and the model, and why each completed op that could come next does not fit. `ops` are the
// ops listed (numbered from 1), `searched` those the search saw.
std::string explain_dead_end(const OpList& ops, const OpList& searched,
                             const std::vector<int>& deepest) {
  auto number = [&ops](const Operation* op) {
    return "#" + std::to_string(std::find(ops.begin(), ops.end(), op) - ops.begin() + 1);
  };
  std::vector<const Operation*> taken;
  std::optional<std::string> state;
  std::string text = "The longest consistent order found: ";
  if (deepest.empty()) text += "none (no operation can take effect first).\n";
  for (std::size_t i = 0; i < deepest.size(); ++i) {
    const Operation* op = searched[deepest[i]];
    taken.push_back(op);
    state = apply_write(std::move(state), *op);
    if (i >= 20 && i + 10 < deepest.size()) continue;  // long orders: show the start and end
    text += (i == 0 ? "" : ", ") + number(op);
    if (outcome_unknown(*op)) text += " (outcome unknown, taken as applied)";
    if (i == 19 && deepest.size() > 30) text += ", ...";
  }
  if (!deepest.empty()) text += "; the value is then " + shown(state) + ".\n";
  auto pending = [&taken](const Operation* op) {
    return !outcome_unknown(*op) && std::find(taken.begin(), taken.end(), op) == taken.end();
  };
  const Operation* blocker = nullptr;  // the pending op that completes first
  for (const Operation* op : searched)
    if (pending(op) && (!blocker || op->completed_ms < blocker->completed_ms)) blocker = op;
  if (!blocker) return text;
  text += "Next must come an op invoked by " + std::to_string(blocker->completed_ms) + ", when " +
          number(blocker) + " completes, and none fits:\n";
  for (const Operation* op : searched) {
    if (!pending(op) || op->invoked_ms > blocker->completed_ms) continue;
    text += "  " + number(op) + " ";
    if (op->kind == OpKind::get && op->result != state)
      text += "would read " + shown(state) + ", not " + shown(op->result) + "\n";
    else
      text += "fits here, but no order of the remaining ops works after it\n";
  }
  return text;
}

std::string explain_violation(const std::string& key, const OpList& ops, const KeyCheck& check) {
  std::string text = "key " + quoted(key) + ": no linearizable order exists for " +
                     (ops.size() == 1 ? std::string("this operation")
                                      : "these " + std::to_string(ops.size()) + " operations") +
                     " (in invocation order):\n";
  text += list_ops(ops);
  text += "Every order that respects real time and the key-value semantics fails (" +
          std::to_string(check.search.states) + " states searched).\n";
  text += explain_dead_end(ops, check.ops, check.search.deepest);
  if (std::any_of(ops.begin(), ops.end(), [](const Operation* op) { return outcome_unknown(*op); }))
    text += "Writes with an unknown outcome may also never take effect; that fails too.\n";
  return text;
}

// Writes left out of the smallest history that wrote what one of its gets read, but began only
// after that get completed: the history is complete without them, yet they tell the story of a
// read from the future.
std::string late_writers(const OpList& all, const OpList& smallest) {
  std::string text;
  for (std::size_t i = 0; i < smallest.size(); ++i) {
    const Operation& read = *smallest[i];
    if (read.kind != OpKind::get || !read.result) continue;
    for (const Operation* write : all)
      if (writes_value(*write) && !write->value.empty() && write->invoked_ms > read.completed_ms &&
          read.result->find(write->value) != std::string::npos &&
          std::find(smallest.begin(), smallest.end(), write) == smallest.end())
        text += "Note: #" + std::to_string(i + 1) + " read what " + describe(*write) +
                " wrote, but that began only after #" + std::to_string(i + 1) + " completed.\n";
  }
  return text;
}

// `ops`: the key's history, in invocation order; `failing`: its failed check.
void report_violation(LinearizabilityReport& report, const std::string& key, const OpList& ops,
                      const KeyCheck& failing, std::uint64_t max_states) {
  const OpList smallest = Shrinker(ops, failing.search, max_states).run();
  // Without its pruning the search may take long; with it, it fails as the shrinker saw.
  const std::uint64_t unpruned_states =
      std::min(max_states, std::max(kShrinkMinRecheckStates, 4 * failing.search.states));
  KeyCheck explained = check_key(smallest, unpruned_states, Search::Mode::explain);
  if (explained.search.outcome != Outcome::violation)
    explained = check_key(smallest, max_states, Search::Mode::explain_pruned);
  report.ok = false;
  report.key = key;
  for (const Operation* op : smallest) report.history.push_back(*op);
  report.explanation = explain_violation(key, smallest, explained) + late_writers(ops, smallest);
}

}  // namespace

LinearizabilityReport check_linearizable(const std::vector<Operation>& history,
                                         std::uint64_t max_states_per_key) {
  std::map<std::string, OpList> by_key;  // ordered: the first failing key is deterministic
  for (const Operation& op : history) {
    if (op.completed_ms < op.invoked_ms)
      throw std::invalid_argument("operation completes before it is invoked: " + describe(op));
    by_key[op.key].push_back(&op);
  }
  LinearizabilityReport report;
  std::string gave_up;
  for (const auto& [key, ops] : by_key) {
    if (std::any_of(ops.begin(), ops.end(),
                    [](const Operation* op) { return op->kind == OpKind::cas; })) {
      const CasKeyVerdict verdict = check_cas_key(key, ops, max_states_per_key);
      report.states_explored += verdict.states;
      if (verdict.outcome == CasKeyVerdict::Outcome::violation) {
        report.ok = false;
        report.key = key;
        report.history = verdict.history;
        report.explanation = verdict.explanation;
        return report;
      }
      if (verdict.outcome == CasKeyVerdict::Outcome::inconclusive) {
        report.inconclusive = true;
        gave_up += "inconclusive: gave up on key " + quoted(key) + " (" +
                   std::to_string(verdict.ops) + " ops) after " +
                   std::to_string(max_states_per_key) + " states\n";
      }
      continue;
    }
    const KeyCheck check = check_key(ops, max_states_per_key);
    report.states_explored += check.search.states;
    if (check.search.outcome == Outcome::violation) {
      OpList sorted;  // gets with an unknown outcome say nothing, also in the report
      for (const Operation* op : ops)
        if (op->kind != OpKind::get || !outcome_unknown(*op)) sorted.push_back(op);
      sort_by_invocation(sorted);
      report_violation(report, key, sorted, check, max_states_per_key);
      return report;
    }
    if (check.search.outcome == Outcome::inconclusive) {
      report.inconclusive = true;
      gave_up += "inconclusive: gave up on key " + quoted(key) + " (" +
                 std::to_string(check.ops.size()) + " ops) after " +
                 std::to_string(max_states_per_key) + " states\n";
    }
  }
  report.explanation = gave_up;
  return report;
}

}  // namespace paxoskv::sim
