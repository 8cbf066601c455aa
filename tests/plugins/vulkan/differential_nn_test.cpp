// Differential tests of the second slice's ops against the cpu plugin, on random shapes and
// attributes: Conv, ConvTranspose, pooling, Batch/Instance/LayerNormalization, reductions, Concat,
// Slice, Split, Gather, GatherElements, Hardmax and Dropout.
#include <algorithm>
#include <string>
#include <vector>

#include "differential.h"

namespace hetrun::test {
namespace {

class DifferentialNn : public Differential {
 protected:
  // One spatial output dim (ONNX's rule, with ceil_mode's dropped last window).
  static int64_t OutDim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                        bool ceil_mode) {
    const int64_t span = in + pb + pe - ((k - 1) * d + 1);
    int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= in + pb) --out;
    return out;
  }
};

TEST_F(DifferentialNn, ConvGroupsStridesPadsDilations) {
  for (int round = 0; round < 12; ++round) {
    const size_t spatial = round % 6 == 5 ? 1 : 2;
    const int64_t group = round % 3 == 0 ? 1 : (round % 3 == 1 ? 2 : Int(2, 4));
    const int64_t cg = round % 3 == 2 ? 1 : Int(1, 3);  // round % 3 == 2: depthwise
    const int64_t c = cg * group, m = group * (round % 3 == 2 ? 1 : Int(1, 3)), n = Int(1, 2);
    Dims x{n, c}, w{m, cg}, y{n, m}, kernel, strides, dilations, pads(2 * spatial);
    for (size_t d = 0; d < spatial; ++d) {
      kernel.push_back(Int(1, 3));
      strides.push_back(Int(1, 2));
      dilations.push_back(round % 4 == 3 ? 2 : 1);
      const int64_t eff = (kernel[d] - 1) * dilations[d] + 1;
      pads[d] = Int(0, eff - 1);
      pads[d + spatial] = Int(0, eff - 1);
      x.push_back(Int(eff, 9));
      w.push_back(kernel[d]);
      y.push_back(
          OutDim(x.back(), kernel[d], strides[d], dilations[d], pads[d], pads[d + spatial], false));
    }
    const bool bias = round % 2 == 0;
    Graph g;
    g.Value("x", x).Constant("w", w, Random(w, -1, 1)).Value("y", y);
    if (bias) g.Constant("b", {m}, Random({m}, -1, 1));
    g.Node("Conv",
           bias ? std::vector<std::string>{"x", "w", "b"} : std::vector<std::string>{"x", "w"},
           {"y"});
    g.Int("group", group).Ints("strides", strides).Ints("dilations", dilations).Ints("pads", pads);
    if (round % 2) g.Ints("kernel_shape", kernel);
    g.Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {Random(x, -1, 1)}, 1e-4, 1e-4, "Conv " + std::to_string(round));
  }
}

TEST_F(DifferentialNn, ConvTransposeGroupsStridesPadsOutputPadding) {
  for (int round = 0; round < 10; ++round) {
    const size_t spatial = round % 5 == 4 ? 1 : 2;
    const int64_t group = round % 3 == 0 ? 2 : 1, c = group * Int(1, 2), mg = Int(1, 3);
    Dims x{Int(1, 2), c}, w{c, mg}, y{x[0], mg * group}, strides, dilations, pads(2 * spatial),
        out_pad;
    for (size_t d = 0; d < spatial; ++d) {
      const int64_t k = Int(1, 3), s = Int(1, 3), dil = round % 4 == 1 ? 2 : 1;
      strides.push_back(s);
      dilations.push_back(dil);
      out_pad.push_back(Int(0, std::min(s, dil) - 1));  // must be below stride and dilation
      pads[d] = Int(0, k - 1);
      pads[d + spatial] = Int(0, k - 1);
      x.push_back(Int(1, 5));
      w.push_back(k);
      y.push_back(s * (x.back() - 1) + out_pad[d] + (k - 1) * dil + 1 - pads[d] -
                  pads[d + spatial]);
    }
    Graph g;
    g.Value("x", x).Constant("w", w, Random(w, -1, 1)).Constant("b", {y[1]}, Random({y[1]}, -1, 1));
    g.Value("y", y).Node("ConvTranspose", {"x", "w", "b"}, {"y"}).Int("group", group);
    g.Ints("strides", strides).Ints("dilations", dilations).Ints("pads", pads);
    g.Ints("output_padding", out_pad).Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {Random(x, -1, 1)}, 1e-4, 1e-4, "ConvTranspose " + std::to_string(round));
  }
}

