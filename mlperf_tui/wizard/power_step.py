"""The power step: whether to measure power, and where the power chain is (no UI here).

A power result needs an analyser, SPEC's PTDaemon and the MLPerf power server on a *director*
machine, and the official power client here (:mod:`mlperf_tui.power`). The step explains that in
plain words, asks the profile's ``power:`` block (:class:`mlperf_tui.profile.Power`) and checks
its answers against that model, each problem with its fix. :func:`check_power` is the step's
"Check director" action, run by a front end in a worker: the power-dev checkout opened here and
the director's power server asked its protocol and clock (:func:`mlperf_tui.power.director.
probe`). The analyser's identity and PTDaemon's version cannot be asked before a session (the
protocol has no command for them), so :func:`previous_analyser` reads them from the newest
``server.json`` a finished session left under the profile's results folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.power.director import CLOCK_TOLERANCE_MS, DEFAULT_PORT, AnalyserIdentity
from mlperf_tui.rules.power import POWER_DEV_COMMIT
from mlperf_tui.wizard.model import AssetCheck, Choice, Info, Kind, Question, WizardContext

#: the answers of the power step and the ``power:`` keys they fill
POWER_KEYS: Mapping[str, str] = {
    "power_director": "director",
    "power_port": "port",
    "power_checkout": "checkout",
    "power_ntp": "ntp",
    "power_max_amps": "max_amps",
    "power_max_volts": "max_volts",
    "power_channel": "channel",
    "power_live_log": "live_log",
}

#: what the power step starts from: no power measurement (most submissions have none)
POWER_DEFAULTS: Mapping[str, Any] = {
    "power": "none",
    "power_director": "",
    "power_port": DEFAULT_PORT,
    "power_checkout": "",
    "power_ntp": "",
    "power_max_amps": None,
    "power_max_volts": None,
    "power_channel": "",
    "power_live_log": "",
}

#: the fix of a bad value, per ``power:`` key (the model's message says what is wrong)
_FIXES: Mapping[str, str] = {
    "director": "type the host name or IP address of the machine running the power server",
    "port": f"use the power server config's listen port (1 to 65535; default {DEFAULT_PORT})",
    "checkout": "type the folder of your power-dev clone (the one holding ptd_client_server/)",
    "ntp": "type the NTP server both machines sync with (host name or IP address)",
    "max_amps": "a number of amperes, or blank to let the ranging run find it",
    "max_volts": "a number of volts, or blank to let the ranging run find it",
    "channel": "one number, or two separated by a comma for a multichannel analyser: 1 or 1,2",
    "live_log": "a path or a glob of PTDaemon's log as this machine sees it, or blank",
}

SETUP_TEXT = (
    "- An analyser: a power meter PTDaemon supports (e.g. a Yokogawa WT310) between the wall "
    "and this system.\n"
    "- A director: another machine, running SPEC's PTDaemon (it reads the analyser) and the "
    "MLPerf power server (power-dev's server.py) beside it.\n"
    "- Here: the official power client, from your own unmodified clone of "
    f"github.com/mlcommons/power-dev at the code-freeze commit {POWER_DEV_COMMIT} (the checker "
    "compares its sources' checksums).\n"
    "- Both machines keep their clocks in sync with the same NTP server.\n"
    "- Each performance run is made twice, a ranging run and then a testing run, so the runs "
    "take about twice as long.\n"
    "- mlperf-tui's tests use a fake analyser: a package measured with it is not submittable."
)


def power_measured(answers: Mapping[str, Any]) -> bool:
    return answers.get("power") == "measure"


def power_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "power",
            "Power",
            Kind.CHOICE,
            help="A power result is optional; without an analyser, keep it off.",
            rule="inference_rules.adoc, Power; power-dev's client and server at "
            + POWER_DEV_COMMIT,
            choices=(
                Choice(
                    "none",
                    "No power measurement",
                    help="the runs are made once each; the package has no power folders",
                ),
                Choice(
                    "measure",
                    "Measure power: analyser, PTDaemon and the power server on a director",
                    help="each performance run is a ranging and a testing run under the official "
                    "power client; the package gets the power folders the checker requires",
                ),
            ),
        ),
        Question(
            "power_director",
            "Director address",
            Kind.TEXT,
            help="Host name or IP address of the machine running PTDaemon and the power server.",
            placeholder="e.g. 192.168.1.20",
            when=power_measured,
        ),
        Question(
            "power_port",
            "Power server port",
            Kind.INT,
            help=f"The server config's listen port (default {DEFAULT_PORT}).",
            when=power_measured,
        ),
        Question(
            "power_checkout",
            "power-dev checkout",
            Kind.PATH,
            help=f"Your clone of github.com/mlcommons/power-dev at {POWER_DEV_COMMIT}, unmodified; "
            "the power client runs from it.",
            when=power_measured,
        ),
        Question(
            "power_ntp",
            "NTP server",
            Kind.TEXT,
            help="The NTP server both machines sync with; the client refuses clocks more than "
            f"{CLOCK_TOLERANCE_MS:g} ms apart.",
            placeholder="e.g. pool.ntp.org",
            when=power_measured,
        ),
        Question(
            "power_max_amps",
            "Max amps",
            Kind.FLOAT,
            help="The highest current the analyser may see. Blank: the ranging run finds it.",
            required=False,
            when=power_measured,
        ),
        Question(
            "power_max_volts",
            "Max volts",
            Kind.FLOAT,
            help="The highest voltage the analyser may see. Blank: the ranging run finds it.",
            required=False,
            when=power_measured,
        ),
        Question(
            "power_channel",
            "Analyser channel",
            Kind.TEXT,
            help="PTDaemon's -c, for the records: 1, or 1,2 for a multichannel analyser. Blank: "
            "a one-channel analyser.",
            required=False,
            when=power_measured,
        ),
        Question(
            "power_live_log",
            "PTDaemon log (live watts)",
            Kind.PATH,
            help="PTDaemon's log as this machine sees it (a path or a glob; the server keeps it "
            "in its temporary folder): the monitor then shows the watts. Blank: the watts are "
            "known after each run.",
            required=False,
            when=power_measured,
        ),
    ]


def power_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    identity = previous_analyser(a, ctx)
    if identity is None:
        analyser = (
            "The analyser's model and PTDaemon's version are read from the first session: the "
            "power protocol cannot ask PTDaemon before a session starts. Check director asks "
            "the power server its protocol and clock."
        )
    else:
        found, where = identity
        version = f", PTDaemon {found.ptd_version}" if found.ptd_version else ""
        analyser = f"{found.model}{version} (from the previous session's {where})"
    return [
        Info("What a power result needs", SETUP_TEXT),
        Info("Analyser and PTDaemon", analyser, after_questions=True),
    ]


# -- the answers as the profile's power: block ------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def power_data(a: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``power:`` block of the answers (None: no power measurement)."""
    if not power_measured(a):
        return None
    data: dict[str, Any] = {}
    for key, name in POWER_KEYS.items():
        value = a.get(key)
        if _blank(value):
            continue
        data[name] = value.strip() if isinstance(value, str) else value
    return data


