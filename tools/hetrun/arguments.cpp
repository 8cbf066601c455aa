#include "arguments.h"

#include <cctype>
#include <charconv>
#include <cstring>

namespace hetrun::cli {
namespace {

// Walks argv, handing out option values; "--opt=value" and "--opt value" are both accepted.
class ArgReader {
 public:
  explicit ArgReader(const std::vector<std::string>& args) : args_(args) {}
  bool done() const { return pos_ >= args_.size(); }
  // The next token; for "--opt=value" splits off the value for Value().
  std::string Next() {
    std::string token = args_[pos_++];
    pending_.clear();
    has_pending_ = false;
    if (token.starts_with("--")) {
      if (size_t eq = token.find('='); eq != std::string::npos) {
        pending_ = token.substr(eq + 1);
        has_pending_ = true;
        token.resize(eq);
      }
    }
    return token;
  }
  Result<std::string> Value(const std::string& option) {
    if (has_pending_) {
      has_pending_ = false;
      return pending_;
    }
    if (done()) return InvalidArgument("option " + option + " needs a value");
    return args_[pos_++];
  }

 private:
  const std::vector<std::string>& args_;
  size_t pos_ = 0;
  std::string pending_;
  bool has_pending_ = false;
};

template <typename T>
Result<T> ParseNumber(const std::string& option, const std::string& text, T min_value) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min_value)
    return InvalidArgument("option " + option + ": '" + text +
                           "' is not a number >= " + std::to_string(min_value));
  return value;
}

Result<std::pair<std::string, std::string>> SplitNameValue(const std::string& option,
                                                           const std::string& text) {
  size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return InvalidArgument("option " + option + ": expected NAME=VALUE, got '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace

Result<std::vector<int64_t>> ParseDims(const std::string& text) {
  std::vector<int64_t> dims;
  size_t start = 0;
  while (true) {
    size_t x = text.find('x', start);
    std::string part = text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    HETRUN_ASSIGN_OR_RETURN(int64_t d, ParseNumber<int64_t>("--shape", part, 0));
    dims.push_back(d);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return dims;
}

Result<uint64_t> ParseBytes(const std::string& option, const std::string& text) {
  size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
    ++end;
  std::string unit = text.substr(end);
  for (const char* suffix : {"iB", "B"})
    if (unit.size() > 1 && unit.ends_with(suffix)) unit.resize(unit.size() - std::strlen(suffix));
  double scale = 0;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "K" || unit == "k")
    scale = 1024.0;
  else if (unit == "M")
    scale = 1024.0 * 1024;
  else if (unit == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "T")
    scale = 1024.0 * 1024 * 1024 * 1024;
  double number = 0;
  const std::string digits = text.substr(0, end);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  const double bytes = number * scale;
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || scale == 0 ||
      bytes < 1 || bytes > 1.8e19)
    return InvalidArgument("option " + option + ": '" + text +
                           "' is not a size (e.g. 64MiB, 1.5G, 4096)");
  return static_cast<uint64_t>(bytes);
}

Result<RunArguments> ParseRunArguments(const std::vector<std::string>& args) {
  RunArguments out;
  ArgReader reader(args);
  while (!reader.done()) {
    const std::string opt = reader.Next();
    if (opt == "--devices" || opt == "-d") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      out.devices = SplitList(v);
      if (out.devices.empty()) return InvalidArgument("--devices: empty list");
    } else if (opt == "--input" || opt == "-i") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(auto kv, SplitNameValue(opt, v));
      out.input_files[kv.first] = kv.second;
    } else if (opt == "--shape") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(auto kv, SplitNameValue(opt, v));
      HETRUN_ASSIGN_OR_RETURN(out.shapes[kv.first], ParseDims(kv.second));
    } else if (opt == "--output-dir" || opt == "-o") {
      HETRUN_ASSIGN_OR_RETURN(out.output_dir, reader.Value(opt));
    } else if (opt == "--iterations" || opt == "-n") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(out.iterations, ParseNumber<int>(opt, v, 1));
    } else if (opt == "--warmup") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(out.warmup, ParseNumber<int>(opt, v, 0));
    } else if (opt == "--threads" || opt == "-t") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(out.threads, ParseNumber<uint32_t>(opt, v, 1));
    } else if (opt == "--report-json") {
      HETRUN_ASSIGN_OR_RETURN(out.report_json, reader.Value(opt));
    } else if (opt == "--plugin-path") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      out.plugin_paths.push_back(v);
    } else if (opt == "--timeout-ms") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(out.timeout_ms, ParseNumber<uint64_t>(opt, v, 1));
    } else if (opt == "--partition") {
      HETRUN_ASSIGN_OR_RETURN(out.partition, reader.Value(opt));
      if (out.partition != "cost" && out.partition != "priority")
        return InvalidArgument("--partition '" + out.partition + "': expected cost or priority");
    } else if (opt == "--assign") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_RETURN_IF_ERROR(SplitNameValue(opt, v).status());
      out.assignments.push_back(v);
    } else if (opt == "--plan-in") {
      HETRUN_ASSIGN_OR_RETURN(out.plan_in, reader.Value(opt));
    } else if (opt == "--plan-json") {
      HETRUN_ASSIGN_OR_RETURN(out.plan_json, reader.Value(opt));
    } else if (opt == "--plan-dot") {
      HETRUN_ASSIGN_OR_RETURN(out.plan_dot, reader.Value(opt));
    } else if (opt == "--profile") {
      HETRUN_ASSIGN_OR_RETURN(out.profile, reader.Value(opt));
    } else if (opt == "--fallback") {
      HETRUN_ASSIGN_OR_RETURN(out.fallback, reader.Value(opt));
      if (out.fallback != "none" && out.fallback != "cpu")
        return InvalidArgument("--fallback '" + out.fallback + "': expected none or cpu");
    } else if (opt == "--explain") {
      out.explain = true;
    } else if (opt == "--verify-finite" || opt == "--no-verify-finite") {
      out.verify_finite = opt == "--verify-finite";
    } else if (opt == "--warm-start") {
      out.warm_start = true;
    } else if (opt == "--cache-dir") {
      HETRUN_ASSIGN_OR_RETURN(out.cache_dir, reader.Value(opt));
      if (out.cache_dir.empty()) return InvalidArgument("--cache-dir: expected a directory");
    } else if (opt == "--check") {
      out.check = true;
    } else if (opt == "--check-rtol" || opt == "--check-atol") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      HETRUN_ASSIGN_OR_RETURN(opt == "--check-rtol" ? out.check_rtol : out.check_atol,
                              ParseNumber<double>(opt, v, 0.0));
      out.check = true;
    } else if (opt == "--device-memory") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      for (const std::string& item : SplitList(v)) {
        HETRUN_ASSIGN_OR_RETURN(auto kv, SplitNameValue(opt, item));
        HETRUN_ASSIGN_OR_RETURN(out.device_memory[kv.first], ParseBytes(opt, kv.second));
      }
    } else if (opt == "-v" || opt == "--verbose") {
      out.verbose = true;
    } else if (opt == "-q" || opt == "--quiet") {
      out.quiet = true;
    } else if (opt.starts_with("-") && opt != "-") {
      return InvalidArgument("unknown option '" + opt + "' (see hetrun --help)");
    } else if (out.model.empty()) {
      out.model = opt;
    } else {
      return InvalidArgument("more than one model given ('" + out.model + "' and '" + opt + "')");
    }
  }
  if (out.model.empty())
    return InvalidArgument("no model given (usage: hetrun [run] [options] MODEL)");
  return out;
}

