"""Kidney and kidney-tumour segmentation on KiTS 2019: 3D-UNet-99 and 3D-UNet-99.9.

Both benchmarks run the same model on the same 43 cases; they differ only in the accuracy
target (99% or 99.9% of the reference's mean DICE 0.86170) and in the TEST01 tolerance, which
the rules hold. The closed division runs the reference model (the MLCommons
3dunet_kits19_128x128x128.onnx, given as a path or a URL); the tiny stand-in has its inputs
and outputs and runs the whole flow in seconds per case.
"""

from __future__ import annotations

from mlperf_tui.benchmarks import BenchmarkEntry, DatasetKind, ModelKind
from mlperf_tui.benchmarks.kits19 import data, graphs

KITS19 = DatasetKind(
    name="KiTS 2019 (the KiTS19 data/ folder, or the reference's preprocessed_data folder)",
    slug="kits19",
    marker=data.MARKER,
    sample_bytes=data.SAMPLE_BYTES,
    count=data.count_samples,
    check=data.check_folder,
    synthesize=data.synthesize,
    how_to_get=(
        "the KiTS 2019 challenge data (https://github.com/neheller/kits19: git clone, then "
        "python -m starter_code.get_imaging; about 30 GB), used as its data/ folder, or that "
        "folder preprocessed by the reference's preprocess.py (mlcommons/inference "
        "vision/medical_imaging/3d-unet-kits19, make preprocess_data)"
    ),
    generated_sample_bytes=data.GENERATED_SAMPLE_BYTES,
    response_bytes=data.RESPONSE_BYTES,
    generate_s_per_sample=data.GENERATE_S_PER_SAMPLE,
    preprocess_s_per_sample=data.PREPROCESS_S_PER_SAMPLE,
    preprocessed_in_cache=data.preprocessed_in_cache,
)

UNET3D = BenchmarkEntry(
    benchmarks=("3d-unet-99", "3d-unet-99.9"),
    task="kits19_segmentation",
    models=(
        ModelKind(
            "3d-unet",
            "3D U-Net, the reference model (the MLCommons 3dunet_kits19_128x128x128.onnx)",
            closed=True,
            # assumed, not measured: tens of seconds per 128^3 window on a CPU core and a few
            # dozen windows per case, so minutes per case on a few cores
            per_core_throughput=0.001,
        ),
        ModelKind(
            "tiny-3d-unet",
            "a tiny 3D U-Net with the reference model's inputs and outputs (fast tests only)",
            closed=True,
            standin=graphs.build_tiny_unet,
            package_name="tiny-3d-unet",
            standin_bytes=39_053,
            # measured (benchmarks/unet3d_overhead.py): 5-7 cases/s of one or two windows
            # under LoadGen on two shared cores
            per_core_throughput=3.0,
        ),
    ),
    dataset=KITS19,
    summary=(
        "3D-UNet segments the kidneys and kidney tumours of 43 CT scans of KiTS 2019 (the mean "
        "DICE of kidney and tumour; 99% or 99.9% of 0.86170 in the closed division). Each scan "
        "is resampled, normalised and padded once, then cut into overlapping 128x128x128 "
        "windows whose results are blended with a Gaussian weight: one sample is many model "
        "calls, so the reference model takes minutes per scan on a CPU. mlperf-tui reads the "
        "KiTS19 data/ folder or the reference's preprocessed folder."
    ),
)

ENTRIES = (UNET3D,)
