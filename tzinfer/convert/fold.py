"""Constant folding: nodes whose result does not depend on the model input are computed at convert
time with the ONNX reference implementation (onnx.reference), at the model's own opset.

This covers the shape arithmetic exporters emit for dynamic shapes (Shape -> Gather -> Unsqueeze ->
Concat -> Reshape, ConstantOfShape, Cast, Slice, ...) without the converter re-implementing those
ops. Shape and Size of an activation fold too: every activation shape is static once the input
shape is fixed."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import ConvertError

#: Ops that fold whenever their input's shape is known, constant or not.
SHAPE_OF = frozenset({"Shape", "Size"})
#: Ops that must not be evaluated at convert time even when their inputs are known.
_NONDETERMINISTIC = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                               "Multinomial", "Bernoulli"})


def can_fold(ctx: Context, node: Node) -> bool:
    if node.op_type in _NONDETERMINISTIC:
        return False
    if node.op_type in SHAPE_OF:
        return ctx.known(node.input(0))
    return all(v == "" or ctx.is_const(v) for v in node.inputs)


def fold(ctx: Context, proto: onnx.NodeProto, node: Node) -> None:
    """Evaluate node and record its outputs as constants."""
    if node.op_type in SHAPE_OF and not ctx.is_const(node.input(0)):
        shape = np.array(ctx.shape(node.input(0)), dtype=np.int64)
        if node.op_type == "Size":
            result = np.array(int(np.prod(shape)), dtype=np.int64)
        else:  # opset 15 start/end slice the shape, with Python slicing semantics
            result = shape[node.attr("start", 0):node.attr("end", None)]
        ctx.dropped_read(node.input(0))
        ctx.set_const(node.outputs[0], result)
        return
    feeds = {v: ctx.consts[v] for v in node.inputs if v}
    inputs = [helper.make_tensor_value_info(v, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
              for v, a in feeds.items()]
    outputs = [helper.make_tensor_value_info(v, onnx.TensorProto.UNDEFINED, None) for v in node.outputs if v]
    model = helper.make_model(helper.make_graph([proto], "fold", inputs, outputs),
                              opset_imports=[helper.make_opsetid("", ctx.opset)])
    try:
        results = ReferenceEvaluator(model).run(None, feeds)
    except Exception as e:  # the reference evaluator raises many types; report them in one line
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConvertError(f"{node.op_type} node '{node.name}': cannot evaluate constant: "
                           f"{first_line}") from None
    for value, result in zip([v for v in node.outputs if v], results, strict=True):
        ctx.set_const(value, np.asarray(result))
