"""The checks of one run the import takes (the list in :mod:`mlperf_tui.importer.check`).

:func:`check_run` checks a chosen run's logs against the benchmark, the round and the
profile, adding every problem to the findings; the run's own warnings go to its
:class:`~mlperf_tui.importer.common.Accepted`, its accuracy plan too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.loadgen_logs import ACCURACY_LOG, SUMMARY_LOG
from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.importer.accuracy import (
    AccuracyPlan,
    dataset_words,
    needs_script,
    needs_tokenizer,
    read_accuracy_txt,
    reference_script,
)
from mlperf_tui.importer.common import (
    Accepted,
    Collect,
    Context,
    bench_names,
    conf_lines,
    user_conf_of,
)
from mlperf_tui.importer.discover import ACCURACY_TXT, VERIFY_FILES, FoundRun
from mlperf_tui.rules.model import Execution, Mode

__all__ = ["check_run"]

#: LoadGen errors the official checker tolerates (its ignore_uncommited list)
_TOLERATED_ERRORS = ("Loadgen built with uncommitted changes!", "Multiple conf files are used")


def _named_benchmark(model: str, version: str) -> str | None:
    try:
        return rules.get_benchmark(model, version).name
    except MlperfTuiError:
        return None


def _check_benchmark(c: Collect, run: FoundRun, ctx: Context) -> None:
    bench, version = ctx.bench, ctx.round.version
    names = bench_names(bench)
    conf = user_conf_of(run, ctx)
    lines: list[tuple[str, str, str]] = []
    if conf is not None:
        try:
            lines = conf_lines(conf.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            c.error("import.unreadable", conf, f"cannot read it ({exc})", "check its permissions")
    models = {m.lower() for m, _, _ in lines if m != "*"}
    names_bench: bool | None = None
    if models:
        names_bench = bool(models & names)
        if not names_bench and conf is not None:
            others = sorted({_named_benchmark(m, version) or m for m in models})
            c.error(
                "import.wrong-benchmark",
                conf,
                f"the harness's user.conf sets LoadGen's settings of {', '.join(others)}, not "
                f"of {bench.name} (LoadGen model {bench.loadgen_model})",
                f"import these logs as --benchmark {others[0]}, or point SOURCE at the logs "
                f"of {bench.name}",
            )
    detail = run.folder / "mlperf_log_detail.txt"
    if bench.llm and run.detail.get("requested_use_token_latencies") is not True:
        c.error(
            "import.wrong-benchmark",
            detail,
            f"LoadGen did not measure token latencies, which its mlperf.conf turns on for "
            f"{bench.loadgen_model}: these are not the logs of the LLM benchmark {bench.name} "
            "(or the harness turned use_token_latencies off)",
            f"run the benchmark under LoadGen's model name {bench.loadgen_model} with token "
            "latencies reported, or import the logs with the --benchmark they are of",
        )
    psc = run.detail.get("effective_performance_sample_count")
    needed = bench.performance_sample_count
    if not isinstance(psc, int) or psc == needed:
        return
    overridden = any(
        key == "performance_sample_count_override" and (m == "*" or m.lower() in names)
        for m, _, key in lines
    )
    if overridden or names_bench:
        c.notice(
            "import.performance-sample-count",
            detail,
            f"the run used {psc} performance samples; the rules' count for {bench.name} is "
            f"{needed}",
            "a valid submission loads the rules' count (do not override it in user.conf)",
        )
        return
    others = [
        b.name
        for b in ctx.round.benchmarks.values()
        if b.performance_sample_count == psc and b.name != bench.name
    ]
    if others:
        c.error(
            "import.wrong-benchmark",
            detail,
            f"the performance sample count {psc} is the one LoadGen's mlperf.conf sets for "
            f"{', '.join(others)}, not {bench.name}'s {needed}: these look like logs of "
            f"{others[0]}",
            f"import them as --benchmark {others[0]}; if the harness overrode the count "
            f"itself, pass the user.conf it used with --user-conf FILE",
        )
    else:
        c.warning(
            "import.performance-sample-count",
            detail,
            f"the run used {psc} performance samples; the rules' count for {bench.name} is "
            f"{needed} (the official checker refuses fewer)",
            "run the benchmark with the rules' performance sample count",
        )


def _seeds_of_round(found: Mapping[str, Any]) -> str | None:
    """The round whose seeds these are, when it is another one."""
    for version in rules.ROUNDS:
        seeds = rules.get_round(version).seeds
        if all(found.get(n) == getattr(seeds, n) for n in found):
            return version
    return None


def _check_seeds(c: Collect, run: FoundRun, ctx: Context) -> None:
    found = {k: v for k, v in (run.figures.get("seeds") or {}).items() if v is not None}
    want = ctx.round.seeds
    wrong = [
        f"{n} {v} (the round's: {getattr(want, n)})"
        for n, v in found.items()
        if v != getattr(want, n)
    ]
    if not wrong:
        return
    other = _seeds_of_round(found)
    hint = (
        f"these are the seeds of {other}: import with --round {other}, or run again with "
        f"mlcommons-loadgen of {ctx.round.version}"
        if other
        else f"do not set seeds in user.conf; run again with mlcommons-loadgen of "
        f"{ctx.round.version}, whose mlperf.conf carries the round's seeds"
    )
    c.error(
        "import.seeds",
        run.folder / "mlperf_log_detail.txt",
        f"the run used other RNG seeds than {ctx.round.version}: " + "; ".join(wrong),
        hint,
    )


def _loadgen_errors(run: FoundRun) -> tuple[list[str], list[str]]:
    """LoadGen's errors that fail a result, and those the official checker tolerates."""
    failing: list[str] = []
    tolerated: list[str] = []
    for e in run.detail.errors:
        text = f"{e.key}: {e.value}"
        (tolerated if any(t in str(e.value) for t in _TOLERATED_ERRORS) else failing).append(text)
    return failing, tolerated


