"""Why a package mlperf-tui built cannot be submitted: ``package.test-execution`` and
``package.synthetic-assets``.

No checker source has this: the official checker sees only the broken rules. The package's
build manifest (mlperf_tui.package.package_info) and the mark in the systems JSON's sw_notes
say a package was built from `test` execution runs or synthetic assets; the findings those
explain are folded into one finding each, which lists the rules they break.
"""

from __future__ import annotations

from pathlib import Path

from mlperf_tui.validate.context import _load_json
from mlperf_tui.validate.findings import CheckResult, _Findings

#: findings that `test` execution explains (short runs, a data-set subset), folded into
#: package.test-execution; and those that synthetic assets explain
_TEST_EXPLAINED = frozenset(
    {
        "log.min-duration",
        "log.min-queries",
        "log.offline-min-samples",
        "log.performance-sample-count",
        "log.inferred-estimate-missing",
        "accuracy.dataset-size",
        "compliance.failed",
    }
)
_SYNTHETIC_EXPLAINED = frozenset({"accuracy.below-target", "accuracy.above-limit"})


def _fold_not_submittable(f: _Findings, root: Path) -> None:
    from mlperf_tui.package import NOT_SUBMITTABLE_MARK, package_info

    info = package_info(root)
    test = info is not None and info.execution not in ("", "valid")
    synthetic = info is not None and info.synthetic
    marked = False
    for system_json in root.glob("*/*/systems/*.json"):
        try:
            data = _load_json(system_json)
        except (OSError, ValueError):
            continue
        notes = data.get("sw_notes") if isinstance(data, dict) else None
        if isinstance(notes, str) and notes.startswith(NOT_SUBMITTABLE_MARK):
            marked = True
            test = test or "test execution" in notes
            synthetic = synthetic or "synthetic assets" in notes
    if not (test or synthetic or marked):
        return
    kept: list[CheckResult] = []
    test_items: list[CheckResult] = []
    synthetic_items: list[CheckResult] = []
    for item in f.items:
        if test and item.id in _TEST_EXPLAINED:
            test_items.append(item)
        elif synthetic and item.id in _SYNTHETIC_EXPLAINED:
            synthetic_items.append(item)
        else:
            kept.append(item)
    f.items = kept
    where = info.code_dir if info else ""
    if test:
        broken = sorted({i.message for i in test_items})
        detail = (" It breaks these rules: " + "; ".join(broken) + ".") if broken else ""
        f.error(
            "package.test-execution",
            where,
            "not submittable: built from runs in test execution (short runs for trying things, "
            "not the rules' settings)." + detail,
            "set execution: valid in the profile, run it again and rebuild the package",
        )
    if synthetic:
        broken = sorted({i.message for i in synthetic_items})
        detail = (" " + "; ".join(broken) + ".") if broken else ""
        f.error(
            "package.synthetic-assets",
            where,
            "not submittable: built from synthetic assets (a generated stand-in model with "
            "random weights and/or a generated data set), so its accuracy means nothing." + detail,
            "point the profile's assets at the real model (the benchmark's reference model, "
            "or for an engine the folder of the model it serves; mlperf-tui rules BENCHMARK "
            "names it) and the real data set, run again and rebuild",
        )
