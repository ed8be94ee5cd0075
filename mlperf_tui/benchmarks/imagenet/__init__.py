"""Image classification on ImageNet: ResNet50 v1.5, and MobileNet / EfficientNet in open.

The closed division runs the reference ResNet50 v1.5. The open division may run any ImageNet
classifier; the MobileNet and EfficientNet-lite families (the rules' "non-reference models")
are submitted as the checker's ``resnet`` through ``model_mapping.json``, each with its own
preprocessing (inputs in [-1, 1]) at the size its model declares.
"""

from __future__ import annotations

from mlperf_tui.benchmarks import BenchmarkEntry, DatasetKind, ModelKind
from mlperf_tui.benchmarks.imagenet import data, graphs

IMAGENET = DatasetKind(
    name="ImageNet 2012 validation (JPEGs + val_map.txt)",
    slug="imagenet",
    marker=data.VAL_MAP,
    sample_bytes=data.SAMPLE_BYTES,
    count=data.count_samples,
    check=data.check_folder,
    synthesize=data.synthesize,
    how_to_get=(
        "the 50,000 validation images of ILSVRC2012 with the MLCommons val_map.txt "
        "(https://image-net.org, after registering)"
    ),
    generated_sample_bytes=data.GENERATED_SAMPLE_BYTES,
    loaded_sample_bytes=data.LOADED_SAMPLE_BYTES,
    response_bytes=data.RESPONSE_BYTES,
    generate_s_per_sample=data.GENERATE_S_PER_SAMPLE,
    preprocess_s_per_sample=data.PREPROCESS_S_PER_SAMPLE,
    preprocessed_in_cache=data.preprocessed_in_cache,
)

RESNET50 = BenchmarkEntry(
    benchmarks=("resnet50",),
    task="imagenet_classification",
    # standin_bytes: the generated files' sizes (the same for every seed)
    models=(
        ModelKind(
            "resnet50",
            "ResNet50 v1.5, the reference model (the MLCommons resnet50_v1.onnx)",
            closed=True,
            standin=graphs.build_resnet50,
            standin_bytes=102_150_101,
            per_core_throughput=8.0,
        ),
        ModelKind(
            "tiny",
            "a tiny classifier with the ResNet50 inputs and outputs (fast tests only)",
            closed=True,
            standin=graphs.build_tiny,
            standin_bytes=593_752,
            package_name="resnet50-tiny",
            per_core_throughput=2500.0,
        ),
        ModelKind(
            "mobilenet",
            "MobileNet-v1 1.0 224 (open division; inputs in [-1, 1])",
            task_options={"preprocessing": "mobilenet"},
            standin=graphs.build_mobilenet,
            standin_bytes=16_900_370,
            package_name="mobilenet",
            per_core_throughput=60.0,
        ),
        ModelKind(
            "efficientnet-lite",
            "EfficientNet-lite0 (open division; inputs in [-1, 1])",
            task_options={"preprocessing": "mobilenet"},
            standin=graphs.build_efficientnet_lite,
            standin_bytes=18_547_649,
            package_name="efficientnet-lite0",
            per_core_throughput=40.0,
        ),
    ),
    dataset=IMAGENET,
    summary=(
        "ResNet50 v1.5 classifies the 50,000 ImageNet validation images (top-1 accuracy, "
        "99% of 76.46% in the closed division). It runs here with ONNX Runtime on the CPU or "
        "a GPU. In the open division mlperf-tui also runs MobileNet and EfficientNet-lite "
        "models, submitted as resnet through model_mapping.json."
    ),
)

ENTRIES = (RESNET50,)
