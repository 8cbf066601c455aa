// One conformance case: a single-node graph of one op with concrete input shapes, attributes and
// seeded random input values. Output shapes are left unknown: the reference (CPU) plugin's run
// decides them, so the kit needs no shape inference of its own.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hetrun/core/graph.h"
#include "hetrun/core/tensor.h"

namespace hetrun::cli::check_plugin {

// How closely the plugin's outputs must match the reference's (float32; float16 is looser).
enum class Tolerance {
  kExact,           // data movement, comparisons, integer math
  kArithmetic,      // +, -, *, / and friends: a few ulps
  kTranscendental,  // exp, log, tanh, erf, pow ...: GPUs use approximations
  kAccumulating,    // sums over many elements: MatMul, Conv, reductions, normalisations
};

struct OpCase {
  std::string op;
  core::DType dtype = core::DType::kFloat32;  // the dtype the case is about (the first input's)
  std::string summary;                        // "x=2x3x5x5 w=4x3x3x3 group=1 strides=2,1"
  Tolerance tolerance = Tolerance::kArithmetic;
  core::Graph graph;                 // one node; outputs have unknown shapes
  std::vector<core::Tensor> inputs;  // values of graph.inputs, in order
};

// Builds an OpCase: inputs, constants, outputs and attributes of the one node, with a summary.
class CaseBuilder {
 public:
  CaseBuilder(std::string op, core::DType dtype, std::mt19937& rng);

  // A graph input with uniform random values in [lo, hi] (whole numbers for integer types or when
  // `whole`; 0/1 for bool).
  std::string Input(const std::string& name, core::DType dtype, const std::vector<int64_t>& dims,
                    double lo = -2, double hi = 2, bool whole = false);
  // Same, of the case's dtype.
  std::string Input(const std::string& name, const std::vector<int64_t>& dims, double lo = -2,
                    double hi = 2) {
    return Input(name, dtype_, dims, lo, hi);
  }
  // A constant of `dtype` from doubles (converted), or int64s.
  std::string Constant(const std::string& name, core::DType dtype, const std::vector<int64_t>& dims,
                       const std::vector<double>& values);
  std::string Int64Constant(const std::string& name, const std::vector<int64_t>& values,
                            bool scalar = false);
  // A constant of the case's dtype with random values in [lo, hi].
  std::string RandomConstant(const std::string& name, const std::vector<int64_t>& dims, double lo,
                             double hi);
  void Output(const std::string& name, core::DType dtype);
  void Output(const std::string& name) { Output(name, dtype_); }

  CaseBuilder& Int(const std::string& name, int64_t value);
  CaseBuilder& Ints(const std::string& name, const std::vector<int64_t>& values);
  CaseBuilder& Float(const std::string& name, float value);
  CaseBuilder& String(const std::string& name, const std::string& value);
  // Free text for the summary ("mode=reflect" is added by String already).
  void Note(const std::string& text);

  core::DType dtype() const { return dtype_; }
  const std::string& op() const { return op_; }
  // The node, reading `inputs` ("" = omitted optional input) and writing every declared output.
  OpCase Finish(const std::vector<std::string>& inputs, Tolerance tolerance);

 private:
  core::ValueId AddValue(const std::string& name, core::DType dtype,
                         const std::vector<int64_t>& dims);

  std::string op_;
  core::DType dtype_;
  std::mt19937& rng_;
  OpCase case_;
  core::Node node_;
  std::vector<std::string> notes_;
};

// "2x3x4" ("scalar" for rank 0).
std::string DimsText(const std::vector<int64_t>& dims);
// IEEE half from float (round to nearest even), and back.
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t half);

}  // namespace hetrun::cli::check_plugin
