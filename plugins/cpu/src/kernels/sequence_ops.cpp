// The sequence ops on packed values (packed_values.h): SequenceEmpty, SequenceConstruct,
// SequenceInsert, SequenceAt, SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence.
// Sequences are immutable values: every op builds a new one.
#include <cstring>

#include "common.h"
#include "packed_values.h"
#include "registry.h"

namespace hetrun::cpu {
namespace {

void RequireTensorDType(const std::string& op, hetrun_dtype_t t) {
  if (t == HETRUN_DTYPE_STRING || (t != HETRUN_DTYPE_UNDEFINED && plugin::DTypeSize(t) == 0)) {
    ThrowUnimplemented(op + ": sequences of " + plugin::DTypeName(t) + " are not supported");
  }
}

std::vector<const TensorRef*> Pointers(const std::vector<TensorRef>& elements) {
  std::vector<const TensorRef*> out;
  for (const TensorRef& t : elements) out.push_back(&t);
  return out;
}

class SequenceEmptyKernel final : public ComputedKernel {
 public:
  explicit SequenceEmptyKernel(const KernelBuildContext& ctx)
      : dtype_(
            static_cast<hetrun_dtype_t>(plugin::AttrInt(ctx.node, "dtype", HETRUN_DTYPE_FLOAT32))) {
    RequireTensorDType("SequenceEmpty", dtype_);
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>&, ThreadPool&) override {
    return {PackSequence(dtype_, {})};
  }

 private:
  hetrun_dtype_t dtype_;
};

class SequenceConstructKernel final : public ComputedKernel {
 public:
  explicit SequenceConstructKernel(const KernelBuildContext& ctx) {
    if (ctx.num_inputs() == 0) ThrowInvalid("SequenceConstruct needs at least one input");
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      RequireInput(ctx, i, "tensor");
      RequireTensorDType("SequenceConstruct", ctx.input(i).dtype);
    }
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    for (const TensorRef* t : in) {
      if (t->dtype != in[0]->dtype) ThrowInvalid("SequenceConstruct: inputs of different dtypes");
    }
    return {PackSequence(in[0]->dtype, in)};
  }
};

class SequenceInsertKernel final : public ComputedKernel {
 public:
  explicit SequenceInsertKernel(const KernelBuildContext& ctx) {
    RequireInput(ctx, 1, "tensor");
    RequireTensorDType("SequenceInsert", ctx.input(1).dtype);
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    PackedView seq = ReadPacked(*in[0], HETRUN_DTYPE_SEQUENCE, "SequenceInsert's input_sequence");
    const auto length = static_cast<int64_t>(seq.elements.size());
    if (seq.element_dtype != HETRUN_DTYPE_UNDEFINED && in[1]->dtype != seq.element_dtype) {
      ThrowInvalid(std::string("SequenceInsert: a ") + plugin::DTypeName(in[1]->dtype) +
                   " tensor cannot go into a sequence of " + plugin::DTypeName(seq.element_dtype));
    }
    const int64_t at =
        in.size() > 2 && in[2] ? ReadPosition(*in[2], length, true, "SequenceInsert") : length;
    std::vector<const TensorRef*> elements = Pointers(seq.elements);
    elements.insert(elements.begin() + at, in[1]);
    return {PackSequence(in[1]->dtype, elements)};
  }
};

class SequenceAtKernel final : public ComputedKernel {
 public:
  explicit SequenceAtKernel(const KernelBuildContext& ctx) { RequireInput(ctx, 1, "position"); }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    PackedView seq = ReadPacked(*in[0], HETRUN_DTYPE_SEQUENCE, "SequenceAt's input_sequence");
    const int64_t at =
        ReadPosition(*in[1], static_cast<int64_t>(seq.elements.size()), false, "SequenceAt");
    return {CopyToBuffer(seq.elements[static_cast<size_t>(at)])};
  }
};

