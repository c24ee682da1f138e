#include "net/codec.hpp"

#include <array>
#include <boost/json.hpp>
#include <cassert>
#include <exception>
#include <type_traits>
#include <utility>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "net/base64.hpp"
#include "net/canonical_decode.hpp"
#include "net/parse_scratch.hpp"
#include "paxoskv/chain.hpp"
#include "paxoskv/limits.hpp"

namespace paxoskv::net {

namespace json = boost::json;

namespace {

// Every number on the wire stays at or below 2^53 - 1, like client ids: it survives any JSON
// reader as a number, and a hostile round or slot cannot push the core's `+ 1` into overflow.
constexpr std::uint64_t kMaxWireNumber = limits::max_client_id;
// More list elements than any honest sender packs (a catch-up reply filled with no-ops holds
// about a thousand within limits::max_entries_bytes); bounds the work one datagram can cause.
constexpr std::size_t kMaxListEntries = 4096;
// Longest piece of a foreign string quoted in an error or trace line.
constexpr std::size_t kMaxQuotedBytes = 40;

// Quotes text from the network for a log line: bounded, and without control characters, so a
// hostile datagram cannot forge log lines.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxQuotedBytes))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (text.size() > kMaxQuotedBytes) out += "...";
  return out;
}

// ---- encoding -------------------------------------------------------------------------------

json::array slot_commands_to_json(const std::vector<SlotCommand>& entries) {
  json::array out;
  out.reserve(entries.size());
  for (const SlotCommand& e : entries) {
    json::object o;
    o["slot"] = e.slot;
    json_form::put_command(o, e.command);
    out.emplace_back(std::move(o));
  }
  return out;
}

json::array accepted_to_json(const std::vector<AcceptedEntry>& entries) {
  json::array out;
  out.reserve(entries.size());
  for (const AcceptedEntry& e : entries) {
    json::object o;
    o["slot"] = e.slot;
    o["ballot"] = json_form::ballot_to_json(e.ballot);
    json_form::put_command(o, e.command);
    out.emplace_back(std::move(o));
  }
  return out;
}

// Prepare::from and CatchupRequest::from are slots; on the wire they are "from_slot" because
// "from" is the sender of every datagram.
void put_fields(json::object& o, const Prepare& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
  o["from_slot"] = m.from;
  if (m.transfer) o["transfer"] = true;
}
void put_fields(json::object& o, const Promise& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
  o["decided_end"] = m.decided_end;
  o["accepted"] = accepted_to_json(m.accepted);
}
void put_fields(json::object& o, const Accept& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
  o["decided_end"] = m.decided_end;
  o["entries"] = slot_commands_to_json(m.entries);
}
void put_fields(json::object& o, const Ack& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
  o["slots"] = json::array(m.slots.begin(), m.slots.end());
}
void put_fields(json::object& o, const Nack& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
}
void put_fields(json::object& o, const Commit& m) {
  o["decided_end"] = m.decided_end;
  o["entries"] = slot_commands_to_json(m.entries);
}
void put_fields(json::object& o, const Heartbeat& m) {
  o["ballot"] = json_form::ballot_to_json(m.ballot);
  o["decided_end"] = m.decided_end;
  o["probe"] = m.probe;
}
void put_fields(json::object& o, const HeartbeatReply& m) {
  o["promised"] = json_form::ballot_to_json(m.promised);
  o["probe"] = m.probe;
  o["decided_end"] = m.decided_end;
  o["ballot"] = json_form::ballot_to_json(m.ballot);
}
// Snapshot transfer fields are optional objects, present only during a transfer:
//   catchup_request: "snapshot":{"base":N,"digest":"<64 hex>","offset":N}
//   catchup_reply:   "snapshot":{"base":N,"digest":"<64
//   hex>","size":N,"offset":N,"data":"<base64>"}
void put_fields(json::object& o, const CatchupRequest& m) {
  o["from_slot"] = m.from;
  if (m.snapshot)
    o["snapshot"] = json::object{{"base", m.snapshot->base},
                                 {"digest", to_hex(m.snapshot->digest)},
                                 {"offset", m.snapshot->offset}};
}
void put_fields(json::object& o, const CatchupReply& m) {
  o["decided_end"] = m.decided_end;
  o["entries"] = slot_commands_to_json(m.entries);
  if (m.snapshot)
    o["snapshot"] = json::object{{"base", m.snapshot->base},
                                 {"digest", to_hex(m.snapshot->digest)},
                                 {"size", m.snapshot->size},
                                 {"offset", m.snapshot->offset},
                                 {"data", base64_encode(m.snapshot->data)}};
}
void put_fields(json::object& o, const Forward& m) {
  json_form::put_command(o, m.command);
}
void put_fields(json::object& o, const ReadIndexRequest& m) {
  o["read_id"] = m.read_id;
}
void put_fields(json::object& o, const ReadIndexReply& m) {
  o["read_id"] = m.read_id;
  o["read_end"] = m.read_end;
}
void put_fields(json::object& o, const RecoveryQuery& m) {
  o["query_id"] = m.query_id;
}
void put_fields(json::object& o, const RecoveryReply& m) {
  o["query_id"] = m.query_id;
  o["promised"] = json_form::ballot_to_json(m.promised);
  o["fresh"] = m.fresh;
}

// ---- decoding -------------------------------------------------------------------------------

// Reads the fields of one JSON object and keeps the first problem found; later reads after a
// failure do nothing, so a message reader is a flat list of fields.
class FieldReader {
 public:
  FieldReader(const json::object& o, const Cluster& cluster, std::string context = "")
      : o_(o), cluster_(cluster), context_(std::move(context)) {}

  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }
  void fail(const std::string& what) {
    if (!failed()) error_ = context_ + what;
  }