TEST_F(DifferentialNn, MaxAndAveragePool) {
  for (const char* op : {"MaxPool", "AveragePool"}) {
    for (int round = 0; round < 8; ++round) {
      const bool ceil_mode = round % 2 == 1, include_pad = round % 4 >= 2;
      Dims x{Int(1, 2), Int(1, 3)}, y{x[0], x[1]}, kernel, strides, pads(4);
      for (size_t d = 0; d < 2; ++d) {
        kernel.push_back(Int(1, 3));
        strides.push_back(Int(1, 3));
        pads[d] = Int(0, kernel[d] - 1);
        pads[d + 2] = Int(0, kernel[d] - 1);
        x.push_back(Int(kernel[d], 9));
        y.push_back(OutDim(x.back(), kernel[d], strides[d], 1, pads[d], pads[d + 2], ceil_mode));
      }
      Graph g;
      g.Value("x", x).Value("y", y).Node(op, {"x"}, {"y"}, 12);
      g.Ints("kernel_shape", kernel).Ints("strides", strides).Ints("pads", pads);
      g.Int("ceil_mode", ceil_mode);
      if (std::string(op) == "AveragePool") g.Int("count_include_pad", include_pad);
      g.Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {Random(x, -2, 2)}, 1e-5, 1e-6, op + std::string(" ") + std::to_string(round));
    }
  }
}

TEST_F(DifferentialNn, GlobalPoolsNormalizationsLrn) {
  for (int round = 0; round < 4; ++round) {
    const Dims x = {Int(1, 2), Int(1, 5), Int(1, 7), Int(1, 7)};
    for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
      Graph g;
      g.Value("x", x).Value("y", {x[0], x[1], 1, 1}).Node(op, {"x"}, {"y"});
      g.Inputs({"x"}).Outputs({"y"});
      ExpectSame(g, {Random(x, -2, 2)}, 1e-5, 1e-6, op);
    }
    const Dims c = {x[1]};
    Graph bn;
    bn.Value("x", x)
        .Value("y", x)
        .Constant("s", c, Random(c, -2, 2))
        .Constant("b", c, Random(c, -1, 1));
    bn.Constant("m", c, Random(c, -1, 1)).Constant("v", c, Random(c, 0.1f, 2));
    bn.Node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, 15);
    bn.Float("epsilon", Uniform(1e-5f, 1e-2f)).Inputs({"x"}).Outputs({"y"});
    ExpectSame(bn, {Random(x, -2, 2)}, 1e-4, 1e-5, "BatchNormalization");
    Graph in;
    in.Value("x", x)
        .Value("y", x)
        .Constant("s", c, Random(c, -2, 2))
        .Constant("b", c, Random(c, -1, 1));
    in.Node("InstanceNormalization", {"x", "s", "b"}, {"y"}).Float("epsilon", 1e-3f);
    in.Inputs({"x"}).Outputs({"y"});
    ExpectSame(in, {Random(x, -2, 2)}, 1e-4, 1e-4, "InstanceNormalization");
    Graph lrn;
    lrn.Value("x", x).Value("y", x).Node("LRN", {"x"}, {"y"}).Int("size", Int(1, 5));
    lrn.Float("alpha", Uniform(1e-4f, 1e-2f)).Float("beta", Uniform(0.5f, 1)).Float("bias", 1.5f);
    lrn.Inputs({"x"}).Outputs({"y"});
    ExpectSame(lrn, {Random(x, -2, 2)}, 1e-4, 1e-5, "LRN");
  }
}

TEST_F(DifferentialNn, ReductionsAxesKeepdims) {
  const char* ops[] = {"ReduceSum",       "ReduceMean",  "ReduceMax", "ReduceMin",
                       "ReduceProd",      "ReduceL1",    "ReduceL2",  "ReduceLogSumExp",
                       "ReduceSumSquare", "ReduceLogSum"};
  for (const char* op : ops) {
    for (int round = 0; round < 4; ++round) {
      const Dims x = RandomDims(1, 4, 5);
      std::vector<int64_t> axes;
      for (size_t d = 0; d < x.size(); ++d)
        if (Int(0, 1))
          axes.push_back(Int(0, 1) ? static_cast<int64_t>(d)
                                   : static_cast<int64_t>(d) - static_cast<int64_t>(x.size()));
      const bool keep = round % 2 == 0, input_form = round >= 2;
      Dims y;
      for (size_t d = 0; d < x.size(); ++d) {
        bool reduced = axes.empty();
        for (int64_t a : axes)
          reduced |= (a < 0 ? a + static_cast<int64_t>(x.size()) : a) == static_cast<int64_t>(d);
        if (!reduced)
          y.push_back(x[d]);
        else if (keep)
          y.push_back(1);
      }
      Graph g;
      g.Value("x", x).Value("y", y);
      if (input_form && !axes.empty()) {
        g.Int64Constant("axes", axes).Node(op, {"x", "axes"}, {"y"}, 18);
      } else {
        g.Node(op, {"x"}, {"y"}, input_form ? 18 : 11);
        if (!input_form && !axes.empty()) g.Ints("axes", axes);
      }
      g.Int("keepdims", keep).Inputs({"x"}).Outputs({"y"});
      const std::string name = op;
      const bool positive = name == "ReduceLogSum" || name == "ReduceProd";
      ExpectSame(g, {Random(x, positive ? 0.5f : -2, 2)}, 1e-4, 1e-5,
                 name + " " + std::to_string(round));
    }
  }
}