class SequenceEraseKernel final : public ComputedKernel {
 public:
  explicit SequenceEraseKernel(const KernelBuildContext&) {}
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    PackedView seq = ReadPacked(*in[0], HETRUN_DTYPE_SEQUENCE, "SequenceErase's input_sequence");
    const auto length = static_cast<int64_t>(seq.elements.size());
    if (length == 0) ThrowInvalid("SequenceErase: the sequence is empty");
    const int64_t at =
        in.size() > 1 && in[1] ? ReadPosition(*in[1], length, false, "SequenceErase") : length - 1;
    std::vector<const TensorRef*> elements = Pointers(seq.elements);
    elements.erase(elements.begin() + at);
    return {PackSequence(seq.element_dtype, elements)};
  }
};

class SequenceLengthKernel final : public ComputedKernel {
 public:
  explicit SequenceLengthKernel(const KernelBuildContext&) {}
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    PackedView seq = ReadPacked(*in[0], HETRUN_DTYPE_SEQUENCE, "SequenceLength's input_sequence");
    BufferTensor out{HETRUN_DTYPE_INT64, {}, Buffer::Allocate(sizeof(int64_t))};
    *reinterpret_cast<int64_t*>(out.buffer->data()) = static_cast<int64_t>(seq.elements.size());
    return {out};
  }
};

// Rows [begin, begin + count) of `t` along `axis`, copied.
BufferTensor SliceRows(const TensorRef& t, size_t axis, int64_t begin, int64_t count) {
  const size_t element = plugin::DTypeSize(t.dtype);
  const auto outer = static_cast<size_t>(ProductOf(t.dims, 0, axis));
  const auto inner = static_cast<size_t>(ProductOf(t.dims, axis + 1, t.dims.size())) * element;
  const auto length = static_cast<size_t>(t.dims[axis]);
  std::vector<int64_t> dims = t.dims;
  dims[axis] = count;
  BufferTensor out{t.dtype, dims, Buffer::Allocate(outer * static_cast<size_t>(count) * inner)};
  const auto* src = static_cast<const std::byte*>(t.data);
  const size_t chunk = static_cast<size_t>(count) * inner;
  for (size_t o = 0; o < outer; ++o) {
    if (chunk > 0) {
      std::memcpy(out.buffer->data() + o * chunk,
                  src + (o * length + static_cast<size_t>(begin)) * inner, chunk);
    }
  }
  return out;
}

class SplitToSequenceKernel final : public ComputedKernel {
 public:
  explicit SplitToSequenceKernel(const KernelBuildContext& ctx)
      : axis_(plugin::AttrInt(ctx.node, "axis", 0)),
        keepdims_(plugin::AttrInt(ctx.node, "keepdims", 1) != 0) {
    RequireTensorDType("SplitToSequence", ctx.input(0).dtype);
    if (ctx.input(0).dtype == HETRUN_DTYPE_UNDEFINED) {
      ThrowUnimplemented("SplitToSequence: the input's dtype is not known");
    }
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    const TensorRef& x = *in[0];
    const auto axis = static_cast<size_t>(
        NormalizeAxis(axis_, static_cast<int64_t>(x.dims.size()), "SplitToSequence"));
    const int64_t length = x.dims[axis];
    std::vector<int64_t> sizes;
    const bool has_split = in.size() > 1 && in[1];
    if (!has_split) {
      sizes.assign(static_cast<size_t>(length), 1);
    } else {
      const std::vector<int64_t> split = ReadInts(*in[1], "SplitToSequence", "split");
      if (in[1]->dims.empty()) {  // a scalar: equal chunks, the last one smaller
        if (split.at(0) <= 0) ThrowInvalid("SplitToSequence: split must be positive");
        for (int64_t at = 0; at < length; at += split[0])
          sizes.push_back(std::min(split[0], length - at));
      } else {
        sizes = split;
        int64_t total = 0;
        for (int64_t s : sizes) {
          if (s < 0) ThrowInvalid("SplitToSequence: a split length is negative");
          total += s;
        }
        if (total != length) {
          ThrowInvalid("SplitToSequence: the split lengths sum to " + std::to_string(total) +
                       ", the axis has " + std::to_string(length));
        }
      }
    }
    std::vector<BufferTensor> parts;
    int64_t begin = 0;
    for (int64_t size : sizes) {
      parts.push_back(SliceRows(x, axis, begin, size));
      if (!has_split && !keepdims_) {
        parts.back().dims.erase(parts.back().dims.begin() + static_cast<std::ptrdiff_t>(axis));
      }
      begin += size;
    }
    std::vector<TensorRef> refs;
    for (const BufferTensor& p : parts) refs.push_back(p.ref());
    return {PackSequence(x.dtype, Pointers(refs))};
  }

