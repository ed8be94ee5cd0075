"""The pre-flight check: what a profile's runs will need against what this machine has.

Computed from the profile alone, before any asset is generated, downloaded or preprocessed and
before the model is timed (the plan's estimates are then the rule of thumb's, unless a
calibration is given), and it writes nothing. Three kinds of item:

- ``disk``, one per filesystem (folders that share one, by ``st_dev``, are added up; a folder
  not yet created counts on its nearest existing parent): the asset cache (the stand-in model,
  the generated data set, downloads, the preprocessed samples; what the keyed cache already
  holds counts as nothing), the results folder (LoadGen's logs per planned run, the accuracy
  logs, compliance runs) and the package, against ``shutil.disk_usage``'s free space less a
  margin (:data:`DISK_MARGIN_FRACTION` of the filesystem, at most :data:`DISK_MARGIN_MAX_BYTES`);
- ``memory``: what one harness child holds (LoadGen's performance sample count in the sample
  store, the model in ONNX Runtime, the interpreter) against the memory available now;
- ``time``: each planned run's estimate and the total, and the one-off work (generating a
  stand-in data set, preprocessing samples) where the benchmark's registry entry has a rule
  of thumb;
- ``power`` (a profile with a ``power:`` block): the power-dev checkout, the director's power
  server and the clocks (:mod:`mlperf_tui.run.preflight.power`);
- ``machines`` (a Ray backend or the network division): the cluster and whether the replicas
  fit, or each SUT node's service (:mod:`mlperf_tui.run.preflight.machines`); these and the
  power items are the only ones that reach another machine.

An item is ``ok``, a ``shortage`` (with a fix naming concrete options), ``unknown`` (a size
that cannot be learnt, such as a download whose server does not say it: never a failure, and
said so) or ``info`` (an estimate with nothing to compare it with). :meth:`Preflight.error` is
the :class:`~mlperf_tui.errors.EnvironmentProblem` that refuses a run with a shortage; both
front ends (``run --headless`` and the wizard's review step) call :func:`preflight`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import benchmarks, rules
from mlperf_tui.run.calibrate import Calibration
from mlperf_tui.run.plan import plan_runs
from mlperf_tui.run.preflight.items import (
    _disk_items,
    _Fixes,
    _memory_item,
    _provider_item,
    _time_items,
)
from mlperf_tui.run.preflight.machines import MachinesCheck, machines_items
from mlperf_tui.run.preflight.model import (
    DISK_MARGIN_FRACTION,
    DISK_MARGIN_MAX_BYTES,
    HEAD_TIMEOUT_S,
    STATUS_INFO,
    STATUS_OK,
    STATUS_SHORTAGE,
    STATUS_UNKNOWN,
    DiskUse,
    Preflight,
    PreflightItem,
    available_memory,
    format_duration,
)
from mlperf_tui.run.preflight.power import Probe, power_items
from mlperf_tui.run.preflight.sizes import (
    _dataset_asset,
    _dataset_size,
    _model_asset,
    _preprocessed,
    _results_uses,
)
from mlperf_tui.run.settings import TEST_SETTINGS, TestSettings

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = [
    "DISK_MARGIN_FRACTION",
    "DISK_MARGIN_MAX_BYTES",
    "STATUS_INFO",
    "STATUS_OK",
    "STATUS_SHORTAGE",
    "STATUS_UNKNOWN",
    "DiskUse",
    "Preflight",
    "PreflightItem",
    "available_memory",
    "format_duration",
    "preflight",
]


def _head(url: str) -> tuple[int | None, str]:
    from mlperf_tui.assets import content_length

    return content_length(url, HEAD_TIMEOUT_S)


def preflight(
    profile: Profile,
    *,
    profile_path: Path | None = None,
    cache_dir: Path | None = None,
    results_root: Path | None = None,
    package_dir: Path | None = None,
    calibration: Calibration | None = None,
    short: TestSettings = TEST_SETTINGS,
    head: Callable[[str], tuple[int | None, str]] | None = None,
    cores: int | None = None,
    power_probe: Probe | None = None,
    machines_check: MachinesCheck | None = None,
) -> Preflight:
    """What the profile's runs will need against what this machine has (writes nothing).

    ``cache_dir``, ``results_root`` and ``package_dir`` are those the run will get (None: the
    defaults: $MLPERF_TUI_CACHE or the user cache; the profile's ``output`` or ./results; the
    results folder's ``package``). ``head(url) -> (bytes or None, why)`` learns a download's
    size (an HTTP HEAD by default); ``cores`` sizes the one-off work's estimates (None: this
    machine's physical cores). With a ``power:`` block, the power items
    (:mod:`~mlperf_tui.run.preflight.power`) probe the director (``power_probe``: the
    probe, :func:`mlperf_tui.power.director.probe` by default). A Ray or network profile's
    machines (:mod:`~mlperf_tui.run.preflight.machines`) are checked with ``machines_check``
    (:func:`~mlperf_tui.run.preflight.machines.check_machines` by default).
    """
    from mlperf_tui.assets import CACHE_ENV, cache_root
    from mlperf_tui.run.execute import results_root_for

    if profile.harness == "import" or profile.assets is None:
        # another harness produced the results: nothing of ours runs (prepare says so)
        note = f"harness: {profile.harness}: mlperf-tui runs nothing itself"
        item = PreflightItem("time", "nothing to check", None, None, STATUS_INFO, note=note)
        return Preflight((item,), (), 0)
    assets = profile.assets
    rules_round = rules.get_round(profile.round)
    bench = rules.get_benchmark(profile.benchmark, rules_round.version)
    entry = benchmarks.require(bench.name, rules_round.benchmarks, harness=profile.harness)
    ds = entry.dataset
    model = entry.model(assets.model.kind)
    head = head or _head
    cache = Path(os.path.abspath(cache_root(cache_dir)))
    results = results_root_for(profile, results_root, profile_path)
    # the package goes into the (new) results folder unless --out names another
    package = Path(os.path.abspath(package_dir)) if package_dir else results

    model_asset = _model_asset(profile, entry, cache, profile_path, head)
    data_asset = _dataset_asset(profile, entry, cache, profile_path, head)
    size = _dataset_size(profile, entry, data_asset.path, bench.dataset_size)
    plan = plan_runs(profile, rules_round, calibration=calibration, dataset_size=size, short=short)
    prep_use, to_preprocess = _preprocessed(entry, model, data_asset.path, cache, size)
    generating = 0
    if assets.dataset.source == "synthetic" and data_asset.path is not None:
        generating = 0 if (data_asset.path / ds.marker).is_file() else size

    uses: list[tuple[str, DiskUse]] = [("cache", u) for u in (*model_asset.uses, *data_asset.uses)]
    uses.append(("cache", prep_use))
    outputs = _results_uses(plan, bench.loadgen_model, ds.response_bytes, results, package)
    uses += [("package" if u.what == "package" else "results", u) for u in outputs]
    roles: dict[str, Path] = {"cache": cache, "results": results}
    if package_dir is not None:
        roles["package"] = package
    else:
        uses = [("results" if role == "package" else role, u) for role, u in uses]

    fixes = _Fixes(
        profile=profile,
        dataset_size=size,
        rules_size=bench.dataset_size,
        loaded_per_sample=ds.loaded_sample_bytes or ds.sample_bytes,
        performance_sample_count=bench.performance_sample_count,
        cache_env=CACHE_ENV,
    )
    items = _disk_items(roles, uses, fixes)
    provider = _provider_item(profile)
    if provider is not None:
        items.append(provider)
    items += power_items(profile, profile_path, power_probe)
    items += machines_items(profile, machines_check)
    items.append(
        _memory_item(
            entry, bench.performance_sample_count, size, model_asset.size, available_memory(), fixes
        )
    )
    items += _time_items(plan, entry, generating, to_preprocess, calibration, cores)
    return Preflight(tuple(items), tuple(plan), size)
