// Running the hetrun binary from the CLI tests: its exit code and what it printed.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace hetrun::test {

struct Command {
  int exit_code = -1;
  std::string out, err;
};

// A scratch directory of this test process under the build tree: <build>/cli_test_tmp/<tag>_<pid>.
inline std::filesystem::path CliTempDir(const std::string& tag) {
  const std::filesystem::path dir = std::filesystem::path(HETRUN_BINARY_DIR) / "cli_test_tmp" /
                                    (tag + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string Slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `bin/hetrun ARGS` with `env` ("NAME=value ...", or any shell prefix) in front; stdout and
// stderr go through files in CliTempDir(tag).
inline Command RunHetrun(const std::string& args, const std::string& env, const std::string& tag) {
  static int counter = 0;
  const std::filesystem::path dir = CliTempDir(tag);
  const std::string n = std::to_string(counter++);
  const std::filesystem::path out = dir / ("out_" + n), err = dir / ("err_" + n);
  const std::string cmd = env + " " + std::string(HETRUN_BINARY_DIR) + "/bin/hetrun " + args +
                          " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), Slurp(out), Slurp(err)};
}

}  // namespace hetrun::test
