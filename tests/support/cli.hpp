// Running the `loihisim` command line from tests: the one runner every suite uses.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

namespace loihisim::testing {

// A single-quoted shell word.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command, returns what it printed; `code` gets its exit status (-1 when it did
// not exit normally).
inline std::string capture_command(const std::string& cmd, int& code) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  const int status = ::pclose(pipe);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return text;
}

// Runs `loihisim ARGS` (ARGS already shell-quoted where needed) with stderr joined to stdout;
// returns the exit status and puts what it printed into `output`.
inline int run_cli(const std::string& args, std::string* output = nullptr) {
  int code = -1;
  std::string text = capture_command(shell_quote(LOIHISIM_CLI) + " " + args + " 2>&1", code);
  if (output) *output = std::move(text);
  return code;
}

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  std::string out;     // stdout only
};

// Runs `loihisim` with these arguments (each quoted here) twice: once for stdout alone, once
// for stdout and stderr together.
inline CliResult run_cli(const std::vector<std::string>& args) {
  std::string cmd = shell_quote(LOIHISIM_CLI);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  CliResult r;
  r.output = capture_command(cmd + " 2>&1", r.exit_code);
  int code = 0;
  r.out = capture_command(cmd + " 2>/dev/null", code);
  return r;
}

}  // namespace loihisim::testing
