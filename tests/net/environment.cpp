#include "environment.hpp"

#include <stdexcept>

namespace net_test {

namespace {
Tools g_tools;
}  // namespace

void set_tools(Tools tools) {
  g_tools = std::move(tools);
}

const Tools& tools() {
  return g_tools;
}

int load_seconds(int default_seconds) {
  const char* text = std::getenv("PAXOSKV_NET_SECONDS");
  if (text == nullptr || *text == '\0') return default_seconds;
  try {
    std::size_t used = 0;
    int seconds = std::stoi(text, &used);
    if (used == std::string(text).size() && seconds >= 1 && seconds <= 3600) return seconds;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string("PAXOSKV_NET_SECONDS must be a whole number of seconds "
                                          "from 1 to 3600, not '") +
                              text + "'");
}

}  // namespace net_test
