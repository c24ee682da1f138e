#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>

#include "core/kv_store.hpp"
#include "core/learner.hpp"
#include "kv_apply.hpp"
#include "paxoskv/snapshot.hpp"
#include "test_network.hpp"

using namespace paxoskv;

namespace {

Snapshot sample_snapshot() {
  Snapshot s;
  s.base = 42;
  s.base_hash = chain_hash(41, Command::noop(), genesis_hash);
  s.kv = {{"a", "1"}, {"b", "two words"}, {"q\"uote", "\xc3\xa9t\xc3\xa9\n"}};
  s.revisions = {{"a", 3}, {"b", 41}, {"q\"uote", 17}};
  s.ttls = {{"b", 30}};
  s.deleted = {"gone", "x"};
  s.clients = {{7, 3, true, ""}, {9, 1, false, "key exists"}};
  return s;
}

Snapshot decoded(const std::string& bytes) {
  auto d = decode_snapshot(bytes);
  if (const std::string* e = std::get_if<std::string>(&d)) BOOST_FAIL(*e);
  return std::get<Snapshot>(d);
}

std::string decode_error(const std::string& bytes) {
  auto d = decode_snapshot(bytes);
  BOOST_REQUIRE(std::holds_alternative<std::string>(d));
  return std::get<std::string>(d);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(round_trips_and_is_one_json_document) {
  Snapshot s = sample_snapshot();
  auto image = make_snapshot_image(s);
  BOOST_TEST(image->base == 42u);
  BOOST_TEST((image->digest == sha256(image->bytes)));
  BOOST_TEST((decoded(image->bytes) == s));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(image->bytes, ec);
  BOOST_TEST(!ec);
  BOOST_TEST(v.at("base").as_int64() == 42);
  // The same state always gives the same bytes, so sites name one image by its digest.
  BOOST_TEST(make_snapshot_image(s)->bytes == image->bytes);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_snapshots_with_a_reason) {
  BOOST_TEST(decode_error("[]") == "not a JSON object");
  BOOST_TEST(decode_error("{nope").find("not JSON") == 0u);
  std::string good = make_snapshot_image(sample_snapshot())->bytes;
  std::string bad_hash = good;
  bad_hash.replace(bad_hash.find("base_hash\":\"") + 12, 2, "zz");
  BOOST_TEST(decode_error(bad_hash) == "field 'base_hash' is not 64 hex digits");
  BOOST_TEST(decode_error(R"({"base":1,"base_hash":")" + std::string(64, '0') +
                          R"(","kv":{"k":"v"},"deleted":["k"],"clients":[]})") ==
             "key 'k' is both in 'kv' and 'deleted'");
  BOOST_TEST(decode_error(R"({"base":1,"base_hash":")" + std::string(64, '0') +
                          R"(","kv":{},"deleted":[],"clients":[{"client":2,"seq":1}]})") ==
             "clients: field 'ok' is missing or not a boolean");
  BOOST_TEST(decode_error(R"({"base":0,"base_hash":")" + std::string(64, '1') +
                          R"(","kv":{},"deleted":[],"clients":[]})") ==
             "a snapshot at base 0 must have the genesis hash");
}

// Revisions and times to live: a key's revision must be of a slot below the base, a time to
// live must belong to a key, and a snapshot written before revisions existed gives its keys
// the base's revision.
BOOST_AUTO_TEST_CASE(key_revisions_and_ttls_are_checked_and_defaulted) {
  const std::string head = R"({"base":5,"base_hash":")" +
                           to_hex(chain_hash(4, Command::noop(), genesis_hash)) +
                           R"(","kv":{"a":"1","b":"2"},)";
  const std::string tail = R"("deleted":[],"clients":[]})";
  Snapshot old = decoded(head + tail);
  BOOST_TEST(old.revisions.at("a") == 5u);
  BOOST_TEST(old.revisions.at("b") == 5u);
  BOOST_TEST(old.ttls.empty());
  Snapshot some = decoded(head + R"("revisions":{"a":2},"ttls":{"a":10},)" + tail);
  BOOST_TEST(some.revisions.at("a") == 2u);
  BOOST_TEST(some.revisions.at("b") == 5u);
  BOOST_TEST(some.ttls.at("a") == 10u);
  BOOST_TEST(decode_error(head + R"("revisions":{"a":6},)" + tail) ==
             "revisions['a'] is out of range");
  BOOST_TEST(decode_error(head + R"("revisions":{"a":0},)" + tail) ==
             "revisions['a'] is out of range");
  BOOST_TEST(decode_error(head + R"("revisions":{"c":1},)" + tail) ==
             "revisions: key 'c' is not in 'kv'");
  BOOST_TEST(decode_error(head + R"("ttls":{"a":0},)" + tail) == "ttls['a'] is out of range");
  BOOST_TEST(decode_error(head + R"("ttls":{"c":3},)" + tail) == "ttls: key 'c' is not in 'kv'");
}

