"""Facts of the official submission checker that are not rules of a benchmark: the files each
folder of a package holds, the lines the checker reads, the fields it computes with.

Source: mlcommons/inference, tools/submission/submission_checker (constants.py, utils.py,
checks/*.py, parsers/endpoints_parser.py) and submission_checker_old.py. The packager writes
what these name; the validator checks it. Where a round changes one, the round's rules hold it
(:class:`~mlperf_tui.rules.model.Layout`, the seeds, the benchmarks' tables).
"""

from __future__ import annotations

from collections.abc import Mapping

from mlperf_tui.rules.model import Scenario

PERFORMANCE_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
OPTIONAL_PERFORMANCE_FILES = ("mlperf_log_accuracy.json",)
#: files the checker's files_diff always tolerates in a folder with an exact file list
TOLERATED_FILES = ("mlperf_log_trace.json", "results.json", ".gitkeep")
#: a power submission's extra files (REQUIRED_PERF_POWER_FILES, REQUIRED_POWER_FILES)
#: the analyser's samples of a run; the power client's and server's session records;
#: PTDaemon's log
SAMPLE_LOG, CLIENT_JSON, SERVER_JSON, PTD_LOG = (
    "spl.txt",
    "client.json",
    "server.json",
    "ptd_logs.txt",
)
POWER_RUN_FILES = (SAMPLE_LOG,)
#: a power result's folders beside performance/run_1 (the ranging run, the session's records)
RANGING_DIR, POWER_DIR = "ranging", "power"
POWER_FILES = (CLIENT_JSON, "client.log", PTD_LOG, SERVER_JSON, "server.log")
ACCURACY_FILES = (
    "mlperf_log_summary.txt",
    "mlperf_log_detail.txt",
    "accuracy.txt",
    "mlperf_log_accuracy.json",
)
MEASURE_FILES = ("user.conf", "README.md")
MEASUREMENT_FIELDS = (
    "input_data_types",
    "retraining",
    "starting_weights_filename",
    "weight_data_types",
    "weight_transformations",
)
TEST01_ACCURACY_FILES = (
    "mlperf_log_accuracy.json",
    "accuracy.txt",
    "baseline_accuracy.txt",
    "compliance_accuracy.txt",
)
PASS_LINE = "TEST PASS"
#: TEST06's verify_accuracy.txt lines the checker looks for (any of each tuple)
TEST06_PASS_LINES: tuple[tuple[str, ...], ...] = (
    ("First token check pass: True", "First token check pass: Skipped"),
    ("EOS check pass: True",),
    ("Sample length check pass: True",),
)
#: network division: the SUT name must say so (NETWORK_MODE_REQUIRED_SUBSTRING_IN_SUT_NAME)
NETWORK_SUT_NAME = "Network SUT"
#: the systems-JSON fields the official results tools compute with as whole numbers (the
#: checker's results.py multiplies number_of_nodes by accelerators_per_node with int();
#: generate_final_report.py does int(x["host_processors_per_node"]))
INT_COMPUTED_FIELDS = ("number_of_nodes", "accelerators_per_node", "host_processors_per_node")
#: text fields the checkers lower-case, compare with strings or join with text (system_check.py;
#: the legacy checker's CSV writer): a number there stops them
TEXT_ONLY_FIELDS = (
    "division",
    "submitter",
    "status",
    "system_type",
    "system_name",
    "host_processor_model_name",
    "accelerator_model_name",
    "framework",
    "operating_system",
    "hw_notes",
    "sw_notes",
)
#: the fields a system with is_network needs (SYSTEM_DESC_REQUIRED_FIELDS_NETWORK_MODE)
NETWORK_FIELDS = (
    "is_network",
    "network_type",
    "network_media",
    "network_rate",
    "nic_loadgen",
    "number_nic_loadgen",
    "net_software_stack_loadgen",
    "network_protocol",
    "number_connections",
    "nic_sut",
    "number_nic_sut",
    "net_software_stack_sut",
    "network_topology",
)
#: at the package root the legacy checker allows only these (README.md, a PDF)
ROOT_FILE_SUFFIXES = (".md", ".pdf")
#: TEST01/accuracy when verify_accuracy.txt passes (the legacy REQUIRED_TEST01_ACC_FILES_1)
TEST01_PASSED_ACCURACY_FILES = ("mlperf_log_accuracy.json", "accuracy.txt")
#: the checker's name guesses (Config.get_mlperf_model) after its model list and mappings
NAME_GUESSES: tuple[tuple[str, str], ...] = (
    ("mobilenet", "resnet"),
    ("efficientnet", "resnet"),
    ("resnet50", "resnet"),
    ("bert-99.9", "bert-99.9"),
    ("bert-99", "bert-99"),
    ("llama3_1-405b", "llama3.1-405b"),
)
#: the endpoints tool's compliance audit names (ENDPOINTS_COMPLIANCE_MAPPING)
ENDPOINTS_AUDITS: Mapping[str, str] = {
    "TEST01": "accuracy_in_performance_test",
    "TEST04": "output_caching_test",
    "TEST06": "consistency_output_test",
    "TEST07": "accuracy_in_performance_full_test",
    "TEST08": "accuracy_in_performance_dlrmv3_test",
}

