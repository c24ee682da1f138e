#include "site/http_status.hpp"

#include "site/metrics.hpp"
#include "site/site.hpp"
#include "site/status_page.hpp"

namespace paxoskv::site {

HttpReply route_status_request(Site& site, std::string_view method, std::string_view path) {
  if (path != "/" && path != "/metrics") return text_reply(404, "not found\n");
  if (method != "GET") {
    HttpReply reply = text_reply(405, "only GET is served\n");
    reply.headers.emplace_back("Allow", "GET");
    return reply;
  }
  const Replica& replica = site.replica();
  if (path == "/metrics") {
    MetricsSnapshot snapshot{site.cluster(),           replica.status(),      replica.kv().size(),
                             site.transport().drops(), site.fault_counters(), site.metrics()};
    return HttpReply{
        200, "text/plain; version=0.0.4; charset=utf-8", format_prometheus(snapshot), {}};
  }
  StatusPageData data{site.cluster(), replica.status(), replica.log(), replica.kv(),
                      site.transport().drops()};
  return HttpReply{200, "text/html; charset=utf-8", render_status_page(data), {}};
}

}  // namespace paxoskv::site
