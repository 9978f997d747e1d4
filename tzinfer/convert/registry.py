"""The converter's op registry: which ONNX ops it lowers, at which opsets, with which attributes,
and what it refuses outright (quantised graphs, recurrent layers, control flow).

An op is registered with one OpSpec in the OPS tuple of its family's module (ops_*.py; a new
module of that name is picked up by itself):

    OpSpec("LeakyRelu", leaky_relu, attrs={"alpha"}, notes="fused into the producing op when it can be")

`attrs` are the attributes the handler reads (any other one on a node is reported, not ignored);
`since`/`until` bound the opsets the handler implements (an op the ONNX spec does not define at a
model's opset is reported whatever the registry says); `notes` say what is supported, for
docs/supported-ops.md (`invoke docs-ops`) and the --check report. Attribute values and operand
kinds (constant or activation) are the handler's to check: it raises node.unsupported(...).

Nodes whose inputs are all constants never reach the registry: they are folded at convert time
(fold.py), whatever their op, except the refused ones."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import onnx.defs

from tzinfer.convert.context import Handler, Node
from tzinfer.convert.errors import Blocker

#: The opsets of the default domain the converter reads.
MIN_OPSET, MAX_OPSET = 7, 20


@dataclass(frozen=True)
class OpSpec:
    """One ONNX op (default domain) the converter lowers."""

    op_type: str
    handler: Handler
    attrs: Collection[str] = ()
    since: int = MIN_OPSET
    until: int = MAX_OPSET
    notes: str = ""


_QUANTISED = ("the model is quantised: tzinfer runs float32 models",
              "export the float model instead (e.g. torch.onnx.export of the model before quantization, or "
              "the ONNX file before onnxruntime.quantization.quantize_dynamic/quantize_static); static "
              "int8 (QDQ) support is planned")
_RECURRENT = ("recurrent layers are not supported yet",
              "export the model without them, or run the recurrent part outside tzinfer")
_CONTROL_FLOW = ("graphs with control flow (subgraphs) are not supported",
                 "export with fixed shapes and loops unrolled (e.g. torch.onnx.export of a traced module)")
#: Ops refused whatever their operands, with the reason and the fix: the quantised ops of the
#: default domain and of onnxruntime's com.microsoft (quantize_dynamic writes those), recurrent
#: layers and control flow.
REFUSED: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "ConvInteger",
                     "MatMulInteger", "QLinearConv", "QLinearMatMul", "DynamicQuantizeMatMul",
                     "MatMulIntegerToFloat", "DynamicQuantizeLSTM", "QAttention", "QGemm"), _QUANTISED),
    **dict.fromkeys(("LSTM", "GRU", "RNN"), _RECURRENT),
    **dict.fromkeys(("If", "Loop", "Scan"), _CONTROL_FLOW),
}


def refusal(op_type: str) -> tuple[str, str] | None:
    """(reason, fix) when op_type is refused outright (QLinear* of any domain is quantised)."""
    return REFUSED.get(op_type) or (_QUANTISED if op_type.startswith("QLinear") else None)


@cache
def registry() -> dict[str, OpSpec]:
    """op type -> OpSpec, from the OPS tuple of every tzinfer/convert/ops_*.py module (a new
    family module is found without being listed anywhere)."""
    import tzinfer.convert

    specs: dict[str, OpSpec] = {}
    for info in sorted(pkgutil.iter_modules(tzinfer.convert.__path__), key=lambda m: m.name):
        if not info.name.startswith("ops_"):
            continue
        for spec in importlib.import_module(f"tzinfer.convert.{info.name}").OPS:
            assert spec.op_type not in specs and not refusal(spec.op_type), f"{spec.op_type} registered twice"
            specs[spec.op_type] = spec
    return specs


@cache
def first_opset(op_type: str) -> int | None:
    """The opset that introduced op_type in the default domain (None: it is no ONNX op)."""
    versions = [s.since_version for s in onnx.defs.get_all_schemas_with_history()
                if s.name == op_type and s.domain in ("", "ai.onnx")]
    return min(versions) if versions else None


def _schema_attrs(op_type: str, opset: int) -> frozenset[str] | None:
    """The attributes ONNX defines for op_type at opset; None when the op does not exist there."""
    try:
        return frozenset(onnx.defs.get_schema(op_type, opset, "").attributes)
    except onnx.defs.SchemaError:
        return None


def static_blocker(node: Node, domain: str, opset: int) -> Blocker | None:
    """What stops the converter from lowering `node` that needs no operand values: a custom domain,
    a refused op, an op ONNX does not define at this opset, an op the converter does not lower
    (at this opset), or an attribute the handler does not read. None when there is none."""
    op = node.op_type
    refused = refusal(op)
    if refused:
        return Blocker(op, node.name, *refused)
    if domain not in ("", "ai.onnx"):
        return Blocker(op, node.name, f"ops of the custom domain '{domain}' are not supported",
                       "export the model with standard ONNX ops only")
    schema_attrs = _schema_attrs(op, opset)
    if schema_attrs is None:
        first = first_opset(op)
        if first is None:
            return Blocker(op, node.name, f"{op} is not an ONNX op",
                           "export the model with standard ONNX ops")
        when = f"it was added in opset {first}" if first > opset else f"it was removed before opset {opset}"
        return Blocker(op, node.name, f"{op} does not exist at opset {opset} ({when}), so the model is not "
                       "valid ONNX", f"re-export the model at an opset where {op} exists")
    spec = registry().get(op)
    if spec is None:
        return Blocker(op, node.name, f"{op} of an activation is not supported (tzinfer computes {op} only "
                       "on constants, at convert time)", "see docs/supported-ops.md for the ops tzinfer runs")
    if not spec.since <= opset <= spec.until:
        span = f"{spec.since}..{spec.until}"
        return Blocker(op, node.name, f"{op} is supported at opsets {span} only, the model is at {opset}",
                       f"re-export the model at an opset in {span}")
    undefined = sorted(set(node.attrs) - schema_attrs)
    if undefined:
        return Blocker(op, node.name, f"attribute '{undefined[0]}' is not an attribute of {op} at opset "
                       f"{opset}, so the model is not valid ONNX", "re-export the model")
    unread = sorted(set(node.attrs) - set(spec.attrs))
    if unread:
        return Blocker(op, node.name, f"attribute '{unread[0]}' of {op} is not supported",
                       f"supported attributes: {', '.join(sorted(spec.attrs)) or 'none'}")
    return None


def supported_ops_markdown() -> str:
    """docs/supported-ops.md: the registry as a table (written by `invoke docs-ops`, checked by a test)."""
    lines = [
        "# Supported ONNX ops",
        "",
        "Generated from the converter's registry (tzinfer/convert/registry.py) by `invoke docs-ops`;",
        "a test fails when this file is stale. Do not edit it by hand.",
        "",
        f"The converter reads models of the default ONNX domain at opsets {MIN_OPSET} to {MAX_OPSET}. "
        "Any node whose",
        "inputs are all constants is computed at convert time (constant folding) whatever its op, so",
        "the table lists what tzinfer runs on activations. `tzinfer convert --check MODEL.onnx` lists",
        "every node of a model that is not supported, with the reason.",
        "",
        "| op | opsets | attributes | notes |",
        "|---|---|---|---|",
    ]
    for op_type in sorted(registry()):
        spec = registry()[op_type]
        attrs = ", ".join(f"`{a}`" for a in sorted(spec.attrs)) or "–"
        lines.append(f"| {op_type} | {spec.since}–{spec.until} | {attrs} | {spec.notes} |")
    lines += ["", "## Refused", "",
              "These are refused with the reason below, whatever their operands and attributes.", "",
              "| ops | reason | instead |", "|---|---|---|"]
    by_reason: dict[tuple[str, str], list[str]] = {}
    for op_type, reason_fix in REFUSED.items():
        by_reason.setdefault(reason_fix, []).append(op_type)
    for (reason, fix), ops in by_reason.items():
        lines.append(f"| {', '.join(ops)} | {reason} | {fix} |")
    return "\n".join(lines) + "\n"