#: accuracy.txt patterns per metric (the checker's ACC_PATTERN, same matches)
ACCURACY_PATTERNS: Mapping[str, str] = {
    "acc": r"^(?:\{\"accuracy|accuracy)[\": ]*=?\s*([\d\.]+).*",
    "meanAcc": r".*'mean-accuracy':\s+'?([\d.]+)'?.*",
    "mAP": r".*(?:mAP=|'Total':)\s*([\d.]+)",
    "AUC": r"^AUC=([\d\.]+).*",
    "DLRM_NE": r".*metric/lifetime_ne/rating:\s*([\d\.]+).*",
    "DLRM_ACC": r".*metric/lifetime_accuracy/rating:\s*([\d\.]+).*",
    "DLRM_AUC": r".*metric/lifetime_gauc/rating:\s*([\d\.]+).*",
    "bleu": r"^BLEU\:\s*([\d\.]+).*",
    "F1": r"^{[\"\']exact_match[\"\']\:\s*[\d\.]+,\s*[\"\']f1[\"\']\:\s*([\d\.]+)}",
    "DICE": r"Accuracy\:\s*mean\s*=\s*([\d\.]+).*",
    "ACCURACY": r"Word Error Rate\:.*, accuracy=([0-9\.]+)%",
    "ROUGE1": r".*'rouge1':\s+'?([\d.]+)'?.*",
    "ROUGE2": r".*'rouge2':\s+'?([\d.]+)'?.*",
    "ROUGEL": r".*'rougeL':\s+'?([\d.]+)'?.*",
    "ROUGELSUM": r".*'rougeLsum':\s+'?([\d.]+)'?.*",
    "GEN_LEN": r".*'gen_len':\s([\d.]+).*",
    "TOKENS_PER_SAMPLE": r".*'tokens_per_sample':\s([\d.]+).*",
    "CLIP_SCORE": r".*'CLIP_SCORE':\s+'?([\d.]+).*",
    "FID_SCORE": r".*'FID_SCORE':\s+'?([\d.]+).*",
    "exact_match": r".*'exact_match':\s([\d.]+).*",
    "gsm8k_accuracy": r".*'gsm8k':\s([\d.]+).*",
    "mbxp_accuracy": r".*'mbxp':\s([\d.]+).*",
    "vbench_score": r".*'vbench_score':\s([\d.]+).*",
    "F1_HIERARCHICAL": r'\{.*"f1":\s*([\d\.]+).*\}',
    "E2E_ACCURACY": r"Accuracy:\s*([\d\.]+)",
}

#: the endpoints tool's files in a scenario folder (parsers/endpoints_parser.py)
ENDPOINTS_CONFIGS = ("config.yaml", "config.yml")
ENDPOINTS_SUMMARY = ("performance", "result_summary.json")
ENDPOINTS_ACCURACY = ("accuracy", "accuracy_results.json")
#: config.yaml "type" per scenario folder ("online" is a Server or Interactive run)
ENDPOINTS_TYPES: Mapping[Scenario, tuple[str, ...]] = {
    Scenario.OFFLINE: ("offline",),
    Scenario.SERVER: ("online", "server"),
    Scenario.INTERACTIVE: ("online", "interactive", "server"),
}
#: closed division: the submitter folder documents quantization here (or in documentation/)
CALIBRATION_DOC = "calibration.md"


#: the reference accuracy script of each benchmark family in mlcommons/inference (by LoadGen's
#: model key), for the message that says what to run when mlperf-tui cannot score a log
REFERENCE_ACCURACY_SCRIPTS: Mapping[str, str] = {
    "resnet50": "vision/classification_and_detection/tools/accuracy-imagenet.py",
    "retinanet": "vision/classification_and_detection/tools/accuracy-openimages.py",
    "bert": "language/bert/accuracy-squad.py",
    "3d-unet": "vision/medical_imaging/3d-unet-kits19/accuracy_kits.py",
    "gptj": "language/gpt-j/evaluation.py",
    "llama2-70b": "language/llama2-70b/evaluate-accuracy.py",
    "llama2-70b-interactive": "language/llama2-70b/evaluate-accuracy.py",
    "mixtral-8x7b": "language/mixtral-8x7b/evaluate-accuracy.py",
    "llama3_1-405b": "language/llama3.1-405b/evaluate-accuracy.py",
    "llama3_1-8b": "language/llama3.1-8b/evaluation.py",
    "llama3_1-8b-edge": "language/llama3.1-8b/evaluation.py",
    "stable-diffusion-xl": "text_to_image/tools/accuracy_coco.py",
    "dlrm-v2": "recommendation/dlrm_v2/pytorch/tools/accuracy-dlrm.py",
    "rnnt": "speech_recognition/rnnt/accuracy_eval.py",
    "rgat": "graph/R-GAT/tools/accuracy_igbh.py",
}


#: metric names of older rounds whose pattern the checker now files under another name
#: (v4.0's RNN-T gate "WER" reads the line today's "ACCURACY" reads: history/
#: submission_checker_v4.0.py ACC_PATTERN)
LEGACY_PATTERN_NAMES: Mapping[str, str] = {"WER": "ACCURACY"}
