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

// Why element `index` is not a well-formed entry for that slot; "" when it is, with `out`
// filled. The hash is read, not checked: that needs the previous one.
std::string entry_problem(const json::object& o, Slot index, LogEntry& out) {
  if (auto e = json_form::read_u64(o, "slot", out.slot); !e.empty()) return e;
  if (out.slot != index)
    return "has slot " + std::to_string(out.slot) + " where slot " + std::to_string(index) +
           " was expected (slots must be contiguous from 0)";
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
  Hash previous = genesis_hash;
  for (json::object& o : elements) {
    const Slot index = check.entries.size();
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
  ChainCheck check = verify_log_entries(file_.open(path, site, "entries"));
  if (check.broken)
    refuse_corrupt(path, "slot " + std::to_string(check.broken->slot) + ": " + check.broken->what);
  loaded_ = std::move(check.entries);
  end_ = loaded_.size();
  last_hash_ = loaded_.empty() ? genesis_hash : loaded_.back().hash;
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

}  // namespace paxoskv::storage
