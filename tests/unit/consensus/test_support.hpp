#pragma once

#include <boost/test/unit_test.hpp>
#include <string>

#include "sim_cluster.hpp"

namespace paxoskv::consensus::test {

// Fails the test with every agreement or validity breach the cluster saw.
inline void check_no_violations(const SimCluster& c) {
  for (const std::string& v : c.violations()) BOOST_ERROR(v);
}

inline bool decided_as(SimCluster& c, PeerId p, Seq seq, const std::string& value) {
  Status s = c.peer(p).status(seq);
  return s.fate == Fate::decided && s.value == value;
}

inline std::size_t total_held_bytes(SimCluster& c) {
  std::size_t bytes = 0;
  for (PeerId p = 0; p < c.size(); ++p) bytes += c.peer(p).held_bytes();
  return bytes;
}

}  // namespace paxoskv::consensus::test