  void number(std::string_view field, std::uint64_t& out) {
    if (failed()) return;
    if (auto e = json_form::read_u64(o_, field, out); !e.empty()) return fail(e);
    if (out > kMaxWireNumber) fail("field '" + std::string(field) + "' is out of range");
  }

  void ballot(std::string_view field, Ballot& out) {
    if (failed()) return;
    if (auto e = json_form::read_ballot(o_, field, out); !e.empty()) return fail(e);
    if (out.round > kMaxWireNumber)
      return fail("field '" + std::string(field) + "' round is out of range");
    if (out.site >= cluster_.size())
      fail("field '" + std::string(field) + "' names site index " + std::to_string(out.site) +
           " of a cluster of " + std::to_string(cluster_.size()));
  }

  // Only the JSON literals true and false: a 0 or a "true" is a sender's mistake.
  void boolean(std::string_view field, bool& out) {
    if (failed()) return;
    const json::value* v = o_.if_contains(field);
    if (v == nullptr) return fail("missing field '" + std::string(field) + "'");
    if (!v->is_bool()) return fail("field '" + std::string(field) + "' is not true or false");
    out = v->get_bool();
  }

  void command(Command& out) {
    if (failed()) return;
    if (auto e = json_form::read_command(o_, out); !e.empty()) return fail(e);
    if (out.id.client > kMaxWireNumber || out.id.seq > kMaxWireNumber)
      fail("request id out of range");
  }

  void slots(std::string_view field, std::vector<Slot>& out) {
    const json::array* a = list(field);
    if (a == nullptr) return;
    out.clear();
    for (const json::value& v : *a) {
      std::uint64_t slot = 0;
      if (v.is_uint64())
        slot = v.get_uint64();
      else if (v.is_int64() && v.get_int64() >= 0)
        slot = static_cast<std::uint64_t>(v.get_int64());
      else
        return fail("field '" + std::string(field) + "' holds a value that is not a slot");
      if (slot > kMaxWireNumber)
        return fail("field '" + std::string(field) + "' holds a slot out of range");
      out.push_back(slot);
    }
  }

  // A 64-hex-digit SHA-256.
  void digest(std::string_view field, std::array<std::uint8_t, 32>& out) {
    if (failed()) return;
    std::string hex;
    if (auto e = json_form::read_string(o_, field, hex); !e.empty()) return fail(e);
    if (!from_hex(hex, out)) fail("field '" + std::string(field) + "' is not 64 hex digits");
  }

