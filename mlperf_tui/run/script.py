"""The replay script: the exact commands behind a plan's runs, as a bash script.

:func:`replay_script` writes the prepared plan as a script that ``bash replay.sh [OUT]``
runs without this process and without the wizard or the runner: it checks the model and data
set it was written for (sha256 of a file; a folder's file names and sizes), writes the results
folder's files (profile.yaml, system.json, plan.json; per run user.conf, audit.config and
RUN.json), starts each harness child as the runner does (:func:`~mlperf_tui.run.child.
harness_command`: the same module, arguments, folder and environment), keeps its events and
log, and stops after a setup failure or a cancel as the runner does. mlperf-tui's own commands
then do the rest: ``mlperf-tui record`` (result.json per run, with the compliance verification,
and summary.json: :mod:`mlperf_tui.run.record`), ``mlperf-tui package`` and ``mlperf-tui
check``, and the official checker's command line when ``MLPERF_CHECKER`` names a checkout.

The script needs bash, coreutils and the Python of mlperf-tui's environment (``PYTHON``,
overridable). Files whose text is fixed are quoted heredocs; RUN.json, whose paths lie in the
script's OUT, is a template in which ``@RUN@`` stands for the run's folder, filled in and written
by the harness's own RUN.json codec. Nothing is ``eval``-ed.

Every results folder keeps its script (``replay.sh``, written by the runner before the first run;
the script copies itself into its own OUT), and a package's ``src/README.md`` quotes it.

:func:`failure_report` is ``--debug``'s view of a failed run: the same command, the environment
it ran with (no secrets) and the end of its log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shlex
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import PARENT_PID_ENV
from mlperf_tui import __version__, benchmarks, rules
from mlperf_tui.errors import ExitCode
from mlperf_tui.official import OfficialChecker
from mlperf_tui.results import (
    EVENTS,
    HARNESS_EXIT,
    HARNESS_STDERR,
    PLAN,
    PROFILE,
    REPLAY,
    RUN_CONFIG,
    RUNS,
    SYSTEM,
    json_text,
)
from mlperf_tui.run.child import ChildCommand, harness_command, run_config
from mlperf_tui.run.preflight import format_duration

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.results import RunResult
    from mlperf_tui.run.inputs import ResolvedAssets
    from mlperf_tui.run.plan import PlannedRun

#: the lines of a failed run's harness.stderr.log that the script and --debug show
LOG_TAIL_LINES = 40

#: in RUN.json's template: the run's folder (filled in by the script)
RUN_MARK = "@RUN@"

#: what --debug shows of the environment a failed child inherited, when set
DEBUG_ENV = (
    "PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MLPERF_TUI_CACHE",
)
#: a variable whose name holds one of these is never shown
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")

# markers of the script's variables in the commands it renders (never a real path: those
# are absolute)
_PY = "@PYTHON@"
_OUT = "@OUT@"
_PID = "@PID@"
_TOOLS = "@TOOLS@"
_SCRATCH = "@SCRATCH@"
_VARIABLES = {
    _PY: '"$PYTHON"',
    RUN_MARK: '"$run"',
    _OUT: '"$OUT"',
    _PID: '"$$"',
    _TOOLS: '"$tools"',
    _SCRATCH: '"$scratch"',
}

# the Python the script runs (no single quote in them: each is one single-quoted bash word)
_CHECK_PY = "import harness.config, mlperf_tui"
_LISTING_PY = (
    "import sys; from mlperf_tui.run.script import listing_digest; "
    "print(listing_digest(sys.argv[1]))"
)
_RUN_JSON_PY = f"""
import json, os, sys
from harness.config import parse_run_config
from harness.errors import HarnessError
run = os.path.abspath(sys.argv[1])
data = json.load(sys.stdin)
for key, value in data.items():
    if isinstance(value, str) and (value == "{RUN_MARK}" or value.startswith("{RUN_MARK}/")):
        data[key] = run + value[len("{RUN_MARK}"):]
try:
    parse_run_config(data).write(os.path.join(run, "{RUN_CONFIG}"))
except HarnessError as exc:
    sys.exit(f"replay: {{run}}/{RUN_CONFIG}: {{exc.message}} (fix: {{exc.fix}})")
