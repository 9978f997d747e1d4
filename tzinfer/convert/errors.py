"""Converter errors. Every message names the cause and, where there is one, the fix.

A model that uses what the engine lacks is not refused at the first such node: the converter
records a Blocker for each one and goes on, and raises Blocked with all of them at the end
(`tzinfer convert --check` prints that report)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: Node names listed per group of a report before "and N more".
NAMES_SHOWN = 4


class ConvertError(ValueError):
    """The model cannot be converted (bad file, bad --input-shape, inconsistent graph)."""


@dataclass(frozen=True)
class Blocker:
    """One thing in the model that tzinfer does not support.

    op_type and node are empty for the model as a whole (e.g. an int64 input; `node` then names
    the input or output); reason says why, fix what is supported instead or what to do."""

    op_type: str
    node: str
    reason: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.op_type} node '{self.node}': " if self.op_type else ""
        return f"{where}{self.reason}" + (f"; {self.fix}" if self.fix else "")


class UnsupportedError(ConvertError):
    """The model uses an op, attribute or attribute value S-Tinylib does not implement (exit code 2)."""

    def __init__(self, blocker: Blocker | str) -> None:
        self.blocker = blocker if isinstance(blocker, Blocker) else Blocker("", "", blocker)
        super().__init__(str(self.blocker))


def _names(nodes: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in nodes[:NAMES_SHOWN])
    more = f" and {len(nodes) - NAMES_SHOWN} more" if len(nodes) > NAMES_SHOWN else ""
    return f"node{'s' if len(nodes) > 1 else ''} {shown}{more}"


def report_lines(blockers: Sequence[Blocker]) -> list[str]:
    """One line per kind of blocker (same reason and fix), in order of first appearance: the op
    types with their node counts, the node names, the reason and the fix."""
    groups: dict[tuple[str, str], list[Blocker]] = {}
    for b in blockers:
        groups.setdefault((b.reason, b.fix), []).append(b)
    lines = []
    for (reason, fix), members in groups.items():
        counts = Counter(b.op_type for b in members if b.op_type)
        nodes = [b.node for b in members]
        head = f"{', '.join(f'{op} × {n}' for op, n in counts.items())} ({_names(nodes)})" if counts else \
            ", ".join(nodes)
        lines.append(f"{head}: {reason}" + (f"; {fix}" if fix else ""))
    return lines


class Blocked(UnsupportedError):
    """Every blocker the converter met; the message is one line for a single blocker, else a
    summary line and one indented line per kind of blocker."""

    def __init__(self, blockers: Sequence[Blocker]) -> None:
        self.blockers = list(blockers)
        super().__init__(self.blockers[0])
        if len(self.blockers) > 1:
            lines = report_lines(self.blockers)
            listed = "\n".join(f"  {line}" for line in lines)
            self.args = (f"{len(self.blockers)} things in the model are not supported ({len(lines)} kinds); "
                         f"each is listed below\n{listed}",)

    def __str__(self) -> str:
        return str(self.args[0])
