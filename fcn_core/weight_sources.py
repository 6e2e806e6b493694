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
  Drive may answer large files with a confirmation page; the downloader detects that and says
  to fetch the file in a browser and import it.
- torchvision: ``get_model_weights(name).COCO_WITH_VOC_LABELS_V1`` (URL; the file name carries
  the leading hex digits of the sha256, which torch.hub checks the same way).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import urlparse

from torchvision.models import VGG16_Weights, get_model_weights

from fcn_core.models.registry import WeightSource
from fcn_core.normalization import CAFFE_BGR, IMAGENET_RGB

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
    weights = get_model_weights(model_name).COCO_WITH_VOC_LABELS_V1
    metrics = weights.meta.get("_metrics", {}).get("COCO-val2017-VOC-labels", {})
    score = f", {metrics['miou']} mIoU on COCO val2017 (VOC labels)" if "miou" in metrics else ""
    return (
        WeightSource(
            key="torchvision",
            url=weights.url,
            filename=PurePosixPath(urlparse(weights.url).path).name,
            format="torchvision",
            normalization=IMAGENET_RGB,
            description=f"torchvision COCO_WITH_VOC_LABELS_V1{score}; sha256 prefix in the file name",
            sha256_prefix=hub_sha256_prefix(weights.url),
            size_bytes=_size_bytes(weights.meta),
        ),
    )


def vgg16_imagenet_source() -> WeightSource:
    """torchvision's VGG16 ImageNet classifier (``IMAGENET1K_V1``): the FCN training init."""
    weights = VGG16_Weights.IMAGENET1K_V1
    return WeightSource(
        key="torchvision",
        url=weights.url,
        filename=PurePosixPath(urlparse(weights.url).path).name,
        format="torchvision",
        normalization=IMAGENET_RGB,
        description="VGG16 ImageNet (torchvision IMAGENET1K_V1), used to initialise FCN training",
        sha256_prefix=hub_sha256_prefix(weights.url),
        size_bytes=_size_bytes(weights.meta),
    )


def _size_bytes(meta: dict) -> int | None:
    """torchvision records ``_file_size`` in MB (10^6 bytes), rounded; only approximate."""
    size_mb = meta.get("_file_size")
    return int(size_mb * 1_000_000) if isinstance(size_mb, (int, float)) else None