BOOST_AUTO_TEST_CASE(kv_store_round_trip_keeps_tag_and_dedup_semantics) {
  KvStore kv;
  test::apply_next(kv, test::put("a", "1", 1, 1));
  test::apply_next(kv, test::put("d", "x", 1, 2));
  test::apply_next(kv, Command{Op::del, "d", "", RequestId{1, 3}});
  test::apply_next(kv, Command{Op::tag, "a", "t", RequestId{2, 1}});  // refused: a was set
  SnapshotSource s = kv.snapshot(4, genesis_hash);
  BOOST_TEST(s.deleted == std::vector<std::string>{"d"});

  KvStore restored;
  restored.restore(decoded(make_snapshot_image(s)->bytes));
  BOOST_TEST((restored.map() == kv.map()));
  // tag: d was set once, even if deleted now.
  ApplyResult tag_d = test::apply_next(restored, Command{Op::tag, "d", "t", RequestId{3, 1}});
  BOOST_TEST(!tag_d.ok);
  BOOST_TEST(tag_d.reason == "key exists");
  BOOST_TEST(test::apply_next(restored, Command{Op::tag, "new", "t", RequestId{3, 2}}).ok);
  // dedup: a retry of client 2's last request gets its recorded result, and does not act.
  BOOST_TEST(restored.already_applied(RequestId{2, 1}));
  ApplyResult again = test::apply_next(restored, Command{Op::tag, "zz", "t", RequestId{2, 1}});
  BOOST_TEST(again.duplicate);
  BOOST_TEST(again.reason == "key exists");
  BOOST_TEST(!restored.get("zz"));
  BOOST_TEST(test::apply_next(restored, test::put("a", "1", 1, 3)).duplicate);
}

// The image of a copied-out state is the one serialized form: keys in order whatever order the
// map holds them in, escapes as the decoder reads them, and the same bytes as the image of the
// decoded snapshot.
BOOST_AUTO_TEST_CASE(an_unsorted_source_gives_the_canonical_image) {
  KvStore kv;
  std::uint64_t seq = 0;
  for (int i = 0; i < 300; ++i) {
    std::string key = "k" + std::to_string((i * 7919) % 1000);
    test::apply_next(kv, test::put(key, "v\"\\\n\x01" + std::to_string(i), 1, ++seq));
  }
  for (int i = 0; i < 300; i += 3)
    test::apply_next(
        kv, Command{Op::del, "k" + std::to_string((i * 7919) % 1000), "", RequestId{1, ++seq}});
  for (std::uint64_t c = 9; c >= 2; --c)
    test::apply_next(kv, test::put("c" + std::to_string(c), "x", c, 1));
  auto image = make_snapshot_image(kv.snapshot(kv.history().revision(), genesis_hash));
  Snapshot decoded_back = decoded(image->bytes);
  BOOST_TEST(decoded_back.kv.size() == kv.map().size());
  BOOST_TEST(decoded_back.deleted.size() == 100u);
  BOOST_TEST(decoded_back.clients.size() == 9u);
  BOOST_TEST(make_snapshot_image(decoded_back)->bytes == image->bytes);
  BOOST_TEST((image->digest == sha256(image->bytes)));
  for (const auto& [key, value] : decoded_back.kv) BOOST_TEST(kv.map().at(key) == value);
}

