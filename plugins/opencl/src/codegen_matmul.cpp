// MatMul (numpy semantics: 1-D operands promoted, batch dims broadcast) and Gemm (alpha, beta,
// transA, transB, C broadcast to [M, N]). One work item per output element runs the dot product.
#include <sstream>

#include "codegen.h"
#include "errors.h"

namespace hetrun::opencl {
namespace {

struct MatMulShape {
  std::vector<int64_t> a, b;  // promoted to rank >= 2
  std::vector<int64_t> out;   // [batch..., M, N] before the promoted dims are dropped
  int64_t m = 0, k = 0, n = 0;
};

std::string ResolveMatMul(const GraphInfo& graph, uint32_t k, MatMulShape* s) {
  const hetrun_node& node = graph.node(k);
  if (node.num_inputs != 2 || node.inputs[0] < 0 || node.inputs[1] < 0) return "expects two inputs";
  s->a = graph.value(node.inputs[0]).dims;
  s->b = graph.value(node.inputs[1]).dims;
  if (s->a.empty() || s->b.empty()) return "scalar operands are not allowed";
  const bool a_vector = s->a.size() == 1, b_vector = s->b.size() == 1;
  if (a_vector) s->a.insert(s->a.begin(), 1);
  if (b_vector) s->b.push_back(1);
  s->m = s->a[s->a.size() - 2];
  s->k = s->a.back();
  s->n = s->b.back();
  if (s->b[s->b.size() - 2] != s->k) return "inner dimensions differ";
  std::vector<int64_t> batch;
  if (!BroadcastShapes(std::vector<int64_t>(s->a.begin(), s->a.end() - 2),
                       std::vector<int64_t>(s->b.begin(), s->b.end() - 2), &batch)) {
    return "batch dimensions do not broadcast";
  }
  s->out = batch;
  s->out.push_back(s->m);
  s->out.push_back(s->n);
  std::vector<int64_t> expected = batch;
  if (!a_vector) expected.push_back(s->m);
  if (!b_vector) expected.push_back(s->n);
  if (graph.value(node.outputs[0]).dims != expected) {
    return "output shape differs from " + FormatDims(expected);
  }
  return "";
}

std::string CheckGemm(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  if (node.num_inputs < 2 || node.num_inputs > 3 || node.inputs[0] < 0 || node.inputs[1] < 0) {
    return "expects A, B and an optional C";
  }
  const std::vector<int64_t>& a = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t>& b = graph.value(node.inputs[1]).dims;
  if (a.size() != 2 || b.size() != 2) return "A and B must be 2-D";
  const bool ta = plugin::AttrInt(node, "transA", 0) != 0,
             tb = plugin::AttrInt(node, "transB", 0) != 0;
  const int64_t m = ta ? a[1] : a[0], ka = ta ? a[0] : a[1];
  const int64_t kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
  if (ka != kb) return "inner dimensions differ";
  const std::vector<int64_t> out = {m, n};
  if (graph.value(node.outputs[0]).dims != out) return "output must be " + FormatDims(out);
  const int32_t c = graph.Input(k, 2);
  if (c >= 0) {
    std::vector<int64_t> shape;
    if (graph.value(c).dims.size() > 2 || !BroadcastShapes(graph.value(c).dims, out, &shape) ||
        shape != out) {
      return "C does not broadcast to " + FormatDims(out);
    }
  }
  return "";
}

}  // namespace

std::string CheckMatMul(const GraphInfo& graph, uint32_t k) {
  if (std::string(graph.node(k).op_type) == "Gemm") return CheckGemm(graph, k);
  MatMulShape s;
  return ResolveMatMul(graph, k, &s);
}

int64_t MatMulDepth(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  const std::vector<int64_t>& a = graph.value(node.inputs[0]).dims;
  if (std::string(node.op_type) == "Gemm" && plugin::AttrInt(node, "transA", 0) != 0) return a[0];
  return a.back();
}

Kernel GenerateMatMul(const GraphInfo& graph, uint32_t k) {
  const hetrun_node& node = graph.node(k);
  if (std::string reason = CheckMatMul(graph, k); !reason.empty()) ThrowUnimplemented(reason);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.args = {node.inputs[0], node.inputs[1]};
  kernel.work_items = graph.value(node.outputs[0]).elements();
  std::ostringstream s;
  if (std::string(node.op_type) == "Gemm") {
    const std::vector<int64_t>& a = graph.value(node.inputs[0]).dims;
    const std::vector<int64_t>& b = graph.value(node.inputs[1]).dims;
    const bool ta = plugin::AttrInt(node, "transA", 0) != 0;
    const bool tb = plugin::AttrInt(node, "transB", 0) != 0;
    const std::vector<int64_t>& out = graph.value(node.outputs[0]).dims;
    const int64_t depth = ta ? a[0] : a[1];
    const int32_t c = graph.Input(k, 2);
    if (c >= 0) kernel.args.push_back(c);
    s << cl::Unravel(out, "i", "c") << "  float acc = 0.0f;\n"
      << "  for (long j = 0; j < " << depth << "L; ++j) {\n"
      << "    acc += IN0("
      << (ta ? "j * " + std::to_string(a[1]) + "L + c0" : "c0 * " + std::to_string(a[1]) + "L + j")
      << ") * IN1("
      << (tb ? "c1 * " + std::to_string(b[1]) + "L + j" : "j * " + std::to_string(b[1]) + "L + c1")
      << ");\n  }\n"
      << "  float y = " << cl::Float(plugin::AttrFloat(node, "alpha", 1.0f)) << " * acc;\n";
    if (c >= 0) {
      s << "  y += " << cl::Float(plugin::AttrFloat(node, "beta", 1.0f)) << " * IN2("
        << cl::BroadcastIndex(graph.value(c).dims, out, "c") << ");\n";
    }
    s << "  OUT0(i, y);\n";
  } else {
    MatMulShape m;
    ResolveMatMul(graph, k, &m);
    const size_t rank = m.out.size();
    const std::vector<int64_t> a_batch(m.a.begin(), m.a.end() - 2),
        b_batch(m.b.begin(), m.b.end() - 2);
    const std::vector<int64_t> batch(m.out.begin(), m.out.end() - 2);
    s << cl::Unravel(m.out, "i", "c")
      << "  const long a_base = " << cl::BroadcastIndex(a_batch, batch, "c") << " * " << m.m * m.k
      << "L + c" << rank - 2 << " * " << m.k << "L;\n"
      << "  const long b_base = " << cl::BroadcastIndex(b_batch, batch, "c") << " * " << m.k * m.n
      << "L + c" << rank - 1 << ";\n"
      << "  float acc = 0.0f;\n"
      << "  for (long j = 0; j < " << m.k << "L; ++j) acc += IN0(a_base + j) * IN1(b_base + j * "
      << m.n << "L);\n  OUT0(i, acc);\n";
  }
  kernel.num_inputs = static_cast<uint32_t>(kernel.args.size());
  kernel.args.push_back(node.outputs[0]);
  kernel.source = cl::Source(graph, kernel.args, kernel.num_inputs, kernel.work_items, s.str());
  return kernel;
}

}  // namespace hetrun::opencl