def power_answers(power: Mapping[str, Any] | None) -> dict[str, Any]:
    """The step's answers for a profile's ``power:`` block (as plain data), or its defaults."""
    answers = dict(POWER_DEFAULTS)
    if not power:
        return answers
    answers["power"] = "measure"
    for key, name in POWER_KEYS.items():
        value = power.get(name)
        if name in ("max_amps", "max_volts") and not value:
            value = None  # 0: found by ranging, asked as a blank
        if value is not None:
            answers[key] = value
    return answers


def power_problems(a: Mapping[str, Any]) -> list[str]:
    """The power answers checked against the profile model, each with the question and its fix."""
    from pydantic import ValidationError

    from mlperf_tui.profile.model import Power

    data = power_data(a)
    if data is None:
        return []
    prompts = {POWER_KEYS[q.key]: q.prompt for q in power_questions(a, WizardContext())[1:]}
    try:
        Power.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else ""
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "an answer is needed"
            fix = _FIXES.get(name, "change the answer")
            problems.append(f"{prompts.get(name, name)}: {message} (fix: {fix})")
        return problems
    return []


# -- Check director -------------------------------------------------------------------------------


def check_power(
    answers: Mapping[str, Any], base: Path | None = None, timeout_s: float = 5.0
) -> list[AssetCheck]:
    """The step's "Check director": the checkout opened here, then the power server asked its
    protocol and clock. Blocks up to ``timeout_s`` (run it in a worker); never raises for an
    answer."""
    from mlperf_tui.power.client import power_dev_checkout
    from mlperf_tui.power.director import probe
    from mlperf_tui.profile import resolve_profile_path

    out: list[AssetCheck] = []
    raw = str(answers.get("power_checkout") or "").strip()
    if not raw:
        out.append(AssetCheck("checkout", False, "no power-dev checkout given", _FIXES["checkout"]))
    else:
        path = resolve_profile_path(raw, (base / "wizard.yaml") if base is not None else None)
        try:
            root = power_dev_checkout(path)
        except MlperfTuiError as exc:
            out.append(AssetCheck("checkout", False, exc.message, exc.fix))
        else:
            out.append(AssetCheck("checkout", True, f"{root} is a power-dev checkout"))
    address = str(answers.get("power_director") or "").strip()
    try:
        port = int(str(answers.get("power_port") or DEFAULT_PORT).strip())
    except ValueError:
        bad = f"port {answers.get('power_port')!r} is not a number"
        return [*out, AssetCheck("director", False, bad, _FIXES["port"])]
    try:
        info = probe(address, port, timeout_s=timeout_s)
    except MlperfTuiError as exc:
        out.append(AssetCheck("director", False, exc.message, exc.fix))
        return out
    out.append(AssetCheck("director", True, info.describe()))
    if not info.clocks_agree:
        ntp = str(answers.get("power_ntp") or "").strip() or "the same NTP server"
        out.append(
            AssetCheck(
                "clocks",
                False,
                f"the director's clock is {info.clock_offset_ms:+.0f} ms off this machine's, "
                f"more than the {CLOCK_TOLERANCE_MS:g} ms the official client accepts",
                f"sync both machines with {ntp} before the runs",
            )
        )
    return out


# -- the analyser of a previous session -----------------------------------------------------------

#: how deep under the results folder a session's power/server.json is looked for
_SEARCH_DEPTH = 6


def previous_analyser(
    a: Mapping[str, Any], ctx: WizardContext
) -> tuple[AnalyserIdentity, Path] | None:
    """The analyser's identity in the newest ``power/server.json`` under the profile's results
    folder (its ``output``, relative to the profiles folder; else ./results), and that file."""
    from mlperf_tui.power.director import analyser_identity
    from mlperf_tui.profile import resolve_profile_path

    output = str(a.get("output") or "").strip()
    root = (
        resolve_profile_path(output, ctx.profiles_dir / "wizard.yaml")
        if output
        else Path("results")
    )
    if not root.is_dir():
        return None
    found: list[tuple[float, Path]] = []
    for depth in range(_SEARCH_DEPTH):
        for path in root.glob("*/" * depth + "power/server.json"):
            try:
                found.append((path.stat().st_mtime, path))
            except OSError:
                continue
    for _mtime, path in sorted(found, reverse=True):
        try:
            return analyser_identity(path), path
        except MlperfTuiError:
            continue
    return None
