#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace paxoskv::site {

// One answer to an HTTP request, before the server makes it HTTP (status line, Content-Length,
// Connection and the like are the server's).
struct HttpReply {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Retry-After
};

// A plain-text reply: the status page's paths answer their errors this way.
HttpReply text_reply(unsigned status, std::string body);

// {"error":"<message>"} as application/json: how /v1/ answers its errors, so a program reads
// every answer of the API as JSON.
HttpReply json_error_reply(unsigned status, std::string_view message);

}  // namespace paxoskv::site
