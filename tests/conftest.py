"""Shared fixtures: a tiny ONNX classifier and a tiny ImageNet folder, made once per session.

Both come from mlperf_tui.assets' generators (deterministic from the seed), into a session
temporary cache folder, so tests never touch the user's cache. The run history
(mlperf_tui.history) goes to a temporary data folder of each test (of the session, for the
session's fixtures), so no test writes into the user's data folder.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# tests/fixtures holds builders shared by several test folders (package_fixtures, ...)
sys.path.insert(0, str(Path(__file__).with_name("fixtures")))

#: images in the tiny ImageNet folder (enough for a performance sample count and MultiStream)
TINY_IMAGENET_COUNT = 64


#: the environment variable of the user data folder (mlperf_tui.history.DATA_ENV)
DATA_ENV = "MLPERF_TUI_DATA"
_DATA_FOLDERS = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _session_data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data folder of the session's fixtures (set before any of them runs a replay)."""
    root = tmp_path_factory.mktemp("data")
    before = os.environ.get(DATA_ENV)
    os.environ[DATA_ENV] = str(root / "session")
    yield root
    if before is None:
        os.environ.pop(DATA_ENV, None)
    else:
        os.environ[DATA_ENV] = before


@pytest.fixture(autouse=True)
def _test_data_folder(_session_data_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data folder of the test's own (created only when something writes there)."""
    monkeypatch.setenv(DATA_ENV, str(_session_data_folder / f"test-{next(_DATA_FOLDERS)}"))


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