"""

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def listing_digest(folder: Path | str) -> str:
    """The sha256 of a folder's listing: every file's path (relative, sorted) and size. What
    the script checks of a data set folder: reading every sample would take minutes."""
    root = Path(folder)
    lines = []
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            path = Path(top, name)
            lines.append(f"{path.relative_to(root).as_posix()}\t{path.stat().st_size}\n")
    text = "".join(sorted(lines))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _sha256(path: Path) -> str:
    from mlperf_tui.assets.download import sha256_file

    return sha256_file(path)


# -- bash words ----------------------------------------------------------------------------------


def _word(text: str) -> str:
    """``text`` as one bash word; a leading marker becomes the script's variable."""
    for mark, variable in _VARIABLES.items():
        if text == mark or text.startswith(mark + "/"):
            rest = text[len(mark) :]
            return variable + (shlex.quote(rest) if rest else "")
    return shlex.quote(text)


def _delimiter(text: str) -> str:
    delimiter = "MLPERF_TUI_EOF"
    lines = set(text.split("\n"))
    while delimiter in lines:
        delimiter += "_"
    return delimiter


def _write_file(target: str, text: str) -> str:
    """Bash that writes ``text`` to the file ``target`` (a bash word): a quoted heredoc, so
    nothing in the text is expanded; ``printf`` for a text without a final newline."""
    if not text.endswith("\n"):
        return f"printf '%s' {shlex.quote(text)} > {target}\n"
    return _feed(f"cat > {target}", text)


def _feed(command: str, text: str) -> str:
    """Bash that runs ``command`` with ``text`` (ending in a newline) on its standard input,
    as a quoted heredoc."""
    delimiter = _delimiter(text)
    return f"{command} <<'{delimiter}'\n{text}{delimiter}\n"


def env_command(
    command: ChildCommand,
    word: Callable[[str], str] = shlex.quote,
    *,
    pythonpath: str | None = None,
    skip: Sequence[str] = (),
) -> str:
    """The command as one shell line: ``env -C FOLDER VAR=VALUE ... python -m harness ...``
    (``env -C`` starts it in its folder and keeps this shell where it is). ``pythonpath`` is
    the PYTHONPATH word, when the runner sets one."""
    parts = ["env", "-C", word(str(command.cwd))]
    parts += [f"{k}={word(v)}" for k, v in command.settings().items() if k not in skip]
    if pythonpath is not None:
        parts.append(f"PYTHONPATH={pythonpath}")
    parts += [word(a) for a in command.argv]
    return " ".join(parts)


def _script_pythonpath(python_path: Sequence[Path]) -> str | None:
    """The PYTHONPATH word of the script's harness command: the plug-in paths before the
    caller's PYTHONPATH, as the runner sets it (:func:`~mlperf_tui.run.calibrate.child_env`)."""
    if not python_path:
        return None
    return shlex.quote(os.pathsep.join(str(p) for p in python_path)) + (
        '"${PYTHONPATH:+' + os.pathsep + '$PYTHONPATH}"'
    )


# -- the script ----------------------------------------------------------------------------------


def _describe(profile: Profile) -> str:
    return (
        f"{profile.benchmark}, {profile.division.value} {profile.category.value}; "
        f"{', '.join(s.value for s in profile.scenarios)}; "
        f"{', '.join(m.value for m in profile.modes)}; {profile.execution.value} execution"
    )


