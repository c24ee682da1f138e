#pragma once

// A tool of the build tree (paxoskv-bench, paxoskv-client) run in the background while a test
// drives the sites: its stdout and stderr go to one file, read once it has exited.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace e2e {

class ToolProcess {
 public:
  // Starts `tool` (a program built beside the test, or an absolute path such as
  // /usr/bin/python3) with `args`; output to `output_file`.
  ToolProcess(const std::string& tool, std::vector<std::string> args,
              std::filesystem::path output_file);
  ~ToolProcess();  // SIGKILLs it (by its own pid) if it is still running
  ToolProcess(const ToolProcess&) = delete;
  ToolProcess& operator=(const ToolProcess&) = delete;

  // Waits for the exit; false at the deadline (the process keeps running).
  bool wait_exit(Deadline deadline);
  int exit_code() const;  // -1 if killed by a signal or still running
  // What it has written so far (all of it once it has exited).
  std::string output() const { return read_file(output_file_); }
  // SIGKILL now, and reap it.
  void kill_now();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path output_file_;
};

}  // namespace e2e