def _check_validity(c: Collect, run: FoundRun, ctx: Context, accepted: Accepted) -> None:
    detail = run.folder / "mlperf_log_detail.txt"
    failing, tolerated = _loadgen_errors(run)
    for text in tolerated:
        accepted.warnings.append(f"LoadGen: {text}")
    if failing:
        shown = "; ".join(failing[:3]) + (
            f" (+{len(failing) - 3} more)" if len(failing) > 3 else ""
        )
        message = f"LoadGen logged {len(failing)} error(s): {shown}"
        if ctx.allow_invalid:
            c.warning("import.loadgen-error", detail, message + " (kept: --allow-invalid)", "")
            accepted.warnings.append(message)
        else:
            c.error(
                "import.loadgen-error",
                detail,
                message,
                "fix the cause LoadGen names and run the test again; --allow-invalid imports "
                "it anyway, marked",
            )
    if run.compliance_test is not None or run.mode != "performance":
        return
    validity = run.figures.get("result_validity")
    if validity == "VALID":
        return
    reason = run.figures.get("invalid_reason") or "LoadGen gives no reason"
    message = f"LoadGen marked the performance run {validity or 'without a verdict'}: {reason}"
    if ctx.allow_invalid:
        c.warning("import.invalid", detail, message + " (kept: --allow-invalid)", "")
        accepted.warnings.append(message)
    else:
        c.error(
            "import.invalid",
            detail,
            message,
            "run the performance test again until LoadGen says VALID (the summary's "
            "recommendations say how); --allow-invalid imports it anyway, marked INVALID",
        )


def _check_execution(c: Collect, run: FoundRun, ctx: Context) -> None:
    """A valid import of logs that were not run with the rules' settings: say so up front."""
    if ctx.profile.execution != Execution.VALID or ctx.bench.single_pass:
        return
    min_ms = run.detail.get("effective_min_duration_ms")
    if isinstance(min_ms, int | float) and min_ms < ctx.round.min_duration_ms:
        c.warning(
            "import.short-run",
            run.folder / "mlperf_log_detail.txt",
            f"the performance run asked LoadGen for {min_ms / 1e3:g} s at least, not the "
            f"rules' {ctx.round.min_duration_ms / 1e3:g} s: the package will not be "
            "submittable",
            "run the benchmark with the rules' settings, or import with --execution test",
        )


