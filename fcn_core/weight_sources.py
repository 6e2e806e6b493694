"""Where each registry model's weights can be downloaded from (URLs and published checksums).

Filled in by the weights work (issue 2); until then no sources are listed.
"""

from __future__ import annotations

from fcn_core.models.registry import WeightSource


def vgg_fcn_sources(model_name: str) -> tuple[WeightSource, ...]:
    return ()


def torchvision_sources(model_name: str) -> tuple[WeightSource, ...]:
    return ()
