"""Execution providers offered only where they really load (mlperf_tui/system/providers.py),
with the reason and the fix where they do not: detection, ``detect``, the wizard, ``profile
check`` and the pre-flight item."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from mlperf_tui import system, wizard
from mlperf_tui.cli import main
from mlperf_tui.cli.detect import providers_list
from mlperf_tui.plain import MappingAsker, run_plain
from mlperf_tui.profile import default_profile, dump_profile
from mlperf_tui.run.preflight.items import _provider_item
from mlperf_tui.run.preflight.model import STATUS_SHORTAGE
from mlperf_tui.system import (
    FrozenProbe,
    ProviderProblem,
    ProviderTrial,
    check_provider,
    describe_providers,
    detect,
    provider_problem,
)
from mlperf_tui.system.providers import run_trials

ROOT = Path(__file__).resolve().parents[2]
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
GIB = 1024**3


def nvml(cuda: int = 12040, init: Any = None) -> SimpleNamespace:
    """One H100 behind a driver for CUDA ``cuda`` (12040 = 12.4), as pynvml answers."""

    def fail() -> None:
        raise RuntimeError("Driver Not Loaded")

    return SimpleNamespace(
        nvmlInit=fail if init == "fail" else (lambda: None),
        nvmlShutdown=lambda: None,
        nvmlSystemGetDriverVersion=lambda: "550.54.15",
        nvmlSystemGetCudaDriverVersion_v2=lambda: cuda,
        nvmlDeviceGetCount=lambda: 1,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: "NVIDIA H100 80GB HBM3",
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(total=80 * GIB),
        nvmlDeviceGetMaxClockInfo=lambda h, clock: 1980,
        nvmlDeviceGetMaxPcieLinkGeneration=lambda h: 5,
        nvmlDeviceGetMaxPcieLinkWidth=lambda h: 16,
        nvmlDeviceGetNvLinkState=lambda h, link: (_ for _ in ()).throw(RuntimeError("n/a")),
    )


#: a GPU build whose CUDA provider falls back to the CPU: cuDNN is not where the loader looks
NO_CUDNN = ProviderTrial(
    CUDA,
    session_providers=(CPU,),
    library_error="libcudnn.so.9: cannot open shared object file: No such file or directory",
    missing=("libcudnn.so.9",),
    cuda_version="12.2",
)


def gpu_machine(trial: ProviderTrial | None = NO_CUDNN, **nvml_options: Any) -> FrozenProbe:
    """onnxruntime-gpu 1.20.1 listing CUDA and CPU on an H100; CUDA tried as ``trial`` shows."""
    return FrozenProbe(
        packages={"onnxruntime-gpu": "1.20.1"},
        providers=[CUDA, CPU],
        trials={CUDA: trial} if trial is not None else {},
        nvml=nvml(**nvml_options),
    )


# -- the probe ---------------------------------------------------------------------------------


def test_a_real_trial_here_loads_cpu_and_sees_a_fallback() -> None:
    """The child process on this machine: CPU runs the model; a provider this onnxruntime does
    not have gets a session that runs on the CPU instead, which is what the check catches."""
    import onnxruntime

    other = "OpenVINOExecutionProvider"
    if other in onnxruntime.get_available_providers():
        pytest.skip(f"this onnxruntime has {other}")
    trials = run_trials([CPU, other])
    assert trials[CPU].loads and trials[CPU].session_providers == (CPU,)
    assert not trials[other].loads
    assert trials[other].session_providers == (CPU,)
    assert trials[other].error == ""


def test_cpu_loads_here_and_an_unlisted_provider_says_why() -> None:
    import onnxruntime

    assert check_provider(CPU) is None
    if CUDA in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider")
    problem = check_provider(CUDA)
    assert problem is not None
    assert f"onnxruntime {onnxruntime.__version__} does not have it" in problem.reason
    assert "onnxruntime-gpu" in problem.fix and "'.[gpu]'" in problem.fix


def test_a_listed_provider_that_falls_back_to_cpu_does_not_load() -> None:
    d = detect(gpu_machine())
    assert d.facts.execution_providers == (CUDA, CPU)  # what onnxruntime lists, kept
    assert d.facts.loadable_providers == (CPU,)
    problem = d.facts.provider_problems[CUDA]
    assert problem.reason == "the dynamic loader cannot load libcudnn.so.9"
    assert "cuDNN 9" in problem.fix and "LD_LIBRARY_PATH" in problem.fix
    assert "https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html" in (
        problem.fix
    )
    assert "listed but not loading: CUDAExecutionProvider" in d["framework"].reason
    report = json.loads(json.dumps(d.to_report()))
    assert report["facts"]["loadable_providers"] == [CPU]
    assert report["facts"]["provider_problems"][CUDA]["reason"] == problem.reason


def test_a_provider_that_runs_the_model_loads() -> None:
    loads = ProviderTrial(CUDA, session_providers=(CUDA, CPU), cuda_version="12.2")
    d = detect(gpu_machine(loads))
    assert d.facts.loadable_providers == (CUDA, CPU)
    assert d.facts.provider_problems == {}
    assert provider_problem(d.facts, CUDA) is None


@pytest.mark.parametrize(
    ("trial", "options", "reason", "fix"),
    [
        (NO_CUDNN, {"init": "fail"}, "no NVIDIA driver answers here", "install the NVIDIA driver"),
        (
            ProviderTrial(CUDA, session_providers=(CPU,), cuda_version="13.0"),
            {"cuda": 12040},
            "the NVIDIA driver 550.54.15 supports CUDA up to 12.4, and onnxruntime 1.20.1 is "
            "built for CUDA 13.0",
            "update the NVIDIA driver to one for CUDA 13",
        ),
        (
            ProviderTrial(CUDA, error="CUDA failure 100: no CUDA-capable device is detected"),
            {},
            "a session on it fails: CUDA failure 100",
            "requirements",
        ),
        (
            ProviderTrial(CUDA, session_providers=(CUDA, CPU), run_error="no kernel image"),
            {},
            "running a model on it fails: no kernel image",
            "supports the device",
        ),
        (
            ProviderTrial(CUDA, session_providers=(CPU,)),
            {},
            "lists it, but a session asked for it runs on CPUExecutionProvider instead",
            "requirements",
        ),
        (None, {}, "it could not be tried", "mlperf-tui detect again"),
    ],
    ids=["no-driver", "old-driver", "session-fails", "run-fails", "silent-fallback", "untried"],
)
def test_each_reason_a_listed_provider_does_not_load(
    trial: ProviderTrial | None, options: dict[str, Any], reason: str, fix: str
) -> None:
    problem = check_provider(CUDA, gpu_machine(trial, **options))
    assert problem is not None
    assert reason in problem.reason
    assert fix in problem.fix
    assert problem.fix.endswith(f"or choose {CPU}")


def test_a_tensorrt_without_libnvinfer_names_it() -> None:
    trt = "TensorrtExecutionProvider"
    trial = ProviderTrial(trt, session_providers=(CPU,), missing=("libnvinfer.so.10",))
    probe = FrozenProbe(providers=[trt, CPU], trials={trt: trial}, nvml=nvml())
    problem = check_provider(trt, probe)
    assert problem is not None and "libnvinfer.so.10" in problem.reason
    assert "TensorRT 10" in problem.fix and "cuDNN" not in problem.fix


def test_odd_machines_give_a_reason_never_an_error() -> None:
    # no onnxruntime at all
    problem = check_provider(CPU, FrozenProbe())
    assert problem is not None and "onnxruntime does not import" in problem.reason
    # the trial itself cannot run: a frozen machine that has no answer for it
    untried = check_provider(CUDA, FrozenProbe(providers=[CUDA, CPU], nvml=nvml()))
    assert untried is not None and "could not be tried" in untried.reason
    # Azure is listed by every wheel but runs nothing here: not tried, not offered, said so
    d = detect(FrozenProbe(providers=["AzureExecutionProvider", CPU]))
    assert d.facts.loadable_providers == (CPU,) and d.facts.provider_problems == {}
    rows = describe_providers(d.facts)
    assert rows[0][:2] == ("AzureExecutionProvider", "not tried")


def test_a_trial_that_takes_too_long_is_a_reason() -> None:
    (trial,) = run_trials([CPU], timeout_s=0.01).values()
    assert not trial.loads
    assert trial.error == "a session did not start within 0.01 s"


# -- detect ------------------------------------------------------------------------------------


def test_detect_lists_the_providers_with_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_detect = system.detect
    monkeypatch.setattr(system, "detect", lambda p=None: real_detect(gpu_machine()))
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["detect"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the table wraps the reason
    assert "ONNX Runtime execution providers here" in out
    assert f"{CUDA}: does not load - the dynamic loader cannot load libcudnn.so.9" in out
    assert "fix: install the CUDA 12 runtime" in out
    assert f"{CPU}: loads - part of onnxruntime" in out
    assert main(["detect", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)["facts"]
    assert facts["loadable_providers"] == [CPU]
    assert "libcudnn.so.9" in facts["provider_problems"][CUDA]["reason"]


def test_detect_offers_the_gpu_build_on_an_nvidia_machine_with_the_cpu_build() -> None:
    probe = FrozenProbe(packages={"onnxruntime": "1.20.1"}, providers=[CPU], nvml=nvml())
    rows = {row[0]: row[1:] for row in describe_providers(detect(probe).facts)}
    status, why, fix = rows[CUDA]
    assert status == "does not load"
    assert "the installed onnxruntime 1.20.1 does not have it" in why
    assert "pip install -e '.[gpu]'" in fix


def test_the_providers_list_fits_80_columns() -> None:
    rows = describe_providers(detect(gpu_machine()).facts)
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    console.print(providers_list(rows))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    cells = [c for name, status, why, fix in rows for c in (f"{name}:", status, why, fix)]
    assert {w for cell in cells for w in cell.split()} <= set(text.split())  # none folded


# -- the wizard --------------------------------------------------------------------------------


def provider_question(ctx: wizard.WizardContext) -> wizard.Question:
    answers = wizard.default_answers()
    step = wizard.step("settings")
    return next(q for q in step.questions(answers, ctx) if q.key == "execution_provider")


def test_the_wizard_offers_only_providers_that_load_and_says_why() -> None:
    d = detect(gpu_machine())
    ctx = wizard.WizardContext(system=d, providers_here=d.facts.loadable_providers)
    q = provider_question(ctx)
    assert [c.value for c in q.choices] == [CPU]
    # listed but not loading: said under the question, with the fix
    assert "CUDAExecutionProvider does not load here: the dynamic loader cannot load" in q.help
    assert "cuDNN 9" in q.help
    # every other one: in the help key's text
    help_text = q.help_text()
    assert "Not offered, as they do not load here:" in help_text
    assert "- OpenVINOExecutionProvider: the installed onnxruntime 1.20.1 does not have" in (
        help_text
    )
    assert "onnxruntime-openvino" in help_text
    # a profile that names CUDA is fitted to what loads when the step is shown
    answers = {**wizard.default_answers(), "execution_provider": CUDA}
    wizard.normalise("settings", answers, ctx)
    assert answers["execution_provider"] == CPU


def test_the_wizard_offers_a_provider_once_it_loads() -> None:
    d = detect(gpu_machine(ProviderTrial(CUDA, session_providers=(CUDA, CPU))))
    ctx = wizard.WizardContext(system=d, providers_here=d.facts.loadable_providers)
    q = provider_question(ctx)
    assert [c.value for c in q.choices] == [CPU, CUDA]  # the profile's order
    assert "does not load" not in q.help


def test_the_wizard_offers_every_provider_when_none_is_known() -> None:
    q = provider_question(wizard.WizardContext())
    assert len(q.choices) == 7 and q.details == ""


def test_the_plain_wizard_asks_with_the_loadable_providers(tmp_path: Path) -> None:
    seen: dict[str, wizard.Question] = {}

    class Recording(MappingAsker):
        def ask(self, question: wizard.Question, default: Any) -> Any:
            seen[question.key] = question
            return super().ask(question, default)

    saved = run_plain(Recording(), probe=gpu_machine(), profiles_dir=tmp_path, echo=lambda s: None)
    assert [c.value for c in seen["execution_provider"].choices] == [CPU]
    assert "libcudnn.so.9" in seen["execution_provider"].help
    assert saved.read_text() == dump_profile(default_profile())


# -- profile check and the pre-flight check ----------------------------------------------------


def cuda_profile(tmp_path: Path) -> Path:
    text = (ROOT / "profiles" / "quickstart.yaml").read_text(encoding="utf-8")
    assert f"execution_provider: {CPU}" in text
    path = tmp_path / "cuda.yaml"
    path.write_text(text.replace(f"execution_provider: {CPU}", f"execution_provider: {CUDA}"))
    return path


def test_profile_check_warns_when_the_provider_does_not_load_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_check = system.check_provider
    monkeypatch.setattr(
        system, "check_provider", lambda p, probe=None: real_check(p, gpu_machine())
    )
    path = cuda_profile(tmp_path)
    assert main(["profile", "check", str(path)]) == 0  # a good profile, for another machine too
    out, err = capsys.readouterr()
    assert out.startswith(f"OK: {path}")
    lines = err.splitlines()
    assert lines[0] == (
        f"warning: {path}: backend.execution_provider {CUDA} does not load on this machine: "
        "the dynamic loader cannot load libcudnn.so.9"
    )
    assert lines[1].startswith("  fix: install the CUDA 12 runtime")


def test_the_preflight_item_refuses_a_provider_that_does_not_load(tmp_path: Path) -> None:
    from mlperf_tui.profile import load_profile

    profile = load_profile(cuda_profile(tmp_path))
    problem = ProviderProblem("the dynamic loader cannot load libcudnn.so.9", "install cuDNN 9")
    item = _provider_item(profile, lambda p: problem if p == CUDA else None)
    assert item is not None
    assert item.status == STATUS_SHORTAGE and item.kind == "provider"
    assert CUDA in item.what
    assert item.note == f"{CUDA} does not load here: the dynamic loader cannot load libcudnn.so.9"
    assert item.fix == "install cuDNN 9"
    assert _provider_item(profile, lambda p: None) is None
    # the quickstart's CPU loads on this machine (the real check, in this process)
    assert _provider_item(default_profile()) is None


@pytest.mark.gpu
def test_cuda_loads_on_an_nvidia_gpu_with_the_gpu_build() -> None:
    import onnxruntime

    if CUDA not in onnxruntime.get_available_providers():
        pytest.skip("needs onnxruntime-gpu (this onnxruntime has no CUDA provider)")
    if not detect().facts.nvidia.gpus:
        pytest.skip("needs an NVIDIA GPU (NVML lists none)")
    trial = run_trials([CUDA])[CUDA]
    assert trial.loads, trial
    assert check_provider(CUDA) is None
