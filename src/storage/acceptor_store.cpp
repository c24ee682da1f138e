#include "storage/acceptor_store.hpp"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "paxoskv/chain.hpp"
#include "storage/corruption.hpp"

namespace paxoskv::storage {

namespace json = boost::json;

namespace {

constexpr std::string_view kChecksumKey = "checksum";
constexpr std::size_t kChecksumBytes = 8;  // of SHA-256: 64 bits catch any accidental damage

// The checksum of a record: the first 8 bytes of SHA-256 over the record serialized without
// its checksum member, in hex. Serialization keeps member order, so writer and reader agree.
std::string checksum_of_text(std::string_view bytes) {
  const Hash digest = sha256(bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * kChecksumBytes);
  for (std::size_t i = 0; i < kChecksumBytes; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string checksum_of(const json::object& record) {
  return checksum_of_text(json::serialize(record));
}

// What is wrong with the checksum of a record that has one; "" if it matches.
std::string checksum_problem(const json::object& record) {
  const json::value& stored = record.at(kChecksumKey);
  if (!stored.is_string()) return "checksum is not a string";
  json::object body = record;
  body.erase(kChecksumKey);
  std::string computed = checksum_of(body);
  if (stored.get_string() != computed)
    return "checksum mismatch (stored " + std::string(stored.get_string()) + ", computed " +
           computed + "): the record was altered";
  return "";
}

// `record`, the text of a JSON object, with its checksum as the last member. The reader checks
// it against json::serialize of the record without that member (checksum_problem): the text
// writers produce exactly those bytes (tests/unit/net/text_codec_test.cpp compares them).
std::string with_checksum_text(std::string record) {
  const std::string sum = checksum_of_text(record);
  record.pop_back();  // the closing '}'
  record += ",\"";
  record += kChecksumKey;
  record += "\":\"";
  record += sum;
  record += "\"}";
  return record;
}

// The two kinds of record, as text without their checksum.
std::string promise_text(Ballot b) {
  std::string out = "{\"promised\":";
  json_text::append_ballot(out, b);
  out += '}';
  return out;
}

std::string accepted_text(const AcceptedEntry& e) {
  std::string out = "{\"slot\":";
  json_text::append_u64(out, e.slot);
  out += ",\"ballot\":";
  json_text::append_ballot(out, e.ballot);
  out += ',';
  json_text::append_command_fields(out, e.command);
  out += '}';
  return out;
}

// The record that says the decided log is durable below `end` (see forget_below).
std::string log_durable_text(Slot end) {
  std::string out = "{\"log_durable\":";
  json_text::append_u64(out, end);
  out += '}';
  return out;
}

constexpr std::string_view kRecoveryPending = "pending";
constexpr std::string_view kRecoveryDone = "done";

std::string recovery_text(std::string_view state) {
  std::string out = "{\"recovery\":\"";
  out += state;
  out += "\"}";
  return out;
}

// `record` (a record's text without its checksum), marked as the first of an append of `count`
// records: at open, damage inside the last append is a power cut's doing (see open_tail).
std::string with_batch(std::string record, std::size_t count) {
  record.pop_back();  // the closing '}'
  record += ",\"batch\":";
  json_text::append_u64(record, count);
  record += '}';
  return record;
}

// Reads one record into `promised`, `accepted`, `log_durable` or `recovery_done`; returns
// what is wrong, "" if fine.
std::string read_record(const json::object& o, std::optional<Ballot>& promised,
                        std::optional<AcceptedEntry>& accepted, std::optional<Slot>& log_durable,
                        std::optional<bool>& recovery_done) {
  if (const json::value* recovery = o.if_contains("recovery")) {
    const json::string* state = recovery->if_string();
    if (state && *state == kRecoveryPending) {
      recovery_done = false;
    } else if (state && *state == kRecoveryDone) {
      recovery_done = true;
    } else {
      return "recovery is neither \"pending\" nor \"done\"";
    }
    return "";
  }
  if (o.contains("log_durable")) {
    Slot end = 0;
    if (auto e = json_form::read_u64(o, "log_durable", end); !e.empty()) return e;
    log_durable = end;
    return "";
  }
  if (o.contains("promised")) {
    Ballot b;
    if (auto e = json_form::read_ballot(o, "promised", b); !e.empty()) return e;
    promised = b;
    return "";
  }
  if (!o.contains("slot"))
    return "neither a promise, an accepted entry, a durable point nor a recovery";
  AcceptedEntry entry;
  if (auto e = json_form::read_u64(o, "slot", entry.slot); !e.empty()) return e;
  if (auto e = json_form::read_ballot(o, "ballot", entry.ballot); !e.empty()) return e;
  if (auto e = json_form::read_command(o, entry.command); !e.empty()) return e;
  accepted = std::move(entry);
  return "";
}

// The records from `index` on, the first damaged, may be a power cut's doing only if they all
// belong to the last append, whose fsync may not have returned: every earlier append was
// fsynced before the next was written. The first record of an append says how many records it
// wrote. Either the damage lies within the last append that says so, or it starts right where
// that one ended (a rewritten file's records are one fsynced whole) and is the first record of
// an append whose "batch" the power cut took, with no later append after it.
bool in_last_append(std::size_t index, const std::vector<json::object>& before,
                    const std::vector<json::object>& after, std::size_t lines) {
  std::size_t append_end = 0;  // where the last append known from `before` ends
  for (std::size_t i = before.size(); i-- > 0;) {
    const json::value* batch = before[i].if_contains("batch");
    if (!batch) continue;
    boost::system::error_code ec;
    const auto count = batch->to_number<std::uint64_t>(ec);
    if (ec) return false;
    if (i + count >= index + lines) return true;
    append_end = i + count;
    break;
  }
  if (append_end != 0 && append_end != index) return false;
  return std::none_of(after.begin(), after.end(),
                      [](const json::object& o) { return o.contains("batch"); });
}

}  // namespace

AcceptorStore::AcceptorStore(const std::filesystem::path& dir, const std::string& site,
                             std::size_t compact_slack, FileSystem& fs)
    : file_(fs), compact_slack_(compact_slack) {
  const std::filesystem::path path = dir / (site + "_state.json");
  // A damaged last record is cut only where a torn write shows: it may be the newest promise.
  std::vector<json::object> records =
      file_.open(path, site, "records", TailRule::torn_append_only, kReserveBytes, in_last_append);
  // A file of an older version has no checksum in any record; once written by this one, it
  // has one in every record, so a record without one among others is damage (its key hit).
  const auto checked = static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(),
                    [](const json::object& o) { return o.contains(kChecksumKey); }));
  const bool legacy = checked == 0 && !records.empty();
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string problem;
    if (!legacy && !records[i].contains(kChecksumKey)) problem = "no checksum";
    if (problem.empty() && !legacy) problem = checksum_problem(records[i]);
    std::optional<Ballot> promised;
    std::optional<AcceptedEntry> accepted;
    std::optional<Slot> log_durable;
    std::optional<bool> recovery_done;
    if (problem.empty())
      problem = read_record(records[i], promised, accepted, log_durable, recovery_done);
    if (!problem.empty()) {
      // Damage inside the last append is a power cut's or a crash's doing when that append
      // was torn: its closing brackets were missing (a torn write's prefix can still parse,
      // "{" before the old "}"), or it shows a sector that kept its old bytes (a sector lost
      // inside a value still parses; only the checksum shows it). A flipped bit shows
      // neither and is refused wherever it is.
      const std::vector<json::object> before(records.begin(), records.begin() + i);
      const std::vector<json::object> after(records.begin() + i + 1, records.end());
      if (!in_last_append(i, before, after, records.size() - i) ||
          !(file_.repaired() || file_.shows_torn_write_from(i)))
        refuse_corrupt(path, "line " + std::to_string(i + 2) + ": record " + std::to_string(i) +
                                 ": " + problem);
      file_.cut_to(i);
      records.resize(i);
      break;
    }
    // Folding: a promise only ever rises; a later accept for a slot supersedes an earlier one.
    if (promised) promised_ = std::max(promised_, *promised);
    if (accepted) accepted_[accepted->slot] = std::move(*accepted);
    if (log_durable) log_durable_ = std::max(log_durable_, *log_durable);
    // The last word: a recovery that started after one ended is pending again.
    if (recovery_done) recovery_ = *recovery_done ? Recovery::done : Recovery::pending;
  }
  // Records forgotten by a version without durable points leave no trace of where they were.
  knows_log_durable_ =
      records.empty() || std::any_of(records.begin(), records.end(), [](const json::object& o) {
        return o.contains("batch") || o.contains("log_durable");
      });
  record_count_ = records.size();
  blank_ = records.empty();
  if (legacy && !records.empty()) {
    // Upgrade in place (atomically), so that from now on every record has its checksum.
    rewrite_live();
  } else if (!records.empty()) {
    // A process crash keeps what the previous run appended before its fsync returned. This
    // run's first append must not join it unsynced: open() tells a power cut's damage only in
    // the last append (in_last_append), so the previous run's is made durable first.
    file_.sync();
  }
}