TEST_F(DifferentialNn, LayerNormalizationAxes) {
  for (int round = 0; round < 8; ++round) {
    const Dims x = RandomDims(1, 4, 7);
    const auto rank = static_cast<int64_t>(x.size());
    const int64_t axis = Int(-rank, rank - 1);
    const Dims p(x.begin() + (axis < 0 ? axis + rank : axis), x.end());
    Dims stats = x;  // Mean and InvStdDev: the normalised dims set to 1
    std::fill(stats.end() - static_cast<std::ptrdiff_t>(p.size()), stats.end(), 1);
    Graph g;
    g.Value("x", x).Value("y", x).Constant("s", p, Random(p, -2, 2));
    g.Value("mean", stats).Value("inv", stats);
    const bool stats_out = round % 4 >= 2;
    const std::vector<std::string> outputs =
        stats_out ? std::vector<std::string>{"y", "mean", "inv"} : std::vector<std::string>{"y"};
    if (round % 2) {
      g.Constant("b", p, Random(p, -1, 1)).Node("LayerNormalization", {"x", "s", "b"}, outputs);
    } else {
      g.Node("LayerNormalization", {"x", "s"}, outputs);
    }
    g.Int("axis", axis).Float("epsilon", 1e-3f).Inputs({"x"}).Outputs(outputs);
    ExpectSame(g, {Random(x, -3, 3)}, 1e-4, 1e-4, "LayerNormalization " + std::to_string(round));
  }
}

