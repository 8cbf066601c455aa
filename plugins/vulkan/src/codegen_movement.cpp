// Data movement: Concat, Split, Expand, Tile, Pad, Slice (starts/ends/axes/steps constant or fed)
// and Gather (int32/int64 indices, constant or fed at run time, negative ones counted from the
// end). One invocation per output element computes where its value comes from.
#include <algorithm>
#include <limits>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

uint64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  uint64_t n = 1;
  for (size_t d = begin; d < end; ++d) n *= static_cast<uint64_t>(dims[d]);
  return n;
}

int64_t NormaliseAxis(int64_t axis, size_t rank, std::string* why) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return *why = "axis out of range", 0;
  return axis < 0 ? axis + r : axis;
}

// Reads an int32/int64 constant; false when it is not one.
bool IntConstant(const GraphInfo& graph, int32_t v, std::vector<int64_t>* out) {
  const ValueInfo& info = graph.value(v);
  if (!info.constant || info.rank > 1) return false;
  const uint64_t n = info.elements();
  out->clear();
  if (info.dtype == HETRUN_DTYPE_INT64 && info.data_bytes >= n * 8) {
    const auto* p = static_cast<const int64_t*>(info.data);
    out->assign(p, p + n);
    return true;
  }
  if (info.dtype == HETRUN_DTYPE_INT32 && info.data_bytes >= n * 4) {
    const auto* p = static_cast<const int32_t*>(info.data);
    out->assign(p, p + n);
    return true;
  }
  return false;
}

std::string CheckConcat(const GraphInfo& graph, const hetrun_node& node) {
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  std::string why;
  const int64_t axis = NormaliseAxis(plugin::AttrInt(node, "axis", 0), y.size(), &why);
  if (!why.empty()) return why;
  int64_t total = 0;
  for (uint32_t i = 0; i < node.num_inputs; ++i) {
    if (node.inputs[i] < 0) return "an input is omitted";
    std::vector<int64_t> d = graph.value(node.inputs[i]).dims;
    if (d.size() != y.size()) return "input ranks differ";
    total += d[static_cast<size_t>(axis)];
    d[static_cast<size_t>(axis)] = y[static_cast<size_t>(axis)];
    if (d != y) return "input dims differ off the axis";
  }
  if (node.num_inputs == 0 || total != y[static_cast<size_t>(axis)])
    return "axis dims do not add up";
  return "";
}

struct SliceSpec {
  std::vector<int64_t> start, step;
};

SliceSpec ReadSlice(const GraphInfo& graph, const hetrun_node& node, std::string* why) {
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  SliceSpec s{std::vector<int64_t>(x.size(), 0), std::vector<int64_t>(x.size(), 1)};
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    starts = plugin::AttrInts(node, "starts", {});
    ends = plugin::AttrInts(node, "ends", {});
    axes = plugin::AttrInts(node, "axes", {});
  } else {
    auto read = [&](uint32_t slot, std::vector<int64_t>* out) {
      return slot >= node.num_inputs || node.inputs[slot] < 0 ||
             IntConstant(graph, node.inputs[slot], out);
    };
    if (node.num_inputs < 3 || !read(1, &starts) || !read(2, &ends) || !read(3, &axes) ||
        !read(4, &steps)) {
      return *why = "starts/ends/axes/steps must be int32/int64 constants", s;
    }
  }
  if (axes.empty())
    for (size_t d = 0; d < starts.size(); ++d) axes.push_back(static_cast<int64_t>(d));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return *why = "starts/ends/axes/steps lengths differ", s;
  std::vector<int64_t> expected = x;
  std::vector<bool> seen(x.size(), false);
  for (size_t j = 0; j < axes.size(); ++j) {
    const auto d = static_cast<size_t>(NormaliseAxis(axes[j], x.size(), why));
    if (!why->empty()) return s;
    if (seen[d]) return *why = "repeated axis", s;
    seen[d] = true;
    const int64_t dim = x[d], step = steps[j];
    if (step == 0) return *why = "step 0", s;
    int64_t start = starts[j], end = ends[j];
    if (start < 0) start = start < -dim ? 0 : start + dim;
    if (end < 0) end = end < -dim ? -1 : end + dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      expected[d] = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      expected[d] = start > end ? (start - end - step - 1) / -step : 0;
    }
    s.start[d] = start;
    s.step[d] = step;
  }
  if (graph.value(node.outputs[0]).dims != expected) {
    return *why = "output dims differ from the computed " + FormatDims(expected), s;
  }
  return s;
}

