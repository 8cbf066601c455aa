#!/usr/bin/python3
"""Writes tiny_cnn.onnx, the small demo model bundled with hetrun: an MNIST-shaped classifier
(1x1x28x28 -> 10 probabilities) with seeded random weights, using Conv, BatchNormalization, Relu,
MaxPool, Add (residual), GlobalAveragePool, Flatten, Gemm and Softmax. Opset 17.
Usage: /usr/bin/python3 models/make_tiny_cnn.py [OUT.onnx]"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
inits, nodes = [], []


def const(name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
    return name


def conv_bn_relu(x, name, cin, cout, relu=True):
    w = const(f"{name}_w", rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(cin * 9))
    nodes.append(helper.make_node("Conv", [x, w], [f"{name}_conv"], name=f"{name}_conv",
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    bn = [const(f"{name}_{p}", v) for p, v in (("scale", rng.uniform(0.5, 1.5, cout)),
                                                 ("bias", rng.uniform(-0.1, 0.1, cout)),
                                                 ("mean", rng.uniform(-0.1, 0.1, cout)),
                                                 ("var", rng.uniform(0.5, 1.5, cout)))]
    nodes.append(helper.make_node("BatchNormalization", [f"{name}_conv"] + bn, [f"{name}_bn"],
                                  name=f"{name}_bn"))
    if not relu:
        return f"{name}_bn"
    nodes.append(helper.make_node("Relu", [f"{name}_bn"], [f"{name}_relu"], name=f"{name}_relu"))
    return f"{name}_relu"


h = conv_bn_relu("image", "stem", 1, 16)
nodes.append(helper.make_node("MaxPool", [h], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
r = conv_bn_relu("pool", "block_a", 16, 16)
r = conv_bn_relu(r, "block_b", 16, 16, relu=False)
nodes.append(helper.make_node("Add", ["pool", r], ["residual"], name="residual"))
nodes.append(helper.make_node("Relu", ["residual"], ["residual_relu"], name="residual_relu"))
nodes.append(helper.make_node("GlobalAveragePool", ["residual_relu"], ["gap"], name="gap"))
nodes.append(helper.make_node("Flatten", ["gap"], ["features"], name="flatten"))
fc_w = const("fc_w", rng.standard_normal((10, 16)) / 4.0)
fc_b = const("fc_b", rng.uniform(-0.1, 0.1, 10))
nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], ["logits"], name="fc", transB=1))
nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1))

graph = helper.make_graph(nodes, "tiny_cnn",
                          [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 28, 28])],
                          [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="hetrun")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1] if len(sys.argv) > 1 else "tiny_cnn.onnx")
