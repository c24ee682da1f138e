// Issue 17: the state machine's conditional writes (prev_exists=false, prev_value,
// prev_revision, cas), key revisions, times to live and the change history a watch reads.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "core/json_form.hpp"
#include "core/json_text.hpp"
#include "core/kv_store.hpp"
#include "kv_apply.hpp"
#include "paxoskv/chain.hpp"

using namespace paxoskv;

namespace {

Command conditional(Op op, std::string key, std::string value, Precondition pre, RequestId id) {
  Command c{op, std::move(key), std::move(value), id};
  c.pre = std::move(pre);
  return c;
}

Precondition if_value(std::string v) {
  return Precondition{Precondition::Kind::value, std::move(v), 0};
}
Precondition if_revision(Slot r) {
  return Precondition{Precondition::Kind::revision, "", r};
}
Precondition if_absent() {
  return Precondition{Precondition::Kind::absent, "", 0};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conditional_write)

BOOST_AUTO_TEST_CASE(a_write_takes_effect_only_when_its_precondition_holds) {
  KvStore kv;
  test::apply_next(kv, Command{Op::put, "k", "a", {1, 1}});  // slot 0
  BOOST_TEST(kv.meta("k")->revision == 1u);                  // slot 0's

  ApplyResult wrong = test::apply_next(kv, conditional(Op::put, "k", "c", if_value("b"), {1, 2}));
  BOOST_TEST(!wrong.ok);
  BOOST_TEST(wrong.reason == "value differs");
  BOOST_TEST(kv.get("k").value_or("null") == "a");
  BOOST_TEST(kv.meta("k")->revision == 1u);  // a failed write changes no revision

  ApplyResult cas = test::apply_next(kv, conditional(Op::put, "k", "c", if_value("a"), {1, 3}));
  BOOST_TEST(cas.ok);
  BOOST_TEST(cas.revision == 3u);  // of slot 2
  BOOST_TEST(kv.get("k").value_or("null") == "c");
  BOOST_TEST(kv.meta("k")->revision == 3u);

  BOOST_TEST(!test::apply_next(kv, conditional(Op::put, "k", "d", if_revision(0), {1, 4})).ok);
  BOOST_TEST(test::apply_next(kv, conditional(Op::put, "k", "d", if_revision(3), {1, 5})).ok);
  ApplyResult exists = test::apply_next(kv, conditional(Op::put, "k", "e", if_absent(), {1, 6}));
  BOOST_TEST(exists.reason == "key exists");

  // Deletes take the same conditions; a deleted key may be created again (unlike tag).
  BOOST_TEST(!test::apply_next(kv, conditional(Op::del, "k", "", if_value("x"), {1, 7})).ok);
  BOOST_TEST(test::apply_next(kv, conditional(Op::del, "k", "", if_revision(5), {1, 8})).ok);
  BOOST_TEST(!kv.meta("k"));
  BOOST_TEST(!test::apply_next(kv, conditional(Op::put, "k", "f", if_value("d"), {1, 9})).ok);
  BOOST_TEST(test::apply_next(kv, conditional(Op::put, "k", "f", if_absent(), {1, 10})).ok);
  BOOST_TEST(!test::apply_next(kv, Command{Op::tag, "k", "g", {1, 11}}).ok);
  BOOST_TEST(test::apply_next(kv, conditional(Op::del, "k", "", if_revision(10), {1, 12})).ok);
  BOOST_TEST(test::apply_next(kv, conditional(Op::put, "k", "h", if_revision(0), {1, 13})).ok);
  BOOST_TEST(kv.get("k").value_or("null") == "h");
}

BOOST_AUTO_TEST_CASE(a_time_to_live_is_kept_until_a_write_without_one) {
  KvStore kv;
  Command lease{Op::put, "lock", "me", {1, 1}};
  lease.ttl_s = 10;
  test::apply_next(kv, lease);
  BOOST_TEST(kv.meta("lock")->ttl_s == 10u);
  BOOST_TEST(kv.expiring().size() == 1u);
  test::apply_next(kv, Command{Op::put, "lock", "you", {1, 2}});
  BOOST_TEST(kv.meta("lock")->ttl_s == 0u);
  BOOST_TEST(kv.expiring().empty());
  lease.id.seq = 3;
  test::apply_next(kv, lease);
  test::apply_next(kv, Command{Op::del, "lock", "", {1, 4}});
  BOOST_TEST(kv.expiring().empty());
  // Kept across a snapshot, with the revision.
  lease.id.seq = 5;
  test::apply_next(kv, lease);  // slot 4
  KvStore restored;
  auto image = make_snapshot_image(kv.snapshot(5, genesis_hash));
  auto decoded = decode_snapshot(image->bytes);
  BOOST_REQUIRE(std::holds_alternative<Snapshot>(decoded));
  restored.restore(std::get<Snapshot>(decoded));
  BOOST_TEST((restored.meta("lock") == KeyMeta{5, 10}));
  BOOST_TEST(restored.expiring().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_history_holds_every_change_in_order_and_forgets_the_oldest_first) {
  KvStore kv;
  test::apply_next(kv, Command{Op::put, "a/1", "x", {1, 1}});                      // 0
  test::apply_next(kv, Command{Op::put, "b", "y", {1, 2}});                        // 1
  test::apply_next(kv, Command::noop());                                           // 2
  test::apply_next(kv, conditional(Op::put, "a/1", "z", if_value("no"), {1, 3}));  // 3: refused
  test::apply_next(kv, Command{Op::append, "a/2", "p", {1, 4}});                   // 4
  test::apply_next(kv, Command{Op::del, "a/1", "", {1, 5}});                       // 5
  test::apply_next(kv, Command{Op::del, "nothing", "", {1, 6}});                   // 6: no change
  const ChangeHistory& h = kv.history();
  BOOST_TEST(h.revision() == 7u);
  BOOST_TEST(h.covers_after(0));
  auto all = h.after(1, "a/", true, 100);  // after slot 0's put
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST((all[0] == KeyChange{5, "a/2", "p"}));
  BOOST_TEST((all[1] == KeyChange{6, "a/1", std::nullopt}));
  auto one = h.after(0, "a/1", false, 100);
  BOOST_REQUIRE(one.size() == 2u);
  BOOST_TEST((one[0] == KeyChange{1, "a/1", "x"}));
  BOOST_TEST(one[1].revision == 6u);
  BOOST_TEST(h.after(6, "a/", true, 100).empty());

  ChangeHistory small(2 * (sizeof(KeyChange) + 1));
  small.applied(0, KeyChange{1, "k", std::nullopt});
  small.applied(1, KeyChange{2, "k", std::nullopt});
  BOOST_TEST(small.covers_after(0));
  small.applied(2, KeyChange{3, "k", std::nullopt});
  BOOST_TEST(small.compacted() == 1u);
  BOOST_TEST(!small.covers_after(0));  // revision 1 is forgotten
  BOOST_TEST(small.covers_after(1));
  BOOST_TEST(small.after(1, "k", false, 10).size() == 2u);
  small.reset(10);
  BOOST_TEST(!small.covers_after(9));
  BOOST_TEST(small.covers_after(10));
  BOOST_TEST(small.revision() == 10u);
}

// The fields of a conditional write and a time to live are written only when present, so the
// file form and the chain hash of every other command are what they were.
BOOST_AUTO_TEST_CASE(the_file_form_and_the_hash_carry_conditions_only_when_present) {
  Command plain{Op::put, "k", "v", {3, 4}};
  std::string text;
  json_text::append_command_fields(text, plain);
  BOOST_TEST(text == R"("op":"put","key":"k","value":"v","client":3,"seq":4)");

  Command cas = conditional(Op::put, "k", "v", if_value("old"), {3, 5});
  cas.ttl_s = 7;
  text.clear();
  json_text::append_command_fields(text, cas);
  BOOST_TEST(text ==
             R"("op":"put","key":"k","value":"v","client":3,"seq":5,"if_value":"old","ttl":7)");
  boost::json::object o = boost::json::parse("{" + text + "}").as_object();
  Command back;
  BOOST_TEST(json_form::read_command(o, back).empty());
  BOOST_TEST((back == cas));
  boost::json::object generic;
  json_form::put_command(generic, cas);
  BOOST_TEST(generic == o);

  Command by_revision = conditional(Op::del, "k", "", if_revision(9), {3, 6});
  Command absent = conditional(Op::put, "k", "v", if_absent(), {3, 6});
  for (const Command& c : {by_revision, absent}) {
    boost::json::object form;
    json_form::put_command(form, c);
    Command read;
    BOOST_TEST(json_form::read_command(form, read).empty());
    BOOST_TEST((read == c));
  }

  BOOST_TEST(to_hex(chain_hash(1, plain, genesis_hash)) ==
             to_hex(chain_hash(1, Command{Op::put, "k", "v", {3, 4}}, genesis_hash)));
  Command same_but_conditional = plain;
  same_but_conditional.pre = if_value("v");
  BOOST_TEST(to_hex(chain_hash(1, plain, genesis_hash)) !=
             to_hex(chain_hash(1, same_but_conditional, genesis_hash)));

  boost::json::object two = o;
  two["if_revision"] = 3;
  BOOST_TEST(json_form::read_command(two, back) ==
             "more than one of if_absent, if_value, if_revision");
  boost::json::object zero_ttl = o;
  zero_ttl["ttl"] = 0;
  BOOST_TEST(json_form::read_command(zero_ttl, back) == "field 'ttl' out of range");
}

BOOST_AUTO_TEST_SUITE_END()