 private:
  int64_t axis_;
  bool keepdims_;
};

class ConcatFromSequenceKernel final : public ComputedKernel {
 public:
  explicit ConcatFromSequenceKernel(const KernelBuildContext& ctx)
      : new_axis_(plugin::AttrInt(ctx.node, "new_axis", 0) != 0) {
    const hetrun_attribute* axis = plugin::FindAttr(ctx.node, "axis");
    if (!axis) ThrowInvalid("ConcatFromSequence: attribute 'axis' is required");
    axis_ = axis->i;
  }
  std::vector<BufferTensor> Compute(const std::vector<const TensorRef*>& in, ThreadPool&) override {
    PackedView seq =
        ReadPacked(*in[0], HETRUN_DTYPE_SEQUENCE, "ConcatFromSequence's input_sequence");
    if (seq.elements.empty()) ThrowInvalid("ConcatFromSequence: the sequence is empty");
    const TensorRef& first = seq.elements[0];
    const auto rank = static_cast<int64_t>(first.dims.size());
    const auto axis = static_cast<size_t>(
        NormalizeAxis(axis_, new_axis_ ? rank + 1 : rank, "ConcatFromSequence"));
    int64_t total = 0;
    for (const TensorRef& t : seq.elements) {
      bool same = t.dtype == first.dtype && t.dims.size() == first.dims.size();
      for (size_t d = 0; same && d < t.dims.size(); ++d)
        same = t.dims[d] == first.dims[d] || (!new_axis_ && d == axis);
      if (!same) {
        ThrowInvalid(std::string("ConcatFromSequence: element ") + plugin::DTypeName(t.dtype) +
                     DimsToString(t.dims) + " does not fit " + plugin::DTypeName(first.dtype) +
                     DimsToString(first.dims));
      }
      total += new_axis_ ? 1 : t.dims[axis];
    }
    std::vector<int64_t> dims = first.dims;
    if (new_axis_) {
      dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), total);
    } else {
      dims[axis] = total;
    }
    const size_t element = plugin::DTypeSize(first.dtype);
    const auto outer = static_cast<size_t>(ProductOf(dims, 0, axis));
    const auto inner = static_cast<size_t>(ProductOf(dims, axis + 1, dims.size())) * element;
    BufferTensor out{first.dtype, dims, Buffer::Allocate(TensorBytes(first.dtype, dims))};
    const size_t out_row = static_cast<size_t>(total) * inner;
    size_t at = 0;
    for (const TensorRef& t : seq.elements) {
      const size_t rows = new_axis_ ? 1 : static_cast<size_t>(t.dims[axis]);
      const auto* src = static_cast<const std::byte*>(t.data);
      for (size_t o = 0; o < outer && rows * inner > 0; ++o) {
        std::memcpy(out.buffer->data() + o * out_row + at * inner, src + o * rows * inner,
                    rows * inner);
      }
      at += rows;
    }
    return {out};
  }

 private:
  int64_t axis_ = 0;
  bool new_axis_;
};

template <typename K>
std::unique_ptr<Kernel> Make(const KernelBuildContext& ctx) {
  return std::make_unique<K>(ctx);
}

}  // namespace

void RegisterSequenceKernels(KernelTable& t) {
  t.Add("SequenceEmpty", Make<SequenceEmptyKernel>, nullptr, 0);
  t.Add("SequenceConstruct", Make<SequenceConstructKernel>);
  t.Add("SequenceInsert", Make<SequenceInsertKernel>, nullptr, 2);
  t.Add("SequenceAt", Make<SequenceAtKernel>, nullptr, 2);
  t.Add("SequenceErase", Make<SequenceEraseKernel>);
  t.Add("SequenceLength", Make<SequenceLengthKernel>);
  t.Add("SplitToSequence", Make<SplitToSequenceKernel>);
  t.Add("ConcatFromSequence", Make<ConcatFromSequenceKernel>);
}

}  // namespace hetrun::cpu
