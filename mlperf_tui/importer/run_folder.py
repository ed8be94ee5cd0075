"""What an imported run's folder holds besides the copied logs, and the results folder's
measurements and system.

:class:`RunWriter` copies a run's files byte for byte and lists where each came from; the
helpers here make what :func:`~mlperf_tui.importer.record.record` writes beside them: the
compliance verdict of an audit run, the accuracy run's accuracy.txt (the harness's, or scored
here), result.json, the classification kept in IMPORT.json, measurements.json and system.json.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.loadgen_logs import ACCURACY_LOG
from mlperf_tui import compliance
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.importer.accuracy import score
from mlperf_tui.importer.common import Accepted, ImportPlan, ImportRefused
from mlperf_tui.importer.discover import ACCURACY_TXT, VERIFY_FILES
from mlperf_tui.importer.request import ImportRequest
from mlperf_tui.results import STATUS_OK, RunResult
from mlperf_tui.rules.checker import MEASUREMENT_FIELDS, PASS_LINE, TEST06_PASS_LINES
from mlperf_tui.rules.model import Benchmark
from mlperf_tui.validate.findings import CheckResult

__all__ = [
    "RunWriter",
    "accuracy_of",
    "accuracy_writer_of",
    "classified_of",
    "compliance_of",
    "measurements_of",
    "result_of",
    "system_of",
]

#: what measurements.json says of a field nobody gave (the validator warns about it)
_NOT_GIVEN = "not determined: {what} was not given to mlperf-tui import ({option})"
_MEASUREMENT_OPTIONS: Mapping[str, str] = {
    "starting_weights_filename": "--weights-filename",
    "retraining": "--retraining",
    "input_data_types": "--input-data-types",
    "weight_data_types": "--weight-data-types",
    "weight_transformations": "--weight-transformations",
}


def _copy(src: Path, dst: Path) -> dict[str, Any]:
    """Copy ``src`` byte for byte, hashing it on the way; its provenance entry."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(1 << 20):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
    shutil.copystat(src, dst)
    return {"name": "", "from": str(src), "sha256": digest.hexdigest(), "bytes": size}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _generated(path: Path, base: Path, how: str) -> dict[str, Any]:
    return {
        "name": path.relative_to(base).as_posix(),
        "generated": how,
        "sha256": _sha256(path),
        "bytes": path.stat().st_size,
    }


class RunWriter:
    """One run's folder: copies, generated files and the provenance list."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[dict[str, Any]] = []
        folder.mkdir(parents=True)

    def copy(self, src: Path, name: str) -> Path:
        dst = self.folder / name
        entry = _copy(src, dst)
        entry["name"] = name
        self.files.append(entry)
        return dst

    def copy_tree(self, src: Path, name: str) -> None:
        for item in sorted(src.rglob("*")):
            if item.is_file() and not any(p.startswith(".") for p in item.relative_to(src).parts):
                self.copy(item, f"{name}/{item.relative_to(src).as_posix()}")

    def generated(self, path: Path, how: str) -> None:
        self.files = [
            f for f in self.files if f["name"] != path.relative_to(self.folder).as_posix()
        ]
        self.files.append(_generated(path, self.folder, how))


def _verify_lines_pass(test: str, texts: list[str]) -> bool:
    """Whether a compliance verification script's output says the test passed."""
    lines = [ln.strip() for t in texts for ln in t.splitlines()]
    if test == "TEST06":
        return all(any(p in lines for p in alternatives) for alternatives in TEST06_PASS_LINES)
    return bool(texts) and all(PASS_LINE in t.splitlines() for t in (x.strip() for x in texts))


