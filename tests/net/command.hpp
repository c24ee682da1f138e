#pragma once

// Runs the system tools the network harness needs (ip, iptables) as child processes, by
// absolute path, and collects what they print. Nothing goes through a shell.

#include <optional>
#include <string>
#include <vector>

namespace net_test {

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal or not started
  std::string output;  // stdout and stderr together
  bool ok() const { return exit_code == 0; }
};

// argv[0] must be an absolute path. Never throws for a failing command; throws only when the
// child cannot be spawned at all.
CommandResult run_command(const std::vector<std::string>& argv);

// Like run_command, but a non-zero exit throws std::runtime_error naming the command and its
// output: the harness does not carry on from a half-built topology.
std::string run_checked(const std::vector<std::string>& argv);

// The absolute path of an executable among the usual system directories, or nullopt.
std::optional<std::string> find_tool(const std::string& name);

std::string join_words(const std::vector<std::string>& words);

}  // namespace net_test
