"""ONNX model -> converter graph: the inputs and their shapes, one walk over the (topologically
sorted) nodes that folds or lowers each, the outputs, then dead-op pruning.

The walk does not stop at a node it cannot lower. It records a Blocker (errors.py) and goes on:
the node's outputs become placeholder activations with the shapes ONNX shape inference gives
them, so that the nodes after it are still checked, and unknown values where it gives none (the
nodes reading those get the checks that need no operands; what would have been folded from them,
like a Shape and the arithmetic on it, is an unknown constant and gets none). A malformed-graph
error in a node that depends on a placeholder is not reported: it may come from the placeholder
itself. At the end, every blocker is raised at once (Blocked); a placeholder never reaches the
.tzm."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import onnx
from onnx import numpy_helper

from tzinfer import tzm
from tzinfer.convert import fold, patterns, registry
from tzinfer.convert.context import Context, Node
from tzinfer.convert.errors import Blocked, Blocker, ConvertError, UnsupportedError
from tzinfer.convert.graph import Graph
from tzinfer.tzm import OpType

#: Shapes for the model's inputs: by input name, or one shape for a model with one input.
InputShapes = Mapping[str, Sequence[int]] | Sequence[int] | None


def _load(path: Path) -> tuple[onnx.ModelProto, bytes]:
    """The model and the SHA-256 of its file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConvertError(f"{path} does not exist") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf raises DecodeError and friends: report, don't trace back
        raise ConvertError(f"{path} is not a readable ONNX model ({type(e).__name__}); "
                           "check that the file is complete") from None
    if not model.graph.node:
        raise ConvertError(f"{path} has no nodes; is it an ONNX model?")
    return model, hashlib.sha256(data).digest()


def _opset(model: onnx.ModelProto) -> int:
    versions = {o.domain: o.version for o in model.opset_import}
    opset = versions.get("", versions.get("ai.onnx"))
    if opset is None:
        raise ConvertError("the model imports no default-domain (ai.onnx) opset")
    if not registry.MIN_OPSET <= opset <= registry.MAX_OPSET:
        raise UnsupportedError(f"opset {opset} is not supported (supported: {registry.MIN_OPSET}.."
                               f"{registry.MAX_OPSET}); re-export the model at opset 13")
    return opset


def _input_shape(value: onnx.ValueInfoProto, override: Sequence[int] | None) -> tuple[int, ...]:
    """The input's shape with symbolic dims fixed by --input-shape (or a symbolic batch dim set
    to 1); a given --input-shape must agree with every fixed dim."""
    tensor_type = value.type.tensor_type
    if tensor_type.elem_type != onnx.TensorProto.FLOAT:
        type_name = onnx.TensorProto.DataType.Name(tensor_type.elem_type)
        raise UnsupportedError(Blocker("", f"input '{value.name}'", f"the input is {type_name}",
                                       "tzinfer models take float32 inputs only"))
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
        raise ConvertError(f"input '{value.name}' has symbolic dims [{shown}]; fix them with --input-shape "
                           f"{value.name}=DIMS")
    return tuple(int(d) for d in dims)  # type: ignore[arg-type]


def _overrides(names: list[str], given: InputShapes) -> dict[str, Sequence[int]]:
    """--input-shape as input name -> dims."""
    if given is None:
        return {}
    if isinstance(given, Mapping):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ConvertError(f"--input-shape names {', '.join(unknown)}, but the model's inputs are "
                               f"{', '.join(names)}")
        return dict(given)
    if len(names) != 1:
        raise ConvertError(f"the model has {len(names)} inputs ({', '.join(names)}): give each shape as "
                           "--input-shape NAME=DIMS")
    return {names[0]: given}


Shapes = dict[str, tuple[int, ...]]


