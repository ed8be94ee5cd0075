"""Shared fixtures: a tiny ONNX classifier and a tiny ImageNet folder, made once per session.

Both come from mlperf_tui.assets' generators (deterministic from the seed), into a session
temporary cache folder, so tests never touch the user's cache.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# tests/fixtures holds builders shared by several test folders (package_fixtures, ...)
sys.path.insert(0, str(Path(__file__).with_name("fixtures")))

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
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    root = tmp_path_factory.mktemp("assets")
    entry = benchmarks.require("resnet50")
    model = synthetic_model(entry, "tiny", seed=0, cache_dir=root)
    dataset = synthetic_dataset(entry, TINY_IMAGENET_COUNT, seed=0, cache_dir=root)
    return TinyAssets(model, dataset, root / "preprocessed", TINY_IMAGENET_COUNT)


@pytest.fixture(scope="session")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good packages (closed and open) built once from real LoadGen runs; never modify them."""
    import package_fixtures

    return package_fixtures.good_packages(tmp_path_factory.getbasetemp() / "mlperf-tui-packages")


@pytest.fixture
def pkg(good: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the good closed package, to corrupt in one way."""
    import package_fixtures

    return package_fixtures.copy_tree(good["closed"], tmp_path / "pkg")
