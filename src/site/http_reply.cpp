#include "site/http_reply.hpp"

#include <boost/json.hpp>

namespace paxoskv::site {

HttpReply text_reply(unsigned status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body), {}};
}

HttpReply json_error_reply(unsigned status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return HttpReply{status, "application/json", boost::json::serialize(body), {}};
}

}  // namespace paxoskv::site
