#include "error_path_checks.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "crash_reporter.h"
#include "hetrun/core/graph_view.h"
#include "op_case.h"
#include "plugin_runs.h"

namespace hetrun::cli::check_plugin {
namespace {

using Dims = std::vector<int64_t>;

// A float32[2x3] -> float32[2x3] graph of one node (`op` reads x once, or twice for binary ops).
struct Probe {
  std::string op;
  core::Graph graph;
  std::unique_ptr<core::GraphView> view;
};

Probe MakeProbe(const std::string& op, int arity) {
  Probe p;
  p.op = op;
  p.graph.name = "probe";
  p.graph.opsets[""] = 17;
  core::Value x, y;
  x.name = "x";
  y.name = "y";
  x.dtype = y.dtype = core::DType::kFloat32;
  x.shape = y.shape = core::Shape::Of({2, 3});
  p.graph.inputs.push_back(p.graph.AddValue(x));
  p.graph.outputs.push_back(p.graph.AddValue(y));
  core::Node n;
  n.name = "probe_" + op;
  n.op_type = op;
  n.inputs.assign(static_cast<size_t>(arity), 0);
  n.outputs = {1};
  p.graph.nodes.push_back(n);
  p.view = core::GraphView::Build(p.graph);
  return p;
}

bool Claims(const runtime::Device& d, const hetrun_graph_view* view, std::string* reason,
            Status* status) {
  hetrun_node_support s{};
  s.struct_size = sizeof(s);
  *status = d.Check(d.api().query_support(d.handle(), view, &s), "query_support");
  s.reason[sizeof(s.reason) - 1] = '\0';
  if (reason) *reason = s.reason;
  return status->ok() && s.supported != 0;
}

// Runs execute with `in` and waits: the first error, from execute itself or from the event.
Status ExecuteExpectingError(const runtime::Device& d, const Executable& exe,
                             std::vector<hetrun_tensor_arg> in, std::vector<hetrun_tensor_arg> out,
                             uint64_t timeout_ms) {
  hetrun_event_t event = nullptr;
  Status s =
      d.Check(d.api().execute(exe.get(), in.data(), static_cast<uint32_t>(in.size()), out.data(),
                              static_cast<uint32_t>(out.size()), nullptr, 0, &event),
              "execute");
  if (!s.ok()) return s;
  if (event == nullptr) return InternalError("execute succeeded without an event");
  runtime::DeviceEvent owned(&d, event);
  return owned.Wait(timeout_ms, "event_wait");
}

class ErrorPaths {
 public:
  ErrorPaths(const runtime::Device& d, uint64_t timeout_ms, CheckLog& log)
      : d_(d), api_(d.api()), timeout_ms_(timeout_ms), log_(log) {}

  void Run() {
    UnknownOp();
    Buffers();
    ExecuteArguments();
    BadGraphView();
    ReleaseNull();
  }

 private:
  void Begin(const std::string& check) { SetCurrentCheck(check); }

  void UnknownOp() {
    Begin("error.query_unknown_op");
    Probe p = MakeProbe("HetrunCheckNoSuchOp", 1);
    std::string reason;
    Status status;
    const bool claimed = Claims(d_, p.view->view(), &reason, &status);
    if (!status.ok())
      log_.Fail(
          "error.query_unknown_op",
          "query_support must answer supported=0 for an unknown op, not fail: " + status.message());
    else if (claimed)
      log_.Fail("error.query_unknown_op", "claims op HetrunCheckNoSuchOp");
    else
      log_.Expect("error.query_unknown_op", !reason.empty(),
                  reason.empty() ? "declined without a reason" : "declined: " + reason);

    Begin("error.compile_declined");
    Result<Executable> exe = Compile(d_, p.view->view());
    log_.Expect("error.compile_declined", !exe.ok(),
                exe.ok() ? "compile of a node the plugin declined (HetrunCheckNoSuchOp) succeeded"
                         : "error: " + exe.status().message());
  }

