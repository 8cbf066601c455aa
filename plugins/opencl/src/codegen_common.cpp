#include <cmath>
#include <cstdio>
#include <sstream>

#include "codegen.h"

namespace hetrun::opencl::cl {
namespace {

const char* PointerType(hetrun_dtype_t dtype) {
  return dtype == HETRUN_DTYPE_FLOAT16 ? "half" : "float";
}

}  // namespace

std::string Source(const GraphInfo& graph, const std::vector<int32_t>& args, uint32_t num_inputs,
                   uint64_t work_items, const std::string& body) {
  std::ostringstream s;
  std::ostringstream params;
  for (size_t a = 0; a < args.size(); ++a) {
    const ValueInfo& v = graph.value(args[a]);
    const bool input = a < num_inputs;
    const std::string b = "b" + std::to_string(a), o = "o" + std::to_string(a);
    params << (a ? ", " : "") << "__global " << (input ? "const " : "") << PointerType(v.dtype)
           << "* " << b;
    const std::string name =
        input ? "IN" + std::to_string(a) : "OUT" + std::to_string(a - num_inputs);
    if (v.dtype == HETRUN_DTYPE_FLOAT16) {
      s << "#define " << name
        << (input ? "(j) vload_half((size_t)(" + o + " + (j)), " + b + ")\n"
                  : "(j, v) vstore_half_rte((v), (size_t)(" + o + " + (j)), " + b + ")\n");
    } else {
      s << "#define " << name
        << (input ? "(j) " + b + "[" + o + " + (j)]\n"
                  : "(j, v) (" + b + "[" + o + " + (j)] = (v))\n");
    }
  }
  for (size_t a = 0; a < args.size(); ++a) params << ", const ulong o" << a;
  s << "__kernel void run(" << params.str() << ") {\n"
    << "  const long i = (long)get_global_id(0);\n"
    << "  if (i >= " << work_items << "L) return;\n"
    << body << "}\n";
  return s.str();
}

std::string Float(float value) {
  if (std::isnan(value)) return "NAN";
  if (std::isinf(value)) return value > 0 ? "INFINITY" : "(-INFINITY)";
  char text[64];
  std::snprintf(text, sizeof text, "%af", static_cast<double>(value));
  return value < 0 ? "(" + std::string(text) + ")" : std::string(text);
}

std::string Unravel(const std::vector<int64_t>& dims, const std::string& index,
                    const std::string& prefix) {
  std::ostringstream s;
  s << "  long " << prefix << "_r = " << index << ";\n";
  for (size_t d = dims.size(); d-- > 0;) {
    s << "  const long " << prefix << d << " = " << prefix << "_r % " << dims[d] << "L; " << prefix
      << "_r /= " << dims[d] << "L;\n";
  }
  return s.str();
}

std::string BroadcastIndex(const std::vector<int64_t>& dims, const std::vector<int64_t>& out,
                           const std::string& prefix) {
  std::string expr;
  int64_t stride = 1;
  const size_t shift = out.size() - dims.size();
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] != 1) {
      if (!expr.empty()) expr += " + ";
      expr += prefix + std::to_string(d + shift) + " * " + std::to_string(stride) + "L";
    }
    stride *= dims[d];
  }
  return expr.empty() ? "0" : "(" + expr + ")";
}

}  // namespace hetrun::opencl::cl
