#pragma once

#include <stdexcept>
#include <string>

namespace paxoskv::storage {

// A file the site cannot trust or cannot write. The message names the file and what is
// wrong with it; the site prints it and refuses to start rather than reset anything.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace paxoskv::storage
