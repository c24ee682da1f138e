#pragma once

#include "core/kv_store.hpp"

namespace paxoskv::test {

// Applies `command` in the store's next slot, as a log would: a test's slots start at 0.
inline ApplyResult apply_next(KvStore& kv, const Command& command) {
  return kv.apply(kv.history().revision(), command);
}

}  // namespace paxoskv::test
