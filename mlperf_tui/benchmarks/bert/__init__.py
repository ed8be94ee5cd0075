"""Question answering on SQuAD v1.1: BERT-99 and BERT-99.9 (BERT-Large), one entry for both.

The two benchmarks run the same model, data set and accuracy script; they differ only in the
rules' F1 target (99% or 99.9% of 90.874). The closed division runs the MLCommons BERT-Large
ONNX files: the fp32 ``model.onnx`` (F1 90.874, meets both targets) or the int8 fake-quant
``bert_large_v1_1_fake_quant.onnx`` (F1 90.067: meets BERT-99's 89.965, not BERT-99.9's
90.783). ``tiny-bert`` is a small stand-in with the fp32 model's inputs and outputs, for trying
the whole flow on any machine.

Estimates (samples per second per physical core, ONNX Runtime on a CPU): tiny-bert measured
about 45 on this project's 2-core machine (90 samples/s, batch 8); BERT-Large fp32 is about
270 GFLOP per 384-token sample, some 40 times ResNet50's 4 GFLOP, so about 0.25 (taken as 8 /
40 with a little headroom for the better arithmetic intensity of large GEMMs); the fake-quant
model about twice that where ONNX Runtime runs its QDQ pairs as int8 kernels.
"""

from __future__ import annotations

from mlperf_tui.benchmarks import BenchmarkEntry, DatasetKind, ModelKind
from mlperf_tui.benchmarks.bert import data, graphs

SQUAD = DatasetKind(
    name="SQuAD v1.1 dev set (dev-v1.1.json + the BERT vocab.txt)",
    slug="squad",
    marker=data.SQUAD_FILE,
    sample_bytes=data.SAMPLE_BYTES,
    count=data.count_samples,
    check=data.check_folder,
    synthesize=data.synthesize,
    how_to_get=(
        "dev-v1.1.json of SQuAD v1.1 (https://rajpurkar.github.io/SQuAD-explorer/) and the "
        "vocab.txt of the uncased BERT-Large model (the MLCommons bert_tf_v1_1_large_fp32_384_v2 "
        "folder, or Google's uncased_L-24_H-1024_A-16), in one folder"
    ),
    generated_sample_bytes=data.GENERATED_SAMPLE_BYTES,
    loaded_sample_bytes=data.LOADED_SAMPLE_BYTES,
    response_bytes=data.RESPONSE_BYTES,
    generate_s_per_sample=data.GENERATE_S_PER_SAMPLE,
    preprocess_s_per_sample=data.PREPROCESS_S_PER_SAMPLE,
    preprocessed_in_cache=data.preprocessed_in_cache,
)

BERT = BenchmarkEntry(
    benchmarks=("bert-99", "bert-99.9"),
    task="bert_squad",
    models=(
        ModelKind(
            "bert-large",
            "BERT-Large fp32, the reference model (the MLCommons model.onnx: input_ids, "
            "input_mask, segment_ids)",
            closed=True,
            per_core_throughput=0.25,
        ),
        ModelKind(
            "bert-large-int8",
            "BERT-Large int8 fake-quant, the MLCommons bert_large_v1_1_fake_quant.onnx "
            "(input_ids, attention_mask, token_type_ids; F1 90.067 meets BERT-99 only)",
            closed=True,
            per_core_throughput=0.5,
        ),
        ModelKind(
            "tiny-bert",
            "a tiny BERT-shaped encoder with the reference model's inputs and outputs "
            "(random weights; fast tests only)",
            closed=True,
            standin=graphs.build_tiny_bert,
            standin_bytes=8_327_380,
            package_name="tiny-bert",
            per_core_throughput=45.0,
        ),
    ),
    dataset=SQUAD,
    summary=(
        "BERT-Large answers the 10,570 questions of the SQuAD v1.1 dev set by marking the "
        "answer's span in a paragraph (10,833 samples of 384 tokens; F1 at least 99% of "
        "90.874 for bert-99, 99.9% for bert-99.9). Edge systems run SingleStream and "
        "Offline. It runs here with ONNX Runtime on the CPU or a GPU, slowly on a CPU "
        "(a few seconds per sample on a few cores, so the full accuracy run takes hours); "
        "tiny-bert tries the whole flow in minutes."
    ),
)

ENTRIES = (BERT,)
