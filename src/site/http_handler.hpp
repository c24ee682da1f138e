#pragma once

#include <functional>

#include "site/http_reply.hpp"
#include "site/http_request.hpp"

namespace paxoskv::site {

// Gives the reply to one request. Called at most once, on the site's io_context thread.
// Calling it after the client went away (or the server stopped) does nothing.
using HttpRespond = std::function<void(HttpReply)>;

// The handler of one request: it may respond at once or later (a write waiting for its slot
// to be decided, a long-poll watch). The server never times out a reply it is waiting for:
// a handler that waits bounds the wait itself. The request lives only for the call; `respond`
// (and its copies) may be kept.
using HttpHandler = std::function<void(const HttpRequest&, HttpRespond)>;

}  // namespace paxoskv::site