  void base64(std::string_view field, std::string& out) {
    if (failed()) return;
    std::string text;
    if (auto e = json_form::read_string(o_, field, text); !e.empty()) return fail(e);
    std::optional<std::string> bytes = base64_decode(text);
    if (!bytes) return fail("field '" + std::string(field) + "' is not base64");
    out = std::move(*bytes);
  }

  // An optional flag: false when absent (older senders never write it).
  void optional_boolean(std::string_view field, bool& out) {
    if (failed()) return;
    if (!o_.contains(field)) {
      out = false;
      return;
    }
    boolean(field, out);
  }

  // An optional object field: nothing when absent, else a reader of its fields.
  const json::object* optional_object(std::string_view field) {
    if (failed()) return nullptr;
    const json::value* v = o_.if_contains(field);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) fail("field '" + std::string(field) + "' is not an object");
    return v->if_object();
  }
  const Cluster& cluster() const { return cluster_; }

  // SlotCommand or AcceptedEntry objects.
  template <class Entry>
  void entries(std::string_view field, std::vector<Entry>& out) {
    const json::array* a = list(field);
    if (a == nullptr) return;
    out.clear();
    for (std::size_t i = 0; i < a->size() && !failed(); ++i) {
      std::string where = std::string(field) + "[" + std::to_string(i) + "]: ";
      const json::object* o = (*a)[i].if_object();
      if (o == nullptr) return fail(where + "not an object");
      FieldReader element(*o, cluster_, where);
      Entry& e = out.emplace_back();
      element.number("slot", e.slot);
      if constexpr (std::is_same_v<Entry, AcceptedEntry>) element.ballot("ballot", e.ballot);
      element.command(e.command);
      if (element.failed()) fail(element.error());
    }
  }

 private:
  const json::array* list(std::string_view field) {
    if (failed()) return nullptr;
    const json::value* v = o_.if_contains(field);
    const json::array* a = v == nullptr ? nullptr : v->if_array();
    if (v == nullptr)
      fail("missing field '" + std::string(field) + "'");
    else if (a == nullptr)
      fail("field '" + std::string(field) + "' is not an array");
    else if (a->size() > kMaxListEntries)
      fail("field '" + std::string(field) + "' has more than " + std::to_string(kMaxListEntries) +
           " elements");
    return failed() ? nullptr : a;
  }

  const json::object& o_;
  const Cluster& cluster_;
  std::string context_;
  std::string error_;
};

