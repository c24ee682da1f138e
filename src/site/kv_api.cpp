#include "site/kv_api.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <optional>

#include "client/client.hpp"
#include "paxoskv/limits.hpp"
#include "site/http_reply.hpp"
#include "site/shell_command.hpp"
#include "site/site.hpp"

namespace paxoskv::site {

namespace json = boost::json;

namespace {

constexpr std::string_view kKvPath = "/v1/kv";
constexpr std::string_view kWatchPath = "/v1/watch";
constexpr std::size_t kDefaultListLimit = 1000;
constexpr std::size_t kMaxListLimit = 10000;
// What a client without a quorum is told to wait before trying again: about the time a new
// leader takes to be elected (an election timeout and a round trip).
constexpr std::string_view kRetryAfterSeconds = "1";

HttpReply json_reply(unsigned status, const json::object& body) {
  return HttpReply{status, "application/json", json::serialize(body) + "\n", {}};
}

HttpReply error_reply(unsigned status, std::string_view message, std::uint64_t revision) {
  return json_reply(status, json::object{{"error", message}, {"cluster_revision", revision}});
}

std::optional<std::uint64_t> parse_number(const std::string& text) {
  std::uint64_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

// What is wrong with a key, or "".
std::string key_problem(const std::string& key) {
  if (key.empty()) return "the key is empty";
  if (key.size() > limits::max_key_bytes) return key_too_large_reason();
  if (!is_valid_utf8(key)) return "the key is not valid UTF-8";
  return "";
}

// The parameters a request may carry; anything else is a client's mistake worth a 400.
std::string unknown_parameter(const HttpRequest& request,
                              std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : request.query) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || name == k;
    if (!ok) return "unknown parameter '" + name + "'";
  }
  return "";
}

bool flag(const HttpRequest& request, std::string_view name) {
  const std::string* value = request.query_value(name);
  return value != nullptr && *value == "true";
}

// How the core's reason for a failed write maps to HTTP: a condition that does not hold is
// 412, a value over the limit 413, an outcome nobody knows 504.
unsigned status_of_failure(const std::string& reason) {
  if (reason == precondition_failed_reason(Precondition::Kind::absent) ||
      reason == precondition_failed_reason(Precondition::Kind::value) ||
      reason == precondition_failed_reason(Precondition::Kind::revision))
    return 412;
  if (reason == value_too_large_reason()) return 413;
  if (reason.find("outcome unknown") != std::string::npos) return 504;
  return 500;
}

}  // namespace

KvApi::KvApi(boost::asio::io_context& io, Site& site)
    : site_(site), read_client_(client::random_client_id()), watches_(io, site.replica()) {}

RequestId KvApi::next_read_id() {
  return RequestId{read_client_, next_read_seq_++};
}

KvApi::Lane KvApi::take_lane() {
  if (idle_lanes_.empty()) {
    std::uint64_t client = 0;
    while (client == 0 || client == read_client_ || lane_clients_.contains(client))
      client = client::random_client_id();
    lane_clients_.insert(client);
    return Lane{client, 1};
  }
  Lane lane = idle_lanes_.back();
  idle_lanes_.pop_back();
  return lane;
}

void KvApi::stop() {
  stopped_ = true;
  pending_.clear();
  idle_lanes_.clear();
  watches_.stop();
}

bool KvApi::refuse_without_quorum(const HttpRespond& respond) const {
  const ReplicaStatus status = site_.replica().status();
  if (status.leader) return false;
  const Cluster& members = site_.replica().members();
  std::size_t voters = 0;
  std::size_t up = members.is_voter(status.self) ? 1 : 0;
  for (SiteId s = 0; s < members.size(); ++s) voters += members.is_voter(s) ? 1 : 0;
  for (SiteId s : status.peers_up) up += s < members.size() && members.is_voter(s) ? 1 : 0;
  if (up > voters / 2) return false;
  HttpReply reply = error_reply(503, "no quorum: no leader is known and too few voters answer",
                                site_.replica().changes().revision());
  reply.headers.emplace_back("Retry-After", kRetryAfterSeconds);
  respond(std::move(reply));
  return true;
}