// Lookups go through a hashed index of the map: a restore must rebuild it, into a store that
// already held other keys too.
BOOST_AUTO_TEST_CASE(kv_store_restore_replaces_what_lookups_see) {
  KvStore source;
  test::apply_next(source, test::put("a", "1", 1, 1));
  test::apply_next(source, test::put("b", "2", 1, 2));
  KvStore target;
  test::apply_next(target, test::put("old", "x", 2, 1));
  test::apply_next(target, test::put("a", "stale", 2, 2));
  target.restore(decoded(make_snapshot_image(source.snapshot(2, genesis_hash))->bytes));
  BOOST_TEST(target.get("a").value_or("null") == "1");
  BOOST_TEST(target.get("b").value_or("null") == "2");
  BOOST_TEST(!target.get("old"));
  BOOST_TEST(test::apply_next(target, Command{Op::append, "a", "+", RequestId{3, 1}}).ok);
  BOOST_TEST(target.get("a").value_or("null") == "1+");
  BOOST_TEST(test::apply_next(target, Command{Op::del, "b", "", RequestId{3, 2}}).ok);
  BOOST_TEST(!target.get("b"));
  BOOST_TEST(target.map().size() == 1u);
}

BOOST_AUTO_TEST_CASE(learner_with_a_base_chains_from_the_base_hash) {
  Hash base_hash = chain_hash(9, Command::noop(), genesis_hash);
  Learner l;
  l.restore(10, base_hash, {});
  BOOST_TEST(l.decided_end() == 10u);
  BOOST_TEST((l.head() == base_hash));
  std::vector<LogEntry> decided;
  l.learn(3, test::put("old", "x", 1, 1), decided);  // compacted: ignored
  l.learn(11, test::put("k", "b", 1, 3), decided);
  BOOST_TEST(decided.empty());
  l.learn(10, test::put("k", "a", 1, 2), decided);
  BOOST_REQUIRE_EQUAL(decided.size(), 2u);
  BOOST_TEST((decided[0].hash == chain_hash(10, test::put("k", "a", 1, 2), base_hash)));
  BOOST_TEST(l.decided(3) == nullptr);
  BOOST_TEST(l.decided(11)->value == "b");

  l.compact(11);
  BOOST_TEST(l.base() == 11u);
  BOOST_TEST((l.base_hash() == decided[0].hash));
  BOOST_TEST(l.log().size() == 1u);
  BOOST_TEST(l.decided_end() == 12u);
}

BOOST_AUTO_TEST_CASE(learner_install_joins_decisions_waiting_beyond_the_base) {
  Learner l;
  std::vector<LogEntry> decided;
  l.learn(0, test::put("k", "a", 1, 1), decided);
  l.learn(20, test::put("k", "c", 1, 21), decided);
  l.learn(5, test::put("k", "b", 1, 6), decided);  // below the snapshot: superseded
  decided.clear();
  Hash base_hash = chain_hash(19, Command::noop(), genesis_hash);
  l.install(20, base_hash, decided);
  BOOST_REQUIRE_EQUAL(decided.size(), 1u);
  BOOST_TEST(decided[0].slot == 20u);
  BOOST_TEST((decided[0].hash == chain_hash(20, test::put("k", "c", 1, 21), base_hash)));
  BOOST_TEST(l.base() == 20u);
  BOOST_TEST(l.decided_end() == 21u);
}

BOOST_AUTO_TEST_CASE(replicas_compact_every_n_slots_and_keep_a_tail) {
  ReplicaOptions options;
  options.snapshot_every = 20;
  options.log_tail = 5;
  test::TestNetwork net(3, 0, options);
  net.run_for(1500);
  SiteId leader = *net.leader();
  for (std::uint64_t i = 1; i <= 70; ++i) {
    net.replicas[leader].submit(test::put("k" + std::to_string(i % 7), std::to_string(i), 5, i),
                                net.now);
    if (i % 10 == 0) net.run_for(50);
  }
  net.run_for(500);
  for (const Replica& r : net.replicas) {
    ReplicaStatus st = r.status();
    BOOST_TEST(st.decided_end >= 70u);
    BOOST_TEST(st.compacted_end >= 60u);
    BOOST_TEST(st.log_start == st.compacted_end - 5);
    BOOST_TEST(r.log().size() < 30u);
    BOOST_TEST(r.log().front().slot == r.log_start());
    BOOST_TEST(r.kv().at("k0") == "70");
  }
  BOOST_TEST(net.compactions >= 9u);
}

