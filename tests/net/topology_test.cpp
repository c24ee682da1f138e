// The network harness itself: the namespaces come up, the sites reach each other and the
// clients through the router, and everything is gone afterwards.

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>

#include "client/client.hpp"
#include "command.hpp"
#include "environment.hpp"
#include "net/hosts_file.hpp"
#include "net_cluster.hpp"

using namespace net_test;
using namespace std::chrono_literals;

namespace {

bool any_namespace_left(const Tools& tools) {
  return run_checked({tools.ip, "netns", "list"}).find(kPrefix) != std::string::npos;
}

// One client request from the root namespace; the reply, or a failure on timeout.
paxoskv::client::Result request(const std::filesystem::path& hosts, paxoskv::net::ClientOp op,
                                const std::string& key, const std::string& value) {
  auto loaded = paxoskv::load_hosts(hosts.string());
  BOOST_TEST_REQUIRE(std::holds_alternative<paxoskv::Cluster>(loaded));
  const auto& cluster = std::get<paxoskv::Cluster>(loaded);
  boost::asio::io_context io;
  paxoskv::client::Session session(io, cluster, {});
  paxoskv::client::Result result;
  session.request(op, key, value, [&](const paxoskv::client::Result& r) {
    result = r;
    session.close();
  });
  io.run();
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(topology)

BOOST_AUTO_TEST_CASE(sites_in_namespaces_agree_and_everything_is_removed) {
  {
    Topology topology(tools(), 3);
    std::string listed = run_checked({tools().ip, "netns", "list"});
    for (std::size_t i = 0; i < 3; ++i)
      BOOST_TEST(listed.find(Topology::site_namespace(i)) != std::string::npos);
    NetCluster cluster(topology);
    cluster.start_all();
    // The site runs in its namespace: its address is there, and not in the root namespace.
    std::string addresses =
        topology.exec_in(Topology::site_namespace(1), {tools().ip, "-o", "addr", "show"});
    BOOST_TEST(addresses.find(Topology::site_address(1)) != std::string::npos);

    auto put = request(cluster.hosts_file(), paxoskv::net::ClientOp::put, "k", "v1");
    BOOST_TEST(put.ok, put.error);
    auto get = request(cluster.hosts_file(), paxoskv::net::ClientOp::get, "k", "");
    BOOST_TEST(get.ok, get.error);
    BOOST_TEST((get.value && *get.value == "v1"));

    // Every site learns the write over the routed links: one chain head everywhere.
    std::optional<std::string> first;
    bool same = false;
    for (auto deadline = e2e::after(10s); !same && e2e::Clock::now() < deadline;) {
      same = true;
      first = cluster.chain_head(0, 5s);
      for (std::size_t i = 1; i < 3; ++i)
        same = same && first && cluster.chain_head(i, 5s) == first;
    }
    BOOST_TEST(same, "chain heads differ");
  }
  BOOST_TEST(!any_namespace_left(tools()));
  BOOST_TEST(!run_command({tools().ip, "link", "show", "pkvnet-root"}).ok());
}

BOOST_AUTO_TEST_CASE(leftovers_of_a_crashed_run_are_removed_first) {
  // What a killed test runner would leave: a namespace with the harness's prefix.
  run_checked({tools().ip, "netns", "add", Topology::site_namespace(9)});
  {
    Topology topology(tools(), 1);
    BOOST_TEST(run_checked({tools().ip, "netns", "list"}).find(Topology::site_namespace(9)) ==
               std::string::npos);
  }
  BOOST_TEST(!any_namespace_left(tools()));
}

BOOST_AUTO_TEST_SUITE_END()