void KvApi::handle(const HttpRequest& request, HttpRespond respond) {
  if (stopped_) return;
  const std::uint64_t revision = site_.replica().changes().revision();
  if (request.path == kKvPath) {
    if (request.method != "GET") return respond(error_reply(405, "only GET lists keys", revision));
    return handle_list(request, std::move(respond));
  }
  if (request.path.starts_with(std::string(kKvPath) + "/")) {
    std::string key = request.path.substr(kKvPath.size() + 1);
    return handle_key(request, key, std::move(respond));
  }
  if (request.path == kWatchPath) {
    if (request.method != "GET") return respond(error_reply(405, "only GET watches", revision));
    if (auto e = unknown_parameter(request, {"key", "prefix", "since", "timeout"}); !e.empty())
      return respond(error_reply(400, e, revision));
    const std::string* key = request.query_value("key");
    const std::string* prefix = request.query_value("prefix");
    if ((key == nullptr) == (prefix == nullptr))
      return respond(error_reply(400, "watch needs one of key and prefix", revision));
    std::uint64_t since = revision;
    if (const std::string* text = request.query_value("since")) {
      auto n = parse_number(*text);
      if (!n) return respond(error_reply(400, "since is not a revision", revision));
      since = *n;
    }
    auto timeout = std::chrono::steady_clock::duration(KvWatches::kDefaultTimeout);
    if (const std::string* text = request.query_value("timeout")) {
      auto n = parse_number(*text);
      if (!n || *n == 0 || std::chrono::seconds(*n) > KvWatches::kMaxTimeout)
        return respond(error_reply(400, "timeout must be 1 to 60 seconds", revision));
      timeout = std::chrono::seconds(*n);
    }
    return watches_.watch(key != nullptr ? *key : *prefix, prefix != nullptr, since, timeout,
                          std::move(respond));
  }
  respond(json_reply(404, json::object{{"error", "no such endpoint"}, {"path", request.path}}));
}

void KvApi::handle_key(const HttpRequest& request, const std::string& key, HttpRespond respond) {
  const Replica& replica = site_.replica();
  const std::uint64_t revision = replica.changes().revision();
  if (auto problem = key_problem(key); !problem.empty())
    return respond(error_reply(400, problem, revision));
  if (request.method == "PUT" || request.method == "DELETE")
    return write(request, key, std::move(respond));
  if (request.method != "GET")
    return respond(error_reply(405, "a key takes GET, PUT and DELETE", revision));
  if (auto e = unknown_parameter(request, {"serializable"}); !e.empty())
    return respond(error_reply(400, e, revision));
  Pending pending{Pending::Kind::get, key, 0, false, std::move(respond), "", 0, {}};
  if (flag(request, "serializable")) return answer(pending, Completion{{}, true, "", true, {}, 0});
  if (refuse_without_quorum(pending.respond)) return;
  const RequestId id = next_read_id();
  pending_.emplace(id, std::move(pending));
  site_.submit_read(id, key);
}

void KvApi::handle_list(const HttpRequest& request, HttpRespond respond) {
  const std::uint64_t revision = site_.replica().changes().revision();
  if (auto e = unknown_parameter(request, {"prefix", "limit", "serializable"}); !e.empty())
    return respond(error_reply(400, e, revision));
  const std::string* prefix = request.query_value("prefix");
  std::size_t limit = kDefaultListLimit;
  if (const std::string* text = request.query_value("limit")) {
    auto n = parse_number(*text);
    if (!n || *n == 0 || *n > kMaxListLimit)
      return respond(
          error_reply(400, "limit must be 1 to " + std::to_string(kMaxListLimit), revision));
    limit = *n;
  }
  Pending pending{
      Pending::Kind::list, prefix ? *prefix : "", limit, false, std::move(respond), "", 0, {}};
  if (flag(request, "serializable")) return answer(pending, Completion{{}, true, "", true, {}, 0});
  if (refuse_without_quorum(pending.respond)) return;
  const RequestId id = next_read_id();
  // A read of any key is the barrier: once it completes, the map holds every write that
  // completed before the list was asked for.
  site_.submit_read(id, pending.key);
  pending_.emplace(id, std::move(pending));
}

void KvApi::write(const HttpRequest& request, const std::string& key, HttpRespond respond) {
  const std::uint64_t revision = site_.replica().changes().revision();
  const bool is_delete = request.method == "DELETE";
  auto e = is_delete
               ? unknown_parameter(request, {"prev_value", "prev_revision"})
               : unknown_parameter(request, {"prev_exists", "prev_value", "prev_revision", "ttl"});
  if (!e.empty()) return respond(error_reply(400, e, revision));
  Command command{is_delete ? Op::del : Op::put, key, is_delete ? "" : request.body, {}};
  int conditions = 0;
  if (const std::string* text = request.query_value("prev_exists")) {
    if (*text != "false")
      return respond(error_reply(400, "prev_exists takes only false", revision));
    command.pre.kind = Precondition::Kind::absent;
    ++conditions;
  }
  if (const std::string* text = request.query_value("prev_value")) {
    command.pre = Precondition{Precondition::Kind::value, *text, 0};
    ++conditions;
  }
  if (const std::string* text = request.query_value("prev_revision")) {
    auto n = parse_number(*text);
    if (!n) return respond(error_reply(400, "prev_revision is not a revision", revision));
    command.pre = Precondition{Precondition::Kind::revision, "", *n};
    ++conditions;
  }
  if (conditions > 1)
    return respond(
        error_reply(400, "at most one of prev_exists, prev_value and prev_revision", revision));
  if (const std::string* text = request.query_value("ttl")) {
    auto n = parse_number(*text);
    if (!n || *n == 0 || *n > limits::max_ttl_s)
      return respond(error_reply(
          400, "ttl must be 1 to " + std::to_string(limits::max_ttl_s) + " seconds", revision));
    command.ttl_s = static_cast<std::uint32_t>(*n);
  }
  if (is_delete && !request.body.empty())
    return respond(error_reply(400, "a DELETE takes no body", revision));
  if (command.value.size() + command.pre.value.size() > limits::max_value_bytes)
    return respond(error_reply(413, value_too_large_reason(), revision));
  if (!is_valid_utf8(command.value) || !is_valid_utf8(command.pre.value))
    return respond(error_reply(400, "the value is not valid UTF-8", revision));
  if (refuse_without_quorum(respond)) return;
  Lane lane = take_lane();
  command.id = RequestId{lane.client, lane.next_seq++};
  pending_.emplace(command.id, Pending{Pending::Kind::write, key, 0, is_delete, std::move(respond),
                                       command.value, command.ttl_s, lane});
  site_.submit(command);
}

