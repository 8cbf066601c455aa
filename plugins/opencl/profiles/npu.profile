# NPU capability profile for the `npu` device of the OpenCL plugin (plugins/opencl/README.md).
# One `key = value` per line; `#` starts a comment. A vendor describes its accelerator here: the
# partitioner then sends the NPU only what this file allows, and the rest runs elsewhere.
ops = Conv, ConvTranspose, Gemm, MatMul, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Add, Mul, Sub, Div, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Concat, Reshape, Flatten, Squeeze, Unsqueeze
dtypes = float32, float16
# 1: every dimension must be known when the model is compiled (no run-time shapes).
static_shapes = 1
# Device memory the NPU has; allocations past it fail with OUT_OF_MEMORY.
memory_mib = 256
# The modelled accelerator's figures for the partitioner's cost model (a small edge NPU: about
# 1 TFLOP/s, 50 GB/s local memory, a 10 GB/s link to the host, 2 us per kernel launch). They
# describe the NPU being modelled, not PoCL on this CPU, which runs the kernels much slower: drop
# them to get PoCL's own figures, and the partitioner keeps most work on the cpu device.
peak_gflops = 1000
memory_gbps = 50
host_link_gbps = 10
launch_us = 2
