#pragma once

#include <chrono>
#include <cstddef>

#include "paxoskv/limits.hpp"

namespace paxoskv::site {

// What the HTTP server allows a client, so that no client, slow, hostile or broken, can hold
// the site's one thread or grow its memory without bound. The defaults are what `--http`
// serves with; tests shrink them.
struct HttpLimits {
  // Request line and header fields together (431 above). A key of 256 bytes fits three times
  // over even percent-encoded, with room for a token and the headers of any client library.
  std::size_t max_header_bytes = 8 * 1024;
  // A request body (413 above). The body of a PUT is the value: a little more than the value
  // limit, so that the handler, not the server, answers a value a few bytes too long, with the
  // exact limit in its error.
  std::size_t max_body_bytes = limits::max_value_bytes + 1024;
  // A whole request, header and body, from its first byte (from the accept on a new
  // connection): a request of at most 17 KiB arrives in well under a second on any link that
  // can use the API, and a client that trickles it (slowloris) holds a connection no longer.
  std::chrono::milliseconds request_timeout{10'000};
  // A keep-alive connection between two requests: long enough for a program's connection pool
  // to reuse it (the answers say `Keep-Alive: timeout=30`), short enough that idle clients
  // give their connections back.
  std::chrono::milliseconds idle_timeout{30'000};
  // Writing one answer: a client that does not read its answer is cut off.
  std::chrono::milliseconds write_timeout{10'000};
  // After an answer that ends a connection (an error, `Connection: close`), what the client
  // still sends is read and dropped for this long (and up to max_linger_bytes): closing with
  // unread bytes would make the kernel reset the connection, and the client could lose the
  // answer (a 413 while it is still sending its body, say).
  std::chrono::milliseconds linger_timeout{2'000};
  std::size_t max_linger_bytes = 1024 * 1024;
  // Connections open at once; one more is closed at once, without an answer (that costs the
  // site nothing, where answering 503 would need a connection of its own). Four times the
  // benchmark's 64 persistent connections, and far below the descriptor limit.
  std::size_t max_connections = 256;
};

}  // namespace paxoskv::site
