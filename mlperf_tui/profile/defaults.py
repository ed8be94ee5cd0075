"""The embedded profiles: the quickstart and its valid-execution twin, and profile paths."""

from __future__ import annotations

from pathlib import Path

from mlperf_tui import rules
from mlperf_tui.profile.model import Assets, DatasetAsset, ModelAsset, Profile
from mlperf_tui.profile.yaml_io import profile_to_dict
from mlperf_tui.rules.model import Category, Division, Execution, Mode, Scenario


def default_profile() -> Profile:
    """The quickstart (profiles/quickstart.yaml): resnet50, open, edge, synthetic assets."""
    return Profile(
        benchmark="resnet50",
        division=Division.OPEN,
        category=Category.EDGE,
        scenarios=[Scenario.SINGLE_STREAM, Scenario.OFFLINE],
        modes=[Mode.PERFORMANCE, Mode.ACCURACY],
        execution=Execution.TEST,
        assets=Assets(
            model=ModelAsset(source="synthetic", kind="resnet50"),
            dataset=DatasetAsset(source="synthetic", count=QUICKSTART_DATASET_COUNT),
        ),
        submitter="Quickstart",
        # what detection cannot know; a real submission answers these for its own machine
        system=dict(QUICKSTART_SYSTEM_ANSWERS),
    )


#: the quickstart's answers to the systems-JSON fields only a person knows, so that its package
#: is complete; the wizard asks for them, and a real submission states its own
QUICKSTART_SYSTEM_ANSWERS = {
    "cooling": "air",
    "host_memory_configuration": "not described (quickstart)",
    "status": "rdi",
}


#: samples in the quickstart's synthetic data set: resnet50's performance sample count, so
#: LoadGen's loaded set is full-size, while generating, preprocessing and the accuracy runs
#: stay well inside the quickstart's three minutes on two cores
QUICKSTART_DATASET_COUNT = 1024


def quickstart_valid_profile() -> Profile:
    """profiles/quickstart-valid.yaml: the quickstart in valid execution, tiny model, full size."""
    base = default_profile()
    bench = rules.get_benchmark(base.benchmark, base.round)
    data = profile_to_dict(base)
    data["execution"] = Execution.VALID.value
    data["assets"]["model"]["kind"] = "tiny"
    data["assets"]["dataset"]["count"] = bench.dataset_size
    return Profile.model_validate(data)


def resolve_profile_path(value: str, profile_file: str | Path | None) -> Path:
    """A path written in a profile: ``~`` expanded; relative ones against the profile's folder."""
    path = Path(value).expanduser()
    if path.is_absolute() or profile_file is None:
        return path
    return Path(profile_file).resolve().parent / path
