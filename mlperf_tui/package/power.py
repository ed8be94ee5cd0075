"""A power result in the package: the session's folders and the nameplate-power YAML.

A performance run measured for power (:mod:`mlperf_tui.run.power_run`) holds the testing run's
LoadGen logs with ``spl.txt``, the ranging run in ``ranging/`` and the session in ``power/``.
The checker wants, per scenario (constants.py REQUIRED_PERF_POWER_FILES, REQUIRED_POWER_FILES)::

    performance/run_1/   mlperf_log_summary.txt mlperf_log_detail.txt spl.txt
    performance/ranging/ mlperf_log_summary.txt mlperf_log_detail.txt spl.txt
    performance/power/   client.json client.log ptd_logs.txt server.json server.log

exactly those: the client's ``ptd_out.txt`` is not copied (the checker's file lists are exact).
The files are copied byte for byte: client.json and server.json hold their sha1.

From v6.1 a system with a power result has a nameplate-power YAML beside its systems JSON
(``systems/<system>_power.yaml``; checks/system_check.py nameplate_power_check sums the
``PowerCapacityWatts`` of each component's ``Min PSUs Needed`` largest ``PSUs``). It is written
from the profile's answer ``system.power_supply_quantity_and_rating_watts`` ("2x 1600W", or
"2x 1600W (1+1)" where one is redundant); without that answer no YAML is written and the
validator says what to answer (``system.nameplate-power``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlperf_tui.errors import PackageError
from mlperf_tui.rules import power as pw
from mlperf_tui.rules.checker import PERFORMANCE_FILES, POWER_FILES, POWER_RUN_FILES
from mlperf_tui.rules.checker import POWER_DIR as POWER
from mlperf_tui.rules.checker import RANGING_DIR as RANGING

#: "2x 1600W", "2 x 1600 W", "1x750W (1+1)", "2 x 1.6 kW"
_PSUS = re.compile(
    r"(?P<count>\d+)\s*[x×]\s*(?P<rating>\d+(?:\.\d+)?)\s*(?P<unit>k?W)\b", re.IGNORECASE
)
_REDUNDANT = re.compile(r"\b(?P<needed>\d+)\s*\+\s*(?P<spare>\d+)\b")


def is_power_run(folder: Path) -> bool:
    """A run folder that holds a power session (its ranging and power folders)."""
    return (folder / POWER).is_dir() and (folder / RANGING).is_dir()


def copy_power_session(run_folder: Path, performance_dir: Path) -> None:
    """The run's spl.txt into performance/run_1, its ranging and power folders beside it."""
    pairs = [(run_folder / name, performance_dir / "run_1" / name) for name in POWER_RUN_FILES] + [
        (run_folder / RANGING / name, performance_dir / RANGING / name)
        for name in (*PERFORMANCE_FILES, *POWER_RUN_FILES)
    ]
    pairs += [(run_folder / POWER / name, performance_dir / POWER / name) for name in POWER_FILES]
    for src, dst in pairs:
        if not src.is_file():
            raise PackageError(
                f"{src} is missing (the power session of {run_folder.name})",
                "run the profile again: the power client did not leave the session's files",
            )
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)


def power_supplies(answer: str) -> tuple[list[float], int] | None:
    """(each PSU's watts, how many are needed) from an answer like "2x 1600W (1+1)"; None
    when the answer does not say how many supplies of how many watts."""
    found = _PSUS.search(answer)
    if found is None:
        return None
    count = int(found["count"])
    watts = float(found["rating"]) * (1000 if found["unit"].lower() == "kw" else 1)
    if count <= 0 or watts <= 0:
        return None
    needed = count
    redundant = _REDUNDANT.search(answer[found.end() :])
    if redundant is not None and 0 < int(redundant["needed"]) <= count:
        needed = int(redundant["needed"])
    return [watts] * count, needed


def nameplate_yaml(answers: Mapping[str, str], system_id: str) -> str | None:
    """The nameplate-power YAML of ``system_id`` from the systems-JSON answers, None when
    they do not say what power supplies the system has."""
    import yaml

    answer = answers.get(pw.POWER_SUPPLY_FIELD, "")
    supplies = power_supplies(str(answer))
    if supplies is None:
        return None
    watts, needed = supplies
    doc = {
        system_id: {
            pw.NAMEPLATE_PSUS: [
                {pw.NAMEPLATE_CAPACITY: int(w) if w.is_integer() else w} for w in watts
            ],
            pw.NAMEPLATE_MIN_PSUS: needed,
        }
    }
    header = (
        f"# Nameplate power of {system_id}, written by mlperf-tui from the systems JSON's\n"
        f"# {pw.POWER_SUPPLY_FIELD}: {answer}\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False)


def nameplate_path(round_version: str, submitter_dir: Path, system_id: str) -> Path | None:
    """Where the round wants the nameplate YAML (None: the round has none)."""
    template = pw.NAMEPLATE_POWER_PATHS.get(round_version)
    return None if template is None else submitter_dir / template.format(system=system_id)


def any_power(folders: Iterable[Path]) -> bool:
    return any(is_power_run(f) for f in folders)
