#pragma once

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/storage_ptr.hpp>
#include <cstddef>

namespace paxoskv::net {

// Memory for parsing one datagram: boost::json::parse otherwise allocates each object, array
// and string of the value from the heap and frees them again a moment later. The value is
// built in a per-thread buffer instead (the heap only past it, for a datagram near the size
// limit) and released all at once. One scratch at a time per thread: the value parsed with it
// must be gone before the next one is made, as it is in the decoders (parse, read, return).
class ParseScratch {
 public:
  ParseScratch() : resource_(buffer().data(), buffer().size()) {}
  ParseScratch(const ParseScratch&) = delete;
  ParseScratch& operator=(const ParseScratch&) = delete;

  boost::json::storage_ptr storage() { return boost::json::storage_ptr(&resource_); }

 private:
  static std::array<unsigned char, 32 * 1024>& buffer() {
    thread_local std::array<unsigned char, 32 * 1024> bytes;
    return bytes;
  }

  boost::json::monotonic_resource resource_;
};

}  // namespace paxoskv::net