std::string CheckGather(const GraphInfo& graph, const hetrun_node& node) {
  if (node.num_inputs != 2 || node.inputs[1] < 0) return "expects data and indices";
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const ValueInfo& idx = graph.value(node.inputs[1]);
  if (idx.dtype != HETRUN_DTYPE_INT64 && idx.dtype != HETRUN_DTYPE_INT32) {
    return "indices must be int32 or int64";
  }
  std::string why;
  const auto axis =
      static_cast<size_t>(NormaliseAxis(plugin::AttrInt(node, "axis", 0), x.size(), &why));
  if (!why.empty()) return why;
  std::vector<int64_t> expected(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(axis));
  expected.insert(expected.end(), idx.dims.begin(), idx.dims.end());
  expected.insert(expected.end(), x.begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.end());
  if (graph.value(node.outputs[0]).dims != expected) return "output dims differ";
  std::vector<int64_t> values;
  if (IntConstant(graph, node.inputs[1], &values)) {
    for (int64_t v : values)
      if (v < -x[axis] || v >= x[axis]) return "an index is out of range";
  }
  return "";
}

// Split: the pieces' sizes are read from the output dims, checked against `split` when given.
std::string CheckSplit(const GraphInfo& graph, const hetrun_node& node, size_t* axis_out) {
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  std::string why;
  const auto axis =
      static_cast<size_t>(NormaliseAxis(plugin::AttrInt(node, "axis", 0), x.size(), &why));
  if (!why.empty()) return why;
  std::vector<int64_t> split = plugin::AttrInts(node, "split", {});
  // A `split` fed at run time is not read: the static output dims are the split.
  if (node.num_inputs > 1 && node.inputs[1] >= 0) IntConstant(graph, node.inputs[1], &split);
  int64_t total = 0;
  for (uint32_t o = 0; o < node.num_outputs; ++o) {
    if (node.outputs[o] < 0) return "an output is omitted";
    std::vector<int64_t> d = graph.value(node.outputs[o]).dims;
    if (d.size() != x.size()) return "output ranks differ";
    if (!split.empty() && (split.size() != node.num_outputs || split[o] != d[axis])) {
      return "output dims differ from split";
    }
    total += d[axis];
    d[axis] = x[axis];
    if (d != x) return "output dims differ off the axis";
  }
  if (total != x[axis]) return "output dims do not add up to the input's";
  *axis_out = axis;
  return "";
}

std::string Main(const Kernel& kernel, uint64_t count, uint32_t stride, const std::string& body) {
  return "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
         U(stride) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "  b" +
         std::to_string(kernel.num_inputs) + ".d[pc.o" + std::to_string(kernel.num_inputs) +
         " + i] = v;\n}\n";
}

// One invocation per input element writes it into its piece.
Kernel GenerateSplit(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  size_t axis = 0;
  CheckSplit(graph, node, &axis);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  kernel.bindings.push_back(node.inputs[0]);
  kernel.num_inputs = 1;
  for (uint32_t o = 0; o < node.num_outputs; ++o) kernel.bindings.push_back(node.outputs[o]);
  const uint64_t count = graph.value(node.inputs[0]).elements();
  const uint64_t inner = Product(x, axis + 1, x.size());
  const uint32_t local = 128;
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  std::string body = "  uint outer = i / " + U(static_cast<uint64_t>(x[axis]) * inner) +
                     ";\n  uint a = (i / " + U(inner) + ") % " + U(x[axis]) +
                     ";\n  uint rest = i % " + U(inner) + ";\n  float v = b0.d[pc.o0 + i];\n";
  uint64_t begin = 0;
  for (uint32_t o = 0; o < node.num_outputs; ++o) {
    const auto len = static_cast<uint64_t>(graph.value(node.outputs[o]).dims[axis]);
    const std::string b = std::to_string(o + 1);
    body += std::string(o ? "  else " : "  ") +
            (o + 1 < node.num_outputs ? "if (a < " + U(begin + len) + ") " : "") + "b" + b +
            ".d[pc.o" + b + " + (outer * " + U(len) + " + a - " + U(begin) + ") * " + U(inner) +
            " + rest] = v;\n";
    begin += len;
  }
  kernel.glsl = glsl::Header(local, 1, 1, node.num_outputs) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                U(stride) + ";\n  if (i >= " + U(count) + ") return;\n" + body + "}\n";
  return kernel;
}

}  // namespace

