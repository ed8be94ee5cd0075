"""The accuracy/ folder: file list, the accuracy run's log, hash= of the accuracy log, the targets.

Mirrors the official checker's checks/accuracy_check.py (accuracy_result_check,
accuracy_json_check, dataset_check, extra_files_check, loadgen_errors_check), with the patterns
of constants.py's ACCURACY_PATTERNS (kept in mlperf_tui.rules.checker); the endpoints tool's
accuracy scores reuse :func:`_check_accuracy_values` and :func:`_check_dataset_size`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlperf_tui.rules.checker import ACCURACY_FILES, ACCURACY_PATTERNS
from mlperf_tui.validate.context import (
    _as_float,
    _as_int,
    _Ctx,
    _files,
    _linked,
    _read_text,
    _require_files,
)
from mlperf_tui.validate.findings import _Findings
from mlperf_tui.validate.hygiene import _extra_files
from mlperf_tui.validate.logs import _check_seeds, _detail, _loadgen_errors

_HASH_RE = re.compile(r"^hash=([\w\d]+)$")


def _metric_value(lines: Iterable[str], pattern: str) -> float | None:
    for line in lines:
        m = re.match(pattern, line)
        if m:
            return _as_float(m.group(1))
    return None


def _check_accuracy_values(
    f: _Findings,
    txt: Path,
    values: Mapping[str, float | None],
    ctx: _Ctx,
    readable: bool,
    only: set[str] | None = None,
) -> None:
    """Accuracy gates of the folder's scenario (the checker's get_accuracy_values); ``only``:
    the metrics to judge (an endpoints score may name a few)."""
    strict = ctx.strict
    bench = ctx.bench
    for target in bench.accuracy_for(ctx.scenario):
        if only is not None and target.metric not in only:
            continue
        if target.metric not in values:
            f.warning(
                "accuracy.metric-missing",
                txt,
                f"mlperf-tui cannot read the {target.metric} metric of {bench.name}",
                "check the accuracy by hand against the official checker",
            )
            continue
        value = values[target.metric]
        if value is None:
            (f.error if strict and readable else f.warning)(
                "accuracy.metric-missing",
                txt,
                f"{txt.name} holds no {target.metric} value the checker can read",
                "score the accuracy log with the benchmark's accuracy script and rebuild",
            )
            continue
        if target.threshold is not None and value < target.threshold:
            message = (
                f"{target.metric} {value:g} is below the target {target.threshold:g} "
                f"({target.fraction:g} x {target.reference:g})"
            )
            if strict:
                f.error(
                    "accuracy.below-target",
                    txt,
                    message,
                    "the closed division needs the accuracy target; use the reference model "
                    "and its weights, or submit in open",
                )
            else:
                f.notice(
                    "accuracy.below-target",
                    txt,
                    message + " (the open division does not require it)",
                    "none needed in open",
                )
        if target.upper_limit is not None and value > target.upper_limit:
            (f.error if strict else f.notice)(
                "accuracy.above-limit",
                txt,
                f"{target.metric} {value:g} is above the upper limit {target.upper_limit:g}",
                "check the model's outputs",
            )


def _check_dataset_size(f: _Findings, path: Path, found: int | None, ctx: _Ctx) -> None:
    if not ctx.round_rules.checks_dataset_size:
        return
    expected = ctx.bench.accuracy_samples(ctx.scenario)
    if found != expected:
        f.error(
            "accuracy.dataset-size",
            path,
            f"the accuracy run covered {found} samples, not the whole data set "
            f"({expected} for {ctx.bench.name} {ctx.scenario})",
            "run accuracy mode on the whole data set (execution: valid, no dataset count)",
        )


def _check_extra_accuracy_files(f: _Findings, acc_dir: Path, ctx: _Ctx) -> None:
    """The checker's REQUIRED_ACC_BENCHMARK: SDXL's images, Wan's videos (file stems)."""
    for folder, stems in ctx.bench.accuracy_extra_files.items():
        where = acc_dir / folder
        have = {name.split(".")[0] for name in _files(where)} if where.is_dir() else set()
        missing = [s for s in stems if s not in have]
        if not where.is_dir() or missing:
            f.error(
                "accuracy.extra-files",
                where,
                f"{ctx.bench.name} in {ctx.round_rules.version} needs accuracy/{folder}/ with the "
                f"outputs of samples {', '.join(stems)}"
                + (
                    f"; missing: {', '.join(missing)}"
                    if where.is_dir()
                    else "; the folder is missing"
                ),
                f"copy the generated outputs of those samples into accuracy/{folder}/ "
                "(the benchmark's accuracy script saves them)",
            )


