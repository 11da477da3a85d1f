#include "node/common/options.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mpp::common {
namespace {

// argv as a program sees it: the program's name, then `args`.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : strings_(std::move(args)) {
    strings_.insert(strings_.begin(), "prog");
    for (auto& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// The shape mppctl uses: valued options, one switch, one command word.
OptionSpec CtlSpec() {
  OptionSpec spec;
  spec.valued = {"data", "timeout", "seed"};
  spec.switches = {"json"};
  spec.max_positional = 1;
  return spec;
}

Result<CommandLine> Parse(std::vector<std::string> args, const OptionSpec& spec = CtlSpec()) {
  Argv a(std::move(args));
  return ParseOptions(a.argc(), a.argv(), spec);
}

Result<Options> ParseDaemon(std::vector<std::string> args) {
  Argv a(std::move(args));
  return ParseOptions(a.argc(), a.argv(), std::set<std::string>{"data", "listen"});
}

TEST(OptionsTest, AnUnknownFlagIsAnError) {
  auto r = Parse({"--data", "d", "status", "--bogus"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kConfig);
  EXPECT_EQ(r.error().message, "unknown option --bogus");
  // Even where a value would follow, and for single-dash words.
  EXPECT_EQ(Parse({"--bogus", "x", "status"}).error().message, "unknown option --bogus");
  EXPECT_EQ(Parse({"status", "-x"}).error().message, "unknown option -x");
  EXPECT_EQ(Parse({"--", "status"}).error().message, "unknown option --");
  // --config only where the program accepts a config file.
  EXPECT_EQ(Parse({"--config", "f.json"}).error().message, "unknown option --config");
}

TEST(OptionsTest, ABooleanFlagTakesNoValue) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--data", "d", "status", "--json"},
           {"--json", "--data", "d", "status"},
           {"--data", "d", "--json", "status"},
       }) {
    auto r = Parse(args);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->options, (Options{{"data", "d"}, {"json", "1"}}));
    EXPECT_EQ(r->positional, std::vector<std::string>{"status"});
  }
  // The word after a switch is not its value: here it is a second bare word.
  auto r = Parse({"status", "--json", "true"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unexpected argument true");
  // Absent switches are absent, not "0".
  auto plain = Parse({"--data", "d", "status"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->options.count("json"), 0u);
}

TEST(OptionsTest, AValuedFlagTakesTheNextWordWhateverItLooksLike) {
  auto r = Parse({"--data", "sync", "--seed", "-1", "verify"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->options, (Options{{"data", "sync"}, {"seed", "-1"}}));
  EXPECT_EQ(r->positional, std::vector<std::string>{"verify"});

  auto missing = Parse({"status", "--data"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "--data needs a value");

  auto repeated = Parse({"--timeout", "5", "--timeout", "7", "sync"});
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->options.at("timeout"), "7");  // the last one wins
}

TEST(OptionsTest, PositionalWordsAreCountedAndKeptInOrder) {
  auto none = Parse({"--data", "d"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->positional.empty());

  auto one = Parse({"-", "--json"});  // a lone "-" is a word, not an option
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->positional, std::vector<std::string>{"-"});

  auto two = Parse({"sync", "verify"});
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message, "unexpected argument verify");

  OptionSpec spec = CtlSpec();
  spec.max_positional = 2;
  auto ok = Parse({"copy", "--json", "from"}, spec);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->positional, (std::vector<std::string>{"copy", "from"}));
}

TEST(OptionsTest, HelpIsRecognisedAnywhere) {
  for (const char* help : {"--help", "-h"}) {
    auto r = Parse({"status", help});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->options.count("help"), 1u);
  }
  // Still an error when something else is wrong: the caller decides what to print.
  EXPECT_FALSE(Parse({"--help", "--bogus"}).ok());
}

TEST(OptionsTest, TheDaemonsFormIsUnchanged) {
  auto r = ParseDaemon({"--data", "d", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Options{{"data", "d"}, {"listen", "127.0.0.1:0"}}));

  EXPECT_EQ(ParseDaemon({"--data", "d", "serve"}).error().message, "unexpected argument serve");
  EXPECT_EQ(ParseDaemon({"--json"}).error().message, "unknown option --json");
  EXPECT_EQ(ParseDaemon({"--listen"}).error().message, "--listen needs a value");
  auto help = ParseDaemon({"-h"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->at("help"), "1");
}

TEST(OptionsTest, AConfigFileGivesDefaultsThatFlagsOverride) {
  testing::TempDir dir;
  std::ofstream(dir.File("node.json")) << R"({"data": "/from/file", "listen": "0.0.0.0:1"})";
  auto r = ParseDaemon({"--config", dir.File("node.json"), "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (Options{{"data", "/from/file"}, {"listen", "127.0.0.1:0"}}));

  std::ofstream(dir.File("bad.json")) << R"({"data": "d", "log_levle": "debug"})";
  auto bad = ParseDaemon({"--config", dir.File("bad.json")});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown key 'log_levle'"), std::string::npos);
  EXPECT_FALSE(ParseDaemon({"--config", dir.File("missing.json")}).ok());
  EXPECT_FALSE(ParseDaemon({"--config", ""}).ok());
}

TEST(OptionsTest, AConfigFileSetsSwitchesWithBooleans) {
  testing::TempDir dir;
  OptionSpec spec = CtlSpec();
  spec.config_file = true;
  std::ofstream(dir.File("on.json")) << R"({"json": true, "data": "d"})";
  auto on = Parse({"--config", dir.File("on.json"), "status"}, spec);
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_EQ(on->options, (Options{{"data", "d"}, {"json", "1"}}));

  std::ofstream(dir.File("off.json")) << R"({"json": false})";
  auto off = Parse({"--config", dir.File("off.json")}, spec);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->options.count("json"), 0u);

  std::ofstream(dir.File("text.json")) << R"({"json": "yes"})";
  EXPECT_FALSE(Parse({"--config", dir.File("text.json")}, spec).ok());
}

// Issue 11, finding 15: --listen localhost:8080 said "'localhost' is not an IP address".
TEST(OptionsTest, ListenTakesLocalhostAndBracketedAddresses) {
  auto l = ParseListen("localhost:8080");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->first, "127.0.0.1");
  EXPECT_EQ(l->second, 8080);
  auto v6 = ParseListen("[::1]:8443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_FALSE(ParseListen("8080").ok());
  EXPECT_FALSE(ParseListen("localhost:99999").ok());
  auto caps = ServerFlags({{"max-connections", "-1"}}, "127.0.0.1:0");
  EXPECT_FALSE(caps.ok());
  // Found by a review: "abc" was 0 (no rate limit at all), "2x" was 2 and "5s" was 5.
  for (const char* bad : {"abc", "2x", "5s", "", " 5", "1e3"}) {
    EXPECT_FALSE(ServerFlags({{"max-per-address", bad}}, "127.0.0.1:0").ok()) << bad;
    EXPECT_FALSE(WholeNumberFlag({{"rate-limit", bad}}, "rate-limit", 50, 0, 100, "").ok()) << bad;
  }
  EXPECT_EQ(*WholeNumberFlag({}, "rate-limit", 50, 0, 100, ""), 50);
  auto fine = ServerFlags({{"max-connections", "500"}, {"max-per-address", "10"}}, "127.0.0.1:0");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->max_connections, 500u);
  EXPECT_EQ(fine->max_per_address, 10u);
}

}  // namespace
}  // namespace mpp::common
