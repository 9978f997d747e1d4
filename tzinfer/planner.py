"""Arena memory plan: tensor lifetimes and greedy offset placement (TensorFlow Lite Micro style).

Time steps are op indices. A tensor is live over [def, last] (docs/model-format.md, "The memory
plan"): def is the op writing it (-1 for a model input), last the latest op reading it
(n_ops for every model output, def for a scratch buffer). So the outputs all stay live to the
end, and no tensor, output or not, is ever placed over an output. Two tensors live at the same step need
disjoint bytes, except an op's output may take its input's bytes ("in place") when the op is
element-wise or a reshape and the input dies at that op.

In-place pairs are merged into one *buffer* first; buffers are then placed largest-first at the
lowest offset that does not collide with an already placed buffer whose lifetime overlaps. Several
orderings are tried and the smallest arena wins: it costs milliseconds and closes most of the gap
to the lower bound.

The lower bound reported is over buffers: the largest total of (16-byte aligned) bytes that must
be live together once in-place pairs share memory. No valid plan can be smaller."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tzinfer.tzm import ALIGN, OpType, TensorKind, TzmModel, align, numel

#: Op types whose output may reuse the bytes of a same-shaped input that dies at the op.
IN_PLACE_OPS = frozenset({OpType.UNARY, OpType.BINARY, OpType.RESHAPE, OpType.NORMALIZE, OpType.WHERE})


@dataclass(frozen=True)
class Step:
    """One op as the planner sees it: the ACT tensors it reads and writes (by id)."""

    reads: tuple[int, ...]
    writes: int
    scratch: int | None
    in_place_from: tuple[int, ...]  # reads whose bytes the output may take over


def make_step(op_type: OpType, reads: Sequence[int], read_shapes: Sequence[tuple[int, ...]], writes: int,
              write_shape: tuple[int, ...], scratch: int | None) -> Step:
    """The step for one op, with the format's in-place rule applied (same shape, element-wise op)."""
    in_place = ()
    if op_type in IN_PLACE_OPS:
        same = (lambda s: numel(s) == numel(write_shape)) if op_type == OpType.RESHAPE else \
            (lambda s: s == write_shape)
        in_place = tuple(r for r, s in zip(reads, read_shapes, strict=True) if same(s))
    return Step(tuple(reads), writes, scratch, in_place)


def steps_of(model: TzmModel) -> list[Step]:
    """The planner's view of a model's ops (when converting and when inspecting a file)."""
    t = model.tensors
    steps = []
    for op in model.ops:
        acts = [i for i in op.inputs if t[i].kind == TensorKind.ACT]
        steps.append(make_step(op.type, acts, [t[i].dims for i in acts], op.output, t[op.output].dims,
                               op.scratch))
    return steps


def io_tensors(model: TzmModel) -> tuple[list[int], list[int]]:
    """The tensor ids of a model's inputs and of its outputs."""
    return [b.tensor for b in model.inputs], [b.tensor for b in model.outputs]


def act_sizes(model: TzmModel) -> dict[int, int]:
    """Bytes of every ACT tensor of a model, by tensor id."""
    return {i: t.size for i, t in enumerate(model.tensors) if t.kind == TensorKind.ACT}


@dataclass
class Plan:
    offsets: dict[int, int]          # tensor id -> arena offset
    arena_size: int
    liveness_bound: int
    activations_sum: int
    live_bytes: list[int]            # bytes live at steps -1 .. n_ops (index 0 is the input step)


def live_ranges(steps: Sequence[Step], inputs: Sequence[int],
                outputs: Sequence[int]) -> dict[int, tuple[int, int]]:
    """[def, last] of every ACT tensor."""
    first = dict.fromkeys(inputs, -1)
    last = dict.fromkeys(inputs, -1)
    for s, step in enumerate(steps):
        for r in step.reads:
            last[r] = s
        first[step.writes] = s
        last.setdefault(step.writes, s)
        if step.scratch is not None:
            first[step.scratch] = last[step.scratch] = s
    for o in outputs:
        last[o] = len(steps)
    return {t: (first[t], last[t]) for t in first}


def _in_place_groups(steps: Sequence[Step], ranges: dict[int, tuple[int, int]], sizes: dict[int, int],
                     inputs: Sequence[int], offsets: dict[int, int] | None) -> dict[int, int]:
    """Map every ACT tensor to the root tensor of its buffer. Without `offsets` the planner picks
    every allowed in-place pair; with them (reading a file) pairs are the ones the file uses."""
    root = {t: t for t in ranges}
    for s, step in enumerate(steps):
        for r in step.in_place_from:
            allowed = r not in inputs and ranges[r][1] == s and sizes[r] == sizes[step.writes]
            if allowed and (offsets is None or offsets[r] == offsets[step.writes]):
                root[step.writes] = root[r]
                break
    return root


