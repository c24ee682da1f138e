#include "storage/json_array_file.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cassert>
#include <string_view>
#include <utility>

#include "storage/corruption.hpp"
#include "storage/storage_error.hpp"

namespace paxoskv::storage {

namespace json = boost::json;

namespace {

constexpr std::string_view kClosing = "]}\n";
// What a file may hold after its document: the spaces written ahead of appends (see
// JsonArrayFile::open's `reserve`). NULs there (pages a crash lost) are not padding: the
// tail is then cut like a torn one, so that the file is again one JSON document.
constexpr std::string_view kPadding = " ";

// The document: the content without its padding.
std::string_view without_padding(std::string_view content) {
  std::size_t end = content.find_last_not_of(kPadding);
  return content.substr(0, end == std::string_view::npos ? 0 : end + 1);
}

std::string header_line(const std::string& site, const std::string& array_key) {
  // The key is ours (a fixed identifier), the site name comes from the hosts file; only the
  // latter needs JSON escaping.
  assert(!array_key.empty() && array_key.find_first_of("\"\\") == std::string::npos);
  return "{\"site\":" + json::serialize(json::value(site)) + ",\"" + array_key + "\":[\n";
}

std::string element_line(const json::object& element, bool first) {
  std::string line = first ? "" : ",";
  line += json::serialize(element);
  // serialize() escapes control characters, so an element never spans two lines.
  assert(line.find('\n') == std::string::npos);
  line += '\n';
  return line;
}

// Why `line` is not the element expected at this position; "" when it is, with `out` set.
std::string element_problem(std::string_view line, bool first, json::object& out) {
  if (line.find('\0') != std::string_view::npos) return "contains NUL bytes";
  if (line == "]}") return "closing brackets before the end of the file";
  bool comma = !line.empty() && line.front() == ',';
  if (first && comma) return "a leading comma before the first element";
  if (!first && !comma) return "missing the leading comma between elements";
  if (comma) line.remove_prefix(1);
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return "not valid JSON";
  if (!v.is_object()) return "not a JSON object";
  out = std::move(v.as_object());
  return "";
}

// The lines of `rest` that hold a complete element: if any does, the bad line before it is
// not the remains of the last write alone.
std::vector<json::object> elements_in(std::string_view rest) {
  std::vector<json::object> elements;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    json::object element;
    bool comma = !line.empty() && line.front() == ',';
    if (element_problem(line, !comma, element).empty()) elements.push_back(std::move(element));
  }
  return elements;
}

std::size_t lines_in(std::string_view rest) {
  return static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n')) +
         (rest.empty() || rest.back() == '\n' ? 0 : 1);
}

// Whether the bytes of `content` from `from` on hold what only a write torn by a power cut
// leaves: a sector that kept its old bytes, which past the old end of the document are padding
// (spaces) or a hole (NULs) or the old closing brackets. A bit flipped by the disk leaves
// none of these, so a damaged element without them is refused even where a power cut could
// have struck. Sectors, not pages: a disk tears at the smaller unit, and a lost page is also
// lost sectors.
bool shows_torn_write(std::string_view content, std::size_t from) {
  constexpr std::size_t kSector = 512;
  const std::string_view region = content.substr(from);
  if (region.find('\0') != std::string_view::npos) return true;
  std::size_t pos = from;
  while (pos < content.size()) {
    const std::size_t nl = content.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? content.size() : nl;
    const std::string_view line = content.substr(pos, end - pos);
    // A stale closing, or the part of it a sector kept, with more after it: an element never
    // starts with ']', and the document's own closing is its last line.
    if (!line.empty() && line.front() == ']' && end + 1 < content.size()) return true;
    for (std::size_t piece = pos; piece < end;) {
      const std::size_t piece_end = std::min(end, (piece / kSector + 1) * kSector);
      const std::string_view bytes = content.substr(piece, piece_end - piece);
      if (bytes.find_first_not_of(' ') == std::string_view::npos) return true;
      piece = piece_end;
    }
    pos = end + 1;
  }
  return false;
}

std::string json_kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
      return "a JSON array";
    case json::kind::string:
      return "a JSON string";
    case json::kind::null:
      return "JSON null";
    case json::kind::bool_:
      return "a JSON boolean";
    default:
      return "a JSON number";
  }
}

std::string header_problem(std::string_view line, const std::string& site,
                           const std::string& array_key) {
  // The line alone (a whole document on one line, such as `[]`), else as the start of ours.
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) v = json::parse(std::string(line) + "]}", ec);
  if (!ec && !v.is_object()) return "is " + json_kind(v) + ", not an object with a header";
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* s = o ? o->if_contains("site") : nullptr;
  if (s && s->is_string() && s->get_string() != site)
    return "belongs to site '" + std::string(s->get_string()) + "', not '" + site + "'";
  if (o && !o->contains(array_key)) return "has no \"" + array_key + "\" array";
  std::string expected = header_line(site, array_key);
  expected.pop_back();
  return "not the expected header " + expected;
}