def _inferred_shapes(model: onnx.ModelProto, shapes: Shapes) -> Shapes:
    """Static float32 shapes ONNX shape inference finds for the model's values once its inputs
    have these shapes (empty where inference fails)."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value in fixed.graph.input:
        if value.name in shapes:
            dims = value.type.tensor_type.shape.dim
            del dims[:]
            for d in shapes[value.name]:
                dims.add().dim_value = d
    try:
        inferred = onnx.shape_inference.infer_shapes(fixed, data_prop=True)
    except Exception:  # inference is a best effort for the report, never a reason to fail
        return {}
    out = {}
    for value in [*inferred.graph.value_info, *inferred.graph.output]:
        t = value.type.tensor_type
        if t.elem_type == onnx.TensorProto.FLOAT and t.HasField("shape") and \
                all(d.HasField("dim_value") and d.dim_value > 0 for d in t.shape.dim):
            out[value.name] = tuple(d.dim_value for d in t.shape.dim)
    return out


class _Walk:
    """The lowering of one model, with the blockers met so far."""

    def __init__(self, model: onnx.ModelProto, ctx: Context) -> None:
        self.model = model
        self.ctx = ctx
        self.blockers: list[Blocker] = []
        self.shapes: dict[str, tuple[int, ...]] = {}  # the inputs' resolved shapes
        self.unknown: set[str] = set()   # activations nothing is known about (after a blocker)
        self.unknown_consts: set[str] = set()  # what would have been folded from those
        self.tainted: set[str] = set()   # values computed from a placeholder
        self._inferred: dict[str, tuple[int, ...]] | None = None

    def _placeholders(self, values: list[str], of_constants: bool = False) -> None:
        """values of a blocked node or input: activations of their inferred shape, or unknown; or,
        when the node read only constants, unknown constants."""
        if of_constants:
            self.unknown_consts.update(v for v in values if v)
            return
        if self._inferred is None:
            self._inferred = _inferred_shapes(self.model, self.shapes)
        graph = self.ctx.graph
        for value in values:
            if not value or self.ctx.known(value):
                continue
            if value in self._inferred:
                self.ctx.bind(value, graph.add_activation(graph.unique_name(value), self._inferred[value]))
            else:
                self.unknown.add(value)
        self.tainted.update(v for v in values if v)

    def inputs(self, values: list[onnx.ValueInfoProto], given: InputShapes) -> None:
        overrides = _overrides([v.name for v in values], given)
        if len(values) > tzm.MAX_GRAPH_IO:
            self.blockers.append(Blocker("", "model", f"the model has {len(values)} inputs, tzinfer takes at "
                                         f"most {tzm.MAX_GRAPH_IO}"))
        for value in values:
            problem = tzm.name_problem(value.name)
            if problem:
                self.blockers.append(Blocker("", f"input {value.name!r}", f"the name {problem}",
                                             "rename the input"))
            try:
                shape = _input_shape(value, overrides.get(value.name))
            except UnsupportedError as e:
                self.blockers.append(e.blocker)
                self.unknown.add(value.name)
                continue
            if len(shape) > tzm.MAX_DIMS:
                self.blockers.append(Blocker("", f"input '{value.name}'", f"the input has rank {len(shape)}",
                                             f"tzinfer tensors have at most {tzm.MAX_DIMS} dims"))
                self.unknown.add(value.name)
                continue
            self.shapes[value.name] = shape
            tensor = self.ctx.graph.add_activation(value.name, shape)
            self.ctx.graph.inputs[value.name] = tensor
            self.ctx.bind(value.name, tensor)

    def node(self, proto: onnx.NodeProto, index: int) -> None:
        ctx = self.ctx
        node = Node.from_proto(proto, index)
        read = [v for v in node.inputs if v]
        unknown = [v for v in read if v in self.unknown or v in self.unknown_consts]
        missing = [v for v in read if not ctx.known(v) and v not in unknown]
        if missing:
            raise ConvertError(f"{node.op_type} node '{node.name}' reads '{missing[0]}' before it is "
                               "produced; the graph is not topologically sorted")
        if unknown:
            outputs = [v for v in node.outputs if v]
            would_fold = all(ctx.is_const(v) or v in self.unknown_consts for v in read)
            if node.op_type in fold.SHAPE_OF or would_fold:
                self.unknown_consts.update(outputs)  # it would have been folded
                return
            blocker = registry.static_blocker(node, proto.domain, patterns.schema_opset(proto, ctx.opset))
            self.blockers += [blocker] if blocker else []
            self.unknown.update(outputs)
            return
        tainted = any(v in self.tainted for v in read)
        # Refused ops stay refused on constants (onnx.reference cannot fold QDQ below opset 19), and
        # other domains have no reference implementation to fold with.
        foldable = proto.domain in ("", "ai.onnx") and not registry.refusal(node.op_type)
        if foldable and fold.can_fold(ctx, node):
            fold.fold(ctx, proto, node)
        else:
            blocker = registry.static_blocker(node, proto.domain, patterns.schema_opset(proto, ctx.opset))
            try:
                if blocker is None:
                    registry.registry()[node.op_type].handler(ctx, node)
            except UnsupportedError as e:
                blocker = e.blocker
            except ConvertError:
                if not tainted:
                    raise
                self._placeholders(node.outputs)  # may come from the placeholder itself: not reported
                return
            if blocker is not None:
                self.blockers.append(blocker)
                self._placeholders(node.outputs, of_constants=all(ctx.is_const(v) for v in read))
        if tainted:
            self.tainted.update(v for v in node.outputs if v)

    def _copy(self, value: str) -> str:
        """A tensor of its own for output `value`: a copy of its tensor or constant."""
        node = Node("Identity", f"output '{value}'", [value], [value], {})
        return self.ctx.emit(node, OpType.RESHAPE, [self.ctx.operand(node, 0)], self.ctx.shape(value),
                             output=f"{value}:copy").output

    def outputs(self, values: list[onnx.ValueInfoProto]) -> None:
        """Every graph output, in order, as a distinct tensor; none is ever dropped."""
        graph, ctx = self.ctx.graph, self.ctx
        if not values:
            raise ConvertError("the model declares no output")
        if len(values) > tzm.MAX_GRAPH_IO:
            self.blockers.append(Blocker("", "model", f"the model has {len(values)} outputs, tzinfer takes "
                                         f"at most {tzm.MAX_GRAPH_IO}"))
        taken = set(graph.inputs.values())
        for value in (v.name for v in values):
            if value in graph.outputs:
                raise ConvertError(f"output '{value}' is listed twice among the graph outputs")
            problem = tzm.name_problem(value)
            if problem:
                self.blockers.append(Blocker("", f"output {value!r}", f"the name {problem}",
                                             "rename the output"))
            if value in self.unknown or value in self.unknown_consts or value in self.tainted:
                continue  # its producer is blocked (reported)
            try:
                tensor = self._copy(value) if ctx.is_const(value) or ctx.tensor(value) in taken \
                    else ctx.tensor(value)
            except UnsupportedError as e:
                self.blockers.append(e.blocker)
                continue
            graph.outputs[value] = tensor
            taken.add(tensor)


def import_onnx(path: Path, input_shapes: InputShapes = None) -> Graph:
    """Read an ONNX file and lower it to a graph of S-Tinylib ops. Raises Blocked with every
    unsupported op, attribute or value it meets, ConvertError for a malformed model."""
    model, digest = _load(path)
    opset = _opset(model)
    g = model.graph
    initializers = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [v for v in g.input if v.name not in initializers]
    if not inputs:
        raise ConvertError("the model has no inputs (only constants); there is nothing to run")
    nodes = patterns.fuse(g)  # decomposed LayerNorm and GELU become one node each
    uses = Counter(v for node in nodes for v in node.input if v)
    uses.update(o.name for o in g.output)

    ctx = Context(Graph(source_sha256=digest), opset, uses)
    for name, data in initializers.items():
        ctx.set_const(name, data)
    walk = _Walk(model, ctx)
    walk.inputs(inputs, input_shapes)
    for index, proto in enumerate(nodes):
        walk.node(proto, index)
    walk.outputs(list(g.output))
    if walk.blockers:
        raise Blocked(walk.blockers)
    ctx.graph.prune()
    return ctx.graph
