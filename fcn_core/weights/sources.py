"""Where each registry model's weights can be downloaded from (URLs and published checksums).

Facts only, each from its publisher:
- Caffe releases: the ``caffemodel-url`` file of each net in shelhamer/fcn.berkeleyvision.org
  (``voc-fcn8s``, ``voc-fcn16s``, ``voc-fcn32s``, ``voc-fcn8s-atonce``). The authors publish no
  checksum. For ``fcn8s-heavy-pascal.caffemodel`` an md5 is published by wkentaro/fcn (its
  ``download_fcn8s_caffemodel``) and by OpenCV's test-data list, and we check it; for the
  other three none is published, so ``sha256=None`` and the downloader logs what it computed.
- pytorch-fcn: the ``download()`` of ``torchfcn/models/fcn*.py`` in wkentaro/pytorch-fcn (Google
  Drive links with md5). FCN-32s/16s/8s were re-uploaded (pytorch-fcn PR #162) with new links
  and md5s, which are the ones here; FCN-8s-at-once kept its original link and md5. Google
  Drive answers large files with a confirmation page, which the downloader follows
  (``confirmation_page.py``).
- torchvision: ``get_model_weights(name).COCO_WITH_VOC_LABELS_V1`` and
  ``VGG16_Weights.IMAGENET1K_V1`` (URL, mIoU and ``_file_size`` in MB; the file name carries the
  leading hex digits of the sha256, which torch.hub checks the same way). Written down here
  rather than read from torchvision at import, so that listing models never imports torchvision;
  a test checks every row against the installed torchvision.

``WeightSource`` lives here, not in the registry: the registry reads these tables, and nothing
here reads the registry, so the two import in either order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlparse

from fcn_core.models.normalization import CAFFE_BGR, IMAGENET_RGB, Normalization

WeightFormat = Literal["caffemodel", "pytorch-fcn", "torchvision", "checkpoint"]


@dataclass(frozen=True)
class WeightSource:
    """One downloadable weight file for a model.

    ``sha256`` is checked in full; where only an md5 is published (pytorch-fcn) that is
    checked instead; torchvision publishes the leading hex digits of the sha256 in the file
    name (``sha256_prefix``). ``normalization`` is the input these weights were trained on.
    """

    key: str
    url: str
    filename: str
    format: WeightFormat
    normalization: Normalization
    description: str
    sha256: str | None = None
    sha256_prefix: str | None = None
    md5: str | None = None
    size_bytes: int | None = None


CAFFE_BASE_URL = "http://dl.caffe.berkeleyvision.org/"

_CAFFE_RELEASES: dict[str, tuple[str, str | None, str]] = {
    # model: (file name, md5 or None, what the authors report)
    "fcn8s": ("fcn8s-heavy-pascal.caffemodel", "c03b2953ebd846c270da1a8e8f200c09", "65.5 mIU on seg11valid"),
    "fcn16s": ("fcn16s-heavy-pascal.caffemodel", None, "65.0 mIU on seg11valid"),
    "fcn32s": ("fcn32s-heavy-pascal.caffemodel", None, "63.6 mIU on seg11valid"),
    "fcn8s-atonce": ("fcn8s-atonce-pascal.caffemodel", None, "65.4 mIU on seg11valid"),
}

_PYTORCH_FCN_RELEASES: dict[str, tuple[str, str, str]] = {
    # model: (file name, Google Drive id, md5)
    "fcn8s": ("fcn8s_from_caffe.pth", "1ieXWyoG68xqoHJPWdyrDyaIaaWlfmUxI", "de93e540ec79512f8770033849c8ae89"),
    "fcn16s": ("fcn16s_from_caffe.pth", "1bctu58B6YH9bu6lBBSBB2rUeGlGhYLoP", "a2d4035f669f09483b39c9a14a0d6670"),
    "fcn32s": ("fcn32s_from_caffe.pth", "11k2Q0bvRQgQbT6-jYWeh6nmAsWlSCY3f", "d3eb467a80e7da0468a20dfcbc13e6c8"),
    "fcn8s-atonce": ("fcn8s-atonce_from_caffe.pth", "0B9P1L--7Wd2vblE1VUIxV1o2d2M", "bfed4437e941fef58932891217fe6464"),
}

TORCHVISION_BASE_URL = "https://download.pytorch.org/models/"

TORCHVISION_RELEASES: dict[str, tuple[str, float | None, float]] = {
    # builder or weights name: (file name, mIoU on COCO val2017 with VOC labels, file size in MB)
    "fcn_resnet50": ("fcn_resnet50_coco-1167a1af.pth", 60.5, 135.009),
    "fcn_resnet101": ("fcn_resnet101_coco-7ecb50ca.pth", 63.7, 207.711),
    "deeplabv3_resnet50": ("deeplabv3_resnet50_coco-cd0a2569.pth", 66.4, 160.515),
    "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large-fc3c493d.pth", 60.3, 42.301),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large-d234d4ea.pth", 57.9, 12.49),
    "vgg16": ("vgg16-397923af.pth", None, 527.796),
}

_HUB_HASH = re.compile(r"-([a-f0-9]+)\.")
"""torch.hub's convention: ``name-<sha256 prefix>.ext``."""


