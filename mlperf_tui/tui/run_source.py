"""Where the run monitor's events come from: the runner, or a recorded stream (tests, demos).

A source knows the plan (run ids, labels, limits from the rules) and runs it in a worker
thread, calling ``on_event(run_id, event)`` for every harness event and ``on_log(line)`` for
log lines; it stops early when ``cancel`` is set and returns the results object (or None).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from mlperf_tui.run.forecast import RunLimits, limits_for

EventCallback = Callable[[str, Mapping[str, Any]], None]
LogCallback = Callable[[str], None]


class RunSource(Protocol):
    @property
    def plan(self) -> Sequence[tuple[str, str]]:
        """(run id, label) of every planned run, in order."""
        ...

    @property
    def limits(self) -> Mapping[str, RunLimits]:
        """What each run must reach, by run id."""
        ...

    def run(self, on_event: EventCallback, on_log: LogCallback, cancel: threading.Event) -> Any:
        """Run (or replay) the plan; return the results or None."""
        ...


class ReplaySource:
    """Replays a recorded ``.jsonl`` stream: one harness event per line plus its ``run_id``.

    ``pace`` scales the recorded ``t`` gaps into real waits (0 = as fast as possible).
    """

    def __init__(
        self,
        path: Path,
        plan: Sequence[tuple[str, str]] | None = None,
        limits: Mapping[str, RunLimits] | None = None,
        pace: float = 0.0,
        results: Any = None,
        hold: bool = False,
    ) -> None:
        self.path = path
        self.records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if plan is None:
            seen: dict[str, str] = {}
            for rec in self.records:
                seen.setdefault(rec["run_id"], rec["run_id"])
            plan = list(seen.items())
        self.plan = plan
        self.limits = dict(limits or {})
        self.pace = pace
        self.results = results
        #: after the last event, wait for a cancel (a run still going when the recording ends)
        self.hold = hold

    def run(self, on_event: EventCallback, on_log: LogCallback, cancel: threading.Event) -> Any:
        last_t: float | None = None
        for rec in self.records:
            if cancel.is_set():
                on_log("cancelled")
                return None
            run_id = rec["run_id"]
            event = {k: v for k, v in rec.items() if k != "run_id"}
            if self.pace > 0:
                t = float(event.get("t", 0.0))
                if last_t is not None and t > last_t:
                    cancel.wait((t - last_t) * self.pace)
                last_t = t
            if event.get("event") == "log":
                on_log(f"[{run_id}] {event.get('line', '')}")
            else:
                on_event(run_id, event)
        if self.hold:
            cancel.wait()
            on_log("cancelled")
            return None
        return self.results


class RunnerSource:
    """Runs a profile with :mod:`mlperf_tui.runner` (assets, timing, plan, harness children)."""

    def __init__(self, profile_path: Path, results_root: Path | None = None) -> None:
        from mlperf_tui import run as runner
        from mlperf_tui.profile import load_profile

        self.profile_path = profile_path
        self.profile = load_profile(profile_path)
        self.results_root = results_root
        # the pre-flight check refuses a run the machine has no room for, before anything starts
        checked = runner.preflight(
            self.profile, profile_path=profile_path, results_root=results_root
        )
        error = checked.error()
        if error is not None:
            raise error
        if self.profile.harness == "import":
            # another harness's logs: the import's plan (its checks refuse here, not mid-run)
            plan = runner.prepare(self.profile, profile_path=profile_path).plan
        else:
            plan = runner.plan_runs(self.profile)
        self.plan = [(r.run_id, r.run_id) for r in plan]
        self.limits = limits_for(self.profile, plan)

    def run(self, on_event: EventCallback, on_log: LogCallback, cancel: threading.Event) -> Any:
        from mlperf_tui import run as runner

        last_label: list[str] = [""]
        imported = self.profile.harness == "import"

        def forward(ev: Any) -> None:
            kind = ev.kind
            if kind == "harness":
                on_event(str(ev.run_id), ev.data)
            elif kind == "run_start":
                on_event(
                    str(ev.run_id),
                    {
                        "event": "phase",
                        "phase": "starting",
                        "message": f"run {ev.index + 1}/{ev.total}",
                    },
                )
            elif kind == "assets":
                data = ev.data
                label, done, total = str(data.get("label")), data.get("done"), data.get("total")
                if label != last_label[0] or done == total:  # not one line per image
                    last_label[0] = label
                    on_log(f"{label}: {done}" + (f"/{total}" if total else ""))
            elif kind == "message":
                on_log(str(ev.data.get("text", "")))
            elif kind == "run_end" and ev.result is not None and imported:
                # an imported run has no harness child to report its result: its record does
                on_event(str(ev.run_id), _result_event(ev.result))
            elif kind == "run_end" and ev.result is not None and not ev.result.ok:
                on_log(f"[{ev.run_id}] {ev.result.status}: {ev.result.message}")
            elif kind == "done":
                on_log(f"results: {ev.data.get('folder')}")

        prepared = runner.prepare(self.profile, profile_path=self.profile_path, on_event=forward)
        # the timed model changes the targets and estimates: hand the UI the new limits
        on_event("", {"event": "limits", "limits": limits_for(self.profile, prepared.plan)})
        if cancel.is_set():
            return None
        return runner.execute(
            prepared.plan,
            self.profile,
            prepared.resolved,
            results_root=self.results_root,
            on_event=forward,
            cancel=cancel,
            profile_path=self.profile_path,
        )


def _result_event(result: Any) -> dict[str, Any]:
    """A run's result as the harness's ``result`` event gives it (status, LoadGen's verdict
    and metric, the accuracy), for a run no harness child reported."""
    return {
        "event": "result",
        "status": result.status,
        "message": result.message,
        "loadgen": {
            "result_valid": result.valid,
            "metric_name": result.metric_name,
            "metric_value": result.metric_value,
            "metric_unit": result.metric_unit,
        },
        "accuracy": {"metric": result.accuracy_metric or "acc", "value": result.accuracy},
    }


def runner_source(profile_path: Path) -> RunSource:
    return RunnerSource(profile_path)
