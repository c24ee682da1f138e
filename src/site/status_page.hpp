#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/drop_counters.hpp"
#include "paxoskv/chain.hpp"
#include "paxoskv/cluster.hpp"
#include "paxoskv/replica.hpp"

namespace paxoskv::site {

// Limits of the status page, so a long log or a large map keeps the page small.
struct StatusPageLimits {
  std::size_t blocks = 200;       // the most recent blocks of the chain
  std::size_t keys = 500;         // the first keys of the map, in key order
  std::size_t value_chars = 120;  // a longer value is cut, with an ellipsis
  int refresh_seconds = 2;
};

// Everything the page shows, read from the site at the moment of the request.
struct StatusPageData {
  const Cluster& cluster;
  ReplicaStatus status;
  const std::vector<LogEntry>& log;
  const KvMap& kv;
  net::DropCounters drops;
};

// Text made safe for HTML content and attribute values: & < > " ' become entities.
std::string html_escape(std::string_view text);

// The whole page: a self-refreshing HTML document with the status line's fields, the peers
// and who leads, the chain as a table of blocks (newest first) and the map.
std::string render_status_page(const StatusPageData& data, const StatusPageLimits& limits = {});

}  // namespace paxoskv::site
