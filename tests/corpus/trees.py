"""The corpus trees: real-shaped submissions of rounds v5.1 and v6.1, each under its own folder.

:data:`TREES` lists them (name -> :class:`CorpusTree`); ``CorpusTree.build(dest)`` writes the
tree into ``dest`` (the folder that then holds closed/ or open/) and returns it. Building is
deterministic: the same bytes every time.

The layouts are those of the published results of each round: v5.1 keeps the code in code/,
each scenario's measurements in measurements/<system>/<benchmark>/<scenario>/ (with a
<system>_<scenario>.json) and its compliance runs in compliance/<system>/<benchmark>/<scenario>/;
v6.1 keeps the code in src/ and both of those in the results' scenario folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus import mllog, parts
from corpus.mllog import Run
from mlperf_tui import rules
from mlperf_tui.rules.model import Benchmark, Round, Scenario


@dataclass(frozen=True)
class Layout:
    code: str
    measurements_beside_results: bool
    compliance_beside_results: bool


#: where published trees of each round keep things
LAYOUTS = {
    "v5.1": Layout("code", measurements_beside_results=False, compliance_beside_results=False),
    "v6.1": Layout("src", measurements_beside_results=True, compliance_beside_results=True),
}


@dataclass
class Submission:
    """One submitter folder of a tree being built."""

    root: Path
    version: str
    division: str
    submitter: str
    round: Round = field(init=False)
    layout: Layout = field(init=False)

    def __post_init__(self) -> None:
        self.round = rules.get_round(self.version)
        self.layout = LAYOUTS[self.version]

    @property
    def base(self) -> Path:
        return self.root / self.division / self.submitter

    def bench(self, name: str) -> Benchmark:
        return rules.get_benchmark(name, self.version)

    # -- the submitter's folders ----------------------------------------------------------

    def system(self, name: str, system_type: str, **fields: Any) -> None:
        data = parts.system_description(
            division=self.division,
            submitter=self.submitter,
            name=name,
            system_type=system_type,
            **fields,
        )
        parts.write_json(self.base / "systems" / f"{name}.json", data)
        parts.write(
            self.base / "results" / name / "README.md",
            f"# {name}\n\nResults of {self.submitter} on {name}.\n",
        )

    def code(self, folder: str) -> None:
        where = self.base / self.layout.code / folder
        parts.write(where / "README.md", f"# {folder}\n\nThe harness that produced the results.\n")
        parts.write(where / "harness.py", '"""LoadGen harness."""\n\nimport mlperf_loadgen\n')

    def documentation(self) -> None:
        # the legacy checker wants calibration documentation in the closed division
        parts.write(
            self.base / "calibration.md",
            "# Calibration\n\nWeights quantized with the calibration set of the benchmark.\n",
        )

    # -- a scenario folder ----------------------------------------------------------------

    def scenario_dir(self, system: str, folder: str, scenario: Scenario) -> Path:
        return self.base / "results" / system / folder / scenario.value

    def measurements(
        self,
        system: str,
        folder: str,
        bench: Benchmark,
        scenario: Scenario,
        *,
        data_type: str,
        qps: float,
        user_conf: bool = True,
    ) -> None:
        if self.layout.measurements_beside_results:
            where = self.scenario_dir(system, folder, scenario)
            json_name = "measurements.json"
        else:
            where = self.base / "measurements" / system / folder / scenario.value
            json_name = f"{system}_{scenario.value}.json"
        parts.write_json(
            where / json_name,
            parts.measurements(bench, f"{bench.reference_model} (MLCommons)", data_type),
        )
        if user_conf:
            loadgen_scenario = "Server" if scenario is Scenario.INTERACTIVE else scenario.value
            parts.write(
                where / "user.conf",
                parts.USER_CONF.format(
                    scenario=loadgen_scenario, qps=qps, duration=self.round.min_duration_ms
                ),
            )
        parts.write(
            where / "README.md", parts.README.format(bench=bench.name, scenario=scenario.value)
        )

    def compliance_dir(self, system: str, folder: str, scenario: Scenario) -> Path:
        if self.layout.compliance_beside_results:
            return self.scenario_dir(system, folder, scenario)
        return self.base / "compliance" / system / folder / scenario.value

    def loadgen_scenario(
        self,
        system: str,
        folder: str,
        scenario: Scenario,
        *,
        qps: float = 1.0,
        latency_ms: float = 1.0,
        tokens_per_sample: float = 0.0,
        data_type: str = "int8",
        accuracy_factor: float = 1.0,
        trace: bool = False,
        benchmark: str | None = None,
    ) -> None:
        """A scenario run under LoadGen: performance/run_1, accuracy/, measurements and (closed)
        the benchmark's compliance tests. ``benchmark``: the benchmark an open-division model
        folder stands for (default: the folder's name)."""
        bench = self.bench(benchmark or folder)
        where = self.scenario_dir(system, folder, scenario)
        run = Run(
            self.round,
            bench,
            scenario,
            "performance",
            qps=qps,
            latency_ms=latency_ms,
            tokens_per_sample=tokens_per_sample,
        )
        perf = where / "performance" / "run_1"
        parts.write(perf / "mlperf_log_detail.txt", mllog.detail_log(run))
        parts.write(perf / "mlperf_log_summary.txt", mllog.summary_log(run))
        if trace:
            parts.write(perf / "mlperf_log_trace.json", "")  # LoadGen's (empty) trace
        acc_run = Run(self.round, bench, scenario, "accuracy", qps=qps, latency_ms=latency_ms)
        acc = where / "accuracy"
        parts.write(acc / "mlperf_log_detail.txt", mllog.detail_log(acc_run))
        parts.write(acc / "mlperf_log_summary.txt", mllog.summary_log(acc_run))
        full = mllog.accuracy_log(
            bench.accuracy_samples(scenario), bytes_per_sample=32 if bench.llm else 4
        )
        parts.write(acc / "mlperf_log_accuracy.json", mllog.truncate(full))
        lines = parts.accuracy_lines(bench, scenario, factor=accuracy_factor)
        parts.write(acc / "accuracy.txt", parts.accuracy_txt(lines, full))
        for extra, stems in bench.accuracy_extra_files.items():
            for i, stem in enumerate(stems):
                parts.write(acc / extra / f"{stem}.png", parts.png(16, 16, seed=i))
            parts.write(
                acc / extra / "captions.txt",
                "".join(f"{stem}: a photograph of sample {stem}\n" for stem in stems),
            )
        self.measurements(system, folder, bench, scenario, data_type=data_type, qps=qps)
        if self.division == "closed":
            self._compliance(system, folder, bench, run, full)

    def _compliance(
        self, system: str, folder: str, bench: Benchmark, run: Run, full_accuracy: str
    ) -> None:
        where = self.compliance_dir(system, folder, run.folder)
        for test in bench.compliance_tests:
            test_dir = where / test
            if test in ("TEST01", "TEST04"):
                settings = mllog.parse_audit_config(
                    rules.audit_config(test, bench), bench.loadgen_model, run.scenario
                )
                audit_run = Run(
                    run.round,
                    bench,
                    run.folder,
                    "performance",
                    qps=run.qps,
                    latency_ms=run.latency_ms,
                    tokens_per_sample=run.tokens_per_sample,
                    audit=test,
                    audit_settings=settings,
                )
                perf = test_dir / "performance" / "run_1"
                parts.write(perf / "mlperf_log_detail.txt", mllog.detail_log(audit_run))
                parts.write(perf / "mlperf_log_summary.txt", mllog.summary_log(audit_run))
                figure = mllog.performance_figure(run)
                parts.write(
                    test_dir / "verify_performance.txt",
                    parts.verify_performance(test, figure, figure * 1.004),
                )
            if test == "TEST01":
                sampled = mllog.accuracy_log(min(bench.accuracy_samples(run.folder), 512), salt=7)
                parts.write(
                    test_dir / "accuracy" / "mlperf_log_accuracy.json", mllog.truncate(sampled)
                )
                parts.write(
                    test_dir / "accuracy" / "accuracy.txt",
                    parts.accuracy_txt(parts.accuracy_lines(bench, run.folder), sampled),
                )
                parts.write(
                    test_dir / "verify_accuracy.txt",
                    parts.test01_verify_accuracy(
                        bench.accuracy_samples(run.folder), bench.performance_sample_count
                    ),
                )
            if test == "TEST06":
                sampled = mllog.accuracy_log(100, bytes_per_sample=32, salt=11)
                parts.write(
                    test_dir / "accuracy" / "mlperf_log_accuracy.json", mllog.truncate(sampled)
                )
                parts.write(
                    test_dir / "verify_accuracy.txt", parts.test06_verify_accuracy(run.folder)
                )

    def endpoints_scenario(
        self,
        system: str,
        folder: str,
        scenario: Scenario,
        *,
        latency_ms: float,
        score: float | dict[str, float],
        data_type: str,
        qps: float | None = None,
        ttft_ms: float | None = None,
        tpot_ms: float | None = None,
        audits: tuple[str, ...] = (),
    ) -> None:
        """A scenario run with the MLCommons endpoints tool (config.yaml, result_summary.json,
        accuracy_results.json instead of LoadGen's logs). ``qps``: a throughput run (Offline,
        Server, Interactive), else one query at a time; ``audits``: compliance audits the tool
        wrote (audit/audit_<name>.json, passed)."""
        bench = self.bench(folder)
        where = self.scenario_dir(system, folder, scenario)
        seeds = self.round.seeds
        count = bench.accuracy_samples(scenario)
        duration_ms = self.round.min_duration_ms
        kind = "offline" if scenario is Scenario.OFFLINE else "online"
        if qps is None:
            pattern = "    type: concurrency\n    target_concurrency: 1\n"
        elif scenario is Scenario.OFFLINE:
            pattern = "    type: max_throughput\n"
        else:
            pattern = f"    type: poisson\n    target_qps: {qps}\n"
        config = (
            f"name: {scenario.value.lower()}-{bench.name}-submission\n"
            "version: '1.0'\n"
            f"type: {kind}\n"
            "submission_ref:\n"
            f"  model: {bench.name}\n"
            f"  ruleset: mlperf-inference-{self.version}\n"
            "model_params:\n"
            f"  name: contoso/{bench.name}-nvfp4\n"
            "  temperature: 0.0\n"
            "  max_new_tokens: 2048\n"
            f"  streaming: '{'off' if scenario is Scenario.OFFLINE else 'on'}'\n"
            "datasets:\n"
            f"- name: {bench.name}::perf\n"
            "  type: performance\n"
            f"- name: {bench.name}::accuracy\n"
            "  type: accuracy\n"
            "settings:\n"
            "  runtime:\n"
            f"    min_duration_ms: {duration_ms}\n"
            f"    max_duration_ms: {duration_ms * 24}\n"
            f"    n_samples_to_issue: {count}\n"
            f"    scheduler_random_seed: {seeds.schedule_rng_seed}\n"
            f"    dataloader_random_seed: {seeds.sample_index_rng_seed}\n"
            "  load_pattern:\n"
            f"{pattern}"
            "  early_stopping:\n"
            "    enabled: true\n"
            "endpoint_config:\n"
            "  endpoints:\n"
            "  - http://127.0.0.1:8000\n"
            "  api_type: openai\n"
        )
        parts.write(where / "config.yaml", config)
        latency_ns = latency_ms * 1e6
        if qps is None:
            samples = max(count, int(duration_ms / latency_ms * 1.02))
            duration_ns = int(samples * latency_ns)
        else:
            samples = max(count, int(qps * duration_ms / 1000 * 1.02))
            duration_ns = int(samples / qps * 1e9)

        def series(p99: float) -> dict[str, Any]:
            grid = {"50.0": 0.78, "90.0": 0.9, "95.0": 0.94, "99.0": 1.0, "99.9": 1.08}
            return {
                "min": int(p99 * 0.4),
                "max": int(p99 * 1.3),
                "avg": int(p99 * 0.8),
                "percentiles": {k: int(p99 * v * 0.99) for k, v in grid.items()},
                "early_stopping_percentiles": {k: int(p99 * v) for k, v in grid.items()},
            }

        summary: dict[str, Any] = {
            "version": "1.0",
            "git_sha": "bf9d12b",
            "test_started_at": mllog.TEST_DATETIME,
            "n_samples_issued": samples,
            "n_samples_completed": samples,
            "n_samples_failed": 0,
            "duration_ns": duration_ns,
            "qps": round(samples / (duration_ns / 1e9), 4),
            "latency": series(latency_ns),
            "output_sequence_lengths": {"min": 12, "max": 2048, "avg": 318.4},
        }
        if scenario is not Scenario.OFFLINE:
            summary["ttft"] = series((ttft_ms or latency_ms * 0.3) * 1e6)
            summary["tpot"] = series((tpot_ms or latency_ms * 0.002) * 1e6)
        summary["tps"] = round(summary["qps"] * 318.4, 2)
        parts.write_json(where / "performance" / "result_summary.json", summary)
        accuracy = {
            "accuracy_scores": [
                {
                    "dataset_name": f"{bench.name}::accuracy",
                    "dataset_type": "accuracy",
                    "eval_method": "reference",
                    "total_samples": count,
                    "score": round(score, 4) if isinstance(score, float) else score,
                }
            ],
            "n_samples_failed": 0,
        }
        parts.write_json(where / "accuracy" / "accuracy_results.json", accuracy)
        for audit in audits:
            parts.write_json(
                where / "audit" / f"audit_{audit}.json",
                {"test": audit, "passed": True, "details": {"samples_checked": 100}},
            )
        self.measurements(
            system, folder, bench, scenario, data_type=data_type, qps=qps or 0, user_conf=False
        )

    def model_mapping(self, mapping: dict[str, str]) -> None:
        parts.write(self.base / "model_mapping.json", json.dumps(mapping, indent=2) + "\n")


def _root_readme(root: Path, text: str) -> None:
    parts.write(root / "README.md", f"# MLPerf Inference submission\n\n{text}\n")


# -- the trees ---------------------------------------------------------------------------------


def v51_llama2_datacenter(dest: Path) -> Path:
    """(a) v5.1 closed datacenter llama2-70b-99: Offline, Server and Interactive (LoadGen runs it
    as Server with the -interactive TTFT/TPOT), tokens/s results, TEST06 in compliance/,
    measurements in measurements/, code in code/; counts in the systems JSON as numbers."""
    sub = Submission(dest, "v5.1", "closed", "Contoso")
    system = "CTS-H200x8_TRT"
    sub.system(system, "datacenter")
    sub.code("llama2-70b-99")
    sub.documentation()
    for scenario, qps in (
        (Scenario.OFFLINE, 92.5),
        (Scenario.SERVER, 81.2),
        (Scenario.INTERACTIVE, 56.4),
    ):
        sub.loadgen_scenario(
            system,
            "llama2-70b-99",
            scenario,
            qps=qps,
            tokens_per_sample=294.0,
            data_type="fp8",
            trace=scenario is Scenario.SERVER,  # LoadGen's (empty) trace left beside the logs
        )
    _root_readme(dest, "Contoso's v5.1 closed results.")
    return dest


def v51_sdxl_edge_datacenter(dest: Path) -> Path:
    """(b) v5.1 closed stable-diffusion-xl on an edge system (SingleStream, Offline) and a
    datacenter system (Server, Offline): accuracy/images with the round's 10 sample ids,
    FID/CLIP in accuracy.txt, TEST01 and TEST04 in compliance/."""
    sub = Submission(dest, "v5.1", "closed", "Contoso")
    edge, dc = "CTS-Orin-AGX_TRT", "CTS-L40Sx8_TRT"
    sub.system(
        edge,
        "edge",
        accelerators_per_node=1,
        accelerator_model_name="NVIDIA Jetson AGX Orin 64G",
        accelerator_memory_capacity="64 GB (shared with host)",
        accelerator_memory_configuration="LPDDR5",
        accelerator_interconnect="N/A",
        accelerator_host_interconnect="N/A",
        host_processor_model_name="12-core Arm Cortex-A78AE v8.2 64-bit CPU",
        host_processors_per_node=1,
        host_processor_core_count=12,
        host_memory_capacity="64 GB (shared with accelerator)",
        host_memory_configuration="LPDDR5",
        host_storage_capacity="64 GB",
        host_storage_type="eMMC 5.1",
        host_networking="Gig Ethernet",
        host_network_card_count="1 Integrated",
        host_networking_topology="N/A",
        framework="TensorRT 10.3, CUDA 12.6",
        other_software_stack="TensorRT 10.3, CUDA 12.6, cuDNN 9.3, JetPack 6.1",
        operating_system="Jetson r36.4 L4T",
        system_type_detail="embedded",
    )
    sub.system(
        dc,
        "datacenter",
        accelerator_model_name="NVIDIA L40S",
        accelerator_memory_capacity="48 GB",
        accelerator_memory_configuration="GDDR6",
        accelerator_interconnect="N/A",
        host_processor_model_name="Intel(R) Xeon(R) Platinum 8480+",
        host_processor_core_count=56,
    )
    sub.code("stable-diffusion-xl")
    sub.documentation()
    sdxl = "stable-diffusion-xl"
    sub.loadgen_scenario(edge, sdxl, Scenario.SINGLE_STREAM, latency_ms=6950.0, data_type="fp16")
    sub.loadgen_scenario(edge, sdxl, Scenario.OFFLINE, qps=0.152, data_type="fp16", trace=True)
    sub.loadgen_scenario(dc, sdxl, Scenario.SERVER, qps=5.1, data_type="fp8")
    sub.loadgen_scenario(dc, sdxl, Scenario.OFFLINE, qps=5.6, data_type="fp8")
    _root_readme(dest, "Contoso's v5.1 closed SDXL results.")
    return dest


def v61_resnet_edge(dest: Path) -> Path:
    """(c) v6.1 closed edge resnet50: SingleStream, MultiStream and Offline runs (none inferred),
    TEST01 and TEST04 and measurements.json beside the results, code in src/."""
    sub = Submission(dest, "v6.1", "closed", "Contoso")
    system = "CTS-EdgeBox-RTX4000_TRT"
    sub.system(
        system,
        "edge",
        accelerators_per_node=1,
        accelerator_model_name="NVIDIA RTX 4000 Ada Generation",
        accelerator_memory_capacity="20 GB",
        accelerator_memory_configuration="GDDR6",
        accelerator_interconnect="N/A",
        host_processor_model_name="Intel(R) Xeon(R) Gold 6430",
        host_processors_per_node=1,
        host_processor_core_count=32,
        host_memory_capacity="256 GB",
        host_network_card_count="1x 10GbE",
        host_networking="Ethernet 10 Gb/s",
        host_networking_topology="N/A",
        system_type_detail="edge server",
    )
    sub.code("resnet")
    sub.documentation()
    sub.loadgen_scenario(system, "resnet", Scenario.SINGLE_STREAM, latency_ms=0.46, trace=True)
    sub.loadgen_scenario(system, "resnet", Scenario.MULTI_STREAM, latency_ms=2.95)
    sub.loadgen_scenario(system, "resnet", Scenario.OFFLINE, qps=9870.0)
    _root_readme(dest, "Contoso's v6.1 closed edge results.")
    return dest


def v61_llama31_8b_datacenter(dest: Path) -> Path:
    """(d) v6.1 closed datacenter llama3.1-8b: Offline and Interactive (a Server run with the
    Interactive TTFT/TPOT), TEST06 beside the results."""
    sub = Submission(dest, "v6.1", "closed", "Contoso")
    system = "CTS-B200x8_TRT"
    sub.system(
        system,
        "datacenter",
        accelerator_model_name="NVIDIA B200-SXM-180GB",
        accelerator_memory_capacity="180 GB",
        accelerator_memory_configuration="HBM3e",
        host_processor_model_name="Intel(R) Xeon(R) Platinum 8570",
        host_processor_core_count=56,
    )
    sub.code("llama3.1-8b")
    sub.documentation()
    for scenario, qps in ((Scenario.OFFLINE, 1210.0), (Scenario.INTERACTIVE, 640.0)):
        sub.loadgen_scenario(
            system,
            "llama3.1-8b",
            scenario,
            qps=qps,
            tokens_per_sample=118.0,
            data_type="fp4",
            trace=scenario is Scenario.OFFLINE,
        )
    _root_readme(dest, "Contoso's v6.1 closed LLM results.")
    return dest


def v61_endpoints_qwen36_edge(dest: Path) -> Path:
    """(e) v6.1 closed edge qwen3.6-27b SingleStream from the MLCommons endpoints tool: a scenario
    folder with config.yaml, performance/result_summary.json and accuracy/accuracy_results.json
    (no LoadGen logs), measurements.json and README.md beside them (no user.conf)."""
    sub = Submission(dest, "v6.1", "closed", "Contoso")
    system = "CTS-Spark-GB10"
    sub.system(
        system,
        "edge",
        accelerators_per_node=1,
        accelerator_model_name="NVIDIA GB10",
        accelerator_memory_capacity="128 GB (unified)",
        accelerator_memory_configuration="LPDDR5X",
        accelerator_interconnect="N/A",
        accelerator_host_interconnect="NVLink-C2C",
        host_processor_model_name="NVIDIA Grace (10x Cortex-X925 + 10x Cortex-A725)",
        host_processors_per_node=1,
        host_processor_core_count=20,
        host_memory_capacity="128 GB (unified)",
        host_memory_configuration="LPDDR5X-9400",
        host_storage_capacity="4 TB",
        host_network_card_count="1x 10GbE",
        host_networking="Ethernet 10 Gb/s",
        host_networking_topology="N/A",
        framework="vLLM 0.11, CUDA 13.0",
        other_software_stack="CUDA 13.0, MLCommons endpoints bf9d12b",
        system_type_detail="desktop",
    )
    sub.code("qwen3.6-27b")
    sub.documentation()
    bench = sub.bench("qwen3.6-27b")
    target = bench.accuracy_for(Scenario.SINGLE_STREAM)[0]
    sub.endpoints_scenario(
        system,
        "qwen3.6-27b",
        Scenario.SINGLE_STREAM,
        latency_ms=3800.0,
        score=parts.passing_value(target),
        data_type="nvfp4",
    )
    _root_readme(dest, "Contoso's v6.1 closed endpoints results.")
    return dest


def v61_open_mobilenet(dest: Path) -> Path:
    """(f) v6.1 open division on a CPU-only edge system: "mobilenet-v4-int8" mapped to resnet in
    model_mapping.json, "efficientnet-lite4" found only by the checker's name guess; accuracy
    below the closed target (allowed in open); no compliance tests."""
    sub = Submission(dest, "v6.1", "open", "Fabrikam")
    system = "FBK-RPi5-8GB"
    sub.system(
        system,
        "edge",
        accelerators_per_node="0",  # the number 0 reads as no answer to the checker
        accelerator_model_name="N/A",
        accelerator_memory_capacity="N/A",
        accelerator_memory_configuration="N/A",
        accelerator_interconnect="N/A",
        accelerator_host_interconnect="N/A",
        host_processor_model_name="Broadcom BCM2712 (4x Arm Cortex-A76)",
        host_processors_per_node=1,
        host_processor_core_count=4,
        host_memory_capacity="8 GB",
        host_memory_configuration="LPDDR4X-4267",
        host_storage_capacity="128 GB",
        host_storage_type="microSD",
        host_network_card_count="1x 1GbE",
        host_networking="Gig Ethernet",
        host_networking_topology="N/A",
        framework="TFLite 2.16 (XNNPACK)",
        other_software_stack="Python 3.11, mlcommons-loadgen 6.1.0",
        operating_system="Raspberry Pi OS (Debian 12)",
        cooling="active fan",
        system_type_detail="single-board computer",
    )
    sub.model_mapping({"mobilenet-v4-int8": "resnet"})
    sub.code("mobilenet-v4-int8")
    sub.code("efficientnet-lite4")
    for folder, latency, qps in (
        ("mobilenet-v4-int8", 9.8, 118.0),
        ("efficientnet-lite4", 31.5, 36.0),
    ):
        for scenario in (Scenario.SINGLE_STREAM, Scenario.OFFLINE):
            sub.loadgen_scenario(
                system,
                folder,
                scenario,
                latency_ms=latency,
                qps=qps,
                data_type="int8",
                accuracy_factor=0.965,
                benchmark="resnet",
            )
    _root_readme(dest, "Fabrikam's v6.1 open results.")
    return dest


def v61_endpoints_llama31_8b_datacenter(dest: Path) -> Path:
    """(e2) v6.1 closed datacenter llama3.1-8b from the endpoints tool: Offline and Interactive
    (config.yaml type offline / online, TTFT/TPOT under the Interactive limits), the TEST06
    consistency audit the tool writes."""
    sub = Submission(dest, "v6.1", "closed", "Contoso")
    system = "CTS-B200x8_vLLM"
    sub.system(
        system,
        "datacenter",
        accelerator_model_name="NVIDIA B200-SXM-180GB",
        accelerator_memory_capacity="180 GB",
        host_processor_model_name="Intel(R) Xeon(R) Platinum 8570",
        host_processor_core_count=56,
        framework="vLLM 0.11, CUDA 13.0",
    )
    sub.code("llama3.1-8b")
    sub.documentation()
    bench = sub.bench("llama3.1-8b")
    scores = {
        t.metric.lower(): round(parts.passing_value(t), 4)
        for t in bench.accuracy_for(Scenario.OFFLINE)
    }
    ttft = bench.ttft_ns[Scenario.INTERACTIVE] / 1e6 * 0.6
    tpot = bench.tpot_ns[Scenario.INTERACTIVE] / 1e6 * 0.8
    for scenario, qps in ((Scenario.OFFLINE, 1190.0), (Scenario.INTERACTIVE, 610.0)):
        sub.endpoints_scenario(
            system,
            "llama3.1-8b",
            scenario,
            latency_ms=ttft + tpot * 130,
            qps=qps,
            ttft_ms=ttft,
            tpot_ms=tpot,
            score=scores,
            data_type="nvfp4",
            audits=("consistency_output_test",),
        )
    _root_readme(dest, "Contoso's v6.1 closed endpoints LLM results.")
    return dest


@dataclass(frozen=True)
class CorpusTree:
    name: str
    version: str
    build: Callable[[Path], Path]
    #: the official (modular) checker's verdict is "ok"; else what it says instead, and why
    official_quirk: str | None = None
    #: the legacy checker (submission_checker_old.py) knows the round
    legacy_knows_round: bool = True
    #: what the legacy checker says about a tree it does not accept (None: it accepts it)
    legacy_quirk: str | None = None
    #: findings of our validator that are not errors, by id (warnings/notices we expect)
    expected_notes: frozenset[str] = frozenset()

    @property
    def description(self) -> str:
        return (self.build.__doc__ or "").strip().split("\n")[0]


TREES: dict[str, CorpusTree] = {
    t.name: t
    for t in (
        CorpusTree("v51_llama2_datacenter", "v5.1", v51_llama2_datacenter),
        CorpusTree("v51_sdxl_edge_datacenter", "v5.1", v51_sdxl_edge_datacenter),
        CorpusTree("v61_resnet_edge", "v6.1", v61_resnet_edge),
        CorpusTree("v61_llama31_8b_datacenter", "v6.1", v61_llama31_8b_datacenter),
        CorpusTree("v61_endpoints_qwen36_edge", "v6.1", v61_endpoints_qwen36_edge),
        CorpusTree(
            "v61_endpoints_llama31_8b_datacenter", "v6.1", v61_endpoints_llama31_8b_datacenter
        ),
        CorpusTree(
            "v61_open_mobilenet",
            "v6.1",
            v61_open_mobilenet,
            expected_notes=frozenset({"accuracy.below-target", "tree.guessed-benchmark"}),
        ),
    )
}