TEST_F(DifferentialNn, ConcatSliceGather) {
  for (int round = 0; round < 6; ++round) {
    const Dims base = RandomDims(1, 4, 5);
    const auto rank = static_cast<int64_t>(base.size());
    const int64_t axis = Int(-rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    Dims d0 = base, d1 = base, d2 = base, y = base;
    d1[a] = Int(1, 4), d2[a] = Int(1, 3);
    y[a] = d0[a] + d1[a] + d2[a];
    Graph g;
    g.Value("a", d0).Value("b", d1).Constant("c", d2, Random(d2, -1, 1)).Value("y", y);
    g.Node("Concat", {"a", "b", "c"}, {"y"}).Int("axis", axis).Inputs({"a", "b"}).Outputs({"y"});
    ExpectSame(g, {Random(d0, -1, 1), Random(d1, -1, 1)}, 0, 0, "Concat " + std::to_string(round));
  }
  for (int round = 0; round < 8; ++round) {
    const Dims x = RandomDims(1, 4, 8);
    std::vector<int64_t> starts, ends, axes, steps;
    Dims y = x;
    for (size_t d = 0; d < x.size(); ++d) {
      if (Int(0, 2) == 0) continue;
      const int64_t n = x[d], step = Int(0, 2) == 0 ? -Int(1, 2) : Int(1, 3);
      int64_t s = Int(0, n - 1), e = step > 0 ? Int(s + 1, n) : Int(-1, s - 1);
      y[d] = step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
      if (Int(0, 1)) s -= n;  // negative starts count from the end
      if (step > 0 && e == n && Int(0, 1)) e = INT64_MAX;
      if (step < 0 && e == -1) e = INT64_MIN;
      starts.push_back(s), ends.push_back(e), axes.push_back(static_cast<int64_t>(d)),
          steps.push_back(step);
    }
    if (starts.empty()) continue;
    Graph g;
    g.Value("x", x).Value("y", y).Int64Constant("s", starts).Int64Constant("e", ends);
    g.Int64Constant("a", axes).Int64Constant("t", steps);
    g.Node("Slice", {"x", "s", "e", "a", "t"}, {"y"}, 13).Inputs({"x"}).Outputs({"y"});
    const std::vector<float> data = Random(x, -1, 1);
    ExpectSame(g, {data}, 0, 0, "Slice " + std::to_string(round));
    // The same slice with starts/ends/axes/steps fed at run time (ends kept within float range).
    const Dims k = {static_cast<int64_t>(starts.size())};
    Graph fed;
    fed.Value("x", x).Value("y", y);
    for (const char* name : {"s", "e", "a", "t"}) fed.Value(name, k, HETRUN_DTYPE_INT64);
    fed.Node("Slice", {"x", "s", "e", "a", "t"}, {"y"}, 13).Inputs({"x", "s", "e", "a", "t"});
    fed.Outputs({"y"});
    std::vector<float> fe;
    for (int64_t e : ends) fe.push_back(e > 1000 ? 1000.0f : (e < -1000 ? -1000.0f : float(e)));
    auto floats = [](const std::vector<int64_t>& v) {
      return std::vector<float>(v.begin(), v.end());
    };
    ExpectSame(fed, {data, floats(starts), fe, floats(axes), floats(steps)}, 0, 0,
               "Slice fed " + std::to_string(round));
  }
  for (int round = 0; round < 6; ++round) {
    const Dims x = RandomDims(1, 3, 6);
    const auto rank = static_cast<int64_t>(x.size());
    const int64_t axis = Int(-rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    std::vector<int64_t> indices(static_cast<size_t>(Int(1, 5)));
    for (int64_t& i : indices) i = Int(-x[a], x[a] - 1);
    Dims y(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(a));
    y.push_back(static_cast<int64_t>(indices.size()));
    y.insert(y.end(), x.begin() + static_cast<std::ptrdiff_t>(a) + 1, x.end());
    Graph g;
    g.Value("x", x).Int64Constant("i", indices).Value("y", y);
    g.Node("Gather", {"x", "i"}, {"y"}, 13).Int("axis", axis).Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {Random(x, -1, 1)}, 0, 0, "Gather " + std::to_string(round));
    // The same indices fed at run time.
    Graph fed;
    fed.Value("x", x).Value("i", {static_cast<int64_t>(indices.size())}, HETRUN_DTYPE_INT64);
    fed.Value("y", y).Node("Gather", {"x", "i"}, {"y"}, 13).Int("axis", axis);
    fed.Inputs({"x", "i"}).Outputs({"y"});
    ExpectSame(fed, {Random(x, -1, 1), std::vector<float>(indices.begin(), indices.end())}, 0, 0,
               "Gather fed " + std::to_string(round));
  }
}

TEST_F(DifferentialNn, SplitHardmaxGatherElementsExpandTileDropout) {
  for (int round = 0; round < 6; ++round) {
    const Dims x = RandomDims(1, 4, 6);
    const auto rank = static_cast<int64_t>(x.size());
    const int64_t axis = Int(-rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    std::vector<int64_t> split;
    for (int64_t left = x[a]; left > 0;) left -= split.emplace_back(Int(1, left));
    Graph g;
    g.Value("x", x).Int64Constant("split", split);
    std::vector<std::string> outputs;
    for (size_t o = 0; o < split.size(); ++o) {
      Dims d = x;
      d[a] = split[o];
      outputs.push_back("y" + std::to_string(o));
      g.Value(outputs.back(), d);
    }
    g.Node("Split", {"x", "split"}, outputs, 13).Int("axis", axis).Inputs({"x"}).Outputs(outputs);
    const std::vector<float> data = Random(x, -1, 1);
    ExpectSame(g, {data}, 0, 0, "Split " + std::to_string(round));
    Graph fed;  // split fed at run time
    fed.Value("x", x).Value("split", {static_cast<int64_t>(split.size())}, HETRUN_DTYPE_INT64);
    for (size_t o = 0; o < split.size(); ++o) {
      Dims d = x;
      d[a] = split[o];
      fed.Value(outputs[o], d);
    }
    fed.Node("Split", {"x", "split"}, outputs, 13).Int("axis", axis).Inputs({"x", "split"});
    fed.Outputs(outputs);
    ExpectSame(fed, {data, std::vector<float>(split.begin(), split.end())}, 0, 0,
               "Split fed " + std::to_string(round));
  }
  for (int round = 0; round < 4; ++round) {
    const int64_t opset = round % 2 == 0 ? 13 : 11;
    const Dims x = RandomDims(2, 4, 6);
    std::vector<float> values = Random(x, -2, 2);
    for (size_t i = 0; i + 1 < values.size(); i += 3) values[i + 1] = values[i];  // ties
    Graph g;
    g.Value("x", x).Value("y", x).Node("Hardmax", {"x"}, {"y"}, opset);
    if (round > 1) g.Int("axis", Int(-static_cast<int64_t>(x.size()), 1));
    g.Inputs({"x"}).Outputs({"y"});
    ExpectSame(g, {values}, 0, 0, "Hardmax " + std::to_string(round));
  }
  for (int round = 0; round < 4; ++round) {  // GatherElements
    const Dims x = RandomDims(1, 3, 5);
    const auto rank = static_cast<int64_t>(x.size());
    const int64_t axis = Int(-rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    Dims idx = x;
    for (int64_t& d : idx) d = Int(1, d);
    idx[a] = Int(1, 6);
    std::vector<int64_t> indices(Count(idx));
    for (int64_t& i : indices) i = Int(-x[a], x[a] - 1);
    Graph g;  // indices fed at run time in odd rounds
    g.Value("x", x).Value("y", idx);
    if (round % 2) {
      g.Value("i", idx, HETRUN_DTYPE_INT64).Inputs({"x", "i"});
    } else {
      g.Int64Constant("i", indices, idx).Inputs({"x"});
    }
    g.Node("GatherElements", {"x", "i"}, {"y"}, 13).Int("axis", axis).Outputs({"y"});
    std::vector<std::vector<float>> inputs = {Random(x, -1, 1)};
    if (round % 2) inputs.emplace_back(indices.begin(), indices.end());
    ExpectSame(g, inputs, 0, 0, "GatherElements " + std::to_string(round));
  }
  for (int round = 0; round < 4; ++round) {  // Expand and Tile
    const Dims y = RandomDims(1, 4, 4);
    const Dims x = BroadcastFrom(y);
    Dims tile = y, reps = y, tiled = y;
    for (size_t d = 0; d < y.size(); ++d) {
      tile[d] = Int(1, 3), reps[d] = Int(1, 3);
      tiled[d] = tile[d] * reps[d];
    }
    Graph g;
    g.Value("x", x).Value("t", tile).Int64Constant("shape", y).Int64Constant("reps", reps);
    g.Value("y", y).Value("z", tiled).Node("Expand", {"x", "shape"}, {"y"}, 13);
    g.Node("Tile", {"t", "reps"}, {"z"}, 13).Inputs({"x", "t"}).Outputs({"y", "z"});
    ExpectSame(g, {Random(x, -1, 1), Random(tile, -1, 1)}, 0, 0, "Expand/Tile");
  }
  for (int round = 0; round < 6; ++round) {  // Pad: constant, edge, reflect; pads fed in odd rounds
    const char* modes[] = {"constant", "edge", "reflect"};
    const Dims x = RandomDims(1, 3, 5);
    std::vector<int64_t> pads(2 * x.size());
    Dims y = x;
    for (size_t d = 0; d < x.size(); ++d) {
      const int64_t most = round / 2 == 2 ? x[d] - 1 : 3;  // reflect: below the dim
      pads[d] = Int(0, most), pads[d + x.size()] = Int(0, most);
      y[d] += pads[d] + pads[d + x.size()];
    }
    Graph g;
    g.Value("x", x).Value("y", y).Constant("v", {}, {Uniform(-1, 1)});
    if (round % 2) {
      g.Value("p", {static_cast<int64_t>(pads.size())}, HETRUN_DTYPE_INT64).Inputs({"x", "p"});
    } else {
      g.Int64Constant("p", pads).Inputs({"x"});
    }
    g.Node("Pad", {"x", "p", "v"}, {"y"}, 13).String("mode", modes[round / 2]).Outputs({"y"});
    std::vector<std::vector<float>> inputs = {Random(x, -1, 1)};
    if (round % 2) inputs.emplace_back(pads.begin(), pads.end());
    ExpectSame(g, inputs, 0, 0, "Pad " + std::to_string(round));
  }
  const Dims x = {3, 4};
  Graph dropout;
  dropout.Value("x", x).Constant("ratio", {}, {0.3f}).Value("d", x).Value("y", x);
  dropout.Node("Dropout", {"x", "ratio"}, {"d"}, 13).Node("Neg", {"d"}, {"y"});
  dropout.Inputs({"x"}).Outputs({"y", "d"});
  ExpectSame(dropout, {Random(x, -1, 1)}, 0, 0, "Dropout");
}

}  // namespace
}  // namespace hetrun::test
