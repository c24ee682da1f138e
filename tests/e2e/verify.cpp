// Issue 6, the SHA-256 chain (SPEC §5): `paxoskv-verify DATA_DIR SITE` recomputes every hash
// of a real site's log. It agrees with `print chain` on an intact log, and after one byte of
// an old entry's value is flipped it names that slot (exit 1), as the site does when it
// refuses to start on that file.

#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "harness.hpp"
#include "support/built_binary.hpp"

using namespace e2e;

namespace {

struct ToolResult {
  std::string out;  // stdout
  std::string err;  // stderr
  int exit_code = -1;
};

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char ch : word) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// Runs paxoskv-verify with `args` (no shell words in them but paths), capturing both streams.
ToolResult run_verify(const std::string& args, const std::filesystem::path& err_file) {
  const std::string command = quoted(paxoskv::test::built_binary("paxoskv-verify")) + " " + args +
                              " 2>" + quoted(err_file.string());
  ToolResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr, "cannot run " << command);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_file(err_file);
  return result;
}

// `print chain` lines "SLOT HASH" by slot, and the "head HASH" hash.
std::map<std::uint64_t, std::string> print_chain(Cluster& c, const std::string& name,
                                                 std::string& head) {
  BOOST_TEST_REQUIRE(c.site(name).send_line("print chain"));
  std::map<std::uint64_t, std::string> out;
  for (;;) {
    auto line = c.site(name).next_line(after(20s));
    BOOST_TEST_REQUIRE(line.has_value(), "`print chain` did not finish at " << name);
    auto [first, hash] = split_key_value(*line);
    if (first == "head") {
      head = hash;
      return out;
    }
    out[std::stoull(first)] = hash;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verify)

BOOST_AUTO_TEST_CASE(verifier_agrees_with_print_chain_and_names_a_flipped_slot) {
  Cluster c;
  c.start_all();
  for (int i = 0; i < 12; ++i)
    BOOST_TEST_REQUIRE(
        c.run(c.names()[i % 3], "put k" + std::to_string(i) + " value" + std::to_string(i)) ==
        "put k" + std::to_string(i) + " completed");
  auto all_writes = [](const Lines& log, const Lines&) {
    return log_has(log, "put", "k11", "value11");
  };
  std::map<std::string, Lines> logs;
  BOOST_TEST_REQUIRE(c.wait_converged(after(20s), &logs, nullptr, {}, all_writes));
  std::string head;
  const auto chain = print_chain(c, "beta", head);
  BOOST_TEST_REQUIRE(chain.size() == logs["beta"].size());
  BOOST_TEST_REQUIRE(c.quit_all());

  const std::string data = quoted(c.data_dir().string());
  const std::filesystem::path err_file = c.dir() / "verify.stderr";
  for (const std::string name : {"alpha", "beta", "gamma"}) {
    ToolResult ok = run_verify(data + " " + name, err_file);
    BOOST_TEST(ok.exit_code == 0, name << ": " << ok.out << ok.err);
    BOOST_TEST(ok.out == "ok: " + std::to_string(chain.size()) + " slots, head " + head + "\n",
               name << ": " << ok.out << ok.err);
  }

  // Flip one byte of an old entry's value in beta's log: "value5" becomes "value4".
  std::optional<std::uint64_t> first_slot;
  for (const auto& line : logs["beta"])
    if (auto e = parse_log_line(line); e && e->key == "k5" && !first_slot) first_slot = e->slot;
  BOOST_TEST_REQUIRE(first_slot.has_value());
  const std::uint64_t slot = *first_slot;
  const auto path = c.log_file("beta");
  std::string text = read_file(path);
  const std::size_t at = text.find("\"value5\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  text[at + 6] = static_cast<char>(text[at + 6] ^ 1);
  write_file(path, text);

  ToolResult bad = run_verify(data + " beta", err_file);
  BOOST_TEST(bad.exit_code == 1, bad.out << bad.err);
  const std::string expected =
      "slot " + std::to_string(slot) + ": hash mismatch (stored " + chain.at(slot) + ", computed ";
  BOOST_TEST(bad.out.rfind(expected, 0) == 0u, "verifier said: " << bad.out << bad.err);
  BOOST_TEST(bad.out.find(chain.at(slot) + ")") == std::string::npos,
             "the computed hash equals the stored one: " << bad.out);
  BOOST_TEST(run_verify(data + " alpha", err_file).exit_code == 0);

  // The site refuses the same file, naming the same slot.
  c.start("beta");
  BOOST_TEST_REQUIRE(c.site("beta").wait_exit(after(20s)), "beta started on a broken chain");
  BOOST_TEST(c.site("beta").describe_exit() == "exit code 1");
  const std::string refused = read_file(c.site("beta").stderr_file());
  BOOST_TEST(refused.find("beta_log.json: slot " + std::to_string(slot) +
                          ": hash does not match") != std::string::npos,
             refused);
}

BOOST_AUTO_TEST_CASE(verifier_reports_missing_and_garbled_files_with_exit_2) {
  TempDir tmp;
  const std::filesystem::path err_file = tmp.path() / "verify.stderr";
  const std::string dir = quoted(tmp.path().string());
  ToolResult missing = run_verify(dir + " alpha", err_file);
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.out.empty());
  BOOST_TEST(missing.err.find("alpha_log.json: cannot open") != std::string::npos, missing.err);

  write_file(tmp.path() / "alpha_log.json",
             "{\"site\":\"alpha\",\"entries\":[\nnot json\n,{}\n]}\n");
  ToolResult garbled = run_verify(dir + " alpha", err_file);
  BOOST_TEST(garbled.exit_code == 2);
  BOOST_TEST(garbled.err.find("alpha_log.json: line 2") != std::string::npos, garbled.err);

  write_file(tmp.path() / "alpha_log.json", "{\"site\":\"alpha\",\"entries\":[\n]}\n");
  ToolResult empty = run_verify(dir + " alpha", err_file);
  BOOST_TEST(empty.exit_code == 0, empty.err);
  BOOST_TEST(empty.out == "ok: 0 slots, head " + std::string(64, '0') + "\n");

  BOOST_TEST(run_verify(dir, err_file).exit_code == 2);  // SITE missing: usage
}

BOOST_AUTO_TEST_SUITE_END()
