// Running the real programs from tests: start, wait for readiness, kill -9, reap.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mpp::testing {

class Process {
 public:
  // Starts `argv[0]` with `argv`; stdout is a pipe, stderr goes to `stderr_path` (appended).
  Process(const std::vector<std::string>& argv, const std::string& stderr_path);
  ~Process();  // kills (SIGKILL) and reaps if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Blocks until a line starting with `prefix` arrives on stdout; returns the line, or "" if
  // stdout closed first (the process died) or `timeout_ms` passed.
  std::string WaitForLine(const std::string& prefix, int timeout_ms = 10000);
  void Kill(int signal);  // sends the signal
  int Wait();             // reaps; the exit status as from waitpid
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
  bool reaped_ = false;
};

// Starts mpp-node on 127.0.0.1:0 for `data_dir`, with `flags` after, and returns its port (0
// if it failed).
struct NodeProcess {
  NodeProcess(const std::string& data_dir, const std::string& log_path,
              std::vector<std::string> flags = {});
  Process process;
  uint16_t port = 0;
};

// The peak resident memory (VmHWM) of running process `pid` so far, in KiB; 0 if unknown.
long PeakRssKb(pid_t pid);

// Runs a command to completion; returns its exit code and stdout+stderr in `output`, and its
// peak resident set size in KiB in `max_rss_kb`.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr,
               long* max_rss_kb = nullptr);

}  // namespace mpp::testing