def _check_accuracy(f: _Findings, acc_dir: Path, ctx: _Ctx) -> None:
    round_rules = ctx.round_rules
    present = set(_require_files(f, acc_dir, ACCURACY_FILES, "accuracy run"))
    _extra_files(
        f,
        acc_dir,
        ACCURACY_FILES,
        "accuracy/",
        "keep LoadGen's accuracy logs and accuracy.txt there (and the folders the benchmark "
        "needs, e.g. SDXL's images/)",
    )
    detail = acc_dir / "mlperf_log_detail.txt"
    if "mlperf_log_detail.txt" in present:
        log = _detail(f, detail)
        if log is not None:
            _loadgen_errors(f, detail, log)
            mode = log.get("effective_test_mode")
            if mode not in (None, "AccuracyOnly"):
                f.error(
                    "log.mode-mismatch",
                    detail,
                    f"this is a {mode} log, but accuracy/ needs an AccuracyOnly run",
                    "copy the accuracy run's logs here",
                )
            _check_seeds(f, detail, log, round_rules)
            # the checker prefers effective_accuracy_sample_count (LoadGen 6 logs it)
            found = _as_int(
                log.get("effective_accuracy_sample_count")
                if log.get("effective_accuracy_sample_count") is not None
                else log.get("qsl_reported_total_count")
            )
            _check_dataset_size(f, detail, found, ctx)
    log_path = acc_dir / "mlperf_log_accuracy.json"
    if log_path.is_file() and log_path.stat().st_size > round_rules.max_accuracy_log_bytes:
        f.error(
            "accuracy.log-too-large",
            log_path,
            f"mlperf_log_accuracy.json is {log_path.stat().st_size} bytes; the checker allows "
            f"{round_rules.max_accuracy_log_bytes} (it must be truncated)",
            "rebuild the package (mlperf-tui truncates it and records hash= of the full log), "
            "or run the official truncate_accuracy_log.py",
        )
    _check_extra_accuracy_files(f, acc_dir, ctx)
    txt = acc_dir / "accuracy.txt"
    if "accuracy.txt" not in present:
        return
    lines = (_read_text(txt) or "").splitlines()
    hashes = [m.group(1) for line in lines if (m := _HASH_RE.match(line.strip()))]
    if not hashes:
        f.error(
            "accuracy.hash-missing",
            txt,
            "accuracy.txt has no hash= line (the sha256 of the full mlperf_log_accuracy.json)",
            "rebuild the package from the results (it appends hash=), keeping the full log",
        )
    elif (
        log_path.is_file()
        and not _linked(log_path)
        and log_path.stat().st_size <= round_rules.max_accuracy_log_bytes
    ):
        data = log_path.read_bytes()
        if b"\n\n...\n\n" not in data and hashlib.sha256(data).hexdigest() != hashes[-1]:
            f.error(
                "accuracy.hash-mismatch",
                txt,
                "hash= does not match mlperf_log_accuracy.json (which is not truncated)",
                "rebuild the package from the run's own accuracy log",
            )
    values = {
        t.metric: _metric_value(lines, ACCURACY_PATTERNS[t.metric])
        for t in ctx.bench.accuracy_for(ctx.scenario)
        if t.metric in ACCURACY_PATTERNS
    }
    _check_accuracy_values(f, txt, values, ctx, readable=True)
