"""Which ONNX Runtime execution providers really load here, and why the others do not.

``onnxruntime.get_available_providers()`` lists what the installed build contains: the GPU build
lists CUDAExecutionProvider even where the CUDA or cuDNN libraries or the NVIDIA driver are
missing, and a session asked for it then runs on the CPU with only a warning. So each listed
provider (but the CPU's, which is part of onnxruntime itself) is tried: a session on a tiny
model with ``providers=[it]``, in a child process (:mod:`~mlperf_tui.system.provider_trial`: a
broken CUDA install can hang or crash a process), and it loads only when the session reports it
and runs the model. A provider that does not load gets a plain reason and a fix: the driver NVML
does not find, a driver older than the CUDA the build needs, the shared library the loader
cannot find, or what onnxruntime said.

Nothing here raises: a trial that cannot run, crashes or takes too long is a reason too.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlperf_tui.system.accelerators import detect_nvidia
from mlperf_tui.system.description import HostFacts, NvidiaFacts, ProviderProblem
from mlperf_tui.system.probe import Facts, Probe
from mlperf_tui.system.software import software

CPU = "CPUExecutionProvider"

#: seconds one provider's trial may take (creating a CUDA context on a large GPU takes a few
#: seconds, TensorRT builds an engine for the model); the trials run side by side
TRIAL_TIMEOUT_S = 60.0

#: listed by every onnxruntime wheel, but not a device of this machine: not tried
_NOT_TRIED = {
    "AzureExecutionProvider": "it sends the model to an Azure endpoint instead of running it "
    "here; mlperf-tui's harness does not use it",
}

#: providers that run on an NVIDIA GPU, with the driver and CUDA libraries under them
_NVIDIA = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "NvTensorRTRTXExecutionProvider")

#: how an NVIDIA machine gets the GPU build (README.md, "On an NVIDIA GPU")
GPU_INSTALL = (
    "pip install -e '.[gpu]', then pip uninstall -y onnxruntime and "
    "pip install --force-reinstall --no-deps onnxruntime-gpu (README.md, 'On an NVIDIA GPU')"
)

#: the fix when the installed onnxruntime has no such provider
_INSTALL = {
    "CUDAExecutionProvider": f"on an NVIDIA GPU, install onnxruntime-gpu: {GPU_INSTALL}",
    "TensorrtExecutionProvider": "on an NVIDIA GPU, install onnxruntime-gpu (it has TensorRT "
    f"too): {GPU_INSTALL}",
    "OpenVINOExecutionProvider": "on Intel hardware, pip uninstall -y onnxruntime and "
    "pip install onnxruntime-openvino",
    "ROCMExecutionProvider": "on an AMD GPU, install AMD's onnxruntime ROCm build in place of "
    "onnxruntime (onnxruntime.ai, ROCm execution provider)",
    "DmlExecutionProvider": "DirectML runs on Windows only: pip install onnxruntime-directml there",
    "CoreMLExecutionProvider": "CoreML runs on macOS only: the onnxruntime wheel for macOS has it",
}

#: where onnxruntime documents each provider's requirements (short enough for 80 columns)
_DOCS = "https://onnxruntime.ai/docs/execution-providers/"
_REQUIREMENTS = {
    "CUDAExecutionProvider": _DOCS + "CUDA-ExecutionProvider.html",
    "TensorrtExecutionProvider": _DOCS + "TensorRT-ExecutionProvider.html",
}

_TRIAL_SCRIPT = Path(__file__).with_name("provider_trial.py")


@dataclass(frozen=True)
class ProviderTrial:
    """What the child saw trying one provider (raw; :func:`assess_providers` reads it)."""

    provider: str
    #: ``session.get_providers()`` of a session asked for ``provider`` alone
    session_providers: tuple[str, ...] = ()
    #: making the session failed (or the child did: crash, time-out)
    error: str = ""
    #: the session was made but running the model on it failed or gave a wrong answer
    run_error: str = ""
    #: what the dynamic loader said of the provider's own library (when it did not load)
    library_error: str = ""
    #: the libraries the provider needs that the loader cannot load (when it did not load)
    missing: tuple[str, ...] = ()
    #: the CUDA version the onnxruntime build was made for ("" for a build without CUDA)
    cuda_version: str = ""

    @property
    def loads(self) -> bool:
        return self.provider in self.session_providers and not (self.error or self.run_error)


# -- the trials (children) -------------------------------------------------------------------


def run_trials(
    providers: Sequence[str], timeout_s: float = TRIAL_TIMEOUT_S
) -> dict[str, ProviderTrial]:
    """Each provider tried in its own child process, side by side; never raises."""
    children: dict[str, subprocess.Popen[str]] = {}
    out: dict[str, ProviderTrial] = {}
    for provider in providers:
        try:
            children[provider] = subprocess.Popen(
                [sys.executable, "-P", str(_TRIAL_SCRIPT), provider],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ),  # what a harness child gets: LD_LIBRARY_PATH, CUDA_*...
            )
        except OSError as exc:
            out[provider] = ProviderTrial(provider, error=f"the trial did not start ({exc})")
    deadline = time.monotonic() + timeout_s
    for provider, child in children.items():
        try:
            stdout, stderr = child.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            # a child stuck in the driver may not die at once: leave it to the OS then
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.communicate(timeout=5)
            out[provider] = ProviderTrial(
                provider, error=f"a session did not start within {timeout_s:g} s"
            )
            continue
        out[provider] = _trial_of(provider, child.returncode, stdout, stderr)
    return out


def _trial_of(provider: str, returncode: int, stdout: str, stderr: str) -> ProviderTrial:
    lines = stdout.strip().splitlines()
    try:
        data: Any = json.loads(lines[-1]) if lines else None
    except ValueError:
        data = None
    if returncode != 0 or not isinstance(data, dict):
        tail = [ln.strip() for ln in stderr.splitlines() if ln.strip()][-1:]
        how = f"signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        return ProviderTrial(
            provider, error=f"the trial process failed ({how}{': ' + tail[0] if tail else ''})"
        )

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    def names(key: str) -> tuple[str, ...]:
        value = data.get(key)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    return ProviderTrial(
        provider,
        session_providers=names("session_providers"),
        error=text("error"),
        run_error=text("run_error"),
        library_error=text("library_error"),
        missing=names("missing"),
        cuda_version=text("cuda_version"),
    )


# -- reading them -------------------------------------------------------------------------------


def _major(version: str | None) -> int | None:
    head = (version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def assess_providers(
    f: Facts,
    listed: Sequence[str] | None,
    nvidia: NvidiaFacts,
    onnxruntime_version: str | None,
    only: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], dict[str, ProviderProblem]]:
    """(the providers that load, {provider: problem} for the listed ones that do not).

    ``listed`` is onnxruntime's list (None: onnxruntime did not import; why is in
    ``f.errors["providers"]``); ``only`` limits the trials to these providers.
    """
    if listed is None:
        why = f.errors.get("providers", "not installed")
        return (), {
            CPU: ProviderProblem(
                f"onnxruntime does not import ({why})",
                "pip install -e . in this environment (it brings onnxruntime)",
            )
        }
    wanted = [p for p in listed if only is None or p in only]
    to_try = [p for p in wanted if p != CPU and p not in _NOT_TRIED]
    trials: Mapping[str, ProviderTrial] = {}
    if to_try:
        trials = f.get("provider-trials", lambda: f.probe.provider_trials(to_try)) or {}
    loading: list[str] = []
    problems: dict[str, ProviderProblem] = {}
    for provider in wanted:
        if provider in _NOT_TRIED:
            continue
        if provider == CPU:
            loading.append(provider)
            continue
        trial = trials.get(provider)
        if trial is None:
            why = f.errors.get("provider-trials", "no answer")
            problems[provider] = ProviderProblem(
                f"it could not be tried ({why})",
                f"run mlperf-tui detect again; {_docs(provider)}; or choose {CPU}",
            )
        elif trial.loads:
            loading.append(provider)
        else:
            problems[provider] = _problem(trial, nvidia, onnxruntime_version)
    return tuple(loading), problems


def _docs(provider: str) -> str:
    return f"its requirements: {_REQUIREMENTS.get(provider, _DOCS)}"


def _problem(trial: ProviderTrial, nvidia: NvidiaFacts, version: str | None) -> ProviderProblem:
    """Why a listed provider does not load, the likeliest cause first."""
    provider = trial.provider
    ort = f"onnxruntime {version}" if version else "onnxruntime"
    other = f"or choose {CPU}"
    if provider in _NVIDIA:
        build = trial.cuda_version
        if nvidia.no_driver:
            return ProviderProblem(
                f"no NVIDIA driver answers here ({nvidia.error})",
                "install the NVIDIA driver, so that nvidia-smi lists the GPU (in a container: "
                f"start it with the GPUs, e.g. docker run --gpus all); {other}",
            )
        if nvidia.error is None and not nvidia.gpus:
            return ProviderProblem(
                "the NVIDIA driver lists no GPU",
                f"check nvidia-smi (and CUDA_VISIBLE_DEVICES); {other}",
            )
        driver_major, build_major = _major(nvidia.cuda_version), _major(build)
        if driver_major is not None and build_major is not None and driver_major < build_major:
            driver = f"NVIDIA driver {nvidia.driver_version}" if nvidia.driver_version else "driver"
            return ProviderProblem(
                f"the {driver} supports CUDA up to {nvidia.cuda_version}, and {ort} is built "
                f"for CUDA {build}",
                f"update the NVIDIA driver to one for CUDA {build_major}, or install an "
                f"onnxruntime-gpu built for CUDA {driver_major}; {other}",
            )
        if trial.missing:
            tensorrt = [m for m in trial.missing if m.startswith("libnvinfer")]
            cuda = [m for m in trial.missing if m not in tensorrt]
            reason = f"the dynamic loader cannot load {', '.join(trial.missing)}"
            if trial.library_error and not any(m in trial.library_error for m in trial.missing):
                reason += f" ({trial.library_error})"
            fixes = []
            if cuda:
                cuda_major = build_major or 12
                fixes.append(
                    f"install the CUDA {cuda_major} runtime, cuBLAS, cuFFT, cuRAND and cuDNN "
                    f"{8 if cuda_major == 11 else 9} libraries where the loader finds them: "
                    "NVIDIA's packages, or pip "
                    "install 'onnxruntime-gpu[cuda,cudnn]' and add their site-packages/nvidia/*/"
                    "lib folders to LD_LIBRARY_PATH (the harness does not call "
                    "onnxruntime.preload_dlls())"
                )
            if tensorrt:
                fixes.append(
                    "install TensorRT 10 and add its lib folder to LD_LIBRARY_PATH, or choose "
                    "CUDAExecutionProvider"
                )
            return ProviderProblem(reason, "; ".join(fixes) + f"; {_docs(provider)}")
    if trial.library_error:
        return ProviderProblem(
            f"its library does not load: {trial.library_error}", f"{_docs(provider)}; {other}"
        )
    if trial.error:
        return ProviderProblem(
            f"a session on it fails: {trial.error}", f"{_docs(provider)}; {other}"
        )
    if trial.run_error:
        return ProviderProblem(
            f"a session starts, but running a model on it fails: {trial.run_error}",
            f"check that this {ort} build supports the device; {_docs(provider)}; {other}",
        )
    fallback = ", ".join(trial.session_providers) or "nothing"
    return ProviderProblem(
        f"{ort} lists it, but a session asked for it runs on {fallback} instead",
        f"{_docs(provider)}; {other}",
    )


def provider_problem(facts: HostFacts, provider: str) -> ProviderProblem | None:
    """Why ``provider`` does not load here (None: it loads), for any provider name."""
    if provider in facts.loadable_providers:
        return None
    if provider in facts.provider_problems:
        return facts.provider_problems[provider]
    if provider in _NOT_TRIED:
        return ProviderProblem(_NOT_TRIED[provider], f"choose {CPU} or a GPU provider")
    if not facts.onnxruntime_version and not facts.execution_providers:
        return ProviderProblem(
            "onnxruntime is not installed", "pip install -e . in this environment"
        )
    has = ", ".join(facts.execution_providers) or "none"
    version = f" {facts.onnxruntime_version}" if facts.onnxruntime_version else ""
    return ProviderProblem(
        f"the installed onnxruntime{version} does not have it (it has: {has})",
        _INSTALL.get(provider, "install an onnxruntime build that has it") + f"; or choose {CPU}",
    )


def check_provider(provider: str, probe: Probe | None = None) -> ProviderProblem | None:
    """Whether ``provider`` loads here, trying only it (for ``profile check`` and the pre-flight
    check, which need one provider and not the whole detection); None: it loads."""
    probe = probe if probe is not None else Probe()
    f = Facts(probe)
    listed = f.get("providers", probe.onnxruntime_providers)
    listed = None if listed is None else tuple(listed)
    version = software(f)["onnxruntime"] if listed is not None else None
    nvidia = detect_nvidia(probe) if provider in _NVIDIA and listed else NvidiaFacts()
    loading, problems = assess_providers(f, listed, nvidia, version, only=(provider,))
    facts = HostFacts(
        onnxruntime_version=version,
        execution_providers=listed or (),
        loadable_providers=loading,
        provider_problems=problems,
    )
    if listed is None:
        return problems[CPU]
    return provider_problem(facts, provider)


def describe_providers(facts: HostFacts) -> list[tuple[str, str, str, str]]:
    """(provider, "loads" / "does not load" / "not tried", why, fix) for each listed provider,
    and for the NVIDIA ones the build lacks on a machine with an NVIDIA GPU."""
    names = list(facts.execution_providers)
    if facts.nvidia.gpus:
        names += [p for p in _NVIDIA[:2] if p not in names]
    if not names and CPU in facts.provider_problems:
        names = [CPU]
    rows = []
    for name in names:
        if name in facts.loadable_providers:
            how = "part of onnxruntime" if name == CPU else "a session on it ran a test model"
            rows.append((name, "loads", how, ""))
            continue
        if name in _NOT_TRIED:
            rows.append((name, "not tried", _NOT_TRIED[name], ""))
            continue
        problem = provider_problem(facts, name)
        if problem is not None:
            rows.append((name, "does not load", problem.reason, problem.fix))
    return rows