def _check_accuracy(c: Collect, run: FoundRun, ctx: Context, accepted: Accepted) -> None:
    from harness.accuracy_log import read_responses
    from harness.errors import HarnessError

    bench, scenario = ctx.bench, accepted.scenario
    log = run.files.get(ACCURACY_LOG)
    if log is None:
        c.error(
            "import.accuracy-log",
            run.folder,
            "the accuracy run has no mlperf_log_accuracy.json",
            "copy LoadGen's mlperf_log_accuracy.json of the accuracy run beside its other logs",
        )
        return
    try:
        entries = sum(1 for _ in read_responses(log, "uint8"))
    except HarnessError as exc:
        if _truncated_by_package(log):
            c.error(
                "import.accuracy-log",
                log,
                "this is a submission package's truncated accuracy log (the first and last "
                "4 KiB of it): it cannot be checked or scored, and its hash is not the log's",
                "import the harness's own, whole mlperf_log_accuracy.json of the accuracy run",
            )
            return
        message = exc.message.removeprefix(f"{log}: ").removeprefix(f"{log} ")
        c.error("import.accuracy-log", log, message, exc.fix)
        return
    expected = run.detail.get("effective_accuracy_sample_count") or run.detail.get(
        "qsl_reported_total_count"
    )
    if isinstance(expected, int) and expected and entries < expected:
        c.warning(
            "import.accuracy-log",
            log,
            f"the accuracy log holds {entries} responses; LoadGen issued {expected}",
            "copy the whole mlperf_log_accuracy.json of the accuracy run",
        )
    plan = AccuracyPlan()
    txt = run.files.get(ACCURACY_TXT)
    metrics = [t.metric for t in bench.accuracy_for(scenario)]
    if txt is not None:
        values = read_accuracy_txt(
            txt.read_text(encoding="utf-8", errors="replace"), bench, scenario
        )
        missing = [m for m, v in values.items() if v is None]
        if not missing:
            plan.values = {m: float(v) for m, v in values.items() if v is not None}
            accepted.accuracy = plan
            return
        plan.note = (
            f"the harness's accuracy.txt has no {', '.join(missing)} line the official checker "
            "reads"
        )
    task = needs_script(bench)
    why = plan.note or "the accuracy run has no accuracy.txt"
    if task is None:
        c.error(
            "import.accuracy-unscored",
            txt or run.folder,
            f"{why}, and mlperf-tui has no accuracy script of its own for {bench.name}",
            f"score mlperf_log_accuracy.json with {reference_script(bench)} on the "
            f"{dataset_words(bench)} data set, put its output in accuracy.txt beside the log "
            f"({' and '.join(metrics)} as the checker reads them) and import again",
        )
        return
    if ctx.accuracy_dataset is None:
        c.error(
            "import.accuracy-unscored",
            txt or run.folder,
            f"{why}; mlperf-tui scores it with its own {bench.name} accuracy script, which "
            "needs the data set",
            f"add --accuracy-dataset PATH: the {dataset_words(bench)} the run used",
        )
        return
    if needs_tokenizer(bench) and ctx.accuracy_tokenizer is None:
        c.error(
            "import.accuracy-unscored",
            txt or run.folder,
            f"{why}; mlperf-tui scores it with its own {bench.name} accuracy script, which "
            "needs the model's tokenizer to read the token ids back",
            "add --accuracy-tokenizer DIR (the model's folder holding tokenizer.json) and "
            f"--accuracy-dataset PATH (the {dataset_words(bench)})",
        )
        return
    plan.task = task
    plan.dataset = ctx.accuracy_dataset
    plan.tokenizer = ctx.accuracy_tokenizer
    accepted.accuracy = plan