bool KvApi::complete(const Completion& completion) {
  if (completion.id.client != read_client_ && !lane_clients_.contains(completion.id.client))
    return false;
  auto it = pending_.find(completion.id);
  if (it == pending_.end()) return true;  // stopped meanwhile
  Pending pending = std::move(it->second);
  pending_.erase(it);
  // Answered, the lane is free again, even when the outcome is unknown: should that write be
  // decided after the lane's next one, it is dropped as stale; before, it is applied first.
  if (pending.kind == Pending::Kind::write) idle_lanes_.push_back(pending.lane);
  answer(pending, completion);
  return true;
}

void KvApi::answer(const Pending& pending, const Completion& completion) {
  const Replica& replica = site_.replica();
  const std::uint64_t revision = replica.changes().revision();
  auto key_object = [&](const std::string& key) {
    json::object o{{"key", key}};
    auto value = replica.kv().find(key);
    if (value != replica.kv().end()) o["value"] = value->second;
    if (auto meta = replica.key_meta(key)) {
      o["revision"] = meta->revision;
      if (meta->ttl_s != 0) o["ttl"] = meta->ttl_s;
    }
    return o;
  };
  if (!completion.ok) {
    if (pending.kind != Pending::Kind::write) {
      // A read changed nothing: the site simply had no quorum for it.
      HttpReply reply = error_reply(503, "no quorum: " + completion.reason, revision);
      reply.headers.emplace_back("Retry-After", kRetryAfterSeconds);
      return pending.respond(std::move(reply));
    }
    const unsigned status = status_of_failure(completion.reason);
    json::object body{{"error", completion.reason}, {"cluster_revision", revision}};
    if (status == 412) body["current"] = key_object(pending.key);
    return pending.respond(json_reply(status, body));
  }
  switch (pending.kind) {
    case Pending::Kind::get: {
      if (!replica.kv().contains(pending.key)) {
        json::object body{
            {"error", "no such key"}, {"key", pending.key}, {"cluster_revision", revision}};
        return pending.respond(json_reply(404, body));
      }
      json::object body = key_object(pending.key);
      body["cluster_revision"] = revision;
      return pending.respond(json_reply(200, body));
    }
    case Pending::Kind::list: {
      std::vector<std::string_view> keys;
      for (const auto& [key, value] : replica.kv())
        if (std::string_view(key).starts_with(pending.key)) keys.push_back(key);
      const std::size_t shown = std::min(keys.size(), pending.limit);
      std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(shown),
                        keys.end());
      json::array kvs;
      for (std::size_t i = 0; i < shown; ++i) kvs.push_back(key_object(std::string(keys[i])));
      return pending.respond(json_reply(200, json::object{{"kvs", std::move(kvs)},
                                                          {"more", keys.size() > shown},
                                                          {"cluster_revision", revision}}));
    }
    case Pending::Kind::write: {
      json::object body{{"key", pending.key}};
      if (pending.is_delete) {
        if (completion.revision != 0) body["deleted_revision"] = completion.revision;
      } else if (completion.revision != 0) {
        // The put itself, not the key now: a later write may have been applied with it.
        body["value"] = pending.value;
        body["revision"] = completion.revision;
        if (pending.ttl_s != 0) body["ttl"] = pending.ttl_s;
      } else {
        // Its slot is not known (it was applied in slots a snapshot brought): the key now.
        body = key_object(pending.key);
      }
      body["cluster_revision"] = revision;
      return pending.respond(json_reply(200, body));
    }
  }
}

}  // namespace paxoskv::site
