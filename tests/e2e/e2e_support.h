// Shared helpers of the end-to-end tests: where the ONNX Runtime references live and how to read
// them.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hetrun/core/tensor_io.h"

namespace hetrun::test {

struct ReferenceCase {
  std::string name, model, ref_dir;
};

// Reads HETRUN_E2E_DIR/cases.txt ("name|model|ref_dir" lines) written by make_references.sh.
inline std::map<std::string, ReferenceCase> ReadReferenceCases() {
  std::map<std::string, ReferenceCase> cases;
  std::ifstream in(std::string(HETRUN_E2E_DIR) + "/cases.txt");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find('|'), b = line.find('|', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    ReferenceCase c{line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)};
    cases[c.name] = c;
  }
  return cases;
}

// The seeded inputs ONNX Runtime used: name -> .npy path (inputs.json written by ort_bench.js).
inline std::map<std::string, std::string> ReadReferenceInputs(const std::string& ref_dir) {
  std::ifstream in(ref_dir + "/inputs.json");
  nlohmann::json j = nlohmann::json::parse(in);
  std::map<std::string, std::string> files;
  for (auto& [name, file] : j.items()) files[name] = ref_dir + "/" + file.get<std::string>();
  return files;
}

inline std::string SanitizedFileName(const std::string& tensor_name) {
  std::string out = tensor_name;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) c = '_';
  return out;
}

}  // namespace hetrun::test
