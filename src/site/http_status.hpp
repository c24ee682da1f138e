#pragma once

#include <string_view>

#include "site/http_reply.hpp"

namespace paxoskv::site {

class Site;

// What `--http` serves besides the API, read-only and open to anyone (no token): `/` the
// status page, `/metrics` the Prometheus text; 404 for any other path, 405 for any method but
// GET. `path` is the decoded path of the target (its query is ignored).
HttpReply route_status_request(Site& site, std::string_view method, std::string_view path);

}  // namespace paxoskv::site