void read_fields(FieldReader& r, Prepare& m) {
  r.ballot("ballot", m.ballot);
  r.number("from_slot", m.from);
  r.optional_boolean("transfer", m.transfer);
}
void read_fields(FieldReader& r, Promise& m) {
  r.ballot("ballot", m.ballot);
  r.number("decided_end", m.decided_end);
  r.entries("accepted", m.accepted);
}
void read_fields(FieldReader& r, Accept& m) {
  r.ballot("ballot", m.ballot);
  r.number("decided_end", m.decided_end);
  r.entries("entries", m.entries);
}
void read_fields(FieldReader& r, Ack& m) {
  r.ballot("ballot", m.ballot);
  r.slots("slots", m.slots);
}
void read_fields(FieldReader& r, Nack& m) {
  r.ballot("ballot", m.ballot);
}
void read_fields(FieldReader& r, Commit& m) {
  r.number("decided_end", m.decided_end);
  r.entries("entries", m.entries);
}
void read_fields(FieldReader& r, Heartbeat& m) {
  r.ballot("ballot", m.ballot);
  r.number("decided_end", m.decided_end);
  r.number("probe", m.probe);
}
void read_fields(FieldReader& r, HeartbeatReply& m) {
  r.ballot("promised", m.promised);
  r.number("probe", m.probe);
  r.number("decided_end", m.decided_end);
  r.ballot("ballot", m.ballot);
}
void read_fields(FieldReader& r, CatchupRequest& m) {
  r.number("from_slot", m.from);
  if (const json::object* o = r.optional_object("snapshot")) {
    FieldReader s(*o, r.cluster(), "snapshot: ");
    SnapshotCursor& c = m.snapshot.emplace();
    s.number("base", c.base);
    s.digest("digest", c.digest);
    s.number("offset", c.offset);
    if (s.failed()) r.fail(s.error());
  }
}
void read_fields(FieldReader& r, CatchupReply& m) {
  r.number("decided_end", m.decided_end);
  r.entries("entries", m.entries);
  if (const json::object* o = r.optional_object("snapshot")) {
    FieldReader s(*o, r.cluster(), "snapshot: ");
    SnapshotChunk& c = m.snapshot.emplace();
    s.number("base", c.base);
    s.digest("digest", c.digest);
    s.number("size", c.size);
    s.number("offset", c.offset);
    s.base64("data", c.data);
    if (!s.failed() && c.data.size() > limits::snapshot_chunk_bytes)
      s.fail("field 'data' is larger than a snapshot piece");
    if (!s.failed() && (c.offset > c.size || c.data.size() > c.size - c.offset))
      s.fail("the piece does not lie within the snapshot's size");
    if (s.failed()) r.fail(s.error());
  }
}
void read_fields(FieldReader& r, Forward& m) {
  r.command(m.command);
}
void read_fields(FieldReader& r, ReadIndexRequest& m) {
  r.number("read_id", m.read_id);
}
void read_fields(FieldReader& r, ReadIndexReply& m) {
  r.number("read_id", m.read_id);
  r.number("read_end", m.read_end);
}
void read_fields(FieldReader& r, RecoveryQuery& m) {
  r.number("query_id", m.query_id);
}
void read_fields(FieldReader& r, RecoveryReply& m) {
  r.number("query_id", m.query_id);
  r.ballot("promised", m.promised);
  r.boolean("fresh", m.fresh);
}

// Finds the alternative of MessageBody whose type_name is `type` and reads its fields; false
// when no alternative has that name.
template <std::size_t I = 0>
bool read_body(std::string_view type, FieldReader& r, MessageBody& out) {
  if constexpr (I == std::variant_size_v<MessageBody>) {
    return false;
  } else {
    if (type != type_name(MessageBody(std::in_place_index<I>)))
      return read_body<I + 1>(type, r, out);
    read_fields(r, out.emplace<I>());
    return true;
  }
}

std::variant<Message, DecodeError> decode_object(const json::object& o, const Cluster& cluster) {
  std::string type;
  std::string from_name;
  if (auto e = json_form::read_string(o, "type", type); !e.empty()) return DecodeError{e};
  if (auto e = json_form::read_string(o, "from", from_name); !e.empty()) return DecodeError{e};
  std::optional<SiteId> from = cluster.find(from_name);
  if (!from) return DecodeError{"unknown site '" + printable(from_name) + "'", true};

  Message message;
  message.from = *from;
  FieldReader reader(o, cluster, type + ": ");
  if (!read_body(type, reader, message.body))
    return DecodeError{"unknown type '" + printable(type) + "'"};
  if (reader.failed()) return DecodeError{reader.error()};
  return message;
}

std::variant<Message, DecodeError> decode_unguarded(std::string_view datagram,
                                                    const Cluster& cluster) {
  if (datagram.size() > limits::max_datagram_bytes)
    return DecodeError{"datagram of " + std::to_string(datagram.size()) + " bytes exceeds " +
                       std::to_string(limits::max_datagram_bytes)};
  // The default parse options also bound the nesting depth and refuse invalid UTF-8.
  boost::system::error_code ec;
  ParseScratch scratch;
  json::value value =
      json::parse(json::string_view(datagram.data(), datagram.size()), ec, scratch.storage());
  if (ec) return DecodeError{"not JSON: " + ec.message()};
  const json::object* o = value.if_object();
  if (o == nullptr) return DecodeError{"not a JSON object"};
  return decode_object(*o, cluster);
}

// ---- describing -----------------------------------------------------------------------------