struct Body {
  std::vector<json::object> elements;
  std::uint64_t cut = 0;  // where the closing brackets must go when `torn`
  bool torn = false;
  std::size_t elements_cut = 0;  // good-looking elements after the damage, cut with it
};

// Parses the element lines after the header. A bad line with nothing valid after it is a torn
// last write and is reported as the cut point; anything else bad throws.
Body parse_body(std::string_view content, std::size_t pos, const std::filesystem::path& path,
                TailRule rule, const UnsyncedTail& unsynced) {
  Body body;
  std::size_t line_no = 2;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? content.size() : nl;
    std::string_view line = content.substr(pos, end - pos);
    if (line == "]}" && end + 1 == content.size()) return body;
    json::object element;
    std::string problem = nl == std::string_view::npos
                              ? "incomplete last line"
                              : element_problem(line, body.elements.empty(), element);
    if (!problem.empty()) {
      const std::string_view rest =
          end < content.size() ? content.substr(end + 1) : std::string_view{};
      const std::vector<json::object> after = elements_in(rest);
      const bool unsynced_part =
          unsynced && unsynced(body.elements.size(), body.elements, after, 1 + lines_in(rest));
      const bool power_cut = unsynced_part && shows_torn_write(content, pos);
      body.elements_cut = after.size();
      if (!after.empty() && !power_cut)
        refuse_corrupt(path,
                       "line " + std::to_string(line_no) + ": " + problem +
                           (unsynced_part ? " (garbage in the middle of the file, not a torn write)"
                                          : " (garbage in the middle of the file, in what was "
                                            "fsynced)"));
      // An append writes its elements and then the closing brackets in one pwrite, so a torn
      // one never ends in "]}\n" (elements end in '"}' then); a fs that lost the write's
      // pages shows NULs instead.
      bool closed = content.size() >= kClosing.size() &&
                    content.substr(content.size() - kClosing.size()) == kClosing;
      bool lost_pages = content.substr(pos).find('\0') != std::string_view::npos;
      if (rule == TailRule::torn_append_only && closed && !lost_pages && !power_cut)
        refuse_corrupt(path, "line " + std::to_string(line_no) + ": " + problem +
                                 " (a damaged last element: its write had completed)");
      break;
    }
    body.elements.push_back(std::move(element));
    pos = end + 1;
    ++line_no;
  }
  body.torn = true;
  body.cut = pos;
  return body;
}

// Checks what open() and read_array_file() both require before the elements: a non-empty
// file that starts with this site's header.
void check_header(const std::string& content, const std::string& header,
                  const std::filesystem::path& path, const std::string& site,
                  const std::string& array_key) {
  if (content.empty()) refuse_corrupt(path, "empty file (it is created with a header)");
  if (content.compare(0, header.size(), header) != 0) {
    std::string_view first = std::string_view(content).substr(0, content.find('\n'));
    refuse_corrupt(path, "line 1: " + header_problem(first, site, array_key));
  }
}

std::string read_existing_file(FileSystem& fs, const std::filesystem::path& path) {
  std::optional<std::string> content = read_file(fs, path);
  if (!content) throw StorageError(path.string() + ": cannot open: No such file or directory");
  return std::move(*content);
}

}  // namespace

ArrayFileContents read_array_file(const std::filesystem::path& path, const std::string& site,
                                  const std::string& array_key, TailRule rule, FileSystem& fs) {
  const std::string header = header_line(site, array_key);
  const std::string content = read_existing_file(fs, path);
  check_header(content, header, path, site, array_key);
  Body body = parse_body(without_padding(content), header.size(), path, rule, nullptr);
  return ArrayFileContents{std::move(body.elements), body.torn};
}

JsonArrayFile::JsonArrayFile(JsonArrayFile&& other) noexcept
    : fs_(other.fs_),
      path_(std::move(other.path_)),
      site_(std::move(other.site_)),
      array_key_(std::move(other.array_key_)),
      reserve_(other.reserve_),
      fd_(std::exchange(other.fd_, FileSystem::kNoHandle)),
      size_(other.size_),
      allocated_(other.allocated_),
      elements_(other.elements_),
      repaired_(other.repaired_),
      elements_cut_(other.elements_cut_),
      staged_(std::exchange(other.staged_, false)),
      temp_path_(std::move(other.temp_path_)) {}