def compliance_of(
    item: Accepted,
    writer: RunWriter,
    done: Mapping[tuple[str, str], Path],
    accuracy_writer: compliance.AccuracyWriter | None,
) -> tuple[dict[str, Any], list[str]]:
    """The compliance verdict of an imported audit run: the harness's verification output
    when it left one, else mlperf-tui's verification (TEST01, TEST04), else "not verified"."""
    test = str(item.compliance_test)
    run = item.found
    have = [n for n in VERIFY_FILES if n in run.files]
    if have:
        texts = []
        for name in have:
            texts.append(run.files[name].read_text(encoding="utf-8", errors="replace"))
            writer.copy(run.files[name], name)
        if "accuracy" in run.folders:
            writer.copy_tree(run.folders["accuracy"], "accuracy")
        passed = _verify_lines_pass(test, texts)
        return {
            "test": test,
            "passed": passed,
            "messages": [] if passed else [f"the harness's {test} verification does not pass"],
            "files": have,
            "verified_by": "the harness's verification output",
        }, []
    perf = done.get((item.scenario, "performance"))
    acc = done.get((item.scenario, "accuracy"))
    if test in compliance.VERIFIERS and perf is not None and (test == "TEST04" or acc):
        if test == "TEST01":
            assert acc is not None
            verdict = compliance.verify_test01(
                accuracy_run=acc,
                performance_run=perf,
                audit_run=writer.folder,
                out_dir=writer.folder,
                accuracy_writer=accuracy_writer,
            )
        else:
            verdict = compliance.verify_test04(
                performance_run=perf, audit_run=writer.folder, out_dir=writer.folder
            )
        notes = [] if verdict.passed else [f"{test} does not pass: " + "; ".join(verdict.messages)]
        for p in verdict.files:
            if Path(p).is_file():
                writer.generated(Path(p), f"mlperf-tui's {test} verification")
        scored = writer.folder / "accuracy" / ACCURACY_TXT
        if test == "TEST01" and not scored.is_file() and (writer.folder / "accuracy").is_dir():
            if ACCURACY_TXT in run.files:
                # the harness scored its audit run: the checker wants that score there
                writer.copy(run.files[ACCURACY_TXT], f"accuracy/{ACCURACY_TXT}")
                verdict.files.append(scored)
            else:
                notes.append(
                    "TEST01/accuracy needs the audit run's accuracy.txt, which mlperf-tui cannot "
                    "score for this benchmark: "
                    "score its mlperf_log_accuracy.json with the benchmark's accuracy script and "
                    "put accuracy.txt beside the audit run's logs"
                )
        out = verdict.to_dict()
        out["files"] = [str(Path(p).relative_to(writer.folder)) for p in verdict.files]
        out["verified_by"] = "mlperf-tui"
        return out, notes
    note = (
        f"{test} is not verified: the harness left no verify_accuracy.txt, and mlperf-tui "
        f"verifies only {', '.join(compliance.VERIFIERS)}"
    )
    return {"test": test, "passed": False, "messages": [note], "files": []}, [note]


def accuracy_of(
    item: Accepted, writer: RunWriter, item_bench: Benchmark
) -> tuple[str | None, float | None]:
    """accuracy.txt of an accuracy run: the harness's, or scored here; its headline metric."""
    plan = item.accuracy
    if plan is None:
        return None, None
    if not plan.scored:
        writer.copy(item.found.files[ACCURACY_TXT], ACCURACY_TXT)
        metric, value = next(iter(plan.values.items()), (None, None))
        return metric, value
    from harness.errors import HarnessError

    assert plan.task is not None and plan.dataset is not None
    out = writer.folder / ACCURACY_TXT
    try:
        metric, value = score(
            plan.task,
            writer.folder / ACCURACY_LOG,
            plan.dataset,
            out,
            bench=item_bench,
            tokenizer=plan.tokenizer,
        )
    except HarnessError as exc:
        raise ImportRefused(
            item.found.folder,
            [CheckResult("import.accuracy-score", "error", "", exc.message, exc.fix)],
        ) from None
    writer.generated(
        out,
        f"scored by mlperf-tui's {plan.task} accuracy script from {ACCURACY_LOG} and the data "
        f"set {plan.dataset}",
    )
    if item.found.files.get(ACCURACY_TXT):
        writer.files.append(
            {"name": "accuracy.txt (the harness's, not used)", "from": str(item.found.files[ACCURACY_TXT]),
             "note": plan.note}
        )  # fmt: skip
    return metric, value


