"""ONNX model -> converter graph: input shape resolution, constant folding and op lowering in one
walk over the (topologically sorted) nodes, then dead-op pruning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import onnx
from onnx import numpy_helper

from tzinfer.convert import (
    fold,
    ops_conv_transpose,
    ops_elementwise,
    ops_layout,
    ops_linear,
    ops_math,
    ops_pool,
    ops_reduce,
    ops_resize,
    ops_shape,
    ops_slice,
    patterns,
)
from tzinfer.convert.context import Context, Handler, Node
from tzinfer.convert.errors import ConvertError, UnsupportedError
from tzinfer.convert.graph import Graph
from tzinfer.tzm import OpType

HANDLERS: dict[str, Handler] = {**ops_linear.HANDLERS, **ops_pool.HANDLERS, **ops_elementwise.HANDLERS,
                                **ops_layout.HANDLERS, **ops_math.HANDLERS, **ops_slice.HANDLERS,
                                **ops_resize.HANDLERS, **ops_reduce.HANDLERS, **ops_shape.HANDLERS,
                                **ops_conv_transpose.HANDLERS}
MIN_OPSET, MAX_OPSET = 7, 20


def _load(path: Path) -> onnx.ModelProto:
    try:
        model = onnx.load(str(path))
    except FileNotFoundError:
        raise ConvertError(f"{path} does not exist") from None
    except Exception as e:  # protobuf raises DecodeError and friends: report, don't trace back
        raise ConvertError(f"{path} is not a readable ONNX model ({type(e).__name__}); "
                           "check that the file is complete") from None
    if not model.graph.node:
        raise ConvertError(f"{path} has no nodes; is it an ONNX model?")
    return model


def _opset(model: onnx.ModelProto) -> int:
    versions = {o.domain: o.version for o in model.opset_import}
    opset = versions.get("", versions.get("ai.onnx"))
    if opset is None:
        raise ConvertError("the model imports no default-domain (ai.onnx) opset")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise UnsupportedError(f"opset {opset} is not supported (supported: {MIN_OPSET}..{MAX_OPSET}); "
                               "re-export the model at opset 13")
    return opset


def _input_shape(value: onnx.ValueInfoProto, override: Sequence[int] | None) -> tuple[int, ...]:
    """The model input's shape with symbolic dims fixed by --input-shape (or a symbolic batch
    dim set to 1); a given --input-shape must agree with every fixed dim."""
    tensor_type = value.type.tensor_type
    if tensor_type.elem_type != onnx.TensorProto.FLOAT:
        type_name = onnx.TensorProto.DataType.Name(tensor_type.elem_type)
        raise UnsupportedError(f"input '{value.name}' is {type_name}; "
                               "only float32 inputs are supported")
    if not tensor_type.HasField("shape"):  # not even the rank is declared
        if override is None:
            raise ConvertError(f"input '{value.name}' declares no shape; give it with --input-shape")
        return tuple(int(d) for d in override)
    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
            for d in tensor_type.shape.dim]
    shown = ",".join("?" if d is None else str(d) for d in dims)
    if override is not None:
        override = tuple(int(d) for d in override)
        given = ",".join(map(str, override))
        if len(override) != len(dims) or any(d < 1 for d in override):
            raise ConvertError(f"--input-shape {given} does not fit input '{value.name}' of shape [{shown}]")
        clash = [i for i, (d, o) in enumerate(zip(dims, override, strict=True)) if d is not None and d != o]
        if clash:
            raise ConvertError(f"--input-shape {given} disagrees with input '{value.name}' [{shown}] "
                               f"at dim {clash[0]}")
        return override
    if dims and dims[0] is None:
        dims[0] = 1  # a dynamic batch: one sample at a time is what the engine runs
    if None in dims:
        raise ConvertError(f"input '{value.name}' has symbolic dims [{shown}]; fix them with --input-shape")
    return tuple(int(d) for d in dims)  # type: ignore[arg-type]


def import_onnx(path: Path, input_shape: Sequence[int] | None = None) -> Graph:
    """Read an ONNX file and lower it to a graph of S-Tinylib ops (raises ConvertError)."""
    model = _load(path)
    opset = _opset(model)
    g = model.graph
    initializers = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [v for v in g.input if v.name not in initializers]
    if len(inputs) != 1:
        raise UnsupportedError(f"the model has {len(inputs)} inputs ({', '.join(v.name for v in inputs)}); "
                               "exactly one is supported")
    if not g.output:
        raise ConvertError("the model declares no output")
    nodes = patterns.fuse(g)
    uses = Counter(v for node in nodes for v in node.input if v)
    uses.update(o.name for o in g.output)

    graph = Graph(inputs[0].name)
    ctx = Context(graph, opset, uses)
    for name, data in initializers.items():
        ctx.set_const(name, data)
    shape = _input_shape(inputs[0], input_shape)
    if len(shape) > 6:
        raise UnsupportedError(f"input of rank {len(shape)}; at most 6 dims are supported")
    ctx.bind(inputs[0].name, graph.add_activation(inputs[0].name, shape))

    for index, proto in enumerate(nodes):
        node = Node.from_proto(proto, index)
        if proto.domain not in ("", "ai.onnx"):
            raise node.unsupported(f"custom domain '{proto.domain}' is not supported")
        missing = [v for v in node.inputs if v and not ctx.known(v)]
        if missing:
            raise ConvertError(f"{node.op_type} node '{node.name}' reads '{missing[0]}' before it is "
                               "produced; "
                               "the graph is not topologically sorted")
        if fold.can_fold(ctx, node):
            fold.fold(ctx, proto, node)
            continue
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            raise UnsupportedError(f"unsupported op {node.op_type} (node '{node.name}')")
        handler(ctx, node)

    output = g.output[0].name
    if ctx.is_const(output):
        raise ConvertError(f"output '{output}' does not depend on the input; there is nothing to run")
    graph.output = ctx.tensor(output)
    if graph.output == graph.input:  # an identity model: the format wants distinct input and output
        copy = Node("Identity", "output copy", [output], [output], {})
        graph.output = ctx.emit(copy, OpType.RESHAPE, [graph.input], graph.shape(graph.input),
                                output=f"{output}:copy").output
    graph.prune()
    return graph
