#pragma once

#include <cstdint>

namespace paxoskv::driver {

// The files whose fsyncs the driver times and reports (ReadySink::observe_fsync).
enum class SyncedFile : std::uint8_t { state, log };

}  // namespace paxoskv::driver