  void Buffers() {
    Begin("error.buffer_alloc_huge");
    hetrun_buffer_t huge = nullptr;
    Status s = d_.Check(api_.buffer_alloc(d_.handle(), uint64_t{1} << 62, &huge), "buffer_alloc");
    if (s.ok()) {
      if (huge) api_.buffer_release(d_.handle(), huge);
      log_.Fail("error.buffer_alloc_huge", "buffer_alloc(1<<62) succeeded");
    } else {
      const bool right_code =
          s.code() == StatusCode::kOutOfMemory || s.code() == StatusCode::kInvalidArgument;
      log_.Expect(
          "error.buffer_alloc_huge", right_code,
          std::string(right_code ? "" : "expected OUT_OF_MEMORY or INVALID_ARGUMENT, got ") +
              StatusCodeName(s.code()) + ": " + s.message());
    }

    Begin("error.buffer_read_past_end");
    Result<runtime::DeviceBuffer> small = runtime::DeviceBuffer::Allocate(d_, 64);
    if (!small.ok()) {
      log_.Fail("error.buffer_read_past_end", "buffer_alloc(64): " + small.status().message());
      return;
    }
    std::vector<uint8_t> bytes(128, 0x5a);
    struct Access {
      const char* what;
      uint64_t offset, size;
    };
    const Access accesses[] = {
        {"offset 32, 64 bytes of a 64-byte buffer", 32, 64},
        {"offset 65, 1 byte", 65, 1},
        {"offset 2^64-8, 16 bytes (offset + size overflows)", UINT64_MAX - 7, 16}};
    std::string read_problems, write_problems;
    for (const Access& a : accesses) {
      Status r =
          d_.Check(api_.buffer_read(d_.handle(), small->get(), a.offset, bytes.data(), a.size),
                   "buffer_read");
      if (r.ok())
        read_problems += std::string(read_problems.empty() ? "" : "; ") + a.what + " succeeded";
    }
    log_.Expect("error.buffer_read_past_end", read_problems.empty(),
                read_problems.empty() ? "every read past the end is an error" : read_problems);
    Begin("error.buffer_write_past_end");
    for (const Access& a : accesses) {
      Status w =
          d_.Check(api_.buffer_write(d_.handle(), small->get(), a.offset, bytes.data(), a.size),
                   "buffer_write");
      if (w.ok())
        write_problems += std::string(write_problems.empty() ? "" : "; ") + a.what + " succeeded";
    }
    log_.Expect("error.buffer_write_past_end", write_problems.empty(),
                write_problems.empty() ? "every write past the end is an error" : write_problems);
  }

  // The first of a few simple float32 ops the plugin claims, compiled; nullopt when none.
  std::optional<Probe> ClaimedProbe(std::string* tried) {
    const std::pair<const char*, int> candidates[] = {{"Relu", 1},    {"Add", 2}, {"Mul", 2},
                                                      {"Sigmoid", 1}, {"Abs", 1}, {"Neg", 1}};
    for (const auto& [op, arity] : candidates) {
      Probe p = MakeProbe(op, arity);
      Status status;
      if (Claims(d_, p.view->view(), nullptr, &status)) return p;
      *tried += (tried->empty() ? "" : ", ") + std::string(op);
    }
    return std::nullopt;
  }

