#include "conformance_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>

#include "hetrun/core/container_value.h"
#include "hetrun/core/onnx_import.h"
#include "hetrun/core/tensor_compare.h"
#include "hetrun/core/tensor_io.h"
#include "hetrun/runtime/session.h"

namespace hetrun::cli {
namespace fs = std::filesystem;

const char* CaseStatusName(CaseStatus s) {
  switch (s) {
    case CaseStatus::kPassed: return "passed";
    case CaseStatus::kFailed: return "failed";
    case CaseStatus::kUnsupported: return "unsupported";
    case CaseStatus::kSkipped: return "skipped";
  }
  return "failed";
}

namespace {

// Cases nobody can pass: their expected outputs come from numpy's random generator, or they need
// the training domain's gradient machinery. Reported as skipped with the reason, never as passed.
std::string SkipReasonFor(const std::string& name, const core::Graph* graph) {
  static const std::regex kRandomDropout("^test_training_dropout(?!.*zero_ratio).*");
  if (std::regex_match(name, kRandomDropout))
    return "training-mode Dropout mask comes from numpy's random generator";
  if (graph == nullptr) return {};
  for (const core::Node& node : graph->nodes) {
    if (node.domain == "ai.onnx.preview.training")
      return "training-domain op " + node.op_type + " (ai.onnx.preview.training)";
    static const char* const kRandom[] = {"Bernoulli",        "RandomNormal",      "RandomUniform",
                                          "RandomNormalLike", "RandomUniformLike", "Multinomial"};
    for (const char* op : kRandom)
      if (node.op_type == op)
        return std::string("random sampling op ") + op +
               ": expected values come from numpy's generator";
  }
  return {};
}

std::vector<fs::path> SortedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().starts_with(prefix)) files.push_back(e.path());
  // input_10.pb sorts after input_9.pb: compare by the number after the prefix.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) {
      return std::atoi(p.filename().string().c_str() + prefix.size());
    };
    return num(a) < num(b);
  });
  return files;
}

// numpy has no bfloat16, so ONNX's test data stores bfloat16 tensors as uint16 bit patterns; ONNX's
// runner leaves it to the backend to read them as the model's type. Do the same.
core::Tensor AsModelType(core::Tensor t, core::DType model_dtype) {
  if (t.dtype() != core::DType::kUInt16 || model_dtype != core::DType::kBFloat16) return t;
  Result<core::Tensor> r =
      core::Tensor::FromBytes(core::DType::kBFloat16, t.dims(), t.data(), t.byte_size());
  return r.ok() ? std::move(r).value() : t;
}

// "" when `data` fits the model input's declared dtype and static dims, else what differs.
std::string DataContradictsModel(const core::Value& declared, const core::Tensor& data) {
  if (data.dtype() != declared.dtype)
    return "is " + std::string(core::DTypeName(data.dtype())) + " in the data, " +
           std::string(core::DTypeName(declared.dtype)) + " in the model";
  if (!declared.shape.rank_known) return "";
  bool same = declared.shape.dims.size() == data.dims().size();
  for (size_t d = 0; same && d < data.dims().size(); ++d)
    same = !declared.shape.dims[d].known() || declared.shape.dims[d].value == data.dims()[d];
  if (same) return "";
  return "has shape " + data.Describe() + " in the data, " + declared.shape.ToString() +
         " in the model";
}

