#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "paxoskv/cluster.hpp"
#include "paxoskv/limits.hpp"
#include "paxoskv/message.hpp"

namespace paxoskv::net {

// The bounds decode() holds every message to (see codec.hpp).
struct WireBounds {
  std::uint64_t max_number;
  std::size_t max_list_entries;
};

// The fast paths of the decoders read the canonical text the encoders write: no whitespace,
// members in the encoder's order, strings of printable ASCII without escapes, integers
// without sign or leading zero. Anything else fails the reader, and the caller falls back to
// parsing the datagram as JSON, so a fast path never reads a datagram differently.
//
// The reader goes front to back; any step that does not match leaves it failed, and every
// later step then fails too, so a fast path is a flat sequence of expectations.
class CanonicalReader {
 public:
  CanonicalReader(std::string_view text, WireBounds bounds) : text_(text), bounds_(bounds) {}

  bool at_end() const { return ok_ && pos_ == text_.size(); }

  // Consumes `text` when it comes next; else leaves the reader as it was (not failed).
  bool next_is(std::string_view text) {
    if (!ok_ || text_.substr(pos_, text.size()) != text) return false;
    pos_ += text.size();
    return true;
  }
  // Exactly these bytes, or the reader fails.
  bool literal(std::string_view expected) { return next_is(expected) || (ok_ = false); }
  // A string of printable ASCII other than '"' and '\': the bytes JSON takes as they are.
  bool string(std::string_view& out) {
    if (!literal("\"")) return false;
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') break;
      ++pos_;
    }
    return ok_ = false;
  }
  // A JSON integer without sign or leading zero, at most bounds.max_number.
  bool number(std::uint64_t& out) {
    if (!ok_ || pos_ >= text_.size()) return ok_ = false;
    if (text_[pos_] == '0') {
      ++pos_;
      out = 0;
      return ok_ = !digit_next();
    }
    std::uint64_t value = 0;
    std::size_t digits = 0;
    while (digit_next()) {
      value = value * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
      // 2^53 has 16 digits: stop before the product could overflow.
      if (++digits > 16 || value > bounds_.max_number) return ok_ = false;
    }
    out = value;
    return ok_ = digits > 0;
  }
  bool ballot(Ballot& out, const Cluster& cluster) {
    std::uint64_t round = 0;
    std::uint64_t site = 0;
    if (!(literal("[") && number(round) && literal(",") && number(site) && literal("]")))
      return false;
    if (site >= cluster.size()) return ok_ = false;
    out = Ballot{round, static_cast<SiteId>(site)};
    return true;
  }
  // {"slot":N,"op":…[,"key":…,"value":…,"client":N,"seq":N]}
  bool slot_command(SlotCommand& out) {
    std::string_view op;
    if (!(literal("{\"slot\":") && number(out.slot) && literal(",\"op\":") && string(op)))
      return false;
    std::optional<Op> parsed = op_from_name(op);
    if (!parsed) return ok_ = false;
    out.command = Command{};
    out.command.op = *parsed;
    if (*parsed == Op::noop) return literal("}");
    std::string_view key;
    std::string_view value;
    if (!(literal(",\"key\":") && string(key) && literal(",\"value\":") && string(value) &&
          literal(",\"client\":") && number(out.command.id.client) && literal(",\"seq\":") &&
          number(out.command.id.seq) && literal("}")))
      return false;
    if (key.empty() || key.size() > limits::max_key_bytes || value.size() > limits::max_value_bytes)
      return ok_ = false;
    out.command.key = key;
    out.command.value = value;
    return true;
  }
  // [e,e,...] of at most bounds.max_list_entries elements, each read by `element`.
  template <class T, class ReadOne>
  bool list(std::vector<T>& out, ReadOne read_one) {
    if (!literal("[")) return false;
    if (next_is("]")) return true;
    do {
      if (out.size() == bounds_.max_list_entries) return ok_ = false;
      if (!read_one(out.emplace_back())) return false;
    } while (next_is(","));
    return literal("]");
  }

 private:
  bool digit_next() const {
    return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9';
  }

  std::string_view text_;
  WireBounds bounds_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace paxoskv::net