void AcceptorStore::record(std::optional<Ballot> promised,
                           const std::vector<AcceptedEntry>& accepted, bool recovered) {
  // An acceptor that lowered its promise would break every promise it made before.
  // A lower promise than one recorded before is a bug of the caller (the simulator injects
  // one); the file folds to the highest either way, as memory does here.
  assert(!recovered || promised);
  std::vector<std::string> records;
  records.reserve(accepted.size() + 2);
  if (promised) records.push_back(promise_text(*promised));
  if (recovered) records.push_back(recovery_text(kRecoveryDone));
  for (const AcceptedEntry& e : accepted) records.push_back(accepted_text(e));
  append(std::move(records));
  if (promised) promised_ = std::max(promised_, *promised);
  if (recovered) recovery_ = Recovery::done;
  for (const AcceptedEntry& e : accepted) accepted_[e.slot] = e;
}

void AcceptorStore::record_recovery_pending() {
  append({recovery_text(kRecoveryPending)});
  recovery_ = Recovery::pending;
  sync();
}

void AcceptorStore::append(std::vector<std::string> records) {
  if (log_durable_unwritten_) {
    records.push_back(log_durable_text(log_durable_));
    log_durable_unwritten_ = false;
  }
  if (records.empty()) return;
  records.front() = with_batch(std::move(records.front()), records.size());
  for (std::string& record : records) record = with_checksum_text(std::move(record));
  file_.append_text(records);
  record_count_ += records.size();
}