// The core only asks for a snapshot (Ready::snapshot); the log under it is compacted once the
// driver reports the file written, and no second snapshot is asked for before that.
BOOST_AUTO_TEST_CASE(the_log_is_compacted_only_once_the_snapshot_is_written) {
  ReplicaOptions options;
  options.snapshot_every = 10;
  options.log_tail = 3;
  test::TestNetwork net(1, 0, options);
  net.held_snapshots[0];
  net.run_for(1500);
  for (std::uint64_t i = 1; i <= 35; ++i) {
    net.replicas[0].submit(test::put("k" + std::to_string(i % 4), std::to_string(i), 5, i),
                           net.now);
    if (i % 5 == 0) net.run_for(20);
  }
  net.run_for(200);
  const Replica& r = net.replicas[0];
  BOOST_REQUIRE_EQUAL(net.held_snapshots[0].size(), 1u);
  const Slot base = net.held_snapshots[0][0]->base;
  BOOST_TEST(base >= 10u);
  BOOST_TEST(r.status().decided_end >= base + 20);
  BOOST_TEST(r.status().compacted_end == 0u);
  BOOST_TEST(r.log_start() == 0u);
  BOOST_TEST(net.compactions == 0u);

  net.replicas[0].snapshot_written(make_snapshot_image(*net.held_snapshots[0][0]), net.now);
  net.run_for(20);
  BOOST_TEST(r.status().compacted_end == base);
  BOOST_TEST(r.log_start() == base - 3);
  BOOST_TEST(r.snapshot()->base == base);
  BOOST_TEST(net.compactions == 1u);
  // Far enough past that snapshot: the next one is asked for.
  BOOST_REQUIRE_EQUAL(net.held_snapshots[0].size(), 2u);
  BOOST_TEST(net.held_snapshots[0][1]->base >= base + 10);
}

// Three sites that compact every 20 slots keeping 5, a leader elected, and one follower that a
// test may cut off.
struct LaggingFollower {
  LaggingFollower() : net(3, 0, options()) {
    net.run_for(1500);
    leader = *net.leader();
    lagging = (leader + 1) % 3;
  }
  static ReplicaOptions options() {
    ReplicaOptions o;
    o.snapshot_every = 20;
    o.log_tail = 5;
    return o;
  }
  test::TestNetwork net;
  SiteId leader = 0;
  SiteId lagging = 0;
  std::function<bool(const Envelope&)> cut = [this](const Envelope& e) {
    return e.to == lagging || e.message.from == lagging;
  };
};

// A site's own snapshot still being written when a newer one arrives from a peer and is
// installed: reporting the older one afterwards must not move the log back under it.
BOOST_FIXTURE_TEST_CASE(a_snapshot_written_after_a_newer_install_is_ignored, LaggingFollower) {
  net.held_snapshots[lagging];
  std::uint64_t seq = 0;
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i, ++seq)
      net.replicas[leader].submit(test::put("k" + std::to_string(seq % 9), "v", 5, seq + 1),
                                  net.now);
  };
  write(25);
  net.run_for(300);
  BOOST_REQUIRE_EQUAL(net.held_snapshots[lagging].size(), 1u);
  const Slot own_base = net.held_snapshots[lagging][0]->base;
  write(80);
  net.run_for(1000, cut);
  net.run_for(2000);
  const Replica& r = net.replicas[lagging];
  BOOST_REQUIRE(r.status().snapshots_installed >= 1u);
  const Slot installed = r.status().compacted_end;
  BOOST_TEST(installed > own_base);
  const std::size_t compactions = net.compactions;
  net.replicas[lagging].snapshot_written(make_snapshot_image(*net.held_snapshots[lagging][0]),
                                         net.now);
  net.run_for(20);
  BOOST_TEST(r.status().compacted_end == installed);
  BOOST_TEST(r.snapshot()->base == installed);
  BOOST_TEST(r.status().snapshots_taken == 0u);
  BOOST_TEST(net.compactions == compactions);
  BOOST_TEST((r.kv() == net.replicas[leader].kv()));
}