bool IsMovementOp(const std::string& op) {
  return op == "Concat" || op == "Slice" || op == "Gather" || op == "Split" ||
         op == "GatherElements" || op == "Expand" || op == "Tile" || op == "Pad";
}

bool IsIndexSlot(const std::string& op, uint32_t slot) {
  return (op == "Slice" && slot >= 1) ||
         ((op == "Gather" || op == "GatherElements" || op == "Expand" || op == "Tile" ||
           op == "Pad" || op == "Split") &&
          slot == 1);
}

std::string CheckMovement(const GraphInfo& graph, const hetrun_node& node) {
  const std::string op = node.op_type;
  if (op == "Concat") return CheckConcat(graph, node);
  if (op == "Gather") return CheckGather(graph, node);
  if (op == "Expand" || op == "Tile") {
    // The shape/repeats input is never read: the output dims (static) say it all.
    if (node.num_inputs != 2) return "expects 2 inputs";
    std::vector<int64_t> x = graph.value(node.inputs[0]).dims;
    const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
    if (op == "Tile" && x.size() != y.size()) return "output rank differs";
    if (x.size() > y.size()) return "output rank is below the input's";
    x.insert(x.begin(), y.size() - x.size(), 1);
    for (size_t d = 0; d < y.size(); ++d) {
      const bool ok = op == "Tile" ? y[d] % x[d] == 0 : (x[d] == y[d] || x[d] == 1);
      if (!ok) return "output dims " + FormatDims(y) + " do not fit the input's";
    }
    return "";
  }
  if (op == "GatherElements") {
    const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
    if (node.num_inputs != 2) return "expects data and indices";
    const ValueInfo& idx = graph.value(node.inputs[1]);
    std::string why;
    NormaliseAxis(plugin::AttrInt(node, "axis", 0), x.size(), &why);
    if (!why.empty()) return why;
    if (idx.dims.size() != x.size()) return "indices rank differs from data's";
    return graph.value(node.outputs[0]).dims == idx.dims ? "" : "output dims differ from indices'";
  }
  size_t axis = 0;
  if (op == "Split") return CheckSplit(graph, node, &axis);
  if (RuntimeSlice(graph, node)) return CheckRuntimeSlice(graph, node);
  if (op == "Pad") return CheckPad(graph, node);
  std::string why;
  ReadSlice(graph, node, &why);
  return why;
}

