#include "storage/log_store.hpp"

#include <cassert>
#include <span>
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

LogFileCheck verify_log_file(const std::filesystem::path& dir, const std::string& site,
                             FileSystem& fs) {
  LogFileCheck out;
  out.path = dir / (site + "_log.json");
  ArrayFileContents contents =
      read_array_file(out.path, site, "entries", TailRule::any_bad_tail, fs);
  out.torn_tail = contents.torn_tail;
  out.chain = verify_log_entries(std::move(contents.elements));
  return out;
}

std::filesystem::path LogStore::log_path(const std::filesystem::path& dir,
                                         const std::string& site) {
  return dir / (site + "_log.json");
}

LogStore::LogStore(const std::filesystem::path& dir, const std::string& site, FileSystem& fs,
                   std::optional<Slot> durable_end)
    : site_(site), file_(fs) {
  const std::filesystem::path path = log_path(dir, site);
  UnsyncedTail unsynced;
  if (durable_end)
    unsynced = [end = *durable_end](std::size_t index, const std::vector<json::object>& before,
                                    const std::vector<json::object>&, std::size_t) {
      // Element i is slot start + i, after the start element of a compacted log. A damaged
      // first element is the torn first append of a log never compacted, or a compacted log's
      // start element, which was fsynced before its rename; with nothing recorded durable
      // yet, either may go, since every slot is still covered by acceptor records.
      if (index == 0) return end == 0;
      const json::value* start = before.front().if_contains("start");
      boost::system::error_code ec;
      const Slot first = start ? start->to_number<Slot>(ec) : 0;
      return !ec && (start ? first + index - 1 : index) >= end;
    };
  // The state file records a point only once the log was fsynced up to it, so no power cut
  // leaves the log shorter; if it is, decided entries were lost whose acceptor records may be
  // gone too. Checked before a torn tail is cut, so that a refused file is left as it is.
  auto refuse_below_durable = [&](Slot end) {
    if (durable_end && end < *durable_end)
      refuse_corrupt(path, "ends at slot " + std::to_string(end) + ", below slot " +
                               std::to_string(*durable_end) + ", which " + site +
                               "_state.json records as fsynced");
  };
  KeptCheck before_cut = [&](const std::vector<json::object>& kept) {
    const json::value* start = kept.empty() ? nullptr : kept.front().if_contains("start");
    boost::system::error_code ec;
    const Slot first = start ? start->to_number<Slot>(ec) : 0;
    if (!ec) refuse_below_durable(start ? first + kept.size() - 1 : kept.size());
  };
  ChainCheck check = verify_log_entries(file_.open(path, site, "entries", TailRule::any_bad_tail,
                                                   kReserveBytes, unsynced, before_cut));
  // A lost page inside a value still parses, and only the chain shows it: above the durable
  // point that too is a power cut's unsynced tail.
  if (check.broken && durable_end && check.broken->slot >= *durable_end)
    file_.cut_to((check.start > 0 ? 1 : 0) + check.entries.size());
  else if (check.broken)
    refuse_corrupt(path, "slot " + std::to_string(check.broken->slot) + ": " + check.broken->what);
  refuse_below_durable(check.start + check.entries.size());
  loaded_ = std::move(check.entries);
  start_ = check.start;
  start_hash_ = check.start_hash;
  end_ = start_ + loaded_.size();
  last_hash_ = loaded_.empty() ? start_hash_ : loaded_.back().hash;
}

std::vector<LogEntry> LogStore::take_loaded() {
  return std::exchange(loaded_, {});
}

namespace {

// The elements for `entries`, which must continue a log whose next slot is `next` and whose
// last hash is `previous` (updated to the last entry's).
std::vector<std::string> continuing_texts(std::span<const LogEntry> entries, Slot next,
                                          Hash& previous) {
  std::vector<std::string> elements;
  elements.reserve(entries.size() + 1);
  for (const LogEntry& e : entries) {
    // A gap or a broken chain here would make the file refuse to load at the next start.
    assert(e.slot == next + elements.size());
    assert(e.hash == chain_hash(e.slot, e.command, previous));
    (void)next;
    previous = e.hash;
    elements.push_back(entry_text(e));
  }
  return elements;
}

// A log that starts above slot 0 names its start first; one that starts at 0 does not.
std::vector<json::object> start_elements(Slot start, const Hash& start_hash) {
  if (start == 0) return {};
  return {start_element(start, start_hash)};
}

}  // namespace