std::string slot_list_text(const std::vector<Slot>& slots) {
  if (slots.empty()) return "none";
  bool contiguous = true;
  for (std::size_t i = 1; i < slots.size(); ++i)
    contiguous = contiguous && slots[i] == slots[i - 1] + 1;
  if (slots.size() == 1) return std::to_string(slots.front());
  if (contiguous) return std::to_string(slots.front()) + ".." + std::to_string(slots.back());
  constexpr std::size_t kShown = 8;
  std::string out;
  for (std::size_t i = 0; i < slots.size() && i < kShown; ++i)
    out += (i == 0 ? "" : ",") + std::to_string(slots[i]);
  if (slots.size() > kShown) out += ",...(" + std::to_string(slots.size()) + " slots)";
  return out;
}

template <class Entry>
std::string entries_text(const std::vector<Entry>& entries) {
  std::vector<Slot> slots;
  slots.reserve(entries.size());
  for (const Entry& e : entries) slots.push_back(e.slot);
  return slot_list_text(slots);
}

std::string b(Ballot ballot) {
  return to_string(ballot);
}
std::string n(std::uint64_t number) {
  return std::to_string(number);
}

std::string fields_text(const Prepare& m) {
  return "ballot=" + b(m.ballot) + ", from=" + n(m.from) + (m.transfer ? ", transfer" : "");
}
std::string fields_text(const Promise& m) {
  return "ballot=" + b(m.ballot) + ", decided_end=" + n(m.decided_end) +
         ", accepted=" + entries_text(m.accepted);
}
std::string fields_text(const Accept& m) {
  return "ballot=" + b(m.ballot) + ", decided_end=" + n(m.decided_end) +
         ", slots=" + entries_text(m.entries);
}
std::string fields_text(const Ack& m) {
  return "ballot=" + b(m.ballot) + ", slots=" + slot_list_text(m.slots);
}
std::string fields_text(const Nack& m) {
  return "ballot=" + b(m.ballot);
}
std::string fields_text(const Commit& m) {
  return "decided_end=" + n(m.decided_end) + ", slots=" + entries_text(m.entries);
}
std::string fields_text(const Heartbeat& m) {
  return "ballot=" + b(m.ballot) + ", decided_end=" + n(m.decided_end) + ", probe=" + n(m.probe);
}
std::string fields_text(const HeartbeatReply& m) {
  return "promised=" + b(m.promised) + ", probe=" + n(m.probe) +
         ", decided_end=" + n(m.decided_end) + ", ballot=" + b(m.ballot);
}
std::string fields_text(const CatchupRequest& m) {
  std::string out = "from=" + n(m.from);
  if (m.snapshot) out += ", snapshot=" + n(m.snapshot->base) + "@" + n(m.snapshot->offset);
  return out;
}
std::string fields_text(const CatchupReply& m) {
  std::string out = "decided_end=" + n(m.decided_end) + ", slots=" + entries_text(m.entries);
  if (m.snapshot)
    out += ", snapshot=" + n(m.snapshot->base) + "@" + n(m.snapshot->offset) + "+" +
           n(m.snapshot->data.size()) + "/" + n(m.snapshot->size);
  return out;
}
std::string fields_text(const Forward& m) {
  std::string out = "op=" + std::string(op_name(m.command.op));
  if (m.command.op == Op::noop) return out;
  return out + ", key=" + printable(m.command.key) + ", client=" + n(m.command.id.client) +
         ", seq=" + n(m.command.id.seq);
}
std::string fields_text(const ReadIndexRequest& m) {
  return "read_id=" + n(m.read_id);
}
std::string fields_text(const ReadIndexReply& m) {
  return "read_id=" + n(m.read_id) + ", read_end=" + n(m.read_end);
}
std::string fields_text(const RecoveryQuery& m) {
  return "query_id=" + n(m.query_id);
}
std::string fields_text(const RecoveryReply& m) {
  return "query_id=" + n(m.query_id) + ", promised=" + b(m.promised) +
         ", fresh=" + (m.fresh ? "true" : "false");
}

// ---- the text path ---------------------------------------------------------------------------