def _buffers(root: dict[int, int], ranges: dict[int, tuple[int, int]],
             sizes: dict[int, int]) -> dict[int, tuple[int, int, int]]:
    """root -> (size, first, last) of each merged buffer."""
    buffers: dict[int, tuple[int, int, int]] = {}
    for t, r in root.items():
        size, first, last = buffers.get(r, (0, ranges[t][0], ranges[t][1]))
        buffers[r] = (max(size, align(sizes[t])), min(first, ranges[t][0]), max(last, ranges[t][1]))
    return buffers


def _live_bytes(buffers: dict[int, tuple[int, int, int]], n_steps: int) -> list[int]:
    live = [0] * (n_steps + 2)
    for size, first, last in buffers.values():
        for s in range(first, last + 1):
            live[s + 1] += size
    return live


def _place(order: list[int], buffers: dict[int, tuple[int, int, int]]) -> dict[int, int]:
    placed: list[tuple[int, int, int, int]] = []  # offset, size, first, last
    offsets = {}
    for b in order:
        size, first, last = buffers[b]
        conflicts = sorted((o, sz) for o, sz, f, la in placed if not (la < first or last < f))
        offset = 0
        for o, sz in conflicts:
            if offset + size <= o:
                break
            offset = max(offset, o + sz)
        offsets[b] = offset
        placed.append((offset, size, first, last))
    return offsets


_ORDERINGS: tuple[Callable[[tuple[int, int, int]], tuple[int, ...]], ...] = (
    lambda b: (-b[0], b[1]),                       # largest first (TFLM)
    lambda b: (-b[0] * (b[2] - b[1] + 1), b[1]),   # largest area (bytes x lifetime) first
    lambda b: (-(b[2] - b[1]), -b[0]),             # longest-lived first
    lambda b: (b[1], -b[0]),                       # in execution order
)


def plan(steps: Sequence[Step], sizes: dict[int, int], inputs: Sequence[int], outputs: Sequence[int]) -> Plan:
    """Place every ACT tensor (sizes: id -> bytes) in one arena."""
    ranges = live_ranges(steps, inputs, outputs)
    root = _in_place_groups(steps, ranges, sizes, inputs, None)
    buffers = _buffers(root, ranges, sizes)
    best: dict[int, int] | None = None
    best_size = 0
    for key in _ORDERINGS:
        order = sorted(buffers, key=lambda b: key(buffers[b]))
        placement = _place(order, buffers)
        arena = max(placement[b] + buffers[b][0] for b in buffers)
        if best is None or arena < best_size:
            best, best_size = placement, arena
    assert best is not None
    offsets = {t: best[root[t]] for t in ranges}
    live = _live_bytes(buffers, len(steps))
    return Plan(offsets, best_size, max(live), sum(sizes[t] for t in ranges), live)


def analyse(steps: Sequence[Step], sizes: dict[int, int], offsets: dict[int, int], inputs: Sequence[int],
            outputs: Sequence[int], arena_size: int) -> Plan:
    """The memory numbers of an existing plan (a file being inspected)."""
    ranges = live_ranges(steps, inputs, outputs)
    buffers = _buffers(_in_place_groups(steps, ranges, sizes, inputs, offsets), ranges, sizes)
    live = _live_bytes(buffers, len(steps))
    return Plan(dict(offsets), arena_size, max(live), sum(sizes[t] for t in ranges), live)


def check(steps: Sequence[Step], sizes: dict[int, int], offsets: dict[int, int], inputs: Sequence[int],
          outputs: Sequence[int], arena_size: int) -> list[str]:
    """Violations of the plan rules (empty when the plan is valid): bounds, alignment, and overlap
    of two tensors live at the same step unless they form an allowed in-place pair."""
    ranges = live_ranges(steps, inputs, outputs)
    root = _in_place_groups(steps, ranges, sizes, inputs, offsets)
    problems = [f"tensor {t} at {offsets[t]}+{sizes[t]} is outside the arena or misaligned"
                for t in ranges if offsets[t] % ALIGN or offsets[t] + sizes[t] > arena_size]
    items = sorted(ranges)
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            (fa, la), (fb, lb) = ranges[a], ranges[b]
            if la < fb or lb < fa or root[a] == root[b]:
                continue
            if offsets[a] < offsets[b] + sizes[b] and offsets[b] < offsets[a] + sizes[a]:
                problems.append(f"tensors {a} and {b} are live together and overlap")
    return problems


def analyse_model(model: TzmModel) -> Plan:
    """The memory numbers of a .tzm model as stored."""
    sizes = act_sizes(model)
    offsets = {i: model.tensors[i].offset for i in sizes}
    return analyse(steps_of(model), sizes, offsets, *io_tensors(model), model.arena_size)


def check_model(model: TzmModel) -> list[str]:
    """Plan rule violations of a .tzm model as stored (empty when valid)."""
    sizes = act_sizes(model)
    offsets = {i: model.tensors[i].offset for i in sizes}
    return check(steps_of(model), sizes, offsets, *io_tensors(model), model.arena_size)
