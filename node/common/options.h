// Command-line options of the daemons: --key value pairs, optionally from a JSON config file
// (--config FILE) whose keys are the same names with '_' for '-'. Flags override the file.
#pragma once

#include <map>
#include <set>
#include <string>

#include "sync/core/result.h"

namespace mpp::cli {

using Options = std::map<std::string, std::string>;

// kConfig naming the problem: an unknown option, a missing value, an unreadable or malformed
// config file, an unknown key in it. "--help" sets options["help"].
Result<Options> ParseOptions(int argc, char** argv, const std::set<std::string>& known);

// "HOST:PORT" → host and port; kConfig if malformed.
Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen);

// Applies "debug|info|warn|error"; kConfig otherwise.
Status ApplyLogLevel(const std::string& level);

}  // namespace mpp::cli
