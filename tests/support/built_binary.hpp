#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace paxoskv::test {

// The path of a program built in the same directory as the running test executable (the build
// tree's top), e.g. built_binary("paxoskv-site"). Found at run time rather than compiled in as
// an absolute path, so that no test object depends on where the tree was cloned: a second
// clone then compiles the tests from ccache.
inline std::string built_binary(std::string_view name) {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name).string();
}

}  // namespace paxoskv::test
