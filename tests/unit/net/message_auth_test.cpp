#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/codec.hpp"
#include "net/message_auth.hpp"
#include "samples.hpp"

using namespace paxoskv;
using net::AuthResult;
using net::MessageAuth;

namespace {

const std::string kBody =
    R"({"type":"commit","from":"beta","decided_end":1,"entries":[{"slot":0,"op":"put",)"
    R"("key":"k","value":"v","client":7,"seq":1}]})";

std::string sealed(const std::string& body, const std::string& secret = "s3cret") {
  MessageAuth auth(secret);
  std::string datagram = body;
  auth.seal(datagram);
  return datagram;
}

// Opens a copy (open() rewrites its input); returns the result and the body on success.
std::pair<AuthResult, std::string> open_copy(MessageAuth& auth, std::string datagram) {
  auto opened = auth.open(datagram.data(), datagram.size());
  return {opened.result, std::string(opened.body)};
}

std::string hex(const unsigned char* bytes, std::size_t n) {
  std::string out;
  char two[3];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(two, sizeof two, "%02x", bytes[i]);
    out += two;
  }
  return out;
}

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& contents)
      : path(std::filesystem::temp_directory_path() /
             ("paxoskv_secret_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<std::uintptr_t>(this)))) {
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

std::string secret_of(const std::string& contents) {
  TempFile file(contents);
  auto loaded = net::load_secret(file.path.string());
  BOOST_REQUIRE(std::holds_alternative<std::string>(loaded));
  return std::get<std::string>(loaded);
}

std::string secret_error_of(const std::string& path) {
  auto loaded = net::load_secret(path);
  BOOST_REQUIRE(std::holds_alternative<net::SecretError>(loaded));
  return std::get<net::SecretError>(loaded).what;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(message_auth)

BOOST_AUTO_TEST_CASE(sealed_datagram_is_json_with_the_hmac_of_the_body) {
  std::string datagram = sealed(kBody);
  BOOST_TEST(datagram.size() == kBody.size() + MessageAuth::kOverheadBytes);
  BOOST_TEST(datagram.substr(0, kBody.size() - 1) == kBody.substr(0, kBody.size() - 1));
  // Independent of the reused context: OpenSSL's one-shot HMAC over the exact body bytes.
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), "s3cret", 6, reinterpret_cast<const unsigned char*>(kBody.data()),
       kBody.size(), mac, &mac_len);
  BOOST_REQUIRE(mac_len == 32u);
  BOOST_TEST(datagram.substr(kBody.size() - 1) == R"(,"mac":")" + hex(mac, 32) + R"("})");
}

BOOST_AUTO_TEST_CASE(good_mac_opens_to_the_body_which_decodes) {
  MessageAuth auth("s3cret");
  for (const auto& sample : test::samples()) {
    std::string body = net::encode(sample.message, test::three_sites());
    std::string datagram = body;
    auth.seal(datagram);
    auto [result, opened] = open_copy(auth, datagram);
    BOOST_TEST_REQUIRE((result == AuthResult::ok), sample.wire);
    BOOST_TEST(opened == body, sample.wire);
    BOOST_TEST(std::holds_alternative<Message>(net::decode(opened, test::three_sites())),
               sample.wire);
  }
}

BOOST_AUTO_TEST_CASE(context_is_reused_across_seal_and_open) {
  MessageAuth auth("k");
  std::string first = kBody;
  auth.seal(first);
  auto [r1, b1] = open_copy(auth, first);
  std::string second = kBody;
  auth.seal(second);  // the same MAC again: nothing of the previous message lingers
  BOOST_TEST(second == first);
  BOOST_TEST((r1 == AuthResult::ok));
  BOOST_TEST((open_copy(auth, second).first == AuthResult::ok));
}

BOOST_AUTO_TEST_CASE(wrong_key_is_refused) {
  MessageAuth auth("s3cret");
  BOOST_TEST((open_copy(auth, sealed(kBody, "s3creT")).first == AuthResult::wrong));
  BOOST_TEST((open_copy(auth, sealed(kBody, "s3cret\n")).first == AuthResult::wrong));
  BOOST_TEST((open_copy(auth, sealed(kBody, "s3cret")).first == AuthResult::ok));
}

BOOST_AUTO_TEST_CASE(missing_mac_is_refused) {
  MessageAuth auth("s3cret");
  BOOST_TEST((open_copy(auth, kBody).first == AuthResult::missing));
  BOOST_TEST((open_copy(auth, "").first == AuthResult::missing));
  BOOST_TEST((open_copy(auth, "{}").first == AuthResult::missing));
}

BOOST_AUTO_TEST_CASE(truncated_datagram_is_refused) {
  MessageAuth auth("s3cret");
  std::string datagram = sealed(kBody);
  for (std::size_t cut = 1; cut <= datagram.size(); ++cut) {
    auto result = open_copy(auth, datagram.substr(0, datagram.size() - cut)).first;
    BOOST_TEST((result != AuthResult::ok), "cut " << cut);
  }
  // Cut inside the body but the suffix kept: the MAC no longer matches.
  std::string inner = datagram.substr(0, 10) + datagram.substr(11);
  BOOST_TEST((open_copy(auth, inner).first == AuthResult::wrong));
}

BOOST_AUTO_TEST_CASE(every_flipped_bit_is_refused) {
  MessageAuth auth("s3cret");
  const std::string datagram = sealed(kBody);
  for (std::size_t i = 0; i < datagram.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = datagram;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      auto result = open_copy(auth, flipped).first;
      BOOST_TEST((result != AuthResult::ok), "byte " << i << " bit " << bit);
    }
}

BOOST_AUTO_TEST_CASE(extra_bytes_are_refused) {
  MessageAuth auth("s3cret");
  const std::string datagram = sealed(kBody);
  BOOST_TEST((open_copy(auth, datagram + "\n").first == AuthResult::malformed));
  BOOST_TEST((open_copy(auth, datagram + "}").first == AuthResult::malformed));
  BOOST_TEST((open_copy(auth, " " + datagram).first == AuthResult::malformed));
  // A member slipped in before the MAC changes the body the MAC covers.
  std::string injected = datagram;
  injected.insert(kBody.size() - 1, R"(,"decided_end":99)");
  BOOST_TEST((open_copy(auth, injected).first == AuthResult::wrong));
  // A second MAC appended under another key: the outer one decides.
  BOOST_TEST((open_copy(auth, sealed(datagram, "other")).first == AuthResult::wrong));
}

BOOST_AUTO_TEST_CASE(malformed_mac_is_refused) {
  MessageAuth auth("s3cret");
  std::string datagram = sealed(kBody);
  std::size_t hex_at = kBody.size() - 1 + 8;
  std::string upper = datagram;
  for (std::size_t i = hex_at; i < hex_at + 64; ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  if (upper != datagram) BOOST_TEST((open_copy(auth, upper).first == AuthResult::malformed));
  std::string not_hex = datagram;
  not_hex[hex_at + 5] = 'g';
  BOOST_TEST((open_copy(auth, not_hex).first == AuthResult::malformed));
  std::string short_mac = datagram;
  short_mac.erase(hex_at, 2);
  BOOST_TEST((open_copy(auth, short_mac).first == AuthResult::malformed));
  BOOST_TEST((open_copy(auth, R"({"type":"ack","mac":"00"})").first == AuthResult::malformed));
}

BOOST_AUTO_TEST_CASE(failed_open_leaves_the_bytes_alone) {
  MessageAuth auth("s3cret");
  std::string datagram = sealed(kBody, "other");
  const std::string before = datagram;
  auto opened = auth.open(datagram.data(), datagram.size());
  BOOST_TEST((opened.result == AuthResult::wrong));
  BOOST_TEST(opened.body.empty());
  BOOST_TEST(datagram == before);
}

BOOST_AUTO_TEST_CASE(secret_file_strips_one_trailing_newline) {
  BOOST_TEST(secret_of("abc") == "abc");
  BOOST_TEST(secret_of("abc\n") == "abc");
  BOOST_TEST(secret_of("abc\r\n") == "abc");
  BOOST_TEST(secret_of("abc\n\n") == "abc\n");
  BOOST_TEST(secret_of(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

BOOST_AUTO_TEST_CASE(secret_file_problems_name_the_file) {
  TempFile empty("");
  BOOST_TEST(secret_error_of(empty.path.string()) ==
             "secret file " + empty.path.string() + " is empty");
  TempFile newline_only("\n");
  BOOST_TEST(secret_error_of(newline_only.path.string()).find("is empty") != std::string::npos);
  std::string missing = "/nonexistent/paxoskv/secret";
  BOOST_TEST(secret_error_of(missing) ==
             "cannot read secret file " + missing + ": No such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()