Result<RunArguments> ParsePlanArguments(const std::vector<std::string>& args) {
  Result<RunArguments> parsed = ParseRunArguments(args);
  if (!parsed.ok() && parsed.status().message().starts_with("no model given"))
    return InvalidArgument("no model given (usage: hetrun plan --devices LIST [options] MODEL)");
  return parsed;
}

Result<TuneArguments> ParseTuneArguments(const std::vector<std::string>& args) {
  TuneArguments out;
  // Tune's own options are taken out; everything else is a run option, parsed as for `run`.
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    const size_t eq = token.find('=');
    const std::string opt = token.starts_with("--") ? token.substr(0, eq) : token;
    auto value = [&]() -> Result<std::string> {
      if (eq != std::string::npos) return token.substr(eq + 1);
      if (i + 1 >= args.size()) return InvalidArgument("option " + opt + " needs a value");
      return args[++i];
    };
    if (opt == "--budget-s") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, value());
      HETRUN_ASSIGN_OR_RETURN(out.budget_s, ParseNumber<double>(opt, v, 0.0));
    } else if (opt == "--repetitions") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, value());
      HETRUN_ASSIGN_OR_RETURN(out.repetitions, ParseNumber<int>(opt, v, 1));
    } else if (opt == "--retune") {
      out.retune = true;
    } else if (opt == "--no-search") {
      out.search = false;
    } else if (opt == "--json") {
      HETRUN_ASSIGN_OR_RETURN(out.json, value());
    } else {
      rest.push_back(token);
    }
  }
  Result<RunArguments> run = ParseRunArguments(rest);
  if (!run.ok() && run.status().message().starts_with("no model given"))
    return InvalidArgument(
        "no model given (usage: hetrun tune --devices LIST --cache-dir DIR MODEL)");
  HETRUN_RETURN_IF_ERROR(run.status());
  out.run = std::move(*run);
  return out;
}

Result<DevicesArguments> ParseDevicesArguments(const std::vector<std::string>& args) {
  DevicesArguments out;
  ArgReader reader(args);
  while (!reader.done()) {
    const std::string opt = reader.Next();
    if (opt == "--plugin-path") {
      HETRUN_ASSIGN_OR_RETURN(std::string v, reader.Value(opt));
      out.plugin_paths.push_back(v);
    } else if (opt == "--json") {
      out.json = true;
    } else if (opt == "-v" || opt == "--verbose") {
      out.verbose = true;
    } else {
      return InvalidArgument("unknown argument '" + opt + "' for 'hetrun devices'");
    }
  }
  return out;
}

}  // namespace hetrun::cli
