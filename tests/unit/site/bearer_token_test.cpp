#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "site/bearer_token.hpp"

using namespace paxoskv::site;

namespace {

struct TokenFile {
  std::filesystem::path path;
  explicit TokenFile(const std::string& contents)
      : path(std::filesystem::temp_directory_path() /
             ("paxoskv_token_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<std::uintptr_t>(this)))) {
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TokenFile() { std::filesystem::remove(path); }
};

BearerToken loaded(const std::string& contents) {
  TokenFile file(contents);
  auto token = BearerToken::load(file.path.string());
  if (auto* error = std::get_if<TokenError>(&token)) BOOST_FAIL(error->what);
  return std::get<BearerToken>(std::move(token));
}

std::string load_error(const std::string& path) {
  auto token = BearerToken::load(path);
  BOOST_REQUIRE(std::holds_alternative<TokenError>(token));
  return std::get<TokenError>(token).what;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bearer_token)

BOOST_AUTO_TEST_CASE(accepts_only_bearer_and_the_exact_token) {
  BearerToken token("s3cret-Token_1");
  BOOST_TEST(token.accepts("Bearer s3cret-Token_1"));
  BOOST_TEST(token.accepts("bearer s3cret-Token_1"));  // the scheme in any case
  BOOST_TEST(token.accepts("BEARER   s3cret-Token_1"));
  BOOST_TEST(!token.accepts(""));
  BOOST_TEST(!token.accepts("s3cret-Token_1"));
  BOOST_TEST(!token.accepts("Bearer"));
  BOOST_TEST(!token.accepts("Bearer "));
  BOOST_TEST(!token.accepts("Basic s3cret-Token_1"));
  BOOST_TEST(!token.accepts("Bearers3cret-Token_1"));
  BOOST_TEST(!token.accepts("Bearer s3cret-token_1"));  // the token is case-sensitive
  BOOST_TEST(!token.accepts("Bearer s3cret-Token_"));
  BOOST_TEST(!token.accepts("Bearer s3cret-Token_12"));
  BOOST_TEST(!token.accepts("Bearer s3cret-Token_1 "));
  BOOST_TEST(!token.accepts("Bearer x s3cret-Token_1"));
}

BOOST_AUTO_TEST_CASE(file_is_trimmed_of_surrounding_whitespace) {
  BOOST_TEST(loaded("abc\n").accepts("Bearer abc"));
  BOOST_TEST(loaded("  abc \r\n\n").accepts("Bearer abc"));
  BOOST_TEST(loaded("\tabc").accepts("Bearer abc"));
  BOOST_TEST(!loaded("abc\n").accepts("Bearer abc\n"));
}

BOOST_AUTO_TEST_CASE(unusable_files_are_errors_naming_the_file) {
  BOOST_TEST(load_error("/nonexistent/token") ==
             "cannot read token file /nonexistent/token: No such file or directory");
  {
    TokenFile empty("");
    BOOST_TEST(load_error(empty.path.string()) ==
               "token file " + empty.path.string() + " is empty");
  }
  {
    TokenFile blank(" \n\t\n");
    BOOST_TEST(load_error(blank.path.string()) ==
               "token file " + blank.path.string() + " is empty");
  }
  for (const std::string& bad : {std::string("two words"), std::string("tab\there"),
                                 std::string("caf\xc3\xa9"), std::string("nul\0x", 5)}) {
    TokenFile file(bad);
    BOOST_TEST(load_error(file.path.string())
                   .find("token file " + file.path.string() +
                         " holds a space, a control character") == 0u);
  }
  // A directory cannot be read as a file.
  BOOST_TEST(load_error(std::filesystem::temp_directory_path().string()).find("token file") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