def _header(profile: Profile, profile_path: Path | None, now: datetime) -> str:
    where = str(_absolute(profile_path)) if profile_path else "(given in memory)"
    codes = (
        f"{int(ExitCode.OK)} when the package validates with no error; "
        f"{int(ExitCode.CHECK_FAILED)} when the validation finds one (a package in test "
        "execution or from synthetic stand-ins always has one: complete, not submittable); "
        f"{int(ExitCode.RUN_FAILED)} when a run failed (no package is built); "
        f"{int(ExitCode.CANCELLED)} when a run was cancelled (Ctrl-C); "
        f"{int(ExitCode.BAD_INPUT)} or {int(ExitCode.ENVIRONMENT)} when a check before the "
        "first run fails (nothing is written)."
    )
    lines = [
        "#!/usr/bin/env bash",
        "# replay.sh: the exact commands behind the runs of an mlperf-tui profile.",
        "#",
        f"#   profile:  {where}",
        f"#             {_describe(profile)}",
        f"#   written:  {now.isoformat(timespec='seconds')} by mlperf-tui {__version__}",
        "#",
        "# Run it with:  bash replay.sh [OUT]",
        "# OUT, a new or empty folder (default: ./mlperf-tui-replay-DATE-TIME), becomes a results",
        "# folder like the ones `mlperf-tui run` writes, with the package in OUT/package.",
        "#",
        "# It needs bash, coreutils and the Python of mlperf-tui's environment (PYTHON below;",
        "# PYTHON=... bash replay.sh uses another), not the wizard nor mlperf-tui's runner: each",
        "# LoadGen test is one `python -m harness run --config RUN.json` child, started as the",
        "# runner starts it. mlperf-tui's own commands then record the runs (mlperf-tui record),",
        "# build the package (mlperf-tui package) and validate it (mlperf-tui check; with",
        "# MLPERF_CHECKER=<an mlcommons/inference checkout>, the official checker too).",
        "#",
    ]
    lines += ["# " + line for line in _wrap("Exit code: " + codes, 94)]
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_on_hyphens=False)


def _absolute(path: Path) -> Path:
    return path.expanduser().resolve()


def _assets_fix(profile: Profile, profile_path: Path | None) -> str:
    again = (
        f"mlperf-tui run {shlex.quote(str(_absolute(profile_path)))} --dry-run > replay.sh"
        if profile_path
        else "mlperf-tui run PROFILE --dry-run > replay.sh (PROFILE: profile.yaml beside "
        "this script)"
    )
    a = profile.assets
    if a is not None and "synthetic" in (a.model.source, a.dataset.source):
        return f"regenerate the stand-ins and write the script again on this machine: {again}"
    return (
        "put back the model and data set the profile names, or write the script again for "
        f"the files there now: {again}"
    )


def _asset_checks(resolved: ResolvedAssets) -> list[str]:
    lines = []
    for what, path in (("the model", resolved.model_path), ("the data set", resolved.dataset_path)):
        if path.is_file():
            lines.append(f"check_file {shlex.quote(what)} {_word(str(path))} {_sha256(path)}")
        elif path.is_dir():
            lines.append(
                f"check_folder {shlex.quote(what)} {_word(str(path))} {listing_digest(path)}"
            )
        else:  # gone already: the script says so before anything is written
            lines.append(f"check_file {shlex.quote(what)} {_word(str(path))} missing")
    return lines


_FUNCTIONS = f"""\
fail() {{  # EXIT_CODE MESSAGE FIX: say what is wrong and what to do, then stop
  printf 'replay: %s\\n  fix: %s\\n' "$2" "$3" >&2
  exit "$1"
}}

check_file() {{  # WHAT PATH SHA256: the file this script was written for is there, unchanged
  [[ -f "$2" ]] || fail {int(ExitCode.BAD_INPUT)} "$1 $2 is missing" "$ASSETS_FIX"
  local sum
  sum="$(sha256sum < "$2")"
  sum="${{sum%% *}}"
  [[ "$sum" == "$3" ]] || fail {int(ExitCode.BAD_INPUT)} \\
    "$1 $2 has changed since this script was written (sha256 $sum, not $3)" "$ASSETS_FIX"
}}

check_folder() {{  # WHAT PATH DIGEST: the folder is there with the files (names, sizes) it had
  [[ -d "$2" ]] || fail {int(ExitCode.BAD_INPUT)} "$1 $2 is missing" "$ASSETS_FIX"
  local sum
  sum="$("$PYTHON" -c {shlex.quote(_LISTING_PY)} "$2")"
  [[ "$sum" == "$3" ]] || fail {int(ExitCode.BAD_INPUT)} \\
    "$1 $2 has changed since this script was written (its files' names or sizes)" "$ASSETS_FIX"
}}

write_run_json() {{  # RUN_FOLDER: RUN.json from the template on stdin ({RUN_MARK}: the folder),
  # checked and written by the harness's own RUN.json codec (harness.config)
  "$PYTHON" -c {shlex.quote(_RUN_JSON_PY)} "$1"
}}
"""