def result_of(item: Accepted, plan: ImportPlan, folder: Path, warnings: list[str]) -> RunResult:
    fig = item.found.figures
    res = RunResult(
        item.run_id,
        plan.bench.name,
        item.scenario,
        item.mode,
        item.compliance_test,
        STATUS_OK,
        folder,
        valid=item.valid if item.mode == "performance" else None,
        errors=[str(e) for e in fig.get("error_messages") or []],
        warnings=[str(w) for w in fig.get("warning_messages") or []],
        message="imported from "
        + str(item.found.folder)
        + ("; " + "; ".join(warnings) if warnings else ""),
    )
    if item.mode == "performance":
        res.metric_name = fig.get("metric_name")
        res.metric_value = fig.get("metric_value")
        res.metric_unit = fig.get("metric_unit")
        res.early_stopping_met = fig.get("early_stopping_met")
        p90 = (fig.get("percentiles_ns") or {}).get("90.00")
        res.p90_ms = None if p90 is None else round(float(p90) / 1e6, 3)
    return res


def classified_of(item: Accepted) -> dict[str, Any]:
    run, fig = item.found, item.found.figures
    return {
        "scenario": run.scenario,
        "mode": run.mode,
        "loadgen_mode": run.loadgen_mode,
        "compliance_test": run.compliance_test,
        "audit_config_found": run.audited,
        "folder_role": run.role,
        "result_validity": fig.get("result_validity"),
        "seeds": fig.get("seeds"),
        "loadgen_errors": fig.get("errors"),
        "loadgen_warnings": fig.get("warnings"),
        "loadgen_version": fig.get("loadgen_version"),
        "sut_name": run.detail.get("sut_name"),
        "qsl_name": run.detail.get("qsl_name"),
    }


def measurements_of(request: ImportRequest, plan: ImportPlan) -> tuple[dict[str, str], str]:
    """measurements.json's fields for the package: the options, else a measurements.json of
    the source (a submission-like tree), else "not determined" naming the option."""
    found: dict[str, str] = {}
    where = "the import options"
    for item in plan.runs:
        path = item.found.measurements
        if path is None:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found = {k: str(data[k]) for k in MEASUREMENT_FIELDS if data.get(k)}
            where = str(path)
            break
    out: dict[str, str] = {}
    for name in MEASUREMENT_FIELDS:
        value = request.measurements.get(name) or found.get(name)
        out[name] = value or _NOT_GIVEN.format(
            what=name.replace("_", " "), option=_MEASUREMENT_OPTIONS[name]
        )
    return out, where


def system_of(request: ImportRequest, plan: ImportPlan) -> tuple[dict[str, Any], str]:
    """system.json: a systems JSON of the machine the logs come from, this machine's detection
    when it ran them, else nothing (the logs say nothing about the machine)."""
    path = request.system_json or plan.systems_json
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MlperfTuiError(
                f"the systems JSON {path} cannot be read ({exc})",
                "pass the harness's systems/<system>.json with --system-json FILE",
            ) from None
        if not isinstance(data, dict):
            raise MlperfTuiError(f"{path} is not a JSON object", "pass a systems JSON file")
        out = {
            str(k): {"value": str(v), "status": "imported", "reason": f"from {path}"}
            for k, v in data.items()
            if isinstance(v, str | int | float | bool)
        }
        return out, str(path)
    if request.detect_system:
        from mlperf_tui.system import detect

        desc = detect()
        return {
            v.name: {"value": v.value, "status": str(v.status), "reason": v.reason}
            for v in desc.fields
        }, "detected on this machine"
    note = (
        "the logs say nothing about the machine that ran them: give its systems JSON with "
        "--system-json FILE, --detect-system when this machine ran them, or the profile's "
        "system: answers"
    )
    return {"_origin": {"value": "", "status": "not detected", "reason": note}}, "none"


def accuracy_writer_of(
    plan: ImportPlan, request: ImportRequest
) -> compliance.AccuracyWriter | None:
    """TEST01's accuracy of the audit run, when mlperf-tui can score the benchmark."""
    from mlperf_tui.importer.accuracy import needs_script

    task = needs_script(plan.bench)
    dataset = request.accuracy_dataset
    if task is None or dataset is None:
        return None

    def write(log: Path, out: Path) -> None:
        score(task, log, dataset, out, bench=plan.bench, tokenizer=request.accuracy_tokenizer)

    return write
