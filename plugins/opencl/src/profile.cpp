#include "profile.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "errors.h"

namespace hetrun::opencl {
namespace {

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

std::optional<hetrun_dtype_t> DTypeNamed(const std::string& name) {
  for (hetrun_dtype_t t = 1; t <= HETRUN_DTYPE_BFLOAT16; ++t) {
    if (name == plugin::DTypeName(t)) return t;
  }
  return std::nullopt;
}

}  // namespace

Profile Profile::Parse(const std::string& text, const std::string& origin) {
  Profile profile;
  bool have_ops = false, have_dtypes = false;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = origin + ":" + std::to_string(number) + ": ";
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) ThrowInvalid(where + "expected `key = value`, got '" + line + "'");
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    std::vector<std::string> items;
    std::istringstream list(value);
    for (std::string item; std::getline(list, item, ',');) {
      item = Trim(item);
      if (item.empty()) ThrowInvalid(where + "empty item in the list for '" + key + "'");
      items.push_back(item);
    }
    if (key == "ops") {
      profile.ops.insert(items.begin(), items.end());
      have_ops = true;
    } else if (key == "dtypes") {
      for (const std::string& item : items) {
        std::optional<hetrun_dtype_t> t = DTypeNamed(item);
        if (!t) ThrowInvalid(where + "unknown dtype '" + item + "'");
        profile.dtypes.insert(*t);
      }
      have_dtypes = true;
    } else if (key == "static_shapes") {
      if (value != "0" && value != "1") ThrowInvalid(where + "static_shapes must be 0 or 1");
      profile.static_shapes = value == "1";
    } else if (key == "memory_mib") {
      char* end = nullptr;
      errno = 0;
      const unsigned long long mib = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno != 0 || mib == 0 || mib > (uint64_t{1} << 30) ||
          value[0] == '-') {
        ThrowInvalid(where + "memory_mib must be a positive whole number, got '" + value + "'");
      }
      profile.memory_bytes = static_cast<uint64_t>(mib) << 20;
    } else if (key == "peak_gflops" || key == "memory_gbps" || key == "host_link_gbps" ||
               key == "launch_us") {
      char* end = nullptr;
      const double figure = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(figure > 0) || figure > 1e9) {
        ThrowInvalid(where + key + " must be a positive number, got '" + value + "'");
      }
      (key == "peak_gflops"      ? profile.peak_gflops
       : key == "memory_gbps"    ? profile.memory_gbps
       : key == "host_link_gbps" ? profile.host_link_gbps
                                 : profile.launch_us) = figure;
    } else {
      ThrowInvalid(where + "unknown key '" + key +
                   "' (expected ops, dtypes, static_shapes, memory_mib, peak_gflops, memory_gbps, "
                   "host_link_gbps, launch_us)");
    }
  }
  if (!have_ops || !have_dtypes) ThrowInvalid(origin + ": needs both an `ops` and a `dtypes` line");
  return profile;
}

Profile Profile::Load(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    ThrowInvalid("cannot read the NPU profile '" + path + "': " + std::strerror(errno) +
                 " (set HETRUN_NPU_PROFILE to a profile file)");
  }
  std::ostringstream text;
  text << file.rdbuf();
  return Parse(text.str(), path);
}

std::string Profile::DefaultPath() {
  // secure_getenv: a setuid host must not let the environment pick files to read.
  if (const char* env = secure_getenv("HETRUN_NPU_PROFILE"); env && *env) return env;
  // Next to this module: the build tree and the install tree both copy it there.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Profile::DefaultPath), &info) == 0 || !info.dli_fname) {
    ThrowInvalid("cannot locate the plugin module to find npu.profile; set HETRUN_NPU_PROFILE");
  }
  std::string module = info.dli_fname;
  const size_t slash = module.rfind('/');
  return (slash == std::string::npos ? std::string(".") : module.substr(0, slash)) + "/npu.profile";
}

std::string ProfileAllows(const Profile& profile, const std::string& op) {
  return profile.ops.count(op) ? "" : "op " + op + " is not in the NPU profile";
}

}  // namespace hetrun::opencl
