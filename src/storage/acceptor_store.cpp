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

// Reads one record into either `promised` or `accepted`; returns what is wrong, "" if fine.
std::string read_record(const json::object& o, std::optional<Ballot>& promised,
                        std::optional<AcceptedEntry>& accepted) {
  if (o.contains("promised")) {
    Ballot b;
    if (auto e = json_form::read_ballot(o, "promised", b); !e.empty()) return e;
    promised = b;
    return "";
  }
  if (!o.contains("slot")) return "neither a promise nor an accepted entry";
  AcceptedEntry entry;
  if (auto e = json_form::read_u64(o, "slot", entry.slot); !e.empty()) return e;
  if (auto e = json_form::read_ballot(o, "ballot", entry.ballot); !e.empty()) return e;
  if (auto e = json_form::read_command(o, entry.command); !e.empty()) return e;
  accepted = std::move(entry);
  return "";
}

}  // namespace

AcceptorStore::AcceptorStore(const std::filesystem::path& dir, const std::string& site,
                             std::size_t compact_slack, FileSystem& fs)
    : file_(fs), compact_slack_(compact_slack) {
  const std::filesystem::path path = dir / (site + "_state.json");
  // A damaged last record is refused, not cut as if torn: it may be the newest promise.
  std::vector<json::object> records =
      file_.open(path, site, "records", TailRule::torn_append_only, kReserveBytes);
  // A file of an older version has no checksum in any record; once written by this one, it
  // has one in every record, so a record without one among others is damage (its key hit).
  const auto checked = static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(),
                    [](const json::object& o) { return o.contains(kChecksumKey); }));
  const bool legacy = checked == 0 && !records.empty();
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto refuse = [&](const std::string& what) {
      refuse_corrupt(
          path, "line " + std::to_string(i + 2) + ": record " + std::to_string(i) + ": " + what);
    };
    if (!legacy && !records[i].contains(kChecksumKey)) refuse("no checksum");
    if (!legacy)
      if (std::string e = checksum_problem(records[i]); !e.empty()) refuse(e);
    std::optional<Ballot> promised;
    std::optional<AcceptedEntry> accepted;
    if (std::string e = read_record(records[i], promised, accepted); !e.empty()) refuse(e);
    // Folding: a promise only ever rises; a later accept for a slot supersedes an earlier one.
    if (promised) promised_ = std::max(promised_, *promised);
    if (accepted) accepted_[accepted->slot] = std::move(*accepted);
  }
  record_count_ = records.size();
  if (legacy) {
    // Upgrade in place (atomically), so that from now on every record has its checksum.
    rewrite_live();
  }
}

void AcceptorStore::record(std::optional<Ballot> promised,
                           const std::vector<AcceptedEntry>& accepted) {
  // An acceptor that lowered its promise would break every promise it made before.
  assert(!promised || *promised >= promised_);
  std::vector<std::string> records;
  records.reserve(accepted.size() + 1);
  if (promised) records.push_back(with_checksum_text(promise_text(*promised)));
  for (const AcceptedEntry& e : accepted) records.push_back(with_checksum_text(accepted_text(e)));
  file_.append_text(records);
  record_count_ += records.size();
  if (promised) promised_ = *promised;
  for (const AcceptedEntry& e : accepted) accepted_[e.slot] = e;
}

void AcceptorStore::forget_below(Slot decided_end) {
  accepted_.erase(accepted_.begin(), accepted_.lower_bound(decided_end));
  maybe_compact();
}

void AcceptorStore::sync() {
  file_.sync();
}

void AcceptorStore::maybe_compact() {
  const std::size_t live = (promised_.is_null() ? 0 : 1) + accepted_.size();
  if (record_count_ <= 2 * live + compact_slack_) return;
  rewrite_live();
}

void AcceptorStore::rewrite_live() {
  // Any promise read is kept, even one of round 0 (which a site never makes, but a file may
  // hold): the rewritten file must fold to exactly the same state.
  const bool promise = promised_ != Ballot{};
  const std::size_t live = (promise ? 1 : 0) + accepted_.size();
  std::vector<std::string> records;
  records.reserve(live);
  if (promise) records.push_back(with_checksum_text(promise_text(promised_)));
  for (const auto& [slot, entry] : accepted_)
    records.push_back(with_checksum_text(accepted_text(entry)));
  assert(records.size() == live);
  // Atomic and fsynced: the file holds the live state before and after, never less. Records
  // appended but not yet synced are in memory, so they are kept (and made durable) too.
  file_.rewrite_text(records);
  record_count_ = live;
}

}  // namespace paxoskv::storage
