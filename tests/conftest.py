"""Shared fixtures: a tiny ONNX classifier and a tiny ImageNet folder, made once per session.

Both come from mlperf_tui.assets' generators (deterministic from the seed), into a session
temporary cache folder, so tests never touch the user's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

#: images in the tiny ImageNet folder (enough for a performance sample count and MultiStream)
TINY_IMAGENET_COUNT = 64


@dataclass(frozen=True)
class TinyAssets:
    model: Path
    dataset: Path
    #: a cache folder for preprocessed samples, shared by the session's runs
    cache_dir: Path
    count: int


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory: pytest.TempPathFactory) -> TinyAssets:
    from mlperf_tui.assets import synthetic_imagenet, synthetic_model

    root = tmp_path_factory.mktemp("assets")
    model = synthetic_model("tiny", seed=0, cache_dir=root)
    dataset = synthetic_imagenet(TINY_IMAGENET_COUNT, seed=0, cache_dir=root)
    return TinyAssets(model, dataset, root / "preprocessed", TINY_IMAGENET_COUNT)
