// Helpers shared by the core tests: paths of generated test models and substring assertions.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "hetrun/status.h"

namespace hetrun::core::testing {

inline std::string ModelsDir() {
  return HETRUN_TEST_MODELS_DIR;
}
inline std::string ModelPath(const std::string& name) {
  return ModelsDir() + "/" + name;
}
inline bool HaveModels() {
  return std::filesystem::exists(ModelsDir() + "/.stamp");
}

// The expected bytes make_test_models.py wrote for `name` (NAME.bin).
inline std::string ExpectedBytes(const std::string& name) {
  std::ifstream in(ModelPath(name + ".bin"), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// A non-OK status whose message contains every `parts` entry.
// A directory private to this test process: ctest runs test cases as parallel processes, so fixed
// file names directly in TempDir() would collide.
inline std::string UniqueTempDir() {
  static const std::string dir = [] {
    std::string d = ::testing::TempDir() + "hetrun_core_test_" + std::to_string(::getpid()) + "/";
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

template <typename... Parts>
::testing::AssertionResult FailsWith(const Status& s, const Parts&... parts) {
  if (s.ok()) return ::testing::AssertionFailure() << "status is OK";
  for (const std::string& p : {std::string(parts)...}) {
    if (s.message().find(p) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "\"" << s.message() << "\" does not contain \"" << p << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace hetrun::core::testing

#define HETRUN_REQUIRE_MODELS()                                                   \
  do {                                                                            \
    if (!::hetrun::core::testing::HaveModels()) GTEST_SKIP() << "no test models"; \
  } while (0)
