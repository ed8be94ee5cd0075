"""Each scenario's measurements: measurements.json (v6.x) or measurements/<system>/... (v4.x-v5.x).

Mirrors the official checker's checks/measurements_checks.py (directory_exist_check,
required_files_check, required_fields_check) and loader.py's get_measurement_path (the first
<system>..._<scenario>.json of the folder); an undetermined value mlperf-tui wrote is a warning.
"""

from __future__ import annotations

from pathlib import Path

from mlperf_tui.rules.checker import MEASURE_FILES, MEASUREMENT_FIELDS
from mlperf_tui.validate.context import _Ctx, _files, _load_json, _require_files
from mlperf_tui.validate.findings import _Findings

NOT_DETERMINED = "not determined"


def _measurements_json(f: _Findings, ctx: _Ctx) -> Path | None:
    """The measurements JSON the checker reads for the scenario (None: reported missing)."""
    folder = ctx.measurements_dir
    if ctx.layout.measurements_in_results:
        path = folder / "measurements.json"
        if path.is_file():
            return path
        f.error(
            "tree.missing-file",
            path,
            "measurements.json is missing",
            "rebuild the package; it writes the model's data types and weights file name",
        )
        return None
    if not folder.is_dir():
        f.error(
            "tree.missing-folder",
            folder,
            f"round {ctx.round_rules.version} keeps each scenario's measurements in "
            f"measurements/{ctx.system}/{ctx.bench_folder}/{ctx.scenario}/, which is missing "
            "(the official checker stops on it)"
            + (
                "; the results folder holds a measurements.json, the v6.x place"
                if (ctx.scenario_dir / "measurements.json").is_file()
                else ""
            ),
            f"create it with {ctx.system}_{ctx.scenario}.json, user.conf and README.md",
        )
        return None
    # the checker's get_measurement_path: the first file named <system>..._<scenario>.json,
    # or else <system>...json
    for name in _files(folder):
        if name.startswith(ctx.system) and name.endswith(".json"):
            return folder / name
    f.error(
        "tree.missing-file",
        folder / f"{ctx.system}_{ctx.scenario}.json",
        f"measurements/{ctx.system}/{ctx.bench_folder}/{ctx.scenario}/ has no "
        f"{ctx.system}_{ctx.scenario}.json",
        "write the model's data types and weights file name there",
    )
    return None


def _check_measurements(f: _Findings, ctx: _Ctx, *, endpoints: bool = False) -> None:
    path = _measurements_json(f, ctx)
    if ctx.measurements_dir.is_dir():
        # the endpoints tool has no user.conf (the checker does not ask for one there)
        needed = [n for n in MEASURE_FILES if not (endpoints and n == "user.conf")]
        _require_files(f, ctx.measurements_dir, needed, ctx.scenario)
    if path is None:
        return
    try:
        data = _load_json(path)
    except (OSError, ValueError) as exc:
        f.error("measurements.unreadable", path, f"not valid JSON ({exc})", "rebuild the package")
        return
    if not isinstance(data, dict):
        f.error("measurements.unreadable", path, "not a JSON object", "rebuild the package")
        return
    for key in MEASUREMENT_FIELDS:
        if key not in data:
            f.error(
                "measurements.missing-field",
                path,
                f"field {key} is missing",
                f'add "{key}" (the checker requires {", ".join(MEASUREMENT_FIELDS)})',
            )
        elif not data[key]:
            f.error(
                "measurements.empty-field",
                path,
                f"field {key} is empty",
                f'give "{key}" a meaningful value (e.g. "No" for retraining)',
            )
        elif isinstance(data[key], str) and data[key].startswith(NOT_DETERMINED):
            f.warning(
                "measurements.undetermined",
                path,
                f"{key}: {data[key]}",
                f"write the real value of {key} (e.g. fp32, int8)",
            )
