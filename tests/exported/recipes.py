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


def _randomise_batchnorms(net: Any) -> Any:  # noqa: ANN401
    """Give every BatchNorm non-trivial statistics, so that folding them matters."""
    from torch import nn

    for bn in net.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


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
    return _randomise_batchnorms(Net())


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


def yolo_like() -> Any:  # noqa: ANN401
    """A YOLOv8n-like detector at 1/16 width: Conv-BN-SiLU, C2f blocks (Split into two halves,
    bottlenecks, Concat), SPPF (three chained max pools), an FPN neck with nearest Upsample and
    Concat, and a decoupled head per scale whose box branch is decoded with DFL (Softmax over
    bins, a 1x1 conv with fixed weights) and anchor points; boxes and class scores are
    concatenated into one output [1, 4 + classes, anchors] (one output until .tzm has several)."""
    import torch
    from torch import nn

    def conv(c1: int, c2: int, k: int = 1, s: int = 1) -> nn.Module:
        return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.SiLU())

    class C2f(nn.Module):
        def __init__(self, c1: int, c2: int, n: int = 1) -> None:
            super().__init__()
            self.c = c2 // 2
            self.cv1, self.cv2 = conv(c1, 2 * self.c), conv((2 + n) * self.c, c2)
            self.m = nn.ModuleList(nn.Sequential(conv(self.c, self.c, 3), conv(self.c, self.c, 3))
                                   for _ in range(n))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = list(self.cv1(x).chunk(2, 1))
            for m in self.m:
                y.append(y[-1] + m(y[-1]))
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, c1: int, c2: int) -> None:
            super().__init__()
            self.cv1, self.cv2, self.m = conv(c1, c1 // 2), conv(c1 * 2, c2), nn.MaxPool2d(5, 1, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))

    class Net(nn.Module):
        reg_max, classes = 4, 3

        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(conv(3, 4, 3, 2), conv(4, 8, 3, 2), C2f(8, 8))
            self.p4 = nn.Sequential(conv(8, 16, 3, 2), C2f(16, 16), SPPF(16, 16))
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.neck = C2f(24, 8)
            self.down = conv(8, 8, 3, 2)
            self.neck2 = C2f(24, 16)
            self.box = nn.ModuleList(nn.Sequential(conv(c, 8, 3), nn.Conv2d(8, 4 * self.reg_max, 1))
                                     for c in (8, 16))
            self.cls = nn.ModuleList(nn.Sequential(conv(c, 8, 3), nn.Conv2d(8, self.classes, 1))
                                     for c in (8, 16))
            self.dfl = nn.Conv2d(self.reg_max, 1, 1, bias=False).requires_grad_(False)
            bins = torch.arange(self.reg_max, dtype=torch.float)
            self.dfl.weight.data[:] = bins.view(1, self.reg_max, 1, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            p3 = self.stem(x)
            p4 = self.p4(p3)
            n3 = self.neck(torch.cat((self.up(p4), p3), 1))
            n4 = self.neck2(torch.cat((self.down(n3), p4), 1))
            boxes, scores, anchors = [], [], []
            for i, (feature, stride) in enumerate(((n3, 4), (n4, 8))):
                _, _, h, w = feature.shape
                box = self.box[i](feature).view(1, 4 * self.reg_max, h * w)
                scores.append(self.cls[i](feature).view(1, self.classes, h * w).sigmoid())
                boxes.append(box)
                sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
                anchors.append(torch.stack((sx, sy)).view(1, 2, h * w) * stride)
            box = torch.cat(boxes, 2)
            a = box.shape[2]
            dist = self.dfl(box.view(1, 4, self.reg_max, a).transpose(2, 1).softmax(1)).view(1, 4, a)
            lt, rb = dist.chunk(2, 1)
            anchor = torch.cat(anchors, 2)
            xy = anchor + (rb - lt) / 2
            wh = lt + rb
            return torch.cat((xy, wh, torch.cat(scores, 2)), 1)

    torch.manual_seed(1)
    return _randomise_batchnorms(Net())


def unet_like() -> Any:  # noqa: ANN401
    """A two-level UNet-like segmenter: conv blocks with BatchNorm, max-pool down, up by a
    ConvTranspose (stride 2) at one level and bilinear F.interpolate (Resize) at the other,
    Concat skips, and a sigmoid mask."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def block(c1: int, c2: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(c1, c2, 3, 1, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),
                             nn.Conv2d(c2, c2, 3, 1, 1), nn.ReLU())

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.e1, self.e2, self.mid = block(3, 4), block(4, 8), block(8, 8)
            self.up2 = nn.ConvTranspose2d(8, 8, 2, stride=2)
            self.d2, self.d1 = block(16, 4), block(8, 4)
            self.out = nn.Conv2d(4, 2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            e1 = self.e1(x)
            e2 = self.e2(F.max_pool2d(e1, 2))
            m = self.mid(F.max_pool2d(e2, 2))
            d2 = self.d2(torch.cat((self.up2(m), e2), 1))
            up = F.interpolate(d2, scale_factor=2.0, mode="bilinear", align_corners=False)
            d1 = self.d1(torch.cat((up, e1), 1))
            return torch.sigmoid(self.out(d1))

    torch.manual_seed(2)
    return _randomise_batchnorms(Net())


def dbnet_like() -> Any:  # noqa: ANN401
    """A DBNet-like text detector: a strided backbone, an FPN (nearest upsampling and adds, then
    upsampling to 1/4 and a Concat), and the probability and threshold heads (conv, BN, ReLU, two
    ConvTranspose x2, sigmoid) with the differentiable binarisation 1 / (1 + e^(-k(P - T)));
    the three maps are concatenated."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def cbr(c1: int, c2: int, s: int = 1) -> nn.Module:
        return nn.Sequential(nn.Conv2d(c1, c2, 3, s, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU())

    def head(c: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(c, 4, 3, 1, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.ConvTranspose2d(4, 4, 2, 2), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.ConvTranspose2d(4, 1, 2, 2), nn.Sigmoid())

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c2, self.c3, self.c4 = cbr(3, 8, 4), cbr(8, 8, 2), cbr(8, 16, 2)
            self.lat = nn.ModuleList(nn.Conv2d(c, 8, 1) for c in (8, 8, 16))
            self.smooth = nn.ModuleList(nn.Conv2d(8, 4, 3, 1, 1) for _ in range(3))
            self.prob, self.thresh = head(12), head(12)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            c2 = self.c2(x)
            c3 = self.c3(c2)
            c4 = self.c4(c3)
            p4 = self.lat[2](c4)
            p3 = self.lat[1](c3) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
            p2 = self.lat[0](c2) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
            fuse = torch.cat((self.smooth[0](p2),
                              F.interpolate(self.smooth[1](p3), scale_factor=2.0, mode="nearest"),
                              F.interpolate(self.smooth[2](p4), scale_factor=4.0, mode="nearest")), 1)
            p, t = self.prob(fuse), self.thresh(fuse)
            return torch.cat((p, t, torch.reciprocal(1 + torch.exp(-50 * (p - t)))), 1)

    torch.manual_seed(3)
    return _randomise_batchnorms(Net())


def crnn_like() -> Any:  # noqa: ANN401
    """A CRNN-like text recogniser without the recurrence (LSTM is refused): a conv stack with
    (2, 1) max pools that collapse the height, the [N, C, 1, W] map squeezed and permuted to
    [W, N, C], a two-layer per-column classifier (MatMul), and LogSoftmax over the classes (what
    CTC decoding reads)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cnn = nn.Sequential(
                nn.Conv2d(1, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(8, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d((2, 1), (2, 1)),
                nn.Conv2d(16, 16, (2, 1)), nn.ReLU())
            self.fc = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 11))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            f = self.cnn(x).squeeze(2).permute(2, 0, 1)
            return self.fc(f).log_softmax(2)

    torch.manual_seed(4)
    return _randomise_batchnorms(Net())


def vit_tiny(approximate: str = "none") -> Any:  # noqa: ANN401
    """A ViT-tiny-like classifier: patch embedding conv, a class token (Expand, Concat), position
    embeddings, one transformer block (LayerNorm, multi-head attention as MatMul of activations
    with Softmax, GELU MLP, residuals), the class token taken back (Gather) and a linear head."""
    import torch
    from torch import nn

    class Block(nn.Module):
        heads = 2

        def __init__(self, d: int) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(approximate=approximate),
                                     nn.Linear(2 * d, d))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            b, n, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
            attn = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
            x = x + self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))
            return x + self.mlp(self.ln2(x))

    class Net(nn.Module):
        def __init__(self, d: int = 16) -> None:
            super().__init__()
            self.patch = nn.Conv2d(3, d, 8, 8)
            self.cls = nn.Parameter(torch.randn(1, 1, d))
            self.pos = nn.Parameter(torch.randn(1, 17, d) * 0.1)
            self.block, self.norm, self.head = Block(d), nn.LayerNorm(d), nn.Linear(d, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.patch(x).flatten(2).transpose(1, 2)
            x = torch.cat((self.cls.expand(x.shape[0], -1, -1), x), 1) + self.pos
            return self.head(self.norm(self.block(x))[:, 0])

    torch.manual_seed(5)
    net = Net()
    for ln in (m for m in net.modules() if isinstance(m, nn.LayerNorm)):
        ln.weight.data.uniform_(0.5, 1.5)
        ln.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


def shufflenet_v2_like() -> Any:  # noqa: ANN401
    """ShuffleNetV2 units at tiny width: the channel split (chunk), the 1x1 / depthwise 3x3 / 1x1
    branch, Concat and the channel shuffle (view, transpose, view), a downsampling unit with both
    branches strided, then global pooling and a classifier."""
    import torch
    from torch import nn

    def shuffle(x: torch.Tensor, groups: int = 2) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)

    def branch(c1: int, c2: int, stride: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(c1, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),
                             nn.Conv2d(c2, c2, 3, stride, 1, groups=c2, bias=False), nn.BatchNorm2d(c2),
                             nn.Conv2d(c2, c2, 1, bias=False), nn.BatchNorm2d(c2), nn.ReLU())

    class Unit(nn.Module):
        def __init__(self, c1: int, c2: int, stride: int) -> None:
            super().__init__()
            self.stride = stride
            self.right = branch(c1 // 2 if stride == 1 else c1, c2 // 2, stride)
            if stride > 1:
                self.left = nn.Sequential(nn.Conv2d(c1, c1, 3, 2, 1, groups=c1, bias=False),
                                          nn.BatchNorm2d(c1), nn.Conv2d(c1, c2 // 2, 1, bias=False),
                                          nn.BatchNorm2d(c2 // 2), nn.ReLU())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.stride == 1:
                a, b = x.chunk(2, dim=1)
                out = torch.cat((a, self.right(b)), 1)
            else:
                out = torch.cat((self.left(x), self.right(x)), 1)
            return shuffle(out)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
            self.stages = nn.Sequential(Unit(8, 16, 2), Unit(16, 16, 1), Unit(16, 16, 1))
            self.fc = nn.Linear(16, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.stages(self.stem(x)).mean((2, 3)))

    torch.manual_seed(6)
    return _randomise_batchnorms(Net())


def mobilenet_v3_like() -> Any:  # noqa: ANN401
    """MobileNetV3-small-like: a Hardswish stem, inverted residuals with squeeze-excite
    (Hardsigmoid gate) and Hardswish or ReLU, a residual add, global pooling and the
    Linear-Hardswish-Linear classifier."""
    import torch
    from torch import nn

    class SE(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.fc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, 8, 1), nn.ReLU(),
                                    nn.Conv2d(8, c, 1), nn.Hardsigmoid())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.fc(x)

    class InvertedResidual(nn.Module):
        def __init__(self, c1: int, mid: int, c2: int, k: int, s: int, se: bool, act: type) -> None:
            super().__init__()
            self.residual = s == 1 and c1 == c2
            self.body = nn.Sequential(
                nn.Conv2d(c1, mid, 1, bias=False), nn.BatchNorm2d(mid), act(),
                nn.Conv2d(mid, mid, k, s, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
                SE(mid) if se else nn.Identity(), act(),
                nn.Conv2d(mid, c2, 1, bias=False), nn.BatchNorm2d(c2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.body(x) if self.residual else self.body(x)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
            self.blocks = nn.Sequential(InvertedResidual(8, 16, 8, 3, 2, True, nn.ReLU),
                                        InvertedResidual(8, 24, 8, 3, 1, False, nn.ReLU),
                                        InvertedResidual(8, 24, 16, 5, 2, True, nn.Hardswish),
                                        InvertedResidual(16, 32, 16, 5, 1, True, nn.Hardswish))
            self.head = nn.Sequential(nn.Linear(16, 32), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(32, 5))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1)
            return self.head(x)

    torch.manual_seed(7)
    return _randomise_batchnorms(Net())


#: The model families of issue 10: (builder, input shape), each exported at opsets 13 and 17 by
#: the TorchScript exporter; DYNAMO_FAMILIES also by torch.export (dynamo) at opset 18.
FAMILIES = {"yolo_like": (yolo_like, (1, 3, 32, 32)), "unet_like": (unet_like, (1, 3, 16, 16)),
            "dbnet_like": (dbnet_like, (1, 3, 32, 32)), "crnn_like": (crnn_like, (1, 1, 16, 40)),
            "vit_tiny": (vit_tiny, (1, 3, 32, 32)),
            "shufflenet_v2_like": (shufflenet_v2_like, (1, 3, 32, 32)),
            "mobilenet_v3_like": (mobilenet_v3_like, (1, 3, 32, 32))}
DYNAMO_FAMILIES = ("yolo_like", "unet_like", "vit_tiny", "crnn_like")


#: Without constant folding the TorchScript exporter keeps BatchNormalization nodes and emits the
#: Shape/Gather/Unsqueeze/Concat chain for view(x.size(0), -1); both must fold at convert time.
_UNFOLDED_DYNAMIC_BATCH = {"do_constant_folding": False, "dynamic_axes": {"x": {0: "batch"}}}

EXPORTS = (
    *(Export(f"mobile_block_net_opset{opset}", mobile_block_net, ((1, 3, 16, 16),), opset,
             options=_UNFOLDED_DYNAMIC_BATCH) for opset in (11, 13, 17, 18)),
    Export("block_zoo_opset13", block_zoo_net, ((1, 3, 9, 9),), 13),
    *(Export(f"{name}_opset{opset}", build, (shape,), opset)
      for name, (build, shape) in FAMILIES.items() for opset in (13, 17)),
    *(Export(f"{name}_dynamo_opset18", FAMILIES[name][0], (FAMILIES[name][1],), 18, dynamo=True)
      for name in DYNAMO_FAMILIES),
    Export("vit_tiny_gelu_tanh_opset20", lambda: vit_tiny("tanh"), ((1, 3, 32, 32),), 20),
    *(Export(f"two_head_net_opset{opset}", two_head_net, ((1, 3, 16, 16), (1, 4)), opset,
             input_names=("image", "side"), output_names=("scores", "boxes", "features"))
      for opset in (13, 17)),
)