void LogStore::append(const std::vector<LogEntry>& entries) {
  Hash previous = last_hash_;
  file_.append_text(continuing_texts(entries, end_, previous));
  end_ += entries.size();
  last_hash_ = previous;
}

void LogStore::sync() {
  file_.sync();
}

void LogStore::rewrite(Slot start, const Hash& start_hash, const std::vector<LogEntry>& entries) {
  assert(start + entries.size() >= end_ || start > end_);  // keeps every entry it holds
  StagedRewrite staged;
  staged.start = start;
  staged.start_hash = start_hash;
  staged.end = start + entries.size();
  staged.last_hash = start_hash;
  std::vector<std::string> elements;
  for (const json::object& e : start_elements(start, start_hash))
    elements.push_back(json::serialize(e));
  for (std::string& text : continuing_texts(entries, start, staged.last_hash))
    elements.push_back(std::move(text));
  staged.file = JsonArrayFile::stage_text(file_.file_system(), file_.path(), site_, "entries",
                                          elements, kReserveBytes);
  install_rewrite(std::move(staged), entries);
}

LogStore::StagedRewrite LogStore::stage_rewrite(const std::filesystem::path& dir,
                                                const std::string& site, Slot file_start,
                                                Slot start, const Hash& start_hash, Slot end,
                                                FileSystem& fs) {
  assert(file_start <= start && start <= end);
  const std::filesystem::path path = log_path(dir, site);
  // Element i of the file is slot file_start + i, after the start element if there is one.
  const std::size_t first = (file_start > 0 ? 1 : 0) + (start - file_start);
  std::string copied = JsonArrayFile::read_element_lines(fs, path, first, first + (end - start));
  // Checked here, off the owner's thread, rather than found broken at the next start.
  std::vector<json::object> elements = start_elements(start, start_hash);
  std::vector<std::string> head;
  for (const json::object& e : elements) head.push_back(json::serialize(e));
  for (std::size_t pos = 0; pos < copied.size();) {
    const std::size_t nl = copied.find('\n', pos);
    boost::system::error_code ec;
    json::value v = json::parse(std::string_view(copied).substr(pos, nl - pos), ec);
    if (ec || !v.is_object())
      refuse_corrupt(path, "slot " + std::to_string(start + elements.size() - head.size()) +
                               ": not a JSON object");
    elements.push_back(std::move(v.as_object()));
    pos = nl + 1;
  }
  ChainCheck check = verify_log_entries(std::move(elements));
  if (check.broken)
    refuse_corrupt(path, "slot " + std::to_string(check.broken->slot) + ": " + check.broken->what);
  StagedRewrite staged;
  staged.start = start;
  staged.start_hash = start_hash;
  staged.end = end;
  staged.last_hash = check.entries.empty() ? start_hash : check.entries.back().hash;
  staged.file = JsonArrayFile::stage_text(fs, path, site, "entries", head, kReserveBytes, copied);
  return staged;
}

void LogStore::install_rewrite(StagedRewrite staged, std::span<const LogEntry> log) {
  // What this store appended since the rewrite was staged goes to the new file too, durably:
  // the old file's synced entries may already have let the acceptor forget their records.
  assert(staged.end <= end_ || staged.start > end_);
  const Slot end = std::max(end_, staged.end);
  assert(log.size() >= end - staged.start);
  const std::span<const LogEntry> since = log.subspan(staged.end - staged.start, end - staged.end);
  if (!since.empty()) {
    staged.file.append_text(continuing_texts(since, staged.end, staged.last_hash));
    staged.file.sync();
  }
  assert(staged.last_hash == (end == end_ ? last_hash_ : staged.last_hash));
  staged.file.put_in_place();
  file_ = std::move(staged.file);
  start_ = staged.start;
  start_hash_ = staged.start_hash;
  end_ = end;
  last_hash_ = staged.last_hash;
}

}  // namespace paxoskv::storage