// Accepts, acks and commits carry every write, so they are written straight as text
// (json_text.hpp) in put_fields' field order: the same bytes as the generic path.
void append_entries(std::string& out, const std::vector<SlotCommand>& entries) {
  out += ",\"entries\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out += i == 0 ? "{\"slot\":" : ",{\"slot\":";
    json_text::append_u64(out, entries[i].slot);
    out += ',';
    json_text::append_command_fields(out, entries[i].command);
    out += '}';
  }
  out += ']';
}

void append_fields(std::string& out, const Accept& m) {
  out += ",\"ballot\":";
  json_text::append_ballot(out, m.ballot);
  out += ",\"decided_end\":";
  json_text::append_u64(out, m.decided_end);
  append_entries(out, m.entries);
}
void append_fields(std::string& out, const Ack& m) {
  out += ",\"ballot\":";
  json_text::append_ballot(out, m.ballot);
  out += ",\"slots\":[";
  for (std::size_t i = 0; i < m.slots.size(); ++i) {
    if (i != 0) out += ',';
    json_text::append_u64(out, m.slots[i]);
  }
  out += ']';
}
void append_fields(std::string& out, const Commit& m) {
  out += ",\"decided_end\":";
  json_text::append_u64(out, m.decided_end);
  append_entries(out, m.entries);
}

// Room for the text, so that a large accept is not copied over and over as it grows.
std::size_t text_size_hint(const Ack& m) {
  return 96 + 21 * m.slots.size();
}
template <class Body>
std::size_t text_size_hint(const Body& m) {
  std::size_t size = 96;
  for (const SlotCommand& e : m.entries)
    size += 112 + e.command.key.size() + e.command.value.size();
  return size;
}

template <class Body>
std::string encode_text(const Message& message, const Body& body, const Cluster& cluster) {
  std::string out;
  out.reserve(text_size_hint(body));
  out += "{\"type\":";
  json_text::append_string(out, type_name(message.body));
  out += ",\"from\":";
  json_text::append_string(out, cluster.name(message.from));
  append_fields(out, body);
  out += '}';
  return out;
}

}  // namespace

namespace detail {

std::string encode_generic(const Message& message, const Cluster& cluster) {
  assert(message.from < cluster.size());
  json::object o;
  o["type"] = type_name(message.body);
  o["from"] = cluster.name(message.from);
  std::visit([&o](const auto& body) { put_fields(o, body); }, message.body);
  return json::serialize(o);
}

}  // namespace detail

std::string encode(const Message& message, const Cluster& cluster) {
  assert(message.from < cluster.size());
  if (const auto* accept = std::get_if<Accept>(&message.body))
    return encode_text(message, *accept, cluster);
  if (const auto* ack = std::get_if<Ack>(&message.body)) return encode_text(message, *ack, cluster);
  if (const auto* commit = std::get_if<Commit>(&message.body))
    return encode_text(message, *commit, cluster);
  return detail::encode_generic(message, cluster);
}

namespace {

// The readers never throw on bad input; this only catches what cannot be ruled out, such as
// running out of memory, so that no datagram ever stops the site.
template <class Decode>
std::variant<Message, DecodeError> guarded(Decode&& decode) {
  try {
    return decode();
  } catch (const std::exception& e) {
    return DecodeError{std::string("cannot decode: ") + e.what()};
  }
}

}  // namespace

std::variant<Message, DecodeError> decode(std::string_view datagram, const Cluster& cluster) {
  return guarded([&]() -> std::variant<Message, DecodeError> {
    if (std::optional<Message> m =
            decode_canonical(datagram, cluster, WireBounds{kMaxWireNumber, kMaxListEntries}))
      return std::move(*m);
    return decode_unguarded(datagram, cluster);
  });
}

std::variant<Message, DecodeError> detail::decode_generic(std::string_view datagram,
                                                          const Cluster& cluster) {
  return guarded([&] { return decode_unguarded(datagram, cluster); });
}

std::string describe(const MessageBody& body) {
  return std::string(type_name(body)) + "(" +
         std::visit([](const auto& m) { return fields_text(m); }, body) + ")";
}

}  // namespace paxoskv::net
