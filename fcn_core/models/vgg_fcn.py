"""The FCN family on VGG16, layer for layer as the reference Caffe nets (``voc-fcn*s``).

Attribute names are the Caffe layer names (``conv1_1`` … ``fc7``, ``score_fr``,
``score_pool4``, ``score_pool3``, ``upscore2``, ``upscore_pool4``, ``upscore8``,
``upscore16``, ``upscore``), so the original Caffe weights and pytorch-fcn state dicts map
onto these modules by name, with no renaming table.

Why the odd numbers:
- ``conv1_1`` pads by 100 so that even a 1×1 input survives five 2× poolings and the 7×7
  ``fc6`` and still yields a score map large enough to crop the input size out of.
- Pooling rounds up (``ceil_mode=True``) because Caffe's pooling does.
- The crop offsets (5, 9, 31 for FCN-8s; 27 for 16s; 19 for 32s) are the alignment offsets
  Caffe's ``Crop`` layer computes from the receptive-field arithmetic of the padded net.
- ``width`` scales every channel count (1.0 = the paper's net). Reduced widths exist for fast
  tests and small experiments; the code path is the real one.
"""

from __future__ import annotations

import torch
from torch import nn

from fcn_core.models.bilinear import init_bilinear_

CAFFE_INPUT_PADDING = 100
"""Zero padding of ``conv1_1``: makes every input size from 1×1 up produce a full-size output."""

POOL4_CROP_OFFSET = 5
POOL3_CROP_OFFSET = 9
FCN8S_OUTPUT_CROP_OFFSET = 31
FCN16S_OUTPUT_CROP_OFFSET = 27
FCN32S_OUTPUT_CROP_OFFSET = 19

ATONCE_POOL4_SCALE = 0.01
ATONCE_POOL3_SCALE = 0.0001
"""FCN-8s-at-once scales pool4/pool3 before scoring so the skip branches start small when all
three streams are trained together from VGG16 (Caffe ``scale_pool4`` / ``scale_pool3``)."""

VGG16_STAGES: tuple[tuple[int, ...], ...] = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
"""Output channels of each 3×3 conv, stage by stage (conv1_1 … conv5_3)."""
FC_CHANNELS = 4096


def _crop(scores: torch.Tensor, offset: int, height: int, width: int) -> torch.Tensor:
    """Caffe ``Crop``: take ``height × width`` starting ``offset`` pixels from the top-left."""
    return scores[:, :, offset : offset + height, offset : offset + width]


def _scaled(channels: int, width: float) -> int:
    return max(1, round(channels * width))


