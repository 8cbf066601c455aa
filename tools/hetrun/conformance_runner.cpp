#include "conformance_runner.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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
#include "hetrun/plugin_api/plugin_registry.h"
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
CaseResult RunInProcess(const std::string& case_dir, const ConformanceOptions& options,
                        const std::shared_ptr<plugin_api::PluginRegistry>& registry) {
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
    so.registry = registry;
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

// The worker's protocol over a socket pair: the parent sends a case directory and '\n'; the
// worker answers one frame per case: the status byte, the reason's length (4 bytes, host order),
// the reason.
bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The worker's loop: runs each case it is sent until the parent closes its end.
[[noreturn]] void WorkerMain(int fd, const ConformanceOptions& options) {
  auto registry = std::make_shared<plugin_api::PluginRegistry>(options.plugin_paths);
  std::string pending;
  char buf[4096];
  while (true) {
    const size_t eol = pending.find('\n');
    if (eol == std::string::npos) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      continue;
    }
    const std::string case_dir = pending.substr(0, eol);
    pending.erase(0, eol + 1);
    const CaseResult r = RunInProcess(case_dir, options, registry);
    const std::string reason = r.reason.substr(0, 4000);
    const uint32_t size = static_cast<uint32_t>(reason.size());
    std::string frame(1, static_cast<char>(r.status));
    frame.append(reinterpret_cast<const char*>(&size), sizeof size);
    frame += reason;
    if (!SendAll(fd, frame.data(), frame.size())) break;
  }
  _exit(0);  // skip static destructors of libraries the parent also holds
}

}  // namespace

ConformanceRunner::ConformanceRunner(ConformanceOptions options) : options_(std::move(options)) {}

ConformanceRunner::~ConformanceRunner() {
  StopWorker(false);
}

bool ConformanceRunner::StartWorker() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    WorkerMain(fds[1], options_);
  }
  close(fds[1]);
  worker_ = pid;
  socket_ = fds[0];
  worker_cases_ = 0;
  last_case_.clear();
  return true;
}

void ConformanceRunner::StopWorker(bool kill_it) {
  if (worker_ < 0) return;
  if (kill_it) kill(worker_, SIGKILL);
  close(socket_);  // a live worker sees the end of its input and exits
  int wstatus = 0;
  waitpid(worker_, &wstatus, 0);
  worker_ = -1;
  socket_ = -1;
}

CaseResult ConformanceRunner::RunInWorker(const std::string& case_dir) {
  CaseResult r;
  r.name = fs::path(case_dir).filename().string();
  if (worker_ < 0 && !StartWorker()) return RunInProcess(case_dir, options_, registry_);
  const std::string request = case_dir + "\n";
  std::string frame;
  bool complete = false, timed_out = false;
  if (SendAll(socket_, request.data(), request.size())) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.case_timeout_ms);
    char buf[4096];
    while (!complete) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      pollfd p{socket_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) <= 0) continue;
      const ssize_t n = recv(socket_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the worker died
      frame.append(buf, static_cast<size_t>(n));
      uint32_t size = 0;
      if (frame.size() >= 1 + sizeof size) {
        std::memcpy(&size, frame.data() + 1, sizeof size);
        complete = frame.size() >= 1 + sizeof size + size;
      }
    }
  }
  if (complete) {
    r.status = static_cast<CaseStatus>(frame[0]);
    r.reason = frame.substr(1 + sizeof(uint32_t));
    ++worker_cases_;
    last_case_ = r.name;
    return r;
  }
  if (timed_out) kill(worker_, SIGKILL);
  int wstatus = 0;
  waitpid(worker_, &wstatus, 0);
  close(socket_);
  worker_ = -1;
  socket_ = -1;
  r.worker_died = true;
  if (timed_out) {
    r.reason = "timed out after " + std::to_string(options_.case_timeout_ms) + " ms";
  } else if (WIFSIGNALED(wstatus)) {
    r.reason = std::string("crashed: ") + strsignal(WTERMSIG(wstatus));
  } else {
    r.reason = "exited without a result";
  }
  return r;
}

CaseResult ConformanceRunner::Run(const std::string& case_dir) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r;
  if (!options_.isolate) {
    if (!registry_) registry_ = std::make_shared<plugin_api::PluginRegistry>(options_.plugin_paths);
    r = RunInProcess(case_dir, options_, registry_);
  } else {
    const int earlier = worker_cases_;
    const std::string previous = last_case_;
    r = RunInWorker(case_dir);
    if (r.worker_died && earlier > 0) {
      CaseResult alone = RunInWorker(case_dir);
      if (alone.status == CaseStatus::kFailed) {
        r = std::move(alone);
      } else {
        r.reason += " after " + std::to_string(earlier) + " earlier case(s) in the same worker (" +
                    "the last: " + previous + "); alone it " + CaseStatusName(alone.status) +
                    ": an earlier case left the process damaged";
      }
    }
    if (r.status == CaseStatus::kFailed) StopWorker(false);  // a fresh worker for the next case
  }
  r.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string SkipReason(const std::string& case_dir) {
  return SkipReasonFor(fs::path(case_dir).filename().string(), nullptr);
}

}  // namespace hetrun::cli
