#include "site/metrics.hpp"

#include <cassert>
#include <cstdio>
#include <utility>

namespace paxoskv::site {

namespace {

template <std::size_t... I>
std::array<const char*, kMessageTypes> type_names(std::index_sequence<I...>) {
  return {type_name(MessageBody(std::in_place_index<I>))...};
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

// Writes the families one by one: a HELP and a TYPE line, then its samples.
class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    text_ += std::string("# HELP ") + name + ' ' + help + '\n';
    text_ += std::string("# TYPE ") + name + ' ' + type + '\n';
  }
  void sample(std::uint64_t value, const std::string& labels = "", const char* suffix = "") {
    sample_text(std::to_string(value), labels, suffix);
  }
  void sample_text(const std::string& value, const std::string& labels, const char* suffix) {
    text_ += name_ + suffix;
    if (!labels.empty()) text_ += '{' + labels + '}';
    text_ += ' ' + value + '\n';
  }
  std::string take() { return std::move(text_); }

 private:
  std::string name_;
  std::string text_;
};

void histogram(Exposition& out, const LatencyHistogram& h, const std::string& labels) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= LatencyHistogram::kBoundsSeconds.size(); ++i) {
    cumulative += h.bucket(i);
    std::string le = i < LatencyHistogram::kBoundsSeconds.size()
                         ? number(LatencyHistogram::kBoundsSeconds[i])
                         : std::string("+Inf");
    out.sample(cumulative, labels + ",le=\"" + le + '"', "_bucket");
  }
  assert(cumulative == h.count());
  out.sample_text(number(h.sum_seconds()), labels, "_sum");
  out.sample(h.count(), labels, "_count");
}

void replica_families(Exposition& out, const MetricsSnapshot& s) {
  const std::string site = label_value(s.cluster.name(s.status.self));
  bool learner = !s.cluster.is_voter(s.status.self);
  out.family("paxoskv_site_info", "gauge", "This site's name and role (always 1).");
  out.sample(1, "site=\"" + site + "\",role=\"" + (learner ? "learner" : "voter") + '"');
  out.family("paxoskv_decided_slots", "gauge", "Slots decided at this site (all below are).");
  out.sample(s.status.decided_end);
  out.family("paxoskv_applied_slots", "gauge", "Slots applied to the key-value map.");
  out.sample(s.status.applied_end);
  out.family("paxoskv_compacted_slots", "gauge", "Slots folded into the snapshot.");
  out.sample(s.status.compacted_end);
  out.family("paxoskv_ballot_round", "gauge", "Round of the highest ballot promised or led.");
  out.sample(s.status.ballot.round);
  out.family("paxoskv_is_leader", "gauge", "1 if this site leads.");
  out.sample(s.status.is_leader ? 1 : 0);
  out.family("paxoskv_peers_up", "gauge", "Sites heard from within the election timeout.");
  out.sample(s.status.peers_up.size());
  out.family("paxoskv_kv_keys", "gauge", "Keys in the applied map.");
  out.sample(s.kv_keys);
}

void counter_families(Exposition& out, const Metrics& m) {
  out.family("paxoskv_commands_submitted_total", "counter",
             "Commands typed at this site's shell, by kind.");
  out.sample(m.writes_submitted(), "kind=\"write\"");
  out.sample(m.reads_submitted(), "kind=\"read\"");
  out.family("paxoskv_client_requests_total", "counter", "client_request datagrams received.");
  out.sample(m.client_requests());
  out.family("paxoskv_completions_total", "counter", "Commands of this site that completed.");
  out.sample(m.completed() - m.failed(), "result=\"ok\"");
  out.sample(m.failed(), "result=\"failed\"");
  out.family("paxoskv_proposals_total", "counter",
             "Slots this site proposed as leader (first accept of a slot at a ballot).");
  out.sample(m.proposals());
  out.family("paxoskv_retries_total", "counter",
             "Slots re-sent in accepts, and prepares re-sent, to a peer at the same ballot.");
  out.sample(m.accept_retries(), "phase=\"accept\"");
  out.sample(m.prepare_retries(), "phase=\"prepare\"");
  out.family("paxoskv_elections_total", "counter", "Ballots this site campaigned with.");
  out.sample(m.elections());
}