def _truncated_by_package(log: Path) -> bool:
    """Whether an accuracy log is cut as truncate_accuracy_log.py cuts it in a package."""
    try:
        with log.open("rb") as fh:
            fh.seek(max(0, log.stat().st_size // 2 - 8192))
            middle = fh.read(16384)
    except OSError:
        return False
    return b"\n\n...\n\n" in middle


def _check_audit(c: Collect, run: FoundRun, test: str) -> None:
    detail = run.folder / "mlperf_log_detail.txt"
    # TEST04 repeats one sample; the others log sampled responses in performance mode
    expected = "TEST04" if test == "TEST04" else "sampling"
    if not run.audited or (run.audit_kind is not None and run.audit_kind != expected):
        c.error(
            "import.audit",
            detail,
            f"the {test} run's detail log shows no audit.config of {test}: LoadGen ran it as an "
            "ordinary test" + (" (or with another test's)" if run.audit_kind else ""),
            f"copy {test}'s audit.config (compliance/{test}/ of mlcommons/inference) into the "
            "folder the harness runs from, run the test again and import its logs",
        )


def check_run(c: Collect, run: FoundRun, ctx: Context, accepted: Accepted) -> None:
    if not run.logs:
        # a verification script's output: the audit run it judged is not in the source
        if not any(n in run.files for n in VERIFY_FILES):
            c.error(
                "import.missing-file",
                run.folder,
                f"the {accepted.compliance_test} folder holds no verification output",
                "run the compliance test's run_verification.py and import its output folder",
            )
        return
    if SUMMARY_LOG not in run.files:
        c.error(
            "import.missing-file",
            run.folder,
            "mlperf_log_summary.txt is missing beside mlperf_log_detail.txt",
            "copy both LoadGen logs of the run (the package needs the summary too)",
        )
    if (
        run.role in ("performance", "accuracy")
        and run.compliance_test is None
        and run.role != run.mode
    ):
        c.error(
            "import.wrong-mode",
            run.folder,
            f"the folder says {run.role}, but LoadGen ran it in {run.loadgen_mode} mode",
            f"put the {run.mode} run's logs in a {run.mode} folder, or run the {run.role} "
            "test again",
        )
    if run.detail.bad_lines:
        c.error(
            "import.unreadable",
            run.folder / "mlperf_log_detail.txt",
            f"{run.detail.bad_lines} :::MLLOG lines do not parse: the log is truncated or edited",
            "copy mlperf_log_detail.txt again from the run, unmodified",
        )
    _check_benchmark(c, run, ctx)
    _check_seeds(c, run, ctx)
    _check_validity(c, run, ctx, accepted)
    if accepted.compliance_test is not None:
        _check_audit(c, run, accepted.compliance_test)
    elif accepted.mode == Mode.ACCURACY.value:
        _check_accuracy(c, run, ctx, accepted)
        _check_outputs(c, run, ctx)
    else:
        _check_execution(c, run, ctx)


def _check_outputs(c: Collect, run: FoundRun, ctx: Context) -> None:
    """The generated outputs the round's checker wants beside the accuracy run (SDXL's
    images/, Wan's videos/: the file stems of the samples it names)."""
    for folder, stems in ctx.bench.accuracy_extra_files.items():
        where = run.folders.get(folder)
        have = {p.name.split(".")[0] for p in where.iterdir()} if where is not None else set()
        missing = [s for s in stems if s not in have]
        if missing:
            c.error(
                "import.accuracy-outputs",
                where or run.folder,
                f"{ctx.bench.name} in {ctx.round.version} needs the outputs of samples "
                f"{', '.join(stems)} in {folder}/ beside the accuracy run"
                + (f"; missing: {', '.join(missing)}" if where is not None else ""),
                f"save them with the accuracy script ({reference_script(ctx.bench)} writes them "
                f"when asked for the compliance outputs) into {run.folder / folder}",
            )