Kernel GenerateMovement(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  const std::string op = node.op_type;
  const std::string why = CheckMovement(graph, node);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  if (op == "Split") return GenerateSplit(graph, k, limits);
  if (RuntimeSlice(graph, node)) return GenerateRuntimeSlice(graph, k, limits);
  if (op == "Pad") return GeneratePad(graph, k, limits);
  const uint32_t data_inputs =
      op == "Slice" || op == "Expand" || op == "Tile" ? 1 : node.num_inputs;
  for (uint32_t i = 0; i < data_inputs; ++i) kernel.bindings.push_back(node.inputs[i]);
  kernel.num_inputs = data_inputs;
  kernel.bindings.push_back(node.outputs[0]);
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& y = graph.value(node.outputs[0]).dims;
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t local = 128;
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  std::string header = glsl::Header(local, 1, kernel.num_inputs, 1);
  std::string body;
  if (op == "Concat") {
    std::string unused;
    const auto axis =
        static_cast<size_t>(NormaliseAxis(plugin::AttrInt(node, "axis", 0), y.size(), &unused));
    const uint64_t inner = Product(y, axis + 1, y.size());
    body = "  uint outer = i / " + U(static_cast<uint64_t>(y[axis]) * inner) +
           ";\n  uint a = (i / " + U(inner) + ") % " + U(y[axis]) + ";\n  uint rest = i % " +
           U(inner) + ";\n  float v;\n";
    uint64_t begin = 0;
    for (uint32_t j = 0; j < node.num_inputs; ++j) {
      const auto len = static_cast<uint64_t>(graph.value(node.inputs[j]).dims[axis]);
      const std::string b = std::to_string(j);
      body += std::string(j ? "  else " : "  ") +
              (j + 1 < node.num_inputs ? "if (a < " + U(begin + len) + ") " : "") + "v = b" + b +
              ".d[pc.o" + b + " + (outer * " + U(len) + " + a - " + U(begin) + ") * " + U(inner) +
              " + rest];\n";
      begin += len;
    }
  } else if (op == "Slice") {
    std::string unused;
    const SliceSpec s = ReadSlice(graph, node, &unused);
    std::vector<uint64_t> in_stride(x.size(), 1);
    for (size_t d = x.size(); d-- > 1;)
      in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(x[d]);
    body = "  uint r = i;\n  int src = 0;\n";
    for (size_t d = y.size(); d-- > 0;) {
      body += "  src += (" + std::to_string(s.start[d]) + " + int(r % " + U(y[d]) + ") * " +
              std::to_string(s.step[d]) + ") * " + std::to_string(in_stride[d]) +
              ";\n  r /= " + U(y[d]) + ";\n";
    }
    body += "  float v = b0.d[pc.o0 + uint(src)];\n";
  } else if (op == "Expand" || op == "Tile") {
    // Output coordinate c reads input coordinate c % dim (0 where the input dim is 1).
    std::vector<uint64_t> in_stride(x.size(), 1);
    for (size_t d = x.size(); d-- > 1;)
      in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(x[d]);
    body = "  uint r = i;\n  uint src = 0u;\n";
    const size_t lead = y.size() - x.size();
    for (size_t d = y.size(); d-- > 0;) {
      if (d >= lead && x[d - lead] != 1) {
        body += "  src += ((r % " + U(y[d]) + ") % " + U(x[d - lead]) + ") * " +
                U(in_stride[d - lead]) + ";\n";
      }
      body += "  r /= " + U(y[d]) + ";\n";
    }
    body += "  float v = b0.d[pc.o0 + src];\n";
  } else if (op == "GatherElements") {
    std::string unused;
    const auto axis =
        static_cast<size_t>(NormaliseAxis(plugin::AttrInt(node, "axis", 0), x.size(), &unused));
    const std::string from = "buffer B1 { float d[]; }", to = "buffer B1 { int d[]; }";
    header.replace(header.find(from), from.size(), to);
    const bool wide = graph.value(node.inputs[1]).dtype == HETRUN_DTYPE_INT64;
    std::vector<uint64_t> in_stride(x.size(), 1);
    for (size_t d = x.size(); d-- > 1;)
      in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(x[d]);
    body = std::string("  int k = b1.d[pc.o1 + ") + (wide ? "2u * i" : "i") +
           "];\n  if (k < 0) k += " + std::to_string(x[axis]) + ";\n  k = clamp(k, 0, " +
           std::to_string(x[axis] - 1) +
           ");  // never read out of bounds\n  uint r = i;\n  uint src = 0u;\n";
    for (size_t d = y.size(); d-- > 0;) {
      const std::string c = d == axis ? "uint(k)" : "(r % " + U(y[d]) + ")";
      body += "  src += " + c + " * " + U(in_stride[d]) + ";\n  r /= " + U(y[d]) + ";\n";
    }
    body += "  float v = b0.d[pc.o0 + src];\n";
  } else {
    std::string unused;
    const auto axis =
        static_cast<size_t>(NormaliseAxis(plugin::AttrInt(node, "axis", 0), x.size(), &unused));
    const ValueInfo& idx = graph.value(node.inputs[1]);
    const uint64_t inner = Product(x, axis + 1, x.size()), n = idx.elements();
    // Indices are read as 32-bit words; an int64 index is its low word (little endian), exact for
    // every index a tensor below 128 MiB can have.
    const std::string from = "buffer B1 { float d[]; }", to = "buffer B1 { int d[]; }";
    header.replace(header.find(from), from.size(), to);
    const std::string word = idx.dtype == HETRUN_DTYPE_INT64 ? "2u * p" : "p";
    body = "  uint outer = i / " + U(n * inner) + ";\n  uint p = (i / " + U(inner) + ") % " + U(n) +
           ";\n  int k = b1.d[pc.o1 + " + word +
           "];\n  if (k < 0) k += " + std::to_string(x[axis]) + ";\n  k = clamp(k, 0, " +
           std::to_string(x[axis] - 1) +
           ");  // never read out of bounds\n"
           "  float v = b0.d[pc.o0 + (outer * " +
           U(x[axis]) + " + uint(k)) * " + U(inner) + " + i % " + U(inner) + "];\n";
  }
  kernel.glsl = header + Main(kernel, count, stride, body);
  return kernel;
}

}  // namespace hetrun::vulkan
