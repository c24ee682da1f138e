#include "storage/acceptor_store.hpp"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "storage/corruption.hpp"

namespace paxoskv::storage {

namespace json = boost::json;

namespace {

json::object promise_record(Ballot b) {
  json::object o;
  o["promised"] = json_form::ballot_to_json(b);
  return o;
}

json::object accepted_record(const AcceptedEntry& e) {
  json::object o;
  o["slot"] = e.slot;
  o["ballot"] = json_form::ballot_to_json(e.ballot);
  json_form::put_command(o, e.command);
  return o;
}

// promise_record and accepted_record as text.
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
                             std::size_t compact_slack)
    : compact_slack_(compact_slack) {
  const std::filesystem::path path = dir / (site + "_state.json");
  std::vector<json::object> records = file_.open(path, site, "records");
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::optional<Ballot> promised;
    std::optional<AcceptedEntry> accepted;
    if (std::string e = read_record(records[i], promised, accepted); !e.empty())
      refuse_corrupt(path,
                     "line " + std::to_string(i + 2) + ": record " + std::to_string(i) + ": " + e);
    // Folding: a promise only ever rises; a later accept for a slot supersedes an earlier one.
    if (promised) promised_ = std::max(promised_, *promised);
    if (accepted) accepted_[accepted->slot] = std::move(*accepted);
  }
  record_count_ = records.size();
}

void AcceptorStore::record(std::optional<Ballot> promised,
                           const std::vector<AcceptedEntry>& accepted) {
  // An acceptor that lowered its promise would break every promise it made before.
  assert(!promised || *promised >= promised_);
  std::vector<std::string> records;
  records.reserve(accepted.size() + 1);
  if (promised) records.push_back(promise_text(*promised));
  for (const AcceptedEntry& e : accepted) records.push_back(accepted_text(e));
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
  std::vector<json::object> records;
  records.reserve(live);
  if (!promised_.is_null()) records.push_back(promise_record(promised_));
  for (const auto& [slot, entry] : accepted_) records.push_back(accepted_record(entry));
  assert(records.size() == live);
  // Atomic and fsynced: the file holds the live state before and after, never less. Records
  // appended but not yet synced are in memory, so they are kept (and made durable) too.
  file_.rewrite(records);
  record_count_ = live;
}

}  // namespace paxoskv::storage