BOOST_AUTO_TEST_CASE(restore_from_snapshot_and_log_suffix) {
  ReplicaOptions options;
  options.snapshot_every = 10;
  options.log_tail = 3;
  test::TestNetwork net(1, 0, options);
  net.run_for(1500);
  for (std::uint64_t i = 1; i <= 25; ++i)
    net.replicas[0].submit(test::put("k" + std::to_string(i % 4), std::to_string(i), 5, i),
                           net.now);
  net.run_for(200);
  const Replica& live = net.replicas[0];
  BOOST_REQUIRE(live.snapshot());
  Replica again(test::make_cluster(1), 0, options, 7);
  again.restore(Ballot{1, 0}, {}, live.snapshot(), live.log_start(), live.log_start_hash(),
                live.log(), net.now);
  BOOST_TEST((again.kv() == live.kv()));
  BOOST_TEST(again.status().decided_end == live.status().decided_end);
  BOOST_TEST(again.status().compacted_end == live.status().compacted_end);
  BOOST_TEST((again.log() == live.log()));
  // The dedup table came back with the snapshot: a retry of an old write completes at once.
  again.submit(test::put("k1", "1", 5, 1), net.now);
  Ready ready = again.take_ready();
  BOOST_REQUIRE_EQUAL(ready.completions.size(), 1u);
  BOOST_TEST(ready.completions[0].ok);
}

BOOST_FIXTURE_TEST_CASE(a_site_behind_the_compaction_point_gets_the_snapshot_in_pieces,
                        LaggingFollower) {
  // About 150 KB of state: several pieces of limits::snapshot_chunk_bytes.
  for (std::uint64_t i = 1; i <= 80; ++i)
    net.replicas[leader].submit(
        test::put("k" + std::to_string(i % 40), std::string(4000, 'a' + i % 26), 5, i), net.now);
  net.run_for(1000, cut);
  BOOST_REQUIRE(net.replicas[leader].status().log_start > 0u);
  BOOST_TEST(net.replicas[lagging].status().decided_end == 0u);

  // Every third snapshot piece is lost: the receiver's retransmission resumes the transfer.
  int pieces = 0, lost = 0;
  auto lossy = [&](const Envelope& e) {
    const auto* reply = std::get_if<CatchupReply>(&e.message.body);
    if (reply == nullptr || !reply->snapshot) return false;
    if (++pieces % 3 != 0) return false;
    ++lost;
    return true;
  };
  net.run_for(3000, lossy);
  const Replica& r = net.replicas[lagging];
  BOOST_TEST(lost > 0);
  BOOST_TEST(pieces > 6);
  BOOST_TEST(r.status().snapshots_installed >= 1u);
  BOOST_REQUIRE(r.status().decided_end == net.replicas[leader].status().decided_end);
  BOOST_TEST((r.kv() == net.replicas[leader].kv()));
  BOOST_TEST((r.head() == net.replicas[leader].head()));
}

BOOST_FIXTURE_TEST_CASE(a_changed_snapshot_restarts_the_transfer_and_a_corrupt_one_is_refused,
                        LaggingFollower) {
  for (std::uint64_t i = 1; i <= 30; ++i)
    net.replicas[leader].submit(
        test::put("k" + std::to_string(i % 40), std::string(4000, 'a' + i % 26), 5, i), net.now);
  net.run_for(1000, cut);
  // Flip one byte of every piece: the digest check must refuse the assembled snapshot.
  auto corrupt = [&](Envelope& e) {
    auto* reply = std::get_if<CatchupReply>(&e.message.body);
    if (reply && reply->snapshot && !reply->snapshot->data.empty()) reply->snapshot->data[0] ^= 1;
  };
  for (int round = 0; round < 100; ++round) {
    net.now += 10;
    for (Replica& rep : net.replicas) rep.tick(net.now);
    net.collect();
    while (!net.in_flight.empty()) {
      Envelope e = std::move(net.in_flight.front());
      net.in_flight.pop_front();
      corrupt(e);
      net.replicas[e.to].step(e.message, net.now);
      net.collect();
    }
  }
  BOOST_TEST(net.replicas[lagging].status().snapshots_installed == 0u);
  BOOST_TEST(net.replicas[lagging].status().decided_end == 0u);
  net.run_for(1000);
  BOOST_TEST(net.replicas[lagging].status().snapshots_installed >= 1u);
  BOOST_TEST((net.replicas[lagging].kv() == net.replicas[leader].kv()));
  BOOST_TEST((net.replicas[lagging].head() == net.replicas[leader].head()));
}

BOOST_AUTO_TEST_SUITE_END()