def _run_harness(python_path: Sequence[Path]) -> str:
    command = harness_command(Path(RUN_MARK), tuple(python_path), python=_PY, parent_pid=_PID)
    line = env_command(command, _word, pythonpath=_script_pythonpath(python_path))
    exit_json = '{"exit_code": %d, "duration_s": %d.%03d}\\n'
    return f"""\
run_harness() {{  # RUN_ID: the run's harness child, as mlperf-tui's runner starts it
  local run="$OUT/{RUNS}/$1" code=0 t0 t1 ms
  t0="$(date +%s%N)"
  {line} \\
    > "$run"/{EVENTS} 2> "$run"/{HARNESS_STDERR} < /dev/null || code=$?
  t1="$(date +%s%N)"
  ms=$(( (t1 - t0) / 1000000 ))
  printf '{exit_json}' "$code" $(( ms / 1000 )) $(( ms % 1000 )) > "$run"/{HARNESS_EXIT}
  if (( code != 0 )); then
    printf 'replay: %s failed (exit code %d); the end of its {HARNESS_STDERR}:\\n' "$1" "$code" >&2
    tail -n {LOG_TAIL_LINES} -- "$run"/{HARNESS_STDERR} >&2 || true
  fi
  # as the runner: after a setup failure (exit code 2) or a cancel no later run starts
  if (( code == 2 )); then STOP="$1 could not set up"; fi
  if (( code == {int(ExitCode.CANCELLED)} )); then STOP="$1 was cancelled"; fi
  return 0
}}
"""


_WORKLOAD = "@WORKLOAD@"
_LABEL = "@LABEL@"


def _run_power(profile: Profile, profile_path: Path | None, python_path: Sequence[Path]) -> str:
    """The bash function of a power run: the harness child of :func:`_run_harness` as the
    official power client's workload (mlperf_tui.run.power_run: the same shell command the
    runner gives the client), the client's whole output kept for ``mlperf-tui record``."""
    from mlperf_tui.power.client import client_command
    from mlperf_tui.run.power_run import (
        CLIENT_OUTPUT,
        LOADGEN_DIR,
        SESSION_DIR,
        checkout_path,
        workload_command,
    )

    power = profile.power
    assert power is not None
    here = str(Path(RUN_MARK).absolute())  # the client's folders, made absolute: the marker
    argv = client_command(
        checkout_path(power, profile_path),
        address=power.director,
        port=power.port,
        ntp=power.ntp,
        workload=_WORKLOAD,
        loadgen_logs=Path(RUN_MARK, LOADGEN_DIR),
        output=Path(RUN_MARK, SESSION_DIR),
        python=_PY,
        max_amps=power.max_amps,
        max_volts=power.max_volts,
    )
    argv += ["--label", _LABEL]
    argv = [RUN_MARK + a[len(here) :] if a.startswith(here + "/") else a for a in argv]
    words = {_WORKLOAD: '"$workload"', _LABEL: '"$2"'}
    client = ChildCommand(argv=tuple(argv), cwd=Path(RUN_MARK), python_path=tuple(python_path))
    line = env_command(
        client, lambda a: words.get(a) or _word(a), pythonpath=_script_pythonpath(python_path)
    )
    template = workload_command(Path(RUN_MARK), tuple(python_path), python=_PY)
    exit_json = '{"exit_code": %d, "duration_s": %d.%03d}\\n'
    return f"""\
run_power() {{  # RUN_ID LABEL: the run's harness child under the official power client (ranging,
  # then testing), as mlperf-tui's runner starts it; the client's output for mlperf-tui record
  local run="$OUT/{RUNS}/$1" code=0 t0 t1 ms workload
  workload={shlex.quote(template)}
  workload="${{workload//{RUN_MARK}/$(printf %q "$run")}}"
  workload="${{workload//{_PY}/$(printf %q "$PYTHON")}}"
  : > "$run"/{HARNESS_STDERR}
  t0="$(date +%s%N)"
  {line} \\
    > "$run"/{CLIENT_OUTPUT} 2>&1 < /dev/null || code=$?
  t1="$(date +%s%N)"
  ms=$(( (t1 - t0) / 1000000 ))
  printf '{exit_json}' "$code" $(( ms / 1000 )) $(( ms % 1000 )) > "$run"/{HARNESS_EXIT}
  if (( code != 0 )) || ! grep -q 'Successful exit' -- "$run"/{CLIENT_OUTPUT}; then
    printf 'replay: %s: the power client failed (exit code %d); the end of its output:\\n' "$1" "$code" >&2
    tail -n {LOG_TAIL_LINES} -- "$run"/{CLIENT_OUTPUT} >&2 || true
  fi
  if (( code == {int(ExitCode.CANCELLED)} )); then STOP="$1 was cancelled"; fi
  return 0
}}
"""