class VGG16FCNBase(nn.Module):
    """VGG16 trunk turned fully convolutional: conv1_1 … pool5, fc6 and fc7 as convolutions.

    Subclasses add the scoring head and implement ``forward``; ``features`` returns the three
    taps the heads use (pool3, pool4, fc7).
    """

    def __init__(self, num_classes: int = 21, width: float = 1.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.width = width
        in_channels = 3
        for stage_index, stage in enumerate(VGG16_STAGES, start=1):
            for conv_index, out_channels in enumerate(stage, start=1):
                out_channels = _scaled(out_channels, width)
                padding = CAFFE_INPUT_PADDING if (stage_index, conv_index) == (1, 1) else 1
                self.add_module(f"conv{stage_index}_{conv_index}", nn.Conv2d(in_channels, out_channels, 3, padding=padding))
                self.add_module(f"relu{stage_index}_{conv_index}", nn.ReLU(inplace=True))
                in_channels = out_channels
            self.add_module(f"pool{stage_index}", nn.MaxPool2d(2, stride=2, ceil_mode=True))
        self.pool3_channels = _scaled(VGG16_STAGES[2][-1], width)
        self.pool4_channels = _scaled(VGG16_STAGES[3][-1], width)
        fc_channels = _scaled(FC_CHANNELS, width)
        self.fc6 = nn.Conv2d(in_channels, fc_channels, 7)
        self.relu6 = nn.ReLU(inplace=True)
        self.drop6 = nn.Dropout2d(0.5)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.relu7 = nn.ReLU(inplace=True)
        self.drop7 = nn.Dropout2d(0.5)
        self.score_fr = nn.Conv2d(fc_channels, num_classes, 1)

    def _stage(self, x: torch.Tensor, stage_index: int) -> torch.Tensor:
        for conv_index in range(1, len(VGG16_STAGES[stage_index - 1]) + 1):
            x = getattr(self, f"relu{stage_index}_{conv_index}")(getattr(self, f"conv{stage_index}_{conv_index}")(x))
        return getattr(self, f"pool{stage_index}")(x)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (pool3, pool4, fc7) for an input batch."""
        pool1 = self._stage(x, 1)
        pool2 = self._stage(pool1, 2)
        pool3 = self._stage(pool2, 3)
        pool4 = self._stage(pool3, 4)
        pool5 = self._stage(pool4, 5)
        fc6 = self.drop6(self.relu6(self.fc6(pool5)))
        fc7 = self.drop7(self.relu7(self.fc7(fc6)))
        return pool3, pool4, fc7

    def upsampling_layers(self) -> list[nn.ConvTranspose2d]:
        """The bilinear deconvolutions (frozen in the reference training recipe)."""
        return [module for module in self.modules() if isinstance(module, nn.ConvTranspose2d)]

    def _deconv(self, kernel: int, stride: int) -> nn.ConvTranspose2d:
        deconv = nn.ConvTranspose2d(self.num_classes, self.num_classes, kernel, stride=stride, bias=False)
        init_bilinear_(deconv)
        return deconv


class FCN32s(VGG16FCNBase):
    """FCN-32s: score fc7, upsample ×32 in one bilinear-initialised deconvolution."""

    def __init__(self, num_classes: int = 21, width: float = 1.0) -> None:
        super().__init__(num_classes, width)
        self.upscore = self._deconv(64, 32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        _, _, fc7 = self.features(x)
        upscore = self.upscore(self.score_fr(fc7))
        return _crop(upscore, FCN32S_OUTPUT_CROP_OFFSET, height, width)


class FCN16s(VGG16FCNBase):
    """FCN-16s: fuse ×2-upsampled fc7 scores with pool4 scores, then upsample ×16."""

    def __init__(self, num_classes: int = 21, width: float = 1.0) -> None:
        super().__init__(num_classes, width)
        self.score_pool4 = nn.Conv2d(self.pool4_channels, num_classes, 1)
        self.upscore2 = self._deconv(4, 2)
        self.upscore16 = self._deconv(32, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        _, pool4, fc7 = self.features(x)
        upscore2 = self.upscore2(self.score_fr(fc7))
        score_pool4c = _crop(self.score_pool4(pool4), POOL4_CROP_OFFSET, upscore2.shape[2], upscore2.shape[3])
        upscore16 = self.upscore16(upscore2 + score_pool4c)
        return _crop(upscore16, FCN16S_OUTPUT_CROP_OFFSET, height, width)


class FCN8s(VGG16FCNBase):
    """FCN-8s: fc7 ×2 + pool4, ×2 again + pool3, then ×8 (the paper's best net)."""

    pool4_scale = 1.0
    pool3_scale = 1.0

    def __init__(self, num_classes: int = 21, width: float = 1.0) -> None:
        super().__init__(num_classes, width)
        self.score_pool4 = nn.Conv2d(self.pool4_channels, num_classes, 1)
        self.score_pool3 = nn.Conv2d(self.pool3_channels, num_classes, 1)
        self.upscore2 = self._deconv(4, 2)
        self.upscore_pool4 = self._deconv(4, 2)
        self.upscore8 = self._deconv(16, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pool3, pool4, fc7 = self.features(x)
        if self.pool4_scale != 1.0:
            pool4 = pool4 * self.pool4_scale
            pool3 = pool3 * self.pool3_scale
        upscore2 = self.upscore2(self.score_fr(fc7))
        score_pool4c = _crop(self.score_pool4(pool4), POOL4_CROP_OFFSET, upscore2.shape[2], upscore2.shape[3])
        upscore_pool4 = self.upscore_pool4(upscore2 + score_pool4c)
        score_pool3c = _crop(self.score_pool3(pool3), POOL3_CROP_OFFSET, upscore_pool4.shape[2], upscore_pool4.shape[3])
        upscore8 = self.upscore8(upscore_pool4 + score_pool3c)
        return _crop(upscore8, FCN8S_OUTPUT_CROP_OFFSET, height, width)


class FCN8sAtOnce(FCN8s):
    """FCN-8s trained all at once from VGG16: pool4 ×0.01 and pool3 ×0.0001 before scoring."""

    pool4_scale = ATONCE_POOL4_SCALE
    pool3_scale = ATONCE_POOL3_SCALE
