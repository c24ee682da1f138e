// paxoskv-site: one site of the cluster. See usage_text() and SPEC §3.

#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "log/log.hpp"
#include "net/hosts_file.hpp"
#include "net/message_auth.hpp"
#include "site/bearer_token.hpp"
#include "site/http_server.hpp"
#include "site/http_status.hpp"
#include "site/join.hpp"
#include "site/kv_api.hpp"
#include "site/options.hpp"
#include "site/shell.hpp"
#include "site/site.hpp"
#include "storage/storage_error.hpp"

namespace {

using namespace paxoskv;
using namespace paxoskv::site;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

std::size_t count_file_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return last_line_number(contents.str());
}

// The hosts file's cluster and this site's id, or the exit code after telling the user what
// is wrong.
std::variant<std::pair<Cluster, SiteId>, int> load_cluster(const Options& options) {
  auto loaded = load_hosts(options.hosts_path);
  if (auto* error = std::get_if<HostsError>(&loaded)) {
    std::cerr << error->text << '\n';
    return kExitUsage;
  }
  Cluster cluster = std::get<Cluster>(std::move(loaded));
  auto self = cluster.find(options.site);
  if (!self) {
    std::vector<std::string> names;
    for (const SiteInfo& info : cluster.sites()) names.push_back(info.name);
    std::cerr << unknown_site_message(options.hosts_path, count_file_lines(options.hosts_path),
                                      options.site, names)
              << '\n';
    return kExitUsage;
  }
  return std::pair{std::move(cluster), *self};
}

// The configurations this site starts with: its hosts file's, or with --join what it learned
// from the cluster. Otherwise the exit code after telling the user what is wrong.
std::variant<StartingMembers, int> starting_members(const Options& options,
                                                    const std::optional<std::string>& secret) {
  if (!options.join) {
    auto cluster = load_cluster(options);
    if (auto* code = std::get_if<int>(&cluster)) return *code;
    auto& [loaded, self] = std::get<std::pair<Cluster, SiteId>>(cluster);
    return StartingMembers{KnownMembers{loaded, loaded}, self};
  }
  try {
    return join_cluster(options.site, *options.join, options.data_dir, secret);
  } catch (const JoinError& error) {
    std::cerr << error.what() << '\n';
  } catch (const storage::StorageError& error) {
    std::cerr << error.what() << '\n';
  }
  return kExitFailure;
}

int serve(const Options& options, const StartingMembers& start,
          const std::optional<std::string>& secret, std::optional<BearerToken> http_token) {
  boost::asio::io_context io;
  ReplicaOptions replica_options;
  replica_options.snapshot_every = options.snapshot_every;
  replica_options.log_tail = options.log_tail;
  Site site(io, start.members, start.self, options.data_dir, replica_options);
  if (secret) site.transport().require_auth(*secret);
  if (options.fail_rate > 0.0 || options.drop_rate > 0.0)
    site.inject_faults(FaultRates{options.fail_rate, options.drop_rate});
  std::optional<Shell> shell;
  std::optional<KvApi> kv_api;
  std::optional<HttpServer> http;

  auto shut_down = [&] {
    if (shell) shell->stop();
    if (http) http->stop();
    if (kv_api) kv_api->stop();
    site.stop();
    io.stop();
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    PAXOSKV_LOG(info) << "signal " << signal_number << ": shutting down";
    shut_down();
  });

  site.start();
  if (options.http_port != 0) {
    HttpServerConfig config;
    config.bind_address = options.http_bind;
    config.port = options.http_port;
    config.token = std::move(http_token);
    kv_api.emplace(io, site);
    site.claim_completions([&kv_api](const Completion& c) { return kv_api->complete(c); });
    http.emplace(
        io, std::move(config),
        [&kv_api](const HttpRequest& request, HttpRespond respond) {
          kv_api->handle(request, std::move(respond));
        },
        [&site](std::string_view method, std::string_view path) {
          return route_status_request(site, method, path);
        });
  }
  if (options.shell) {
    shell.emplace(io, site, shut_down);
    shell->start();
  }
  const SiteInfo& self = start.members.latest.site(start.self);
  PAXOSKV_LOG(info) << "site " << self.name << " serving on " << self.host << ":" << self.port;
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that went away must not kill the site with SIGPIPE; the write just fails.
  std::signal(SIGPIPE, SIG_IGN);
  std::string program = argc > 0 ? argv[0] : "paxoskv-site";
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);

  auto parsed = parse_options(args);
  if (std::holds_alternative<HelpRequested>(parsed)) {
    std::cout << usage_text(program);
    return 0;
  }
  if (auto* error = std::get_if<UsageError>(&parsed)) {
    std::cerr << program << ": " << error->what << '\n' << usage_text(program);
    return kExitUsage;
  }
  const Options& options = std::get<Options>(parsed);
  log::to_stderr(options.log_level, options.site);

  std::optional<std::string> secret;
  if (!options.secret_path.empty()) {
    auto loaded = net::load_secret(options.secret_path);
    if (auto* error = std::get_if<net::SecretError>(&loaded)) {
      std::cerr << program << ": " << error->what << '\n';
      return kExitUsage;
    }
    secret = std::get<std::string>(std::move(loaded));
  }

  std::optional<BearerToken> http_token;
  if (!options.http_token_path.empty()) {
    auto loaded = BearerToken::load(options.http_token_path);
    if (auto* error = std::get_if<TokenError>(&loaded)) {
      std::cerr << program << ": --http-token: " << error->what << '\n';
      return kExitUsage;
    }
    http_token = std::get<BearerToken>(std::move(loaded));
  }

  auto start = starting_members(options, secret);
  if (auto* code = std::get_if<int>(&start)) return *code;

  try {
    return serve(options, std::get<StartingMembers>(start), secret, std::move(http_token));
  } catch (const storage::StorageError& error) {
    std::cerr << error.what() << '\n';
    return kExitFailure;
  } catch (const std::exception& error) {
    std::cerr << program << ": " << error.what() << '\n';
    return kExitFailure;
  }
}