void AcceptorStore::forget_below(Slot decided_end) {
  if (decided_end <= log_durable_) return;
  log_durable_ = decided_end;
  accepted_.erase(accepted_.begin(), accepted_.lower_bound(decided_end));
  // Written with the next append, not alone: every append is fsynced before the next one is
  // written, which is what lets open() tell a power cut's damage (in the last append only)
  // from damage to what was fsynced. Until then a restart trusts the point recorded before,
  // and the records forgotten here are still in the file: only a rewrite removes records,
  // and a rewrite records the current point.
  log_durable_unwritten_ = true;
  maybe_compact();
}

void AcceptorStore::sync() {
  if (log_durable_unwritten_) append({});
  file_.sync();
}

void AcceptorStore::maybe_compact() {
  const std::size_t live = (promised_.is_null() ? 0 : 1) + (log_durable_ > 0 ? 1 : 0) +
                           (recovery_ != Recovery::none ? 1 : 0) + accepted_.size();
  if (record_count_ <= 2 * live + compact_slack_) return;
  rewrite_live();
}

void AcceptorStore::rewrite_live() {
  // Any promise read is kept, even one of round 0 (which a site never makes, but a file may
  // hold): the rewritten file must fold to exactly the same state.
  const bool promise = promised_ != Ballot{};
  // A recovery still pending must survive the rewrite, or the next start would trust an empty
  // promise; "done" is kept too, so that the file never reads as blank again.
  const bool recovery = recovery_ != Recovery::none;
  const std::size_t live =
      (promise ? 1 : 0) + (log_durable_ > 0 ? 1 : 0) + (recovery ? 1 : 0) + accepted_.size();
  std::vector<std::string> records;
  records.reserve(live);
  if (promise) records.push_back(with_checksum_text(promise_text(promised_)));
  if (log_durable_ > 0) records.push_back(with_checksum_text(log_durable_text(log_durable_)));
  log_durable_unwritten_ = false;  // the rewrite records it
  if (recovery)
    records.push_back(with_checksum_text(
        recovery_text(recovery_ == Recovery::pending ? kRecoveryPending : kRecoveryDone)));
  for (const auto& [slot, entry] : accepted_)
    records.push_back(with_checksum_text(accepted_text(entry)));
  assert(records.size() == live);
  // Atomic and fsynced: the file holds the live state before and after, never less. Records
  // appended but not yet synced are in memory, so they are kept (and made durable) too.
  file_.rewrite_text(records);
  record_count_ = live;
}

}  // namespace paxoskv::storage