// Runs one case in this process.
CaseResult RunInProcess(const std::string& case_dir, const ConformanceOptions& options) {
  CaseResult r;
  r.name = fs::path(case_dir).filename().string();
  const fs::path model = fs::path(case_dir) / "model.onnx";
  std::vector<fs::path> data_sets = SortedFiles(case_dir, "test_data_set_");
  if (data_sets.empty()) {
    r.reason = "no test_data_set_* directory";
    return r;
  }
  // The model first: one hetrun cannot represent (sequence or optional values, say) is
  // unsupported, whatever its test data holds.
  core::ImportOptions probe_options;
  Result<core::Graph> probe = core::ImportOnnxFile(model.string(), probe_options);
  if (!probe.ok()) {
    if (probe.status().code() == StatusCode::kUnimplemented) r.status = CaseStatus::kUnsupported;
    r.reason = probe.status().message();
    return r;
  }
  if (std::string skip = SkipReasonFor(r.name, &*probe); !skip.empty()) {
    r.status = CaseStatus::kSkipped;
    r.reason = skip;
    return r;
  }
  for (const fs::path& set : data_sets) {
    std::vector<core::Tensor> inputs, expected;
    // Sequence and optional values come as SequenceProto / OptionalProto: read each file as the
    // model declares the value.
    auto declared_dtype = [&](const std::vector<core::ValueId>& ids, size_t i) {
      return i < ids.size() ? probe->values[static_cast<size_t>(ids[i])].dtype
                            : core::DType::kUndefined;
    };
    for (const fs::path& f : SortedFiles(set, "input_")) {
      Result<core::Tensor> t =
          core::ReadValueProto(f.string(), declared_dtype(probe->inputs, inputs.size()));
      if (!t.ok()) {
        r.reason = "cannot read " + f.filename().string() + ": " + t.status().message();
        return r;
      }
      inputs.push_back(std::move(t).value());
    }
    for (const fs::path& f : SortedFiles(set, "output_")) {
      Result<core::Tensor> t =
          core::ReadValueProto(f.string(), declared_dtype(probe->outputs, expected.size()));
      if (!t.ok()) {
        r.reason = "cannot read " + f.filename().string() + ": " + t.status().message();
        return r;
      }
      expected.push_back(std::move(t).value());
    }
    if (probe->inputs.size() != inputs.size()) {
      r.reason = "model has " + std::to_string(probe->inputs.size()) + " inputs, data set has " +
                 std::to_string(inputs.size());
      return r;
    }
    runtime::SessionOptions so;
    so.devices = options.devices;
    so.plugin_paths = options.plugin_paths;
    so.threads = options.threads;
    std::map<std::string, core::Tensor> feeds;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const core::Value& declared = probe->values[probe->inputs[i]];
      const std::string& name = declared.name;
      inputs[i] = AsModelType(std::move(inputs[i]), declared.dtype);
      // Data that contradicts the model's own static input type cannot be run by anyone (ONNX 1.12
      // ships a few such cases): skip with the contradiction rather than count it as a failure.
      if (std::string clash = DataContradictsModel(declared, inputs[i]); !clash.empty()) {
        r.status = CaseStatus::kSkipped;
        r.reason = set.filename().string() + ": input '" + name + "' " + clash +
                   ": defective test data that no implementation can run";
        return r;
      }
      // A packed sequence's byte count is no shape the model knows.
      if (!core::IsContainerDType(declared.dtype)) so.input_shapes[name] = inputs[i].dims();
      feeds[name] = inputs[i];
    }
    Result<std::unique_ptr<runtime::Session>> session =
        runtime::Session::Create(model.string(), so);
    if (!session.ok()) {
      r.status = session.status().code() == StatusCode::kUnimplemented ? CaseStatus::kUnsupported
                                                                       : CaseStatus::kFailed;
      r.reason = session.status().message();
      return r;
    }
    Result<std::vector<core::Tensor>> outputs = (*session)->Run(feeds);
    if (!outputs.ok()) {
      r.reason = outputs.status().message();
      return r;
    }
    if (outputs->size() != expected.size()) {
      r.reason =
          std::to_string(outputs->size()) + " outputs, expected " + std::to_string(expected.size());
      return r;
    }
    for (size_t o = 0; o < expected.size(); ++o) {
      expected[o] = AsModelType(std::move(expected[o]), (*outputs)[o].dtype());
      core::TensorComparison cmp =
          core::CompareValues((*outputs)[o], expected[o], options.rtol, options.atol);
      if (!cmp.ok) {
        r.reason = set.filename().string() + " output " + std::to_string(o) + " '" +
                   (*session)->outputs()[o].name + "': " + cmp.message;
        return r;
      }
    }
  }
  r.status = CaseStatus::kPassed;
  return r;
}

// Result encoding over the pipe: one status byte, then the reason.
CaseResult RunForked(const std::string& case_dir, const ConformanceOptions& options) {
  CaseResult r;
  r.name = fs::path(case_dir).filename().string();
  int fds[2];
  if (pipe(fds) != 0) return RunInProcess(case_dir, options);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return RunInProcess(case_dir, options);
  }
  if (pid == 0) {
    close(fds[0]);
    CaseResult child = RunInProcess(case_dir, options);
    std::string msg(1, static_cast<char>(child.status));
    msg += child.reason.substr(0, 4000);
    ssize_t ignored = write(fds[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);  // skip static destructors of libraries the parent also holds
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.case_timeout_ms);
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  if (timed_out) {
    r.reason = "timed out after " + std::to_string(options.case_timeout_ms) + " ms";
  } else if (WIFSIGNALED(wstatus)) {
    r.reason = std::string("crashed: ") + strsignal(WTERMSIG(wstatus));
  } else if (msg.empty()) {
    r.reason = "exited without a result";
  } else {
    r.status = static_cast<CaseStatus>(msg[0]);
    r.reason = msg.substr(1);
  }
  return r;
}

}  // namespace

std::string SkipReason(const std::string& case_dir) {
  return SkipReasonFor(fs::path(case_dir).filename().string(), nullptr);
}

CaseResult RunConformanceCase(const std::string& case_dir, const ConformanceOptions& options) {
  auto start = std::chrono::steady_clock::now();
  CaseResult r = options.isolate ? RunForked(case_dir, options) : RunInProcess(case_dir, options);
  r.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace hetrun::cli
