"""The files around the LoadGen logs: systems JSON, measurements, accuracy.txt, compliance
verification files and a small PNG, shaped as published submissions have them."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf_tui.rules.model import AccuracyTarget, Benchmark, Scenario

#: the power fields published systems JSONs carry (empty unless the system measured power)
POWER_FIELDS = (
    "boot_firmware_version",
    "disk_controllers",
    "disk_drives",
    "filesystem",
    "management_firmware_version",
    "network_speed_mbit",
    "nics_enabled_connected",
    "nics_enabled_firmware",
    "nics_enabled_os",
    "number_of_type_nics_installed",
    "other_hardware",
    "power_management",
    "power_supply_details",
    "power_supply_quantity_and_rating_watts",
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    # published systems JSONs: sorted keys, four-space indent
    return write(path, json.dumps(data, indent=4, sort_keys=True) + "\n")


def system_description(
    *, division: str, submitter: str, name: str, system_type: str, **fields: Any
) -> dict[str, Any]:
    """A systems JSON of a GPU server, counts as JSON numbers (as published ones write them);
    ``fields`` replace any of its values."""
    data: dict[str, Any] = {
        "accelerator_frequency": "",
        "accelerator_host_interconnect": "PCIe Gen5 x16",
        "accelerator_interconnect": "NVLink, 18 links per GPU",
        "accelerator_interconnect_topology": "",
        "accelerator_memory_capacity": "141 GB",
        "accelerator_memory_configuration": "HBM3e",
        "accelerator_model_name": "NVIDIA H200-SXM-141GB",
        "accelerator_on-chip_memories": "",
        "accelerators_per_node": 8,
        "cooling": "air-cooled",
        "division": division,
        "framework": "TensorRT 10.11, CUDA 12.9",
        "host_memory_capacity": "2 TB",
        "host_memory_configuration": "32x 64 GB DDR5-5600",
        "host_network_card_count": "2x 400Gb Infiniband",
        "host_networking": "Infiniband: Data bandwidth for GPU-PCIe: 504GB/s",
        "host_networking_topology": "Ethernet/Infiniband on switching network",
        "host_processor_caches": "L2: 1 MB per core, L3: 256 MB",
        "host_processor_core_count": 64,
        "host_processor_frequency": "3300 MHz",
        "host_processor_interconnect": "",
        "host_processor_model_name": "AMD EPYC 9575F 64-Core Processor",
        "host_processors_per_node": 2,
        "host_storage_capacity": "15.36 TB",
        "host_storage_type": "NVMe SSD",
        "hw_notes": "",
        "number_of_nodes": 1,
        "operating_system": "Ubuntu 24.04.2 LTS",
        "other_software_stack": "TensorRT 10.11, CUDA 12.9, cuDNN 9.10, Driver 575.57",
        "status": "available",
        "submitter": submitter,
        "sw_notes": "",
        "system_name": name,
        "system_type": system_type,
        "system_type_detail": "N/A",
    }
    data.update({f: "" for f in POWER_FIELDS})
    data.update(fields)
    return data


def measurements(bench: Benchmark, weights: str, data_type: str) -> dict[str, Any]:
    """measurements.json (the checker's SYSTEM_IMP_REQUIRED_FILES keys)."""
    return {
        "input_data_types": "int32" if bench.llm else data_type,
        "retraining": "No",
        "starting_weights_filename": weights,
        "weight_data_types": data_type,
        "weight_transformations": "quantization" if data_type != "fp32" else "none",
    }


USER_CONF = "*.{scenario}.target_qps = {qps}\n*.{scenario}.min_duration = {duration}\n"
README = '# {bench} {scenario}\n\nRun with `make run_harness RUN_ARGS="--scenario {scenario}"`.\n'


# -- accuracy.txt ------------------------------------------------------------------------------


def passing_value(target: AccuracyTarget, *, factor: float = 1.0) -> float:
    """A score the gate accepts (``factor`` below 1 moves it under the target, for open)."""
    low, high = target.threshold, target.upper_limit
    if low is not None and high is not None:
        value = (low + high) / 2
    elif low is not None:
        reference = target.reference or low
        value = (low + reference) / 2 if reference > low else low * 1.002
    else:
        assert high is not None
        value = high * 0.95
    return value * factor


_DICT_METRICS = {
    "ROUGE1": "rouge1",
    "ROUGE2": "rouge2",
    "ROUGEL": "rougeL",
    "ROUGELSUM": "rougeLsum",
    "GEN_LEN": "gen_len",
    "TOKENS_PER_SAMPLE": "tokens_per_sample",
}


def accuracy_lines(bench: Benchmark, scenario: Scenario, *, factor: float = 1.0) -> list[str]:
    """accuracy.txt's score lines as the benchmark's accuracy script prints them."""
    targets = {t.metric: t for t in bench.accuracy_for(scenario)}
    values = {m: passing_value(t, factor=factor) for m, t in targets.items()}
    count = bench.accuracy_samples(scenario)
    if "acc" in values:
        good = round(values["acc"] / 100 * count)
        return [f"accuracy={100 * good / count:.3f}%, good={good}, total={count}"]
    if set(values) & set(_DICT_METRICS):
        # evaluation.py of the LLM references: one Python dict
        scores: dict[str, Any] = {
            "rouge1": 44.6,
            "rouge2": 22.2,
            "rougeL": 28.8,
            "rougeLsum": 42.1,
            "gen_len": 28320537,
            "gen_num": count,
        }
        for metric, value in values.items():
            key = _DICT_METRICS[metric]
            scores[key] = int(value) if metric == "GEN_LEN" else round(value, 4)
        if "TOKENS_PER_SAMPLE" in values:
            scores["gen_tok_len"] = int(scores["tokens_per_sample"] * count)
        ordered = {k: scores.pop(k) for k in ("rouge1", "rouge2", "rougeL", "rougeLsum")}
        ordered.update(scores)
        return ["", "Results", "", repr(ordered), ""]
    if {"FID_SCORE", "CLIP_SCORE"} <= set(values):
        # the SDXL reference prints both scores as strings
        fid, clip = values["FID_SCORE"], values["CLIP_SCORE"]
        return [f"Accuracy Results: {{'FID_SCORE': '{fid!r}', 'CLIP_SCORE': '{clip!r}'}}", ""]
    if "mAP" in values:
        return [f"mAP={values['mAP']:.3f}%"]
    raise ValueError(f"no accuracy.txt format for {sorted(values)}")


def accuracy_txt(lines: list[str], full_log: str) -> str:
    """accuracy.txt with hash= (sha256 of the full accuracy log, as the truncation script adds)."""
    digest = hashlib.sha256(full_log.encode("utf-8")).hexdigest()
    return "\n".join(lines) + f"\nhash={digest}\n"


# -- compliance --------------------------------------------------------------------------------


def test01_verify_accuracy(accuracy_entries: int, performance_entries: int) -> str:
    return (
        "Verifying accuracy. This might take a while...\n"
        "Reading accuracy mode results...\n"
        "Reading performance mode results...\n"
        f"num_acc_log_entries = {accuracy_entries}\n"
        "num_acc_log_duplicate_keys = 0\n"
        "num_acc_log_data_mismatch = 0\n"
        f"num_perf_log_entries = {performance_entries}\n"
        f"num_perf_log_qsl_idx_match = {performance_entries}\n"
        "num_perf_log_data_mismatch = 0\n"
        "num_missing_qsl_idxs = 0\n"
        "TEST PASS\n\n"
    )


def verify_performance(test: str, reference: float, measured: float) -> str:
    # TEST01's script capitalises "Reference", TEST04's does not
    ref, got = ("Reference", "Test") if test == "TEST01" else ("reference", "test")
    return (
        f"Verifying performance.\n{ref} score = {reference:g}\n{got} score = {measured:g}\n"
        "TEST PASS\n"
    )


def test06_verify_accuracy(scenario: Scenario) -> str:
    # the first-token check applies where LoadGen timed the first token (Server/Interactive)
    first = "True" if scenario in (Scenario.SERVER, Scenario.INTERACTIVE) else "Skipped"
    return (
        f"First token check pass: {first}\nEOS check pass: True\n"
        "Sample length check pass: True\nTEST06 verification complete\n"
    )


# -- a small PNG (SDXL's sample images) --------------------------------------------------------


def png(width: int, height: int, seed: int) -> bytes:
    """An RGB PNG with a deterministic gradient."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 8 + seed) % 256, (y * 8 + seed * 3) % 256, (seed * 7) % 256))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def merge(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(base)
    out.update(changes)
    return out
