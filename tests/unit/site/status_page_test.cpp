#include <boost/test/unit_test.hpp>
#include <string>

#include "site/metrics.hpp"
#include "site/options.hpp"
#include "site/status_page.hpp"

using namespace paxoskv;
using namespace paxoskv::site;

namespace {

Cluster three_sites() {
  return Cluster({SiteInfo{"alpha", "127.0.0.1", 5001, Role::voter},
                  SiteInfo{"beta", "127.0.0.1", 5002, Role::voter},
                  SiteInfo{"gamma", "127.0.0.1", 5003, Role::learner}});
}

LogEntry entry(Slot slot, Op op, std::string key, std::string value) {
  LogEntry e;
  e.slot = slot;
  e.command = Command{op, std::move(key), std::move(value), RequestId{1, slot + 1}};
  e.hash[0] = static_cast<std::uint8_t>(slot + 1);
  return e;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(status_page)

BOOST_AUTO_TEST_CASE(html_escape_covers_the_five_characters) {
  BOOST_TEST(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  BOOST_TEST(html_escape("plain text") == "plain text");
}

BOOST_AUTO_TEST_CASE(page_shows_status_chain_peers_and_escaped_map) {
  Cluster cluster = three_sites();
  ReplicaStatus status;
  status.self = 0;
  status.leader = 1;
  status.ballot = Ballot{3, 1};
  status.decided_end = 2;
  status.applied_end = 2;
  status.peers_up = {1};
  std::vector<LogEntry> log{entry(0, Op::put, "<k>", "v&1"), entry(1, Op::del, "<k>", "")};
  KvMap kv{{"x\"y", "<script>alert(1)</script>"}};
  std::string html = render_status_page(StatusPageData{cluster, status, log, kv, {}});

  BOOST_TEST(html.find("<meta http-equiv=\"refresh\" content=\"2\">") != std::string::npos);
  BOOST_TEST(html.find("<tr id=\"block-0\">") != std::string::npos);
  BOOST_TEST(html.find("<tr id=\"block-1\">") != std::string::npos);
  // Newest block first; the first block's previous hash is hash(-1), all zeros.
  BOOST_TEST(html.find("block-1") < html.find("block-0"));
  BOOST_TEST(html.find("0000000000000000&hellip;") != std::string::npos);
  BOOST_TEST(html.find("&lt;k&gt;") != std::string::npos);
  BOOST_TEST(html.find("<k>") == std::string::npos);
  BOOST_TEST(html.find("<script>") == std::string::npos);
  BOOST_TEST(html.find("x&quot;y") != std::string::npos);
  BOOST_TEST(html.find("beta <span class=\"badge lead\">leader</span>") != std::string::npos);
  BOOST_TEST(html.find("learner") != std::string::npos);
  BOOST_TEST(html.find(to_hex(log.back().hash)) != std::string::npos);  // the head
}

BOOST_AUTO_TEST_CASE(long_logs_and_maps_are_cut_to_the_limits) {
  Cluster cluster = three_sites();
  ReplicaStatus status;
  std::vector<LogEntry> log;
  for (Slot slot = 0; slot < 50; ++slot) log.push_back(entry(slot, Op::put, "k", "v"));
  KvMap kv;
  for (int i = 0; i < 30; ++i) kv["key" + std::to_string(i)] = std::string(500, 'x');
  StatusPageLimits limits;
  limits.blocks = 10;
  limits.keys = 20;
  limits.value_chars = 40;
  std::string html = render_status_page(StatusPageData{cluster, status, log, kv, {}}, limits);
  BOOST_TEST(count(html, "<tr id=\"block-") == 10u);
  BOOST_TEST(html.find("block-49") != std::string::npos);
  BOOST_TEST(html.find("block-39\"") == std::string::npos);
  BOOST_TEST(html.find("the latest 10 of 50 blocks") != std::string::npos);
  BOOST_TEST(html.find("30 keys, the first 20 shown") != std::string::npos);
  // The first 20 in key order: key0, key1, key10..key19, key2, key20..key26.
  BOOST_TEST(html.find(">key26</td>") != std::string::npos);
  BOOST_TEST(html.find(">key27</td>") == std::string::npos);
  BOOST_TEST(html.find(">key3</td>") == std::string::npos);
  BOOST_TEST(html.find(std::string(41, 'x')) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(metrics_derive_proposals_and_retries_from_messages) {
  Metrics metrics(3);
  auto accept = [](Ballot ballot, std::vector<Slot> slots) {
    Accept a;
    a.ballot = ballot;
    for (Slot s : slots) a.entries.push_back(SlotCommand{s, Command{}});
    return a;
  };
  Ballot b1{1, 0};
  for (SiteId to : {0u, 1u, 2u})
    metrics.count_outgoing(Envelope{to, Message{0, accept(b1, {0, 1})}});
  BOOST_TEST(metrics.proposals() == 2u);
  BOOST_TEST(metrics.accept_retries() == 0u);
  metrics.count_outgoing(Envelope{1, Message{0, accept(b1, {1, 2})}});  // 1 again, 2 new
  BOOST_TEST(metrics.proposals() == 3u);
  BOOST_TEST(metrics.accept_retries() == 1u);
  metrics.count_outgoing(Envelope{1, Message{0, accept(Ballot{2, 0}, {1})}});  // a new ballot
  BOOST_TEST(metrics.proposals() == 4u);
  BOOST_TEST(metrics.accept_retries() == 1u);

  Prepare prepare{Ballot{5, 0}, 0};
  metrics.count_outgoing(Envelope{1, Message{0, prepare}});
  metrics.count_outgoing(Envelope{2, Message{0, prepare}});
  metrics.count_outgoing(Envelope{1, Message{0, prepare}});
  BOOST_TEST(metrics.elections() == 1u);
  BOOST_TEST(metrics.prepare_retries() == 1u);
}

BOOST_AUTO_TEST_CASE(prometheus_text_has_families_and_a_cumulative_histogram) {
  Cluster cluster = three_sites();
  Metrics metrics(3);
  metrics.count_sent(Envelope{1, Message{0, Heartbeat{}}});
  metrics.count_received(Message{1, Ack{}});
  metrics.observe_fsync(SyncedFile::state, std::chrono::microseconds(300));
  metrics.observe_fsync(SyncedFile::state, std::chrono::seconds(10));
  ReplicaStatus status;
  status.decided_end = 7;
  net::DropCounters drops;
  drops.malformed = 2;
  std::string text = format_prometheus(MetricsSnapshot{cluster, status, 3, drops, {}, metrics});
  BOOST_TEST(text.find("# TYPE paxoskv_decided_slots gauge\npaxoskv_decided_slots 7\n") !=
             std::string::npos);
  BOOST_TEST(text.find("paxoskv_messages_sent_total{type=\"heartbeat\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("paxoskv_messages_received_total{type=\"ack\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("paxoskv_dropped_datagrams_total{reason=\"malformed\"} 2\n") !=
             std::string::npos);
  BOOST_TEST(
      text.find("paxoskv_fsync_duration_seconds_bucket{file=\"state\",le=\"0.00025\"} 0\n") !=
      std::string::npos);
  BOOST_TEST(text.find("paxoskv_fsync_duration_seconds_bucket{file=\"state\",le=\"0.0005\"} 1\n") !=
             std::string::npos);
  BOOST_TEST(text.find("paxoskv_fsync_duration_seconds_bucket{file=\"state\",le=\"2.5\"} 1\n") !=
             std::string::npos);
  BOOST_TEST(text.find("paxoskv_fsync_duration_seconds_bucket{file=\"state\",le=\"+Inf\"} 2\n") !=
             std::string::npos);
  BOOST_TEST(text.find("paxoskv_fsync_duration_seconds_count{file=\"state\"} 2\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(http_option_takes_a_port) {
  auto parsed = parse_options({"alpha", "--http", "8080"});
  BOOST_REQUIRE(std::holds_alternative<Options>(parsed));
  BOOST_TEST(std::get<Options>(parsed).http_port == 8080);
  auto off = parse_options({"alpha"});
  BOOST_TEST(std::get<Options>(off).http_port == 0);
  auto inline_value = parse_options({"--http=0", "alpha"});
  BOOST_TEST(std::get<Options>(inline_value).http_port == 0);
  for (const char* bad : {"65536", "-1", "80x", "", "http"})
    BOOST_TEST(std::holds_alternative<UsageError>(parse_options({"alpha", "--http", bad})), bad);
  BOOST_TEST(usage_text("paxoskv-site").find("--http PORT") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
