#include "plugin_runs.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace hetrun::cli::check_plugin {
namespace {

// The byte the guard pattern has at position `i` of a buffer: varied, so a plugin that copies
// a neighbour's bytes or writes a constant still shows.
uint8_t PatternByte(uint64_t i) {
  return static_cast<uint8_t>(0xA5 ^ (i * 37 + (i >> 8)));
}

std::vector<uint8_t> PatternBuffer(uint64_t bytes) {
  std::vector<uint8_t> b(bytes);
  for (uint64_t i = 0; i < bytes; ++i) b[i] = PatternByte(i);
  return b;
}

// First byte in [from, to) that differs from the pattern, or -1.
int64_t FirstPatternMismatch(const std::vector<uint8_t>& b, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i)
    if (b[i] != PatternByte(i)) return static_cast<int64_t>(i);
  return -1;
}

Status Upload(const runtime::Device& device, const runtime::DeviceBuffer& buffer, uint64_t offset,
              const void* data, uint64_t bytes, const std::string& what) {
  return device.Check(device.api().buffer_write(device.handle(), buffer.get(), offset, data, bytes),
                      "buffer_write (" + what + ")");
}

Status Download(const runtime::Device& device, hetrun_buffer_t buffer, uint64_t offset, void* data,
                uint64_t bytes, const std::string& what) {
  return device.Check(device.api().buffer_read(device.handle(), buffer, offset, data, bytes),
                      "buffer_read (" + what + ")");
}

// Executes and waits; the event is released either way.
Status ExecuteAndWait(const runtime::Device& device, const Executable& exe,
                      const std::vector<hetrun_tensor_arg>& in, std::vector<hetrun_tensor_arg>* out,
                      uint64_t timeout_ms) {
  hetrun_event_t event = nullptr;
  HETRUN_RETURN_IF_ERROR(device.Check(
      device.api().execute(exe.get(), in.data(), static_cast<uint32_t>(in.size()), out->data(),
                           static_cast<uint32_t>(out->size()), nullptr, 0, &event),
      "execute"));
  if (event == nullptr) return InternalError("execute succeeded but returned no event");
  runtime::DeviceEvent owned(&device, event);
  return owned.Wait(timeout_ms, "event_wait");
}

}  // namespace

Result<Executable> Compile(const runtime::Device& device, const hetrun_graph_view* part) {
  hetrun_executable_t exe = nullptr;
  HETRUN_RETURN_IF_ERROR(
      device.Check(device.api().compile(device.handle(), part, &exe), "compile"));
  if (exe == nullptr) return InternalError("compile succeeded but returned no executable");
  return Executable(device, exe);
}

hetrun_tensor_arg TensorArg(hetrun_buffer_t buffer, uint64_t offset, hetrun_dtype_t dtype,
                            const std::vector<int64_t>& dims) {
  hetrun_tensor_arg arg{};
  arg.buffer = buffer;
  arg.offset = offset;
  arg.dtype = dtype;
  arg.rank = static_cast<uint32_t>(dims.size());
  std::copy(dims.begin(), dims.end(), arg.dims);
  return arg;
}

Result<std::vector<core::Tensor>> RunPluginAllocated(const runtime::Device& device,
                                                     const Executable& exe,
                                                     const std::vector<core::Tensor>& inputs,
                                                     size_t num_outputs, uint64_t timeout_ms) {
  std::vector<runtime::DeviceBuffer> buffers;
  std::vector<hetrun_tensor_arg> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const core::Tensor& t = inputs[i];
    // A zero-byte tensor still gets a (tiny) buffer: plugins may refuse a NULL buffer.
    HETRUN_ASSIGN_OR_RETURN(
        runtime::DeviceBuffer b,
        runtime::DeviceBuffer::Allocate(device, std::max<uint64_t>(t.byte_size(), 8)));
    if (t.byte_size() > 0)
      HETRUN_RETURN_IF_ERROR(
          Upload(device, b, 0, t.data(), t.byte_size(), "input " + std::to_string(i)));
    in.push_back(TensorArg(b.get(), 0, static_cast<hetrun_dtype_t>(t.dtype()), t.dims()));
    buffers.push_back(std::move(b));
  }
  std::vector<hetrun_tensor_arg> out(num_outputs);  // NULL buffers: the plugin allocates
  Status run = ExecuteAndWait(device, exe, in, &out, timeout_ms);
  // The plugin's output buffers are ours to release, whatever happened.
  for (const hetrun_tensor_arg& o : out)
    if (o.buffer != nullptr) buffers.emplace_back(&device, o.buffer);
  HETRUN_RETURN_IF_ERROR(run);
  std::vector<core::Tensor> results;
  for (size_t i = 0; i < out.size(); ++i) {
    const hetrun_tensor_arg& o = out[i];
    const std::string what = "output " + std::to_string(i);
    std::optional<core::DType> dtype = core::DTypeFromCode(o.dtype);
    if (o.buffer == nullptr) return InternalError(what + ": the plugin allocated no buffer");
    if (!dtype || core::DTypeSize(*dtype) == 0 || o.rank > HETRUN_MAX_RANK)
      return InternalError(what + ": the plugin stored an invalid dtype or rank");
    HETRUN_ASSIGN_OR_RETURN(
        core::Tensor t,
        core::Tensor::Create(*dtype, std::vector<int64_t>(o.dims, o.dims + o.rank)));
    if (t.byte_size() > 0)
      HETRUN_RETURN_IF_ERROR(
          Download(device, o.buffer, o.offset, t.mutable_data(), t.byte_size(), what));
    results.push_back(std::move(t));
  }
  return results;
}

