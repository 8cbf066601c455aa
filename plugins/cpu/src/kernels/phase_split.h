// A convolution's input channel, zero-padded and split by stride phase in both dimensions, so that
// every tap of a window reads one contiguous, in-bounds run: block (row % SH, col % SW) holds the
// padded rows r and columns c of that phase at (r / SH, c / SW), with `width` floats per block row.
// Output (oh, ow) reads, for tap (kh, kw), block ((kh DH) % SH, (kw DW) % SW) at row
// oh + (kh DH) / SH, column ow + (kw DW) / SW: all outputs of a plane are one run of width-wide
// rows (the last width - OW columns of each spare). Used by the depthwise loops and by Conv's
// im2col for strided convolutions.
#pragma once

#include <cstdint>

#include "kernels/depthwise_conv.h"

namespace hetrun::cpu {

struct PhaseSplitLayout {
  int64_t width;       // floats per block row: OW plus the widest tap's column shift
  int64_t block_rows;  // rows per block: OH plus the tallest tap's row shift
  int64_t block;       // floats per block
  int64_t floats;      // the whole split plane: SH * SW blocks
};

PhaseSplitLayout PhaseSplitLayoutFor(const DepthwiseGeometry& g);

// Copies input plane xc (H x W) into dst laid out as `l`, zeros where the window hangs off the
// edges. Only the blocks some tap reads are written (a 1x1 kernel of stride 2 reads one of four).
void FillPhaseSplit(const float* xc, const DepthwiseGeometry& g, const PhaseSplitLayout& l,
                    float* dst);

}  // namespace hetrun::cpu