JsonArrayFile& JsonArrayFile::operator=(JsonArrayFile&& other) noexcept {
  if (this == &other) return *this;
  drop_staged();
  fs_->close(fd_);
  fs_ = other.fs_;
  path_ = std::move(other.path_);
  site_ = std::move(other.site_);
  array_key_ = std::move(other.array_key_);
  reserve_ = other.reserve_;
  fd_ = std::exchange(other.fd_, FileSystem::kNoHandle);
  size_ = other.size_;
  allocated_ = other.allocated_;
  elements_ = other.elements_;
  repaired_ = other.repaired_;
  elements_cut_ = other.elements_cut_;
  staged_ = std::exchange(other.staged_, false);
  temp_path_ = std::move(other.temp_path_);
  return *this;
}

JsonArrayFile::~JsonArrayFile() {
  drop_staged();
  fs_->close(fd_);
}

const std::filesystem::path& JsonArrayFile::where() const {
  return staged_ ? temp_path_ : path_;
}

void JsonArrayFile::drop_staged() noexcept {
  if (!staged_) return;
  fs_->remove(temp_path_);  // a leftover is only clutter: the next stage truncates it
  staged_ = false;
}

std::vector<json::object> JsonArrayFile::open(const std::filesystem::path& path,
                                              const std::string& site, const std::string& array_key,
                                              TailRule rule, std::size_t reserve,
                                              const UnsyncedTail& unsynced,
                                              const KeptCheck& before_cut) {
  assert(fd_ < 0);  // one file per object, opened once
  path_ = path;
  site_ = site;
  array_key_ = array_key;
  reserve_ = reserve;
  const std::string header = header_line(site, array_key);
  std::optional<FileSystem::Handle> existing = fs_->open(path, true);
  if (!existing) {
    fs_->make_dirs(path.parent_path());
    fd_ = replace_atomically(*fs_, path, header + std::string(kClosing), true);
    size_ = header.size() + kClosing.size();
    allocated_ = size_;
    return {};
  }
  fd_ = *existing;

  const std::string file = fs_->read_all(fd_, path);
  check_header(file, header, path, site, array_key);
  const std::string_view content = without_padding(file);

  Body body = parse_body(content, header.size(), path, rule, unsynced);
  elements_ = body.elements.size();
  size_ = content.size();
  allocated_ = file.size();
  if (body.torn) {
    if (before_cut) before_cut(body.elements);
    // Cut first, then the closing brackets: a crash in between leaves the complete elements
    // and no closing line, which the next open repairs the same way. (Writing the brackets
    // first could turn the rest of a torn line into what looks like a complete element.)
    fs_->truncate(fd_, path, body.cut);
    fs_->write_at(fd_, path, kClosing, body.cut);
    fs_->sync(fd_, path);
    size_ = body.cut + kClosing.size();
    allocated_ = size_;
    repaired_ = true;
    elements_cut_ = body.elements_cut;
  }
  return std::move(body.elements);
}

bool JsonArrayFile::shows_torn_write_from(std::size_t index) const {
  assert(fd_ >= 0 && !staged_ && index <= elements_);
  const std::string file = fs_->read_all(fd_, path_);
  const std::string_view content = without_padding(file);
  std::size_t pos = content.find('\n') + 1;  // after the header
  for (std::size_t i = 0; i < index; ++i) pos = content.find('\n', pos) + 1;
  return shows_torn_write(content, pos);
}

void JsonArrayFile::cut_to(std::size_t count) {
  assert(fd_ >= 0 && !staged_ && count <= elements_);
  const std::string file = fs_->read_all(fd_, path_);
  std::size_t pos = file.find('\n') + 1;  // after the header
  for (std::size_t i = 0; i < count; ++i) pos = file.find('\n', pos) + 1;
  assert(pos != 0);
  // As for a torn tail: cut first, then the closing brackets.
  fs_->truncate(fd_, path_, pos);
  fs_->write_at(fd_, path_, kClosing, pos);
  fs_->sync(fd_, path_);
  size_ = pos + kClosing.size();
  allocated_ = size_;
  elements_cut_ += elements_ - count;
  elements_ = count;
  repaired_ = true;
}

void JsonArrayFile::append(const std::vector<json::object>& elements) {
  assert(fd_ >= 0);
  assert(size_ >= kClosing.size());
  if (elements.empty()) return;
  std::string bytes;
  for (std::size_t i = 0; i < elements.size(); ++i)
    bytes += element_line(elements[i], elements_ == 0 && i == 0);
  bytes += kClosing;
  write_tail(bytes);
  elements_ += elements.size();
}