void message_families(Exposition& out, const MetricsSnapshot& s) {
  out.family("paxoskv_messages_sent_total", "counter", "Datagrams sent to peers, by type.");
  for (std::size_t i = 0; i < kMessageTypes; ++i)
    out.sample(s.metrics.sent(i), std::string("type=\"") + message_type_name(i) + '"');
  out.family("paxoskv_messages_received_total", "counter",
             "Messages received from peers and accepted, by type.");
  for (std::size_t i = 0; i < kMessageTypes; ++i)
    out.sample(s.metrics.received(i), std::string("type=\"") + message_type_name(i) + '"');
  out.family("paxoskv_dropped_datagrams_total", "counter",
             "Datagrams dropped, and messages eaten by injected faults, by reason.");
  out.sample(s.drops.malformed, "reason=\"malformed\"");
  out.sample(s.drops.unknown_sender, "reason=\"unknown_sender\"");
  out.sample(s.drops.link_failed, "reason=\"link_failed\"");
  out.sample(s.drops.auth_failed, "reason=\"auth_failed\"");
  out.sample(s.faults.dropped_outgoing, "reason=\"drop_rate\"");
  out.sample(s.faults.ignored_incoming, "reason=\"fail_rate\"");
}

}  // namespace

void LatencyHistogram::observe(std::chrono::steady_clock::duration elapsed) {
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t i = 0;
  while (i < kBoundsSeconds.size() && seconds > kBoundsSeconds[i]) ++i;
  ++buckets_[i];
  ++count_;
  sum_seconds_ += seconds;
}

Metrics::Metrics(std::size_t sites) : peers_(sites) {}

void Metrics::count_outgoing(const Envelope& envelope) {
  // Sites added by membership changes get their counters when first sent to.
  if (envelope.to >= peers_.size()) peers_.resize(envelope.to + 1);
  if (const auto* accept = std::get_if<Accept>(&envelope.message.body))
    count_accept(envelope.to, *accept);
  else if (const auto* prepare = std::get_if<Prepare>(&envelope.message.body))
    count_prepare(envelope.to, *prepare);
}

void Metrics::count_accept(SiteId to, const Accept& accept) {
  PeerProgress& peer = peers_[to];
  if (peer.accept_ballot != accept.ballot) {
    peer.accept_ballot = accept.ballot;
    peer.accept_high.reset();
  }
  if (proposal_ballot_ != accept.ballot) {
    proposal_ballot_ = accept.ballot;
    proposal_high_.reset();
  }
  for (const SlotCommand& entry : accept.entries) {
    if (peer.accept_high && entry.slot <= *peer.accept_high)
      ++accept_retries_;
    else
      peer.accept_high = entry.slot;
    if (!proposal_high_ || entry.slot > *proposal_high_) {
      ++proposals_;
      proposal_high_ = entry.slot;
    }
  }
}

void Metrics::count_prepare(SiteId to, const Prepare& prepare) {
  if (election_ballot_ != prepare.ballot) {
    election_ballot_ = prepare.ballot;
    ++elections_;
  }
  PeerProgress& peer = peers_[to];
  if (peer.prepare_ballot == prepare.ballot) ++prepare_retries_;
  peer.prepare_ballot = prepare.ballot;
}

void Metrics::count_sent(const Envelope& envelope) {
  ++sent_.at(envelope.message.body.index());
}

void Metrics::count_received(const Message& message) {
  ++received_.at(message.body.index());
}

void Metrics::count_completion(const Completion& completion) {
  ++completed_;
  if (!completion.ok) ++failed_;
}

void Metrics::observe_fsync(SyncedFile file, std::chrono::steady_clock::duration elapsed) {
  (file == SyncedFile::state ? fsync_state_ : fsync_log_).observe(elapsed);
}

const char* message_type_name(std::size_t index) {
  static const std::array<const char*, kMessageTypes> names =
      type_names(std::make_index_sequence<kMessageTypes>{});
  return names.at(index);
}

std::string format_prometheus(const MetricsSnapshot& snapshot) {
  Exposition out;
  replica_families(out, snapshot);
  counter_families(out, snapshot.metrics);
  message_families(out, snapshot);
  out.family("paxoskv_fsync_duration_seconds", "histogram",
             "Time of each fsync of the acceptor state and the log.");
  histogram(out, snapshot.metrics.fsync(SyncedFile::state), "file=\"state\"");
  histogram(out, snapshot.metrics.fsync(SyncedFile::log), "file=\"log\"");
  return out.take();
}

}  // namespace paxoskv::site