Result<GuardedRun> RunGuarded(const runtime::Device& device, const Executable& exe,
                              const std::vector<core::Tensor>& inputs,
                              const std::vector<OutputSpec>& outputs, uint64_t timeout_ms) {
  struct Placed {
    runtime::DeviceBuffer buffer;
    std::vector<uint8_t> written;  // the whole buffer as written: guards + tensor
    uint64_t tensor_bytes = 0;
  };
  std::vector<Placed> in_bufs, out_bufs;
  std::vector<hetrun_tensor_arg> in, out;
  auto place = [&](const std::string& what, const void* data, uint64_t bytes,
                   Placed* placed) -> Status {
    const uint64_t total = kGuardBytes + bytes + kGuardBytes;
    HETRUN_ASSIGN_OR_RETURN(placed->buffer, runtime::DeviceBuffer::Allocate(device, total));
    placed->written = PatternBuffer(total);
    placed->tensor_bytes = bytes;
    if (data != nullptr && bytes > 0)
      std::memcpy(placed->written.data() + kGuardBytes, data, bytes);
    return Upload(device, placed->buffer, 0, placed->written.data(), total, what);
  };
  in_bufs.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const core::Tensor& t = inputs[i];
    HETRUN_RETURN_IF_ERROR(
        place("input " + std::to_string(i), t.data(), t.byte_size(), &in_bufs[i]));
    in.push_back(TensorArg(in_bufs[i].buffer.get(), kGuardBytes,
                           static_cast<hetrun_dtype_t>(t.dtype()), t.dims()));
  }
  out_bufs.resize(outputs.size());
  std::vector<core::Tensor> results;
  for (size_t i = 0; i < outputs.size(); ++i) {
    HETRUN_ASSIGN_OR_RETURN(core::Tensor t,
                            core::Tensor::Create(outputs[i].dtype, outputs[i].dims));
    HETRUN_RETURN_IF_ERROR(
        place("output " + std::to_string(i), nullptr, t.byte_size(), &out_bufs[i]));
    out.push_back(TensorArg(out_bufs[i].buffer.get(), kGuardBytes,
                            static_cast<hetrun_dtype_t>(outputs[i].dtype), outputs[i].dims));
    results.push_back(std::move(t));
  }
  HETRUN_RETURN_IF_ERROR(ExecuteAndWait(device, exe, in, &out, timeout_ms));

  GuardedRun run;
  auto note = [&](const std::string& text) {
    if (!run.guard_error.empty()) run.guard_error += "; ";
    run.guard_error += text;
  };
  for (size_t i = 0; i < in_bufs.size(); ++i) {
    const Placed& p = in_bufs[i];
    std::vector<uint8_t> now(p.written.size());
    const std::string what = "input " + std::to_string(i);
    HETRUN_RETURN_IF_ERROR(Download(device, p.buffer.get(), 0, now.data(), now.size(), what));
    for (size_t b = 0; b < now.size(); ++b) {
      if (now[b] == p.written[b]) continue;
      const bool in_tensor = b >= kGuardBytes && b < kGuardBytes + p.tensor_bytes;
      note(in_tensor ? what + " modified (byte " + std::to_string(b - kGuardBytes) + ")"
                     : "guard bytes around " + what + " overwritten");
      break;
    }
  }
  for (size_t i = 0; i < out_bufs.size(); ++i) {
    const Placed& p = out_bufs[i];
    std::vector<uint8_t> now(p.written.size());
    const std::string what = "output " + std::to_string(i);
    HETRUN_RETURN_IF_ERROR(Download(device, p.buffer.get(), 0, now.data(), now.size(), what));
    const int64_t before = FirstPatternMismatch(now, 0, kGuardBytes);
    if (before >= 0)
      note("out-of-bounds write: guard bytes before " + what + " overwritten (" +
           std::to_string(kGuardBytes - static_cast<uint64_t>(before)) + " bytes before it)");
    const uint64_t end = kGuardBytes + p.tensor_bytes;
    const int64_t after = FirstPatternMismatch(now, end, now.size());
    if (after >= 0)
      note("out-of-bounds write: guard bytes after " + what + " overwritten (" +
           std::to_string(static_cast<uint64_t>(after) - end) + " bytes past its end)");
    if (p.tensor_bytes > 0)
      std::memcpy(results[i].mutable_data(), now.data() + kGuardBytes, p.tensor_bytes);
  }
  run.outputs = std::move(results);
  return run;
}

}  // namespace hetrun::cli::check_plugin