def _official(version: str) -> str:
    checker = OfficialChecker(
        "modular", Path(_TOOLS), Path(_TOOLS, "submission_checker", "main.py")
    )
    argv = checker.command(
        Path(_OUT, "package"), version, Path(_SCRATCH, "summary.csv"), python=_PY
    )
    env = " ".join(f"{k}={_word(v)}" for k, v in checker.env().items())
    line = f"env -C {_word(_SCRATCH)} {env} " + " ".join(_word(a) for a in argv)
    return f"""\
official=0
if [[ -n "${{MLPERF_CHECKER:-}}" ]]; then
  # the official checker, as `mlperf-tui check --official "$MLPERF_CHECKER"` runs it
  tools="$MLPERF_CHECKER/tools/submission"
  [[ -d "$tools" ]] || tools="$MLPERF_CHECKER"
  [[ -f "$tools/submission_checker/main.py" ]] || fail {int(ExitCode.BAD_INPUT)} \\
    "MLPERF_CHECKER=$MLPERF_CHECKER holds no tools/submission/submission_checker/main.py" \\
    "point it at the root of a mlcommons/inference checkout (git checkout {version})"
  scratch="$(mktemp -d)"
  {line} || official=$?
  rm -rf -- "$scratch"
fi
"""


def _run_block(
    index: int,
    total: int,
    run: PlannedRun,
    profile: Profile,
    resolved: ResolvedAssets,
) -> str:
    bench = rules.get_benchmark(profile.benchmark, profile.round)
    what = f"{run.benchmark}, {run.scenario.value}, {run.compliance_test or run.mode.value}"
    title = f"# -- run {index} of {total}: {run.run_id} ({what}) "
    config = run_config(run, profile, resolved, Path(RUN_MARK), task=run.task)
    if run.power:
        from mlperf_tui.run.power_run import LOADGEN_DIR

        # LoadGen's logs go to the power client's -L folder, as the runner has it
        config = dataclasses.replace(config, output_dir=Path(RUN_MARK, LOADGEN_DIR))
    template = config.to_dict()
    body = [
        f'run="$OUT"/{RUNS}/{shlex.quote(run.run_id)}\n',
        'mkdir -- "$run"\n',
        _write_file('"$run"/user.conf', run.user_conf()),
    ]
    if run.compliance_test:
        body.append(
            _write_file('"$run"/audit.config', rules.audit_config(run.compliance_test, bench))
        )
    body.append(_feed('write_run_json "$run"', json_text(template)))
    about = f"run {index} of {total}: {run.run_id} (about {format_duration(run.estimate_s)})"
    body.append(f"printf 'replay: %s\\n' {shlex.quote(about)}\n")
    if run.power:
        from mlperf_tui.run.power_run import session_label

        body.append(
            f"run_power {shlex.quote(run.run_id)} {shlex.quote(session_label(run.run_id))}\n"
        )
    else:
        body.append(f"run_harness {shlex.quote(run.run_id)}\n")
    # two spaces before each command; a heredoc's text stays as it is
    return (
        title.ljust(100, "-")
        + "\n"
        + 'if [[ -z "$STOP" ]]; then\n'
        + "".join("  " + item for item in body)
        + "else\n"
        + f"  printf 'replay: %s not started: %s\\n' {shlex.quote(run.run_id)} \"$STOP\"\n"
        + "fi\n"
    )


