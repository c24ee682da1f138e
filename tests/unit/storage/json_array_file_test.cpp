#include "storage/json_array_file.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "storage/storage_error.hpp"
#include "test_support.hpp"

namespace paxoskv::storage::test {
namespace {

namespace json = boost::json;

json::object element(int n) {
  return json::object{{"n", n}, {"text", "element " + std::to_string(n) + " \"quoted\"\n"}};
}

std::vector<json::object> elements(int from, int to) {
  std::vector<json::object> out;
  for (int n = from; n < to; ++n) out.push_back(element(n));
  return out;
}

struct FileFixture {
  TempDir dir;
  std::filesystem::path path = dir.path() / "alpha_things.json";

  std::vector<json::object> open() {
    JsonArrayFile f;
    return f.open(path, "alpha", "things");
  }
  // A file holding elements [0, n), written through append one at a time.
  void fill(int n) {
    std::filesystem::remove(path);
    JsonArrayFile f;
    BOOST_TEST_REQUIRE(f.open(path, "alpha", "things").empty());
    for (int i = 0; i < n; ++i) f.append({element(i)});
    f.sync();
  }
  // Opens, requires a repair that kept exactly elements [0, kept), and requires the repaired
  // file to be one JSON document that opens again without a repair.
  void require_repaired_to(int kept) {
    {
      JsonArrayFile f;
      BOOST_TEST_REQUIRE((f.open(path, "alpha", "things") == elements(0, kept)));
      BOOST_TEST(f.repaired());
    }
    json::value doc = parse_file(path);
    BOOST_TEST(doc.at("things").as_array().size() == static_cast<std::size_t>(kept));
    JsonArrayFile again;
    BOOST_TEST((again.open(path, "alpha", "things") == elements(0, kept)));
    BOOST_TEST(!again.repaired());
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(json_array_file)

BOOST_FIXTURE_TEST_CASE(creates_a_header_only_document_and_its_directory, FileFixture) {
  path = dir.path() / "sub" / "dir" / "alpha_things.json";
  JsonArrayFile f;
  BOOST_TEST(f.open(path, "alpha", "things").empty());
  BOOST_TEST(read_text(path) == "{\"site\":\"alpha\",\"things\":[\n]}\n");
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
  BOOST_TEST(!f.repaired());
}

BOOST_FIXTURE_TEST_CASE(appends_survive_reopen_one_element_per_line, FileFixture) {
  {
    JsonArrayFile f;
    f.open(path, "alpha", "things");
    f.append({element(0)});
    f.append(elements(1, 4));
    f.append({});
    f.append({element(4)});
    f.sync();
  }
  BOOST_TEST((open() == elements(0, 5)));
  const std::string text = read_text(path);
  BOOST_TEST(text.starts_with("{\"site\":\"alpha\",\"things\":[\n{\"n\":0,"));
  BOOST_TEST(contains(text, "}\n,{\"n\":1,"));
  BOOST_TEST(contains(text, "}\n,{\"n\":4,"));
  BOOST_TEST(text.ends_with("}\n]}\n"));
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 7);  // header, 5 elements, closing
}

BOOST_FIXTURE_TEST_CASE(whole_file_is_one_json_document_after_every_append, FileFixture) {
  JsonArrayFile f;
  f.open(path, "alpha", "things");
  json::array expected;
  for (int i = 0; i < 40; ++i) {
    const std::vector<json::object> batch =
        i % 3 == 0 ? elements(10 * i, 10 * i + 3) : std::vector{element(10 * i)};
    f.append(batch);
    expected.insert(expected.end(), batch.begin(), batch.end());
    const json::value doc = parse_file(path);
    BOOST_TEST(doc.at("site") == "alpha");
    BOOST_TEST_REQUIRE(doc.at("things") == expected);
  }
  BOOST_TEST(expected.size() == 68u);  // 14 batches of 3 and 26 single elements
}

BOOST_FIXTURE_TEST_CASE(reopened_file_continues_with_the_right_commas, FileFixture) {
  fill(2);
  {
    JsonArrayFile f;
    BOOST_TEST(f.open(path, "alpha", "things").size() == 2u);
    f.append(elements(2, 4));
  }
  BOOST_TEST((open() == elements(0, 4)));
  BOOST_TEST(parse_file(path).at("things").as_array().size() == 4u);
}

// A crash tears the last write, ",{...}\n]}\n" over the old "]}\n": the file holds a prefix of
// the new bytes, plus the old closing bytes not yet overwritten.
BOOST_FIXTURE_TEST_CASE(torn_last_write_is_cut_at_every_offset, FileFixture) {
  fill(4);
  const std::string before = read_text(path);
  fill(5);
  const std::string after = read_text(path);
  const std::size_t start = before.size() - 3;
  const std::size_t element_end = after.size() - 3;  // just past the new element's newline
  for (std::size_t k = 0; start + k < after.size(); ++k) {
    std::string torn = after.substr(0, start + k);
    if (k < 3) torn += before.substr(start + k);
    write_text(path, torn);
    BOOST_TEST_CONTEXT("torn after " << k << " bytes of the last write") {
      if (k == 0) {
        BOOST_TEST((open() == elements(0, 4)));
        continue;
      }
      require_repaired_to(start + k >= element_end ? 5 : 4);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(file_cut_at_any_byte_inside_the_last_element_keeps_the_others,
                        FileFixture) {
  fill(6);
  const std::string full = read_text(path);
  const std::size_t last_line = full.rfind("\n,{") + 1;
  for (std::size_t cut = last_line; cut < full.size(); cut += 3) {
    write_text(path, full.substr(0, cut));
    BOOST_TEST_CONTEXT("cut at byte " << cut) {
      require_repaired_to(cut >= full.size() - 3 ? 6 : 5);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(nul_bytes_and_partial_garbage_at_the_end_are_cut, FileFixture) {
  fill(3);
  const std::string full = read_text(path);
  const std::string body = full.substr(0, full.size() - 3);  // without "]}\n"
  const std::string tails[] = {
      full + std::string(4096, '\0'),
      body + std::string(200, '\0'),
      body + ",{\"n\":3,\"text\":\"par",
      body + ",{\"n\":3}" + std::string(100, '\0') + "\n]}\n",
      body + "\xff\xfe\x01 garbage\n\n\x7f",
      body + "]}",
      body,
  };
  for (const std::string& tail : tails) {
    write_text(path, tail);
    BOOST_TEST_CONTEXT("tail of " << tail.size() - body.size() << " bytes") {
      require_repaired_to(3);
    }
  }
}

// With a reserve, spaces follow the document. They are not part of it: the file stays one
// JSON document, appends go before them, a torn append ahead of them is cut as before, and
// NULs after it (padding whose pages a crash lost) are cut like a torn tail.
BOOST_FIXTURE_TEST_CASE(a_reserve_is_spaces_after_the_document, FileFixture) {
  constexpr std::size_t kReserve = 512;
  {
    JsonArrayFile f;
    BOOST_TEST_REQUIRE(f.open(path, "alpha", "things", TailRule::any_bad_tail, kReserve).empty());
    for (int i = 0; i < 40; ++i) f.append({element(i)});  // past one reserve: it grows again
    f.sync();
  }
  const std::string text = read_text(path);
  const std::string document = read_document(path);
  BOOST_TEST(text.size() > document.size());
  BOOST_TEST(text.size() - document.size() <= kReserve);
  BOOST_TEST(document.size() > kReserve);
  BOOST_TEST(document.substr(document.size() - 3) == "]}\n");
  BOOST_TEST(parse_file(path).at("things").as_array().size() == 40u);
  {
    JsonArrayFile f;
    BOOST_TEST(
        (f.open(path, "alpha", "things", TailRule::any_bad_tail, kReserve) == elements(0, 40)));
    BOOST_TEST(!f.repaired());
    f.append({element(40)});
  }
  BOOST_TEST(read_text(path).size() == text.size(), "an append within the reserve grew the file");
  BOOST_TEST((open() == elements(0, 41)));

  // A torn append ahead of the spaces.
  const std::string whole = read_document(path);
  write_text(path, whole.substr(0, whole.size() - 3) + ",{\"n\":41,\"te" + std::string(500, ' '));
  require_repaired_to(41);
  // Lost pages of the padding.
  write_text(path, whole + std::string(300, ' ') + std::string(200, '\0'));
  require_repaired_to(41);
}

BOOST_FIXTURE_TEST_CASE(garbage_in_the_middle_is_refused_and_left_alone, FileFixture) {
  fill(6);
  const std::string full = read_text(path);
  std::string broken = full;
  const std::size_t line4 = broken.find("\n,{\"n\":2") + 1;
  broken[line4 + 2] = '#';
  write_text(path, broken);
  std::string msg = storage_error_of([&] { open(); });
  BOOST_TEST(contains(msg, "alpha_things.json: line 4: not valid JSON"), msg);
  BOOST_TEST(contains(msg, "to start this site empty, delete all of its files (" +
                               (dir.path() / "alpha_state.json").string()),
             msg);
  BOOST_TEST(read_text(path) == broken);

  broken = full;
  std::fill_n(broken.begin() + static_cast<std::ptrdiff_t>(line4), 10, '\0');
  write_text(path, broken);
  msg = storage_error_of([&] { open(); });
  BOOST_TEST(contains(msg, "alpha_things.json: line 4: contains NUL bytes"), msg);
}

BOOST_FIXTURE_TEST_CASE(misplaced_commas_and_brackets_are_refused, FileFixture) {
  const std::string header = "{\"site\":\"alpha\",\"things\":[\n";
  write_text(path, header + "{\"n\":0}\n{\"n\":1}\n,{\"n\":2}\n]}\n");
  BOOST_TEST(contains(storage_error_of([&] { open(); }), "line 3: missing the leading comma"));
  write_text(path, header + ",{\"n\":0}\n,{\"n\":1}\n]}\n");
  BOOST_TEST(contains(storage_error_of([&] { open(); }), "line 2: a leading comma"));
  write_text(path, header + "{\"n\":0}\n]}\n,{\"n\":1}\n]}\n");
  BOOST_TEST(contains(storage_error_of([&] { open(); }), "line 3: closing brackets"));
  write_text(path, header + "{\"n\":0}\n,[1,2]\n,{\"n\":1}\n]}\n");
  BOOST_TEST(contains(storage_error_of([&] { open(); }), "line 3: not a JSON object"));
}

BOOST_FIXTURE_TEST_CASE(empty_file_is_refused, FileFixture) {
  write_text(path, "");
  const std::string msg = storage_error_of([&] { open(); });
  BOOST_TEST(contains(msg, path.string() + ": empty file"), msg);
  BOOST_TEST(std::filesystem::file_size(path) == 0u);
}

BOOST_FIXTURE_TEST_CASE(header_of_another_site_or_array_is_refused, FileFixture) {
  fill(2);
  JsonArrayFile beta;
  std::string msg = storage_error_of([&] { beta.open(path, "beta", "things"); });
  BOOST_TEST(contains(msg, "alpha_things.json: line 1: belongs to site 'alpha', not 'beta'"), msg);
  JsonArrayFile other;
  msg = storage_error_of([&] { other.open(path, "alpha", "records"); });
  BOOST_TEST(contains(msg, "alpha_things.json: line 1: has no \"records\" array"), msg);
  write_text(path, "hello\n{\"n\":0}\n]}\n");
  msg = storage_error_of([&] { open(); });
  BOOST_TEST(contains(msg, "alpha_things.json: line 1: not the expected header"), msg);
}

BOOST_FIXTURE_TEST_CASE(unopenable_file_is_an_error_naming_it, FileFixture) {
  std::filesystem::create_directory(path);
  const std::string msg = storage_error_of([&] { open(); });
  BOOST_TEST(contains(msg, path.string() + ": cannot open: Is a directory"), msg);
}

BOOST_FIXTURE_TEST_CASE(rewrite_replaces_the_content_and_appends_continue, FileFixture) {
  JsonArrayFile f;
  f.open(path, "alpha", "things");
  f.append(elements(0, 10));
  f.rewrite({element(7), element(8)});
  BOOST_TEST((open() == std::vector{element(7), element(8)}));
  f.append({element(11)});
  BOOST_TEST((open() == std::vector{element(7), element(8), element(11)}));
  f.rewrite({});
  BOOST_TEST(read_text(path) == "{\"site\":\"alpha\",\"things\":[\n]}\n");
  f.append({element(12)});
  f.sync();
  BOOST_TEST((open() == std::vector{element(12)}));
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
}

BOOST_FIXTURE_TEST_CASE(a_moved_file_keeps_appending, FileFixture) {
  JsonArrayFile f;
  f.open(path, "alpha", "things");
  f.append({element(0)});
  JsonArrayFile g = std::move(f);
  g.append({element(1)});
  JsonArrayFile h;
  h = std::move(g);
  h.append({element(2)});
  BOOST_TEST((open() == elements(0, 3)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace paxoskv::storage::test