void JsonArrayFile::append_text(const std::vector<std::string>& elements) {
  assert(fd_ >= 0);
  assert(size_ >= kClosing.size());
  if (elements.empty()) return;
  std::string bytes;
  std::size_t total = kClosing.size();
  for (const std::string& e : elements) total += e.size() + 2;
  bytes.reserve(total);
  for (std::size_t i = 0; i < elements.size(); ++i) {
    assert(elements[i].find('\n') == std::string::npos && elements[i].front() == '{');
    if (elements_ != 0 || i != 0) bytes += ',';
    bytes += elements[i];
    bytes += '\n';
  }
  bytes += kClosing;
  write_tail(bytes);
  elements_ += elements.size();
}

void JsonArrayFile::write_tail(std::string_view bytes) {
  const std::uint64_t at = size_ - kClosing.size();
  const std::uint64_t end = at + bytes.size();
  if (reserve_ != 0 && end > allocated_) {
    // Spaces ahead of the appends, so that most fdatasyncs find the file's size unchanged and
    // write the data alone, not the inode too (an overwrite + fdatasync cost a third of an
    // append + fsync on this machine's disk). Written before the elements: a crash between
    // the two leaves the document whole.
    const std::uint64_t grown = end + reserve_;
    fs_->write_at(fd_, where(), std::string(grown - allocated_, ' '), allocated_);
    allocated_ = grown;
  }
  // Over the old closing brackets: only the end of the file is touched, whatever its size.
  fs_->write_at(fd_, where(), bytes, at);
  size_ = end;
  allocated_ = std::max(allocated_, size_);
}

void JsonArrayFile::sync() {
  fs_->sync_data(fd_, where());
}

void JsonArrayFile::rewrite(const std::vector<json::object>& elements) {
  std::vector<std::string> text;
  text.reserve(elements.size());
  for (const json::object& e : elements) text.push_back(json::serialize(e));
  rewrite_text(text);
}

void JsonArrayFile::rewrite_text(const std::vector<std::string>& elements) {
  assert(fd_ >= 0 && !staged_);
  JsonArrayFile staged = stage_text(*fs_, path_, site_, array_key_, elements, reserve_);
  staged.put_in_place();
  *this = std::move(staged);
}

JsonArrayFile JsonArrayFile::stage_text(FileSystem& fs, const std::filesystem::path& path,
                                        const std::string& site, const std::string& array_key,
                                        const std::vector<std::string>& elements,
                                        std::size_t reserve, std::string_view copied) {
  std::string content = header_line(site, array_key);
  std::size_t count = elements.size();
  for (std::size_t i = 0; i < elements.size(); ++i) {
    // serialize() and the text writers escape control characters: one element, one line.
    assert(elements[i].find('\n') == std::string::npos && elements[i].front() == '{');
    if (i != 0) content += ',';
    content += elements[i];
    content += '\n';
  }
  for (std::size_t pos = 0; pos < copied.size();) {
    const std::size_t end = copied.find('\n', pos) + 1;
    assert(end != 0 && copied[pos] == '{');
    if (count++ != 0) content += ',';
    content.append(copied.substr(pos, end - pos));
    pos = end;
  }
  content += kClosing;
  const std::size_t size = content.size();
  content.append(reserve, ' ');  // the padding appends overwrite (see write_tail)
  JsonArrayFile staged(fs);
  staged.fd_ = write_temp_file(fs, path, content);
  staged.staged_ = true;
  staged.temp_path_ = temp_path(path);
  staged.path_ = path;
  staged.site_ = site;
  staged.array_key_ = array_key;
  staged.reserve_ = reserve;
  staged.size_ = size;
  staged.allocated_ = content.size();
  staged.elements_ = count;
  return staged;
}

std::string JsonArrayFile::read_element_lines(FileSystem& fs, const std::filesystem::path& path,
                                              std::size_t first, std::size_t last) {
  const std::string content = read_existing_file(fs, path);
  std::string lines;
  std::size_t pos = content.find('\n') + 1;  // after the header
  for (std::size_t i = 0; i < last; ++i) {
    const std::size_t end = content.find('\n', pos);
    if (pos == 0 || end == std::string::npos || content[pos] == ']')
      refuse_corrupt(path, "has fewer than " + std::to_string(last) + " elements");
    if (i >= first) {
      const std::size_t from = content[pos] == ',' ? pos + 1 : pos;
      lines.append(content, from, end + 1 - from);
    }
    pos = end + 1;
  }
  return lines;
}

void JsonArrayFile::put_in_place() {
  assert(staged_);
  rename_temp_file(*fs_, path_);
  staged_ = false;
}

}  // namespace paxoskv::storage
