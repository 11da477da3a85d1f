// Command-line options of the programs: --key value pairs, --switch flags that take no value,
// optionally bare words (a subcommand) and a JSON config file (--config FILE) whose keys are
// the same names with '_' for '-'. Flags override the file. Not thread-safe: call from main().
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync/core/result.h"
#include "sync/net/http_server.h"

namespace mpp::common {

using Options = std::map<std::string, std::string>;

// What a program accepts on its command line.
struct OptionSpec {
  std::set<std::string> valued;    // "--name VALUE"; options[name] = VALUE
  std::set<std::string> switches;  // "--name" alone; options[name] = "1"
  size_t max_positional = 0;       // bare words allowed anywhere (e.g. a subcommand)
  bool config_file = false;        // accept "--config FILE" (keys: valued, or switches as bools)
};

struct CommandLine {
  Options options;                      // a repeated option keeps its last value
  std::vector<std::string> positional;  // the bare words, in order
};

// "--help" or "-h" anywhere sets options["help"] = "1".
// kConfig naming the problem: an unknown option (any word starting with '-', other than "-"
// itself, that is not declared), a valued option without a value, more bare words than
// max_positional, an unreadable or malformed config file, an unknown key or a switch that is
// not true/false in it.
Result<CommandLine> ParseOptions(int argc, char** argv, const OptionSpec& spec);

// The daemons' form: only "--name VALUE" for names in `known`, plus "--config FILE"; no bare
// words. Same errors as above.
Result<Options> ParseOptions(int argc, char** argv, const std::set<std::string>& known);

// "HOST:PORT" → host and port; kConfig if malformed.
Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen);

// Applies "debug|info|warn|error"; kConfig otherwise.
Status ApplyLogLevel(const std::string& level);

// The flags every daemon shares: --listen HOST:PORT (default `default_listen`), --log-level
// (default info, applied now) and --workers (1-64, default 4), as server options. kConfig
// naming the flag that is wrong.
// Flag `name` as a whole number from `min` to `max` ("2x", "abc" and "5s" are errors, not 2, 0
// and 5), or `fallback` when it is absent. kConfig naming the flag and the range; `meaning`
// (e.g. " (0: no limit)") follows the range in the message.
Result<int64_t> WholeNumberFlag(const Options& options, const std::string& name, int64_t fallback,
                                int64_t min, int64_t max, const std::string& meaning);

Result<net::HttpServerOptions> ServerFlags(const Options& options,
                                           const std::string& default_listen);

}  // namespace mpp::common
