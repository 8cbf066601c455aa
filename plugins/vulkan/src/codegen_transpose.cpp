// Transpose: one invocation per output element gathers its input element through the permuted
// strides (a gather keeps the writes contiguous). DepthToSpace and SpaceToDepth are the same kernel
// over a 6-D view of their input (ONNX defines them as reshape, transpose, reshape).
#include <algorithm>

#include "codegen.h"
#include "gen_errors.h"

namespace hetrun::vulkan {
namespace {

std::vector<int64_t> Fail(std::string* why, const char* reason) {
  *why = reason;
  return {};
}

// The permutation, or a reason in `why`.
std::vector<int64_t> Permutation(const GraphInfo& graph, const hetrun_node& node,
                                 std::string* why) {
  if (node.num_inputs != 1 || node.inputs[0] < 0) return Fail(why, "expects one input");
  const std::vector<int64_t>& in = graph.value(node.inputs[0]).dims;
  const size_t rank = in.size();
  std::vector<int64_t> perm(rank);
  for (size_t d = 0; d < rank; ++d) perm[d] = static_cast<int64_t>(rank - 1 - d);
  if (plugin::FindAttr(node, "perm")) perm = plugin::AttrInts(node, "perm");
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool permutation = sorted.size() == rank;
  for (size_t d = 0; permutation && d < rank; ++d)
    permutation = sorted[d] == static_cast<int64_t>(d);
  if (!permutation) return Fail(why, "perm is not a permutation of the input's axes");
  std::vector<int64_t> expected(rank);
  for (size_t d = 0; d < rank; ++d) expected[d] = in[static_cast<size_t>(perm[d])];
  if (graph.value(node.outputs[0]).dims != expected) {
    return Fail(why, "output dims differ from the permuted input dims");
  }
  return perm;
}

// DepthToSpace / SpaceToDepth as a transpose: the 6-D view of the input and the permutation.
std::vector<int64_t> BlockView(const GraphInfo& graph, const hetrun_node& node,
                               std::vector<int64_t>* view, std::string* why) {
  if (node.num_inputs != 1 || node.inputs[0] < 0) return Fail(why, "expects one input");
  const std::vector<int64_t>& x = graph.value(node.inputs[0]).dims;
  const int64_t b = plugin::AttrInt(node, "blocksize", 0);
  if (x.size() != 4 || b < 1) return Fail(why, "expects N x C x H x W and a positive blocksize");
  const int64_t n = x[0], c = x[1], h = x[2], w = x[3];
  std::vector<int64_t> expected, perm;
  if (std::string(node.op_type) == "DepthToSpace") {
    if (c % (b * b) != 0) return Fail(why, "C is not a multiple of blocksize^2");
    const int64_t cb = c / (b * b);
    if (plugin::AttrString(node, "mode", "DCR") == "DCR") {
      *view = {n, b, b, cb, h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (plugin::AttrString(node, "mode", "DCR") == "CRD") {
      *view = {n, cb, b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return Fail(why, "mode is neither DCR nor CRD");
    }
    expected = {n, cb, h * b, w * b};
  } else {
    if (h % b != 0 || w % b != 0) return Fail(why, "H or W is not a multiple of blocksize");
    *view = {n, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    expected = {n, c * b * b, h / b, w / b};
  }
  if (graph.value(node.outputs[0]).dims != expected) return Fail(why, "output dims differ");
  return perm;
}

}  // namespace

bool IsTransposeOp(const std::string& op) {
  return op == "Transpose" || op == "DepthToSpace" || op == "SpaceToDepth";
}

std::string CheckTranspose(const GraphInfo& graph, const hetrun_node& node) {
  std::string why;
  std::vector<int64_t> view;
  if (std::string(node.op_type) == "Transpose") {
    Permutation(graph, node, &why);
  } else {
    BlockView(graph, node, &view, &why);
  }
  return why;
}

Kernel GenerateTranspose(const GraphInfo& graph, uint32_t k, const Limits& limits) {
  const hetrun_node& node = graph.node(k);
  std::string why;
  std::vector<int64_t> in = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t> perm = std::string(node.op_type) == "Transpose"
                                        ? Permutation(graph, node, &why)
                                        : BlockView(graph, node, &in, &why);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  std::vector<int64_t> out(perm.size());  // the transposed view (same flat layout as the output)
  for (size_t d = 0; d < perm.size(); ++d) out[d] = in[static_cast<size_t>(perm[d])];
  std::vector<uint64_t> in_stride(in.size(), 1);
  for (size_t d = in.size(); d-- > 1;)
    in_stride[d - 1] = in_stride[d] * static_cast<uint64_t>(in[d]);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.outputs[0]};
  kernel.num_inputs = 1;
  const uint64_t count = graph.value(node.outputs[0]).elements();
  const uint32_t local = 128;
  const uint32_t stride = glsl::SpreadGroups(count, local, limits, kernel.groups);
  std::string body = "  uint r = i;\n  uint src = 0u;\n";
  for (size_t d = out.size(); d-- > 0;) {
    const std::string n = std::to_string(out[d]) + "u";
    body += "  src += (r % " + n + ") * " +
            std::to_string(in_stride[static_cast<size_t>(perm[d])]) + "u;\n  r /= " + n + ";\n";
  }
  kernel.glsl = glsl::Header(local, 1, 1, 1) +
                "\nvoid main() {\n  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * " +
                std::to_string(stride) + "u;\n  if (i >= " + std::to_string(count) +
                "u) return;\n" + body + "  b1.d[pc.o1 + i] = b0.d[pc.o0 + src];\n}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