def _caffe_source(model_name: str) -> WeightSource:
    filename, md5, score = _CAFFE_RELEASES[model_name]
    checksum = "md5 published by wkentaro/fcn and OpenCV" if md5 else "no checksum published"
    return WeightSource(
        key="caffe",
        url=CAFFE_BASE_URL + filename,
        filename=filename,
        format="caffemodel",
        normalization=CAFFE_BGR,
        description=f"original Caffe release (Long, Shelhamer & Darrell), {score}; {checksum}",
        md5=md5,
    )


def _pytorch_fcn_source(model_name: str) -> WeightSource:
    filename, drive_id, md5 = _PYTORCH_FCN_RELEASES[model_name]
    return WeightSource(
        key="pytorch-fcn",
        url=f"https://drive.google.com/uc?id={drive_id}",
        filename=filename,
        format="pytorch-fcn",
        normalization=CAFFE_BGR,
        description="pytorch-fcn conversion of the Caffe release (wkentaro/pytorch-fcn, Google Drive; md5 published)",
        md5=md5,
    )


def vgg_fcn_sources(model_name: str) -> tuple[WeightSource, ...]:
    """The Caffe release first (a plain HTTP file), then the pytorch-fcn copy."""
    if model_name not in _CAFFE_RELEASES:
        return ()
    return (_caffe_source(model_name), _pytorch_fcn_source(model_name))


def hub_sha256_prefix(url: str) -> str | None:
    """The sha256 prefix in a torch.hub-style file name, if any."""
    match = _HUB_HASH.search(PurePosixPath(urlparse(url).path).name)
    return match.group(1) if match else None


def torchvision_sources(model_name: str) -> tuple[WeightSource, ...]:
    """torchvision's COCO-with-VOC-labels checkpoint for a segmentation builder."""
    filename, miou, _ = TORCHVISION_RELEASES[model_name]
    return (
        _torchvision_source(
            filename,
            f"torchvision COCO_WITH_VOC_LABELS_V1, {miou} mIoU on COCO val2017 (VOC labels); "
            "sha256 prefix in the file name",
        ),
    )


def vgg16_imagenet_source() -> WeightSource:
    """torchvision's VGG16 ImageNet classifier (``IMAGENET1K_V1``): the FCN training init."""
    filename, _, _ = TORCHVISION_RELEASES["vgg16"]
    return _torchvision_source(filename, "VGG16 ImageNet (torchvision IMAGENET1K_V1), used to initialise FCN training")


def _torchvision_source(filename: str, description: str) -> WeightSource:
    size_mb = next(size for name, _, size in TORCHVISION_RELEASES.values() if name == filename)
    url = TORCHVISION_BASE_URL + filename
    return WeightSource(
        key="torchvision",
        url=url,
        filename=filename,
        format="torchvision",
        normalization=IMAGENET_RGB,
        description=description,
        sha256_prefix=hub_sha256_prefix(url),
        size_bytes=int(size_mb * 1_000_000),  # torchvision's MB are 10^6 bytes, rounded: approximate
    )