  void ExecuteArguments() {
    const char* checks[] = {"error.execute_wrong_input_count", "error.execute_wrong_dtype",
                            "error.execute_wrong_dims",        "error.execute_offset_out_of_range",
                            "error.event_wait_twice",          "execute.concurrent"};
    std::string tried;
    std::optional<Probe> probe = ClaimedProbe(&tried);
    if (!probe) {
      for (const char* c : checks)
        log_.Skip(c, "the plugin claims none of " + tried + " on float32[2x3]");
      return;
    }
    Result<Executable> exe = Compile(d_, probe->view->view());
    if (!exe.ok()) {
      for (const char* c : checks)
        log_.Fail(c, "compile of a claimed " + probe->op + " probe: " + exe.status().message());
      return;
    }
    const Dims dims = {2, 3};
    constexpr uint64_t kBytes = 2 * 3 * sizeof(float);
    Result<runtime::DeviceBuffer> in = runtime::DeviceBuffer::Allocate(d_, kBytes);
    Result<runtime::DeviceBuffer> out = runtime::DeviceBuffer::Allocate(d_, kBytes);
    if (!in.ok() || !out.ok()) {
      for (const char* c : checks) log_.Fail(c, "buffer_alloc(24) failed");
      return;
    }
    const float values[6] = {-1, 2, -3, 4, -5, 6};
    Status w =
        d_.Check(api_.buffer_write(d_.handle(), in->get(), 0, values, kBytes), "buffer_write");
    const auto arg = [&](hetrun_buffer_t b, hetrun_dtype_t dtype, const Dims& d, uint64_t offset) {
      return TensorArg(b, offset, dtype, d);
    };
    const hetrun_tensor_arg good_in = arg(in->get(), HETRUN_DTYPE_FLOAT32, dims, 0);
    const hetrun_tensor_arg good_out = arg(out->get(), HETRUN_DTYPE_FLOAT32, dims, 0);
    const std::string on = " (" + probe->op + " float32[2x3] probe)";

    auto expect_error = [&](const char* check, std::vector<hetrun_tensor_arg> ins,
                            const std::string& what) {
      Begin(check);
      Status s = ExecuteExpectingError(d_, *exe, std::move(ins), {good_out}, timeout_ms_);
      log_.Expect(check, !s.ok(), s.ok() ? what + " succeeded" + on : "error: " + s.message());
    };
    expect_error("error.execute_wrong_input_count", {}, "execute with 0 inputs instead of 1");
    expect_error("error.execute_wrong_dtype", {arg(in->get(), HETRUN_DTYPE_INT32, dims, 0)},
                 "execute with an int32 input where the part has float32");
    // 4x3 floats do not fit the 24-byte buffer: a plugin that believed the dims would read past it.
    expect_error("error.execute_wrong_dims", {arg(in->get(), HETRUN_DTYPE_FLOAT32, {4, 3}, 0)},
                 "execute with dims 4x3 where the part has 2x3 (the buffer holds 2x3)");
    expect_error("error.execute_offset_out_of_range",
                 {arg(in->get(), HETRUN_DTYPE_FLOAT32, dims, kBytes)},
                 "execute with an input at offset 24 of a 24-byte buffer");

    Begin("error.event_wait_twice");
    std::vector<hetrun_tensor_arg> ins = {good_in}, outs = {good_out};
    hetrun_event_t event = nullptr;
    Status s =
        w.ok()
            ? d_.Check(api_.execute(exe->get(), ins.data(), 1, outs.data(), 1, nullptr, 0, &event),
                       "execute")
            : w;
    if (!s.ok() || event == nullptr) {
      log_.Fail("error.event_wait_twice", "a valid execute failed" + on + ": " + s.message());
      log_.Skip("execute.concurrent", "a valid execute failed" + on);
      return;
    }
    runtime::DeviceEvent owned(&d_, event);
    Status first = owned.Wait(timeout_ms_, "first event_wait");
    Status second = owned.Wait(timeout_ms_, "second event_wait");
    uint8_t done = 0;
    Status query = d_.Check(api_.event_query(d_.handle(), event, &done), "event_query");
    std::string problem;
    if (!first.ok())
      problem = first.message();
    else if (!second.ok())
      problem = second.message();
    else if (!query.ok())
      problem = query.message();
    else if (done != 1)
      problem = "event_query says a finished event is not done";
    log_.Expect(
        "error.event_wait_twice", problem.empty(),
        problem.empty() ? "event_wait twice and event_query on a finished event" + on : problem);
    ConcurrentExecute(*probe, *exe, on);
  }

