// The Boost.Test module of the real-network fault tests (CTest label `net`).
//
// They need root (network namespaces, veths, iptables). Where the machine cannot give them
// that, the module prints why and exits with kSkipExitCode, which CTest reports as "Skipped"
// (SKIP_RETURN_CODE), so a machine without namespaces never shows them as passed.
#define BOOST_TEST_MODULE net
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <iostream>

#include "environment.hpp"
#include "topology.hpp"

int main(int argc, char** argv) {
  net_test::Probe probe = net_test::probe_environment();
  if (!probe.tools) {
    std::cout << "net tests skipped: " << probe.why_not << std::endl;
    return net_test::kSkipExitCode;
  }
  net_test::set_tools(*probe.tools);
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}