def replay_script(
    plan: Sequence[PlannedRun],
    profile: Profile,
    resolved: ResolvedAssets,
    system: Mapping[str, Any],
    *,
    profile_path: Path | None = None,
    python: str | None = None,
    entry_point: str | None = None,
    now: datetime | None = None,
) -> str:
    """The bash script of the prepared plan (see the module docstring).

    ``system`` is system.json (what detection found); ``python`` the Python the script runs
    (default: this one, ``sys.executable``); ``entry_point`` mlperf-tui's command (default:
    the ``mlperf-tui`` beside that Python, else ``"$PYTHON" -m mlperf_tui``).
    """
    from mlperf_tui.profile import dump_profile

    python = python or sys.executable
    if entry_point is None:
        beside = Path(python).with_name("mlperf-tui")
        entry_point = str(beside) if beside.is_file() and os.access(beside, os.X_OK) else ""
    entry = benchmarks.require(profile.benchmark, harness=profile.harness)
    version = rules.normalize_round(profile.round or rules.DEFAULT_ROUND)
    now = now or datetime.now().astimezone()
    out: list[str] = [_header(profile, profile_path, now), "set -euo pipefail\n"]
    # the defaults: this Python and its mlperf-tui (the environment may name others)
    settings = [f'if [[ -z "${{PYTHON:-}}" ]]; then PYTHON={shlex.quote(python)}; fi']
    if entry_point:
        settings.append(
            f'if [[ -z "${{MLPERF_TUI:-}}" ]]; then MLPERF_TUI={shlex.quote(entry_point)}; fi'
        )
        tool = '  "$MLPERF_TUI" "$@"'
    else:
        tool = '  "$PYTHON" -m mlperf_tui "$@"'
    settings += [
        'OUT="${1:-mlperf-tui-replay-$(date +%Y%m%d-%H%M%S)}"',
        'STOP=""  # why the later runs do not start (set after a setup failure or a cancel)',
        f"ASSETS_FIX={shlex.quote(_assets_fix(profile, profile_path))}",
    ]
    out.append("\n" + "\n".join(settings) + "\n\n")
    out.append(_FUNCTIONS)
    out.append(
        f"\nmlperf_tui() {{  # mlperf-tui's own commands, from the same environment\n{tool}\n}}\n\n"
    )
    out.append(_run_harness(entry.python_path))
    if any(r.power for r in plan):
        out.append("\n" + _run_power(profile, profile_path, entry.python_path))
    out.append(
        "\n# -- before anything is written: the folder, the Python, the model and the data set ".ljust(
            101, "-"
        )
        + "\n"
    )
    out.append(
        f"""\
if [[ -e "$OUT" && ! -d "$OUT" ]]; then
  fail {int(ExitCode.BAD_INPUT)} "$OUT is a file, not a folder" "give a new folder: bash replay.sh NEW_FOLDER"
fi
if [[ -d "$OUT" && -n "$(ls -A -- "$OUT")" ]]; then
  fail {int(ExitCode.BAD_INPUT)} "$OUT is not empty (nothing in it is overwritten)" \\
    "give a new or empty folder: bash replay.sh NEW_FOLDER"
fi
"$PYTHON" -c {shlex.quote(_CHECK_PY)} 2> /dev/null || fail {int(ExitCode.ENVIRONMENT)} \\
  "$PYTHON cannot import mlperf-tui and its harness" \\
  "set PYTHON to the Python of the environment mlperf-tui is installed in: PYTHON=/path/to/venv/bin/python bash replay.sh"
"""
    )
    key_env = profile.endpoint.api_key_env if profile.endpoint is not None else None
    if key_env and _ENV_NAME.match(key_env):
        out.append(
            f'[[ -n "${{{key_env}:-}}" ]] || fail {int(ExitCode.ENVIRONMENT)} '
            f'"{key_env} is not set (the engine\'s API key)" '
            f'"export {key_env}=... before bash replay.sh"\n'
        )
    out.append("\n".join(_asset_checks(resolved)) + "\n")
    out.append(
        "\n# -- the results folder, as mlperf-tui's runner writes it ".ljust(101, "-") + "\n"
    )
    out.append(f'mkdir -p -- "$OUT"/{RUNS}\n')
    out.append('OUT="$(cd -- "$OUT" && pwd)"  # absolute: RUN.json holds absolute paths\n')
    out.append(_write_file(f'"$OUT"/{PROFILE}', dump_profile(profile)))
    out.append(_write_file(f'"$OUT"/{SYSTEM}', json_text(dict(system))))
    out.append(_write_file(f'"$OUT"/{PLAN}', json_text([r.to_dict() for r in plan])))
    out.append(
        "# this script: the folder keeps the commands behind it\n"
        'if [[ -f "${BASH_SOURCE[0]}" ]]; then\n'
        f'  cp -- "${{BASH_SOURCE[0]}}" "$OUT"/{REPLAY}\n'
        "fi\n\n"
    )
    for index, run in enumerate(plan, start=1):
        out.append(_run_block(index, len(plan), run, profile, resolved) + "\n")
    out.append("# -- the record, the package and its validation ".ljust(100, "-") + "\n")
    out.append(
        f"""\
# result.json of each run and summary.json, as the runner writes them after each child (with
# the compliance verification of the audit runs); exit {int(ExitCode.RUN_FAILED)} when a run failed, \
{int(ExitCode.CANCELLED)} when one was cancelled
mlperf_tui record "$OUT"
mlperf_tui package "$OUT" --out "$OUT"/package
check=0
mlperf_tui check "$OUT"/package || check=$?
"""
    )
    out.append(_official(version))
    out.append(
        f"""\
printf 'replay: results in %s, the package in %s/package\\n' "$OUT" "$OUT"
if (( check != 0 )); then exit "$check"; fi
if (( official != 0 )); then exit {int(ExitCode.CHECK_FAILED)}; fi
"""
    )
    return "".join(out)