  // The ABI lets several threads call execute() on one executable at once: each of 4 threads runs
  // the probe 8 times with its own buffers and values, and checks its own results.
  void ConcurrentExecute(const Probe& probe, const Executable& exe, const std::string& on) {
    Begin("execute.concurrent");
    constexpr int kThreads = 4, kRuns = 8;
    const auto expected = [&](float x) -> float {
      if (probe.op == "Relu") return x > 0 ? x : 0;
      if (probe.op == "Add") return x + x;
      if (probe.op == "Mul") return x * x;
      if (probe.op == "Sigmoid") return 1 / (1 + std::exp(-x));
      if (probe.op == "Abs") return std::fabs(x);
      return -x;  // Neg
    };
    std::mutex mutex;
    std::string problem;
    auto note = [&](const std::string& p) {
      std::lock_guard lock(mutex);
      if (problem.empty()) problem = p;
    };
    auto worker = [&](int t) {
      for (int k = 0; k < kRuns; ++k) {
        float values[6], got[6];
        for (int i = 0; i < 6; ++i)
          values[i] = (i % 2 ? 0.25f : -0.5f) * static_cast<float>(t * 10 + k + i);
        Result<runtime::DeviceBuffer> in = runtime::DeviceBuffer::Allocate(d_, sizeof(values));
        Result<runtime::DeviceBuffer> out = runtime::DeviceBuffer::Allocate(d_, sizeof(values));
        if (!in.ok() || !out.ok()) return note("buffer_alloc failed");
        Status s = d_.Check(api_.buffer_write(d_.handle(), in->get(), 0, values, sizeof(values)),
                            "buffer_write");
        std::vector<hetrun_tensor_arg> ins = {
            TensorArg(in->get(), 0, HETRUN_DTYPE_FLOAT32, {2, 3})};
        std::vector<hetrun_tensor_arg> outs = {
            TensorArg(out->get(), 0, HETRUN_DTYPE_FLOAT32, {2, 3})};
        hetrun_event_t event = nullptr;
        if (s.ok())
          s = d_.Check(api_.execute(exe.get(), ins.data(), 1, outs.data(), 1, nullptr, 0, &event),
                       "execute");
        if (s.ok() && event != nullptr)
          s = runtime::DeviceEvent(&d_, event).Wait(timeout_ms_, "event_wait");
        if (s.ok())
          s = d_.Check(api_.buffer_read(d_.handle(), out->get(), 0, got, sizeof(got)),
                       "buffer_read");
        if (!s.ok()) return note("thread " + std::to_string(t) + ": " + s.message());
        for (int i = 0; i < 6; ++i) {
          const float want = expected(values[i]);
          if (std::fabs(got[i] - want) > 1e-4f + 1e-3f * std::fabs(want))
            return note("thread " + std::to_string(t) + " run " + std::to_string(k) + ": element " +
                        std::to_string(i) + " is " + std::to_string(got[i]) + ", expected " +
                        std::to_string(want) + " (another thread's data?)");
        }
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
    for (std::thread& th : threads) th.join();
    log_.Expect("execute.concurrent", problem.empty(),
                problem.empty() ? "4 threads x 8 runs of one executable at once" + on : problem);
  }

  void BadGraphView() {
    Begin("error.query_bad_view");
    Probe p = MakeProbe("Relu", 1);
    // The node reads value 99 of a 2-value view: the plugin must not index past the array.
    hetrun_graph_view bad = *p.view->view();
    std::vector<hetrun_node> nodes(bad.nodes, bad.nodes + bad.num_nodes);
    const int32_t out_of_range[1] = {99};
    nodes[0].inputs = out_of_range;
    bad.nodes = nodes.data();
    std::string reason;
    Status status;
    const bool claimed = Claims(d_, &bad, &reason, &status);
    log_.Expect("error.query_bad_view", !claimed,
                claimed ? "claims a node whose input index (99) is out of range"
                        : (status.ok() ? "declined: " + reason : "error: " + status.message()));
    Begin("error.compile_bad_view");
    Result<Executable> exe = Compile(d_, &bad);
    log_.Expect("error.compile_bad_view", !exe.ok(),
                exe.ok() ? "compile of a node whose input index (99) is out of range succeeded"
                         : "error: " + exe.status().message());
  }

  void ReleaseNull() {
    Begin("error.release_null");
    api_.executable_release(nullptr);
    api_.buffer_release(d_.handle(), nullptr);
    api_.event_release(d_.handle(), nullptr);
    api_.device_close(nullptr);
    log_.Pass("error.release_null",
              "executable_release, buffer_release, event_release, device_close accept NULL");
  }

  const runtime::Device& d_;
  const hetrun_plugin_v1& api_;
  uint64_t timeout_ms_;
  CheckLog& log_;
};

}  // namespace

void RunErrorPathChecks(const runtime::Device& target, uint64_t timeout_ms, CheckLog& log) {
  ErrorPaths(target, timeout_ms, log).Run();
}

}  // namespace hetrun::cli::check_plugin
