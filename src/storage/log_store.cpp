#include "storage/log_store.hpp"

#include <cassert>
#include <utility>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "storage/corruption.hpp"

namespace paxoskv::storage {

namespace json = boost::json;

namespace {

// One entry's element: {"slot":N, the command's fields (json_form), "hash":"hex"}.
std::string entry_text(const LogEntry& e) {
  std::string out = "{\"slot\":";
  json_text::append_u64(out, e.slot);
  out += ',';
  json_text::append_command_fields(out, e.command);
  out += ",\"hash\":\"";
  out += to_hex(e.hash);
  out += "\"}";
  return out;
}

json::object start_element(Slot start, const Hash& start_hash) {
  json::object o;
  o["start"] = start;
  o["start_hash"] = to_hex(start_hash);
  return o;
}

// Why element `index` is not a well-formed entry for that slot; "" when it is, with `out`
// filled. The hash is read, not checked: that needs the previous one.
std::string entry_problem(const json::object& o, Slot index, LogEntry& out) {
  if (auto e = json_form::read_u64(o, "slot", out.slot); !e.empty()) return e;
  if (out.slot != index)
    return "has slot " + std::to_string(out.slot) + " where slot " + std::to_string(index) +
           " was expected (slots must be contiguous from the log's start)";
  if (auto e = json_form::read_command(o, out.command); !e.empty()) return e;
  std::string hex;
  if (auto e = json_form::read_string(o, "hash", hex); !e.empty()) return e;
  if (!from_hex(hex, out.hash)) return "field 'hash' is not 64 hex digits";
  return "";
}

}  // namespace

ChainCheck verify_log_entries(std::vector<json::object> elements) {
  ChainCheck check;
  check.entries.reserve(elements.size());
  std::size_t first = 0;
  if (!elements.empty() && elements.front().contains("start")) {
    std::string hex;
    std::string e = json_form::read_u64(elements.front(), "start", check.start);
    if (e.empty()) e = json_form::read_string(elements.front(), "start_hash", hex);
    if (e.empty() && !from_hex(hex, check.start_hash))
      e = "field 'start_hash' is not 64 hex digits";
    if (e.empty() && check.start == 0 && check.start_hash != genesis_hash)
      e = "a log starting at slot 0 starts from the genesis hash";
    if (!e.empty()) {
      check.broken = ChainBreak{0, "the start element: " + e, false, {}, {}};
      return check;
    }
    first = 1;
  }
  Hash previous = check.start_hash;
  for (std::size_t i = first; i < elements.size(); ++i) {
    json::object& o = elements[i];
    const Slot index = check.start + check.entries.size();
    LogEntry entry;
    if (std::string e = entry_problem(o, index, entry); !e.empty()) {
      check.broken = ChainBreak{index, e, false, {}, {}};
      break;
    }
    const Hash computed = chain_hash(entry.slot, entry.command, previous);
    if (entry.hash != computed) {
      check.broken = ChainBreak{index,
                                "hash does not match the chain (the entry or one before it "
                                "was altered)",
                                true, entry.hash, computed};
      break;
    }
    previous = entry.hash;
    check.entries.push_back(std::move(entry));
    o = json::object();  // a long log is held once, not twice (as JSON and as entries)
  }
  return check;
}

LogFileCheck verify_log_file(const std::filesystem::path& dir, const std::string& site) {
  LogFileCheck out;
  out.path = dir / (site + "_log.json");
  ArrayFileContents contents = read_array_file(out.path, site, "entries");
  out.torn_tail = contents.torn_tail;
  out.chain = verify_log_entries(std::move(contents.elements));
  return out;
}

LogStore::LogStore(const std::filesystem::path& dir, const std::string& site) {
  const std::filesystem::path path = dir / (site + "_log.json");
  ChainCheck check =
      verify_log_entries(file_.open(path, site, "entries", TailRule::any_bad_tail, kReserveBytes));
  if (check.broken)
    refuse_corrupt(path, "slot " + std::to_string(check.broken->slot) + ": " + check.broken->what);
  loaded_ = std::move(check.entries);
  start_ = check.start;
  start_hash_ = check.start_hash;
  end_ = start_ + loaded_.size();
  last_hash_ = loaded_.empty() ? start_hash_ : loaded_.back().hash;
}

std::vector<LogEntry> LogStore::take_loaded() {
  return std::exchange(loaded_, {});
}

void LogStore::append(const std::vector<LogEntry>& entries) {
  std::vector<std::string> elements;
  elements.reserve(entries.size());
  Hash previous = last_hash_;
  for (const LogEntry& e : entries) {
    // A gap or a broken chain here would make the file refuse to load at the next start.
    assert(e.slot == end_ + elements.size());
    assert(e.hash == chain_hash(e.slot, e.command, previous));
    previous = e.hash;
    elements.push_back(entry_text(e));
  }
  file_.append_text(elements);
  end_ += entries.size();
  last_hash_ = previous;
}

void LogStore::sync() {
  file_.sync();
}

void LogStore::rewrite(Slot start, const Hash& start_hash, const std::vector<LogEntry>& entries) {
  std::vector<std::string> elements;
  elements.reserve(entries.size() + 1);
  if (start > 0) elements.push_back(json::serialize(start_element(start, start_hash)));
  Hash previous = start_hash;
  for (const LogEntry& e : entries) {
    assert(e.slot == start + elements.size() - (start > 0 ? 1 : 0));
    assert(e.hash == chain_hash(e.slot, e.command, previous));
    previous = e.hash;
    elements.push_back(entry_text(e));
  }
  file_.rewrite_text(elements);
  start_ = start;
  start_hash_ = start_hash;
  end_ = start + entries.size();
  last_hash_ = previous;
}

}  // namespace paxoskv::storage
