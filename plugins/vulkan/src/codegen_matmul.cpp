// MatMul (numpy semantics: 1-D operands, broadcast batch dims) and Gemm (transA/transB, alpha,
// beta, C broadcast to [M, N]) as one tiled kernel: a 16x16 workgroup computes a 16x16 block of the
// output, staging 16x16 tiles of A and B through shared memory; the batch is the z dimension.
// Tunable (tuning.h): `variant` 1 drops the shared memory and its barriers for a block of
// block_m x block_n outputs per invocation held in registers, each A and B element loaded once per
// block. Barriers are costly where invocations are loop iterations of one CPU thread (lavapipe);
// the register block also cuts loads by the block's size. Both sum over k in the same order.
#include <algorithm>

#include "codegen.h"
#include "gen_errors.h"
#include "tuning.h"

namespace hetrun::vulkan {
namespace {

constexpr uint32_t kTile = 16;

struct MatMulShape {
  bool gemm = false;
  uint64_t m = 1, n = 1, k = 1;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  int32_t c = -1;                        // Gemm's C, or -1
  std::vector<int64_t> batch;            // output batch dims
  std::vector<uint64_t> a_batch_stride;  // per batch dim; 0 where A broadcasts
  std::vector<uint64_t> b_batch_stride;
};

// Element strides of `dims` (the batch part of an operand) aligned right to `batch`; 0 where the
// operand has size 1 or no dim. `matrix` is the size of one matrix of the operand.
std::vector<uint64_t> BatchStrides(const std::vector<int64_t>& dims,
                                   const std::vector<int64_t>& batch, uint64_t matrix) {
  std::vector<uint64_t> strides(batch.size(), 0);
  uint64_t stride = matrix;
  for (size_t d = dims.size(); d-- > 0;) {
    const size_t bd = d + (batch.size() - dims.size());
    if (dims[d] != 1) strides[bd] = stride;
    stride *= static_cast<uint64_t>(dims[d]);
  }
  return strides;
}

// The problem, or a reason in `why`.
MatMulShape Analyse(const GraphInfo& graph, const hetrun_node& node, std::string* why) {
  MatMulShape s;
  s.gemm = std::string(node.op_type) == "Gemm";
  if (node.num_inputs < 2 || node.inputs[0] < 0 || node.inputs[1] < 0) {
    return *why = "needs inputs A and B", s;
  }
  const std::vector<int64_t> a = graph.value(node.inputs[0]).dims;
  const std::vector<int64_t> b = graph.value(node.inputs[1]).dims;
  std::vector<int64_t> expected;
  if (s.gemm) {
    if (a.size() != 2 || b.size() != 2) return *why = "A and B must be 2-D", s;
    s.trans_a = plugin::AttrInt(node, "transA", 0) != 0;
    s.trans_b = plugin::AttrInt(node, "transB", 0) != 0;
    s.alpha = plugin::AttrFloat(node, "alpha", 1.0f);
    s.beta = plugin::AttrFloat(node, "beta", 1.0f);
    s.m = static_cast<uint64_t>(s.trans_a ? a[1] : a[0]);
    s.k = static_cast<uint64_t>(s.trans_a ? a[0] : a[1]);
    const auto kb = static_cast<uint64_t>(s.trans_b ? b[1] : b[0]);
    s.n = static_cast<uint64_t>(s.trans_b ? b[0] : b[1]);
    if (kb != s.k) return *why = "inner dims of A and B differ", s;
    if (node.num_inputs > 3) return *why = "too many inputs", s;
    if (node.num_inputs == 3 && node.inputs[2] >= 0) {
      s.c = node.inputs[2];
      const std::vector<int64_t> c = graph.value(s.c).dims;
      const std::vector<int64_t> target = {static_cast<int64_t>(s.m), static_cast<int64_t>(s.n)};
      if (c.size() > 2) return *why = "C has rank above 2", s;
      for (size_t d = 0; d < c.size(); ++d) {
        const int64_t t = target[d + 2 - c.size()];
        if (c[d] != t && c[d] != 1) return *why = "C does not broadcast to [M, N]", s;
      }
    }
    expected = {static_cast<int64_t>(s.m), static_cast<int64_t>(s.n)};
  } else {
    if (a.empty() || b.empty()) return *why = "scalar operands are not allowed", s;
    if (node.num_inputs != 2) return *why = "expects 2 inputs", s;
    const std::vector<int64_t> a_batch(a.begin(), a.end() - (a.size() > 1 ? 2 : 1));
    const std::vector<int64_t> b_batch(b.begin(), b.end() - (b.size() > 1 ? 2 : 1));
    s.m = a.size() > 1 ? static_cast<uint64_t>(a[a.size() - 2]) : 1;
    s.k = static_cast<uint64_t>(a.back());
    const auto kb = static_cast<uint64_t>(b.size() > 1 ? b[b.size() - 2] : b[0]);
    s.n = b.size() > 1 ? static_cast<uint64_t>(b.back()) : 1;
    if (kb != s.k) return *why = "inner dims of A and B differ", s;
    if (!BroadcastShapes(a_batch, b_batch, &s.batch))
      return *why = "batch dims do not broadcast", s;
    s.a_batch_stride = BatchStrides(a_batch, s.batch, s.m * s.k);
    s.b_batch_stride = BatchStrides(b_batch, s.batch, s.k * s.n);
    expected = s.batch;
    if (a.size() > 1) expected.push_back(static_cast<int64_t>(s.m));
    if (b.size() > 1) expected.push_back(static_cast<int64_t>(s.n));
  }
  const std::vector<int64_t> out = graph.value(node.outputs[0]).dims;
  if (out != expected) {
    return *why = "output dims " + FormatDims(out) + " differ from the expected " +
                  FormatDims(expected),
           s;
  }
  return s;
}

uint64_t BatchCount(const MatMulShape& s) {
  uint64_t count = 1;
  for (int64_t d : s.batch) count *= static_cast<uint64_t>(d);
  return count;
}

std::string U(uint64_t value) {
  return std::to_string(value) + "u";
}

// The register variant's geometry: a work group of local[0] x local[1] invocations computes
// local[1] * block_m rows by local[0] * block_n columns (columns interleaved by local[0], so
// neighbouring invocations read neighbouring B elements).
struct RegisterTiling {
  uint32_t block_m = 1, block_n = 1;
  uint32_t local[2] = {16, 16};
  uint64_t groups[3] = {1, 1, 1};
};

RegisterTiling Tile(const MatMulShape& s, uint32_t block_m, uint32_t block_n, bool uniform_rows,
                    const Limits& limits) {
  RegisterTiling t;
  t.block_m = block_m;
  t.block_n = block_n;
  const uint64_t row_blocks = (s.m + block_m - 1) / block_m;
  uint32_t ly = 1;
  while (!uniform_rows && ly < 16 && ly < row_blocks &&
         ly * 2 * 16 <= limits.max_local_invocations) {
    ly *= 2;
  }
  t.local[1] = ly;
  t.local[0] = std::max<uint32_t>(1, std::min<uint32_t>(64, limits.max_local_invocations / ly));
  t.groups[0] = (s.n + uint64_t{t.local[0]} * block_n - 1) / (uint64_t{t.local[0]} * block_n);
  t.groups[1] = (s.m + uint64_t{ly} * block_m - 1) / (uint64_t{ly} * block_m);
  t.groups[2] = BatchCount(s);
  return t;
}

bool Fits(const RegisterTiling& t, const Limits& limits) {
  for (int d = 0; d < 3; ++d)
    if (t.groups[d] > limits.max_groups[d]) return false;
  return true;
}

// Candidates 1, 2, 4, 8, 16 up to about the extent (a block of 8 for 3 rows would be mostly idle).
std::vector<int64_t> BlockCandidates(uint64_t extent) {
  std::vector<int64_t> values;
  for (int64_t b : {1, 2, 4, 8, 16})
    if (b == 1 || static_cast<uint64_t>(b) < 2 * extent) values.push_back(b);
  return values;
}

}  // namespace

std::vector<Tunable> MatMulTunables(const GraphInfo& graph, const hetrun_node& node,
                                    const Limits& limits) {
  if (!CheckMatMul(graph, node, limits).empty()) return {};
  std::string why;
  const MatMulShape s = Analyse(graph, node, &why);
  if (!Fits(Tile(s, 1, 1, false, limits), limits) || !Fits(Tile(s, 1, 1, true, limits), limits)) {
    return {};
  }
  std::vector<Tunable> list;
  list.push_back(
      {"variant",
       "0: 16x16 tiles in shared memory; 1: a register block per invocation, no barriers;"
       " 2: as 1, one row block per work group",
       {0, 1, 2},
       0});
  // Only variants 1 and 2 read the blocks; their defaults are what it runs with when they are not
  // tuned.
  const char* what[2] = {"rows", "columns"};
  const uint64_t extent[2] = {s.m, s.n};
  const char* names[2] = {"block_m", "block_n"};
  for (int d = 0; d < 2; ++d) {
    Tunable t;
    t.name = names[d];
    t.description = std::string(what[d]) + " of the output per invocation (variants 1 and 2)";
    t.values = BlockCandidates(extent[d]);
    t.default_value = std::min<int64_t>(4, t.values.back());
    list.push_back(std::move(t));
  }
  return list;
}

std::string CheckMatMul(const GraphInfo& graph, const hetrun_node& node, const Limits& limits) {
  std::string why;
  const MatMulShape s = Analyse(graph, node, &why);
  if (!why.empty()) return why;
  if ((s.n + kTile - 1) / kTile > limits.max_groups[0] ||
      (s.m + kTile - 1) / kTile > limits.max_groups[1] || BatchCount(s) > limits.max_groups[2]) {
    return "the problem exceeds the device's workgroup grid";
  }
  return "";
}

Kernel GenerateMatMul(const GraphInfo& graph, uint32_t k, const Limits& limits,
                      const NodeTuning& tuning) {
  const hetrun_node& node = graph.node(k);
  std::string why = CheckMatMul(graph, node, limits);
  if (!why.empty()) throw plugin::Error(HETRUN_STATUS_UNIMPLEMENTED, why);
  const MatMulShape s = Analyse(graph, node, &why);
  Kernel kernel;
  kernel.what = graph.Describe(k);
  kernel.bindings = {node.inputs[0], node.inputs[1]};
  if (s.c >= 0) kernel.bindings.push_back(s.c);
  kernel.num_inputs = static_cast<uint32_t>(kernel.bindings.size());
  kernel.bindings.push_back(node.outputs[0]);
  const std::string y = std::to_string(kernel.num_inputs);
  const int64_t variant = TunedValue(tuning, "variant", 0);
  const bool registers = variant != 0;
  kernel.groups[0] = static_cast<uint32_t>((s.n + kTile - 1) / kTile);
  kernel.groups[1] = static_cast<uint32_t>((s.m + kTile - 1) / kTile);
  kernel.groups[2] = static_cast<uint32_t>(BatchCount(s));

  std::string batch = "  uint abase = 0u, bbase = 0u;\n";
  if (!s.batch.empty()) {
    batch += "  uint r = z, c;\n";
    for (size_t d = s.batch.size(); d-- > 0;) {
      batch += "  c = r % " + U(static_cast<uint64_t>(s.batch[d])) +
               "; r /= " + U(static_cast<uint64_t>(s.batch[d])) + ";\n";
      if (s.a_batch_stride[d]) batch += "  abase += c * " + U(s.a_batch_stride[d]) + ";\n";
      if (s.b_batch_stride[d]) batch += "  bbase += c * " + U(s.b_batch_stride[d]) + ";\n";
    }
  }
  const std::string a_index = s.trans_a ? "ka * " + U(s.m) + " + row" : "row * " + U(s.k) + " + ka";
  const std::string b_index = s.trans_b ? "col * " + U(s.k) + " + kb" : "kb * " + U(s.n) + " + col";
  std::string result = "acc";
  if (s.alpha != 1.0f) result = glsl::Float(s.alpha) + " * acc";
  if (s.c >= 0 && s.beta != 0.0f) {
    const std::vector<int64_t> c = graph.value(s.c).dims;
    const int64_t cm = c.size() == 2 ? c[0] : 1;
    const int64_t cn = c.empty() ? 1 : c.back();
    std::string c_index = "0u";
    if (cm > 1 && cn > 1) c_index = "row * " + U(s.n) + " + col";
    if (cm > 1 && cn == 1) c_index = "row";
    if (cm == 1 && cn > 1) c_index = "col";
    std::string cv = "b2.d[pc.o2 + " + c_index + "]";
    if (s.beta != 1.0f) cv = glsl::Float(s.beta) + " * " + cv;
    result += " + " + cv;
  }

  if (registers) {
    const RegisterTiling t =
        Tile(s, static_cast<uint32_t>(TunedValue(tuning, "block_m", 4)),
             static_cast<uint32_t>(TunedValue(tuning, "block_n", 4)), variant == 2, limits);
    for (int d = 0; d < 3; ++d) kernel.groups[d] = static_cast<uint32_t>(t.groups[d]);
    kernel.glsl = glsl::Header(t.local[0], t.local[1], kernel.num_inputs, 1);
    kernel.glsl += "\nfloat epilogue(float acc, uint row, uint col) {\n  return " + result +
                   ";\n}\n\nvoid main() {\n  uint z = gl_WorkGroupID.z;\n" + batch;
    // With one row block per work group the A loads are uniform (one load for all invocations).
    kernel.glsl += "  uint row0 = gl_WorkGroupID.y * " + U(uint64_t{t.local[1]} * t.block_m) +
                   (t.local[1] == 1 ? "" : " + gl_LocalInvocationID.y * " + U(t.block_m)) +
                   ";\n  uint col0 = gl_WorkGroupID.x * " + U(uint64_t{t.local[0]} * t.block_n) +
                   " + gl_LocalInvocationID.x;\n";
    // Rows and columns past the edge read the last one (in bounds) and are not stored.
    std::string loads, fmas, init, stores;
    for (uint32_t i = 0; i < t.block_m; ++i) {
      const std::string si = std::to_string(i);
      const std::string row = "min(row0 + " + U(i) + ", " + U(s.m - 1) + ")";
      kernel.glsl += "  uint ar" + si + " = pc.o0 + abase + " +
                     (s.trans_a ? row : row + " * " + U(s.k)) + ";\n";
      loads += "    float va" + si + " = b0.d[ar" + si + (s.trans_a ? " + k * " + U(s.m) : " + k") +
               "];\n";
    }
    for (uint32_t j = 0; j < t.block_n; ++j) {
      const std::string sj = std::to_string(j);
      const std::string col = "min(col0 + " + U(uint64_t{j} * t.local[0]) + ", " + U(s.n - 1) + ")";
      kernel.glsl += "  uint bc" + sj + " = pc.o1 + bbase + " +
                     (s.trans_b ? col + " * " + U(s.k) : col) + ";\n";
      loads += "    float vb" + sj + " = b1.d[bc" + sj + (s.trans_b ? " + k" : " + k * " + U(s.n)) +
               "];\n";
    }
    for (uint32_t i = 0; i < t.block_m; ++i) {
      for (uint32_t j = 0; j < t.block_n; ++j) {
        const std::string si = std::to_string(i), sj = std::to_string(j);
        const std::string acc = "acc" + si + "_" + sj;
        init += "  float " + acc + " = 0.0;\n";
        fmas += "    " + acc + " += va" + si + " * vb" + sj + ";\n";
        stores += "  if (row0 + " + U(i) + " < " + U(s.m) + " && col0 + " +
                  U(uint64_t{j} * t.local[0]) + " < " + U(s.n) + ") b" + y + ".d[pc.o" + y +
                  " + z * " + U(s.m * s.n) + " + (row0 + " + U(i) + ") * " + U(s.n) + " + col0 + " +
                  U(uint64_t{j} * t.local[0]) + "] = epilogue(" + acc + ", row0 + " + U(i) +
                  ", col0 + " + U(uint64_t{j} * t.local[0]) + ");\n";
      }
    }
    kernel.glsl += init + "  for (uint k = 0u; k < " + U(s.k) + "; ++k) {\n" + loads + fmas +
                   "  }\n" + stores + "}\n";
    return kernel;
  }

  kernel.glsl = glsl::Header(kTile, kTile, kernel.num_inputs, 1);
  kernel.glsl +=
      "shared float ta[16][16];\nshared float tb[16][16];\n\nvoid main() {\n"
      "  uint col = gl_GlobalInvocationID.x;\n  uint row = gl_GlobalInvocationID.y;\n"
      "  uint lx = gl_LocalInvocationID.x;\n  uint ly = gl_LocalInvocationID.y;\n"
      "  uint z = gl_WorkGroupID.z;\n" +
      batch +
      "  float acc = 0.0;\n"
      "  for (uint k0 = 0u; k0 < " +
      U(s.k) +
      "; k0 += 16u) {\n"
      "    uint ka = k0 + lx;\n    float av = 0.0;\n"
      "    if (row < " +
      U(s.m) + " && ka < " + U(s.k) + ") av = b0.d[pc.o0 + abase + " + a_index +
      "];\n    ta[ly][lx] = av;\n"
      "    uint kb = k0 + ly;\n    float bv = 0.0;\n"
      "    if (kb < " +
      U(s.k) + " && col < " + U(s.n) + ") bv = b1.d[pc.o1 + bbase + " + b_index +
      "];\n    tb[ly][lx] = bv;\n"
      "    barrier();\n"
      "    for (uint k = 0u; k < 16u; ++k) acc += ta[ly][k] * tb[k][lx];\n"
      "    barrier();\n  }\n"
      "  if (row < " +
      U(s.m) + " && col < " + U(s.n) +
      ") {\n"
      "    b" +
      y + ".d[pc.o" + y + " + z * " + U(s.m * s.n) + " + row * " + U(s.n) + " + col] = " + result +
      ";\n  }\n}\n";
  return kernel;
}

}  // namespace hetrun::vulkan