def write_replay(
    folder: Path,
    plan: Sequence[PlannedRun],
    profile: Profile,
    resolved: ResolvedAssets,
    system: Mapping[str, Any],
    *,
    profile_path: Path | None = None,
) -> Path:
    """Write the plan's script into the results folder as ``replay.sh`` (executable)."""
    target = folder / REPLAY
    text = replay_script(plan, profile, resolved, system, profile_path=profile_path)
    target.write_text(text, encoding="utf-8")
    target.chmod(0o755)
    return target


# -- --debug: a failed run -------------------------------------------------------------------


def _secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def failure_report(
    run: RunResult,
    python_path: Sequence[Path] = (),
    *,
    tail_lines: int = LOG_TAIL_LINES,
    parent_env: Mapping[str, str] | None = None,
) -> list[str]:
    """What ``--debug`` shows of a run that failed: the harness command (a shell line to run
    again by hand), the environment it ran with (what the runner set, then the inherited
    variables that matter; never a variable named like a secret) and the end of its log."""
    parent = os.environ if parent_env is None else parent_env
    command = harness_command(run.folder, tuple(python_path))
    env = command.environ()
    pythonpath = shlex.quote(env["PYTHONPATH"]) if command.python_path else None
    lines = [
        f"{run.run_id}: {run.status}"
        + ("" if run.exit_code is None else f" (exit code {run.exit_code})")
        + (f": {run.message}" if run.message else ""),
        # the parent's pid is left out: a child started by hand has another parent
        "  command: " + env_command(command, pythonpath=pythonpath, skip=(PARENT_PID_ENV,)),
    ]
    changed = dict(command.settings())
    if command.python_path:
        changed["PYTHONPATH"] = env["PYTHONPATH"]
    # anything else that differs from this process's environment (nothing, today)
    changed.update({k: v for k, v in env.items() if parent.get(k) != v})
    changed = {k: v for k, v in changed.items() if not _secret(k)}
    inherited = {k: env[k] for k in DEBUG_ENV if k in env and k not in changed and not _secret(k)}
    for label, values in (("set by the runner", changed), ("inherited", inherited)):
        for k, v in values.items():
            lines.append(f"  env ({label}): {k}={shlex.quote(v)}")
    log = run.folder / HARNESS_STDERR
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        lines.append(f"  {log}: cannot be read ({exc.strerror or exc})")
        return lines
    tail = text[-tail_lines:]
    lines.append(f"  {log} (the last {len(tail)} of {len(text)} lines):")
    lines += [f"    | {line}" for line in tail]
    return lines
