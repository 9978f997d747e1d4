"""torch networks whose ONNX exports the tests run, and how each is exported. The exports are
made once by `invoke regen-models` (which needs torch) and committed under tests/exported/onnx/,
so neither the demo nor the test suite installs torch. Weights are random, from fixed seeds.

torch is imported inside the functions: the tests import this module (to check that the
committed files are current) without it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Export:
    """One committed file: `build()` returns the torch module, exported for inputs of
    `input_shapes` at `opset`, by the TorchScript exporter or (dynamo=True) torch.export's."""

    name: str
    build: Callable[[], Any]
    input_shapes: tuple[tuple[int, ...], ...]
    opset: int
    dynamo: bool = False
    input_names: tuple[str, ...] = ("x",)
    output_names: tuple[str, ...] = ("y",)
    #: Further keyword arguments of torch.onnx.export.
    options: dict[str, Any] = field(default_factory=dict)


def mobile_block_net() -> Any:  # noqa: ANN401 (a torch module; torch is imported lazily)
    """A small MobileNetV3-like torch net: conv+BN+hardswish, depthwise+BN+ReLU6, squeeze-excite,
    a ceil-mode average pool, a dynamic-batch view, and a linear head with softmax."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
            self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8), nn.BatchNorm2d(8), nn.ReLU6())
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 4, 1), nn.ReLU(),
                                    nn.Conv2d(4, 8, 1), nn.Hardsigmoid())
            self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
            self.head = nn.Sequential(nn.Linear(8 * 5 * 5, 16), nn.LeakyReLU(0.1), nn.Linear(16, 5))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.dw(self.stem(x))
            x = self.pool(x * self.se(x))
            return torch.softmax(self.head(x.view(x.size(0), -1)), dim=-1)

    torch.manual_seed(0)
    net = Net()
    for bn in (net.stem[1], net.dw[1]):  # non-trivial statistics, so that folding them matters
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


def block_zoo_net() -> Any:  # noqa: ANN401
    """Building blocks of other mobile CNN families in one torch net: a ResNet basic block
    (residual add + ReLU), a ShuffleNet channel shuffle (5-D reshape/transpose), an EfficientNet
    SiLU (x * sigmoid(x)), a SqueezeNet-style concat and a max pool with ceil_mode."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.ReLU())
            self.res = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                     nn.Conv2d(8, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8))
            self.expand1, self.expand3 = nn.Conv2d(8, 4, 1), nn.Conv2d(8, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.fc = nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.stem(x)
            x = torch.relu(x + self.res(x))
            n, c, h, w = x.shape
            x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)  # channel shuffle
            x = x * torch.sigmoid(x)
            x = torch.cat([self.expand1(x), self.expand3(x)], 1)
            x = self.pool(x)
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))

    torch.manual_seed(1)
    net = Net()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return net.eval()


def two_head_net() -> Any:  # noqa: ANN401
    """Two inputs and three outputs, as detectors and multi-task nets have them: an image and a
    vector of side information in; class scores (softmax over a linear head on the pooled features
    and the side vector), a box map (sigmoid of a 1x1 conv over the features) and the pooled
    features themselves (an output the heads also read) out, in that order."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(),
                                      nn.Conv2d(8, 8, 3, 1, 1), nn.ReLU())
            self.classes = nn.Linear(8 + 4, 5)
            self.boxes = nn.Conv2d(8, 4, 1)

        def forward(self, image: torch.Tensor, side: torch.Tensor) -> tuple[torch.Tensor, ...]:
            features = self.body(image)
            pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(features, 1), 1)
            scores = torch.softmax(self.classes(torch.cat([pooled, side], 1)), dim=1)
            return scores, torch.sigmoid(self.boxes(features)), pooled

    torch.manual_seed(2)
    return Net().eval()


#: Without constant folding the TorchScript exporter keeps BatchNormalization nodes and emits the
#: Shape/Gather/Unsqueeze/Concat chain for view(x.size(0), -1); both must fold at convert time.
_UNFOLDED_DYNAMIC_BATCH = {"do_constant_folding": False, "dynamic_axes": {"x": {0: "batch"}}}

EXPORTS = (
    *(Export(f"mobile_block_net_opset{opset}", mobile_block_net, ((1, 3, 16, 16),), opset,
             options=_UNFOLDED_DYNAMIC_BATCH) for opset in (11, 13, 17, 18)),
    Export("block_zoo_opset13", block_zoo_net, ((1, 3, 9, 9),), 13),
    *(Export(f"two_head_net_opset{opset}", two_head_net, ((1, 3, 16, 16), (1, 4)), opset,
             input_names=("image", "side"), output_names=("scores", "boxes", "features"))
      for opset in (13, 17)),
)
