#pragma once

// The precompiled header of every Boost.Test executable: what nearly every test file includes
// and takes long to parse. Only third-party and standard headers: a change to the project's own
// headers never rebuilds it. (A module's main.cpp, which defines BOOST_TEST_MODULE before it
// includes Boost.Test, is compiled without it.)

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>
