"""The dataset card: README.md with the Hub's YAML metadata and a body built from report.json.

Metadata fields follow the Hub's dataset card spec (huggingface.co/docs/hub/datasets-cards,
datasets-manual-configuration): ``configs`` with ``data_files`` per split, ``license``,
``language``, ``size_categories``, ``task_categories``. The body documents how the corpus was
made: inputs and sources, each step with its configuration, tool versions, and the funnel.
"""
from __future__ import annotations

from typing import Any

import yaml

from pipelines.release_shards import ConfigStats
from pipelines.report_markdown import (dropped_markdown, funnel_markdown, languages_markdown,
                                       markdown_table, summary_line)

# The Hub's size_categories buckets (upper bounds, exclusive), from its dataset card metadata spec.
SIZE_CATEGORIES = [
    (1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T"),
]
# "und" (undetermined) is not a language the Hub can list.
NOT_LANGUAGES = {"und"}
MAX_INPUTS_LISTED = 20


def size_category(rows: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>1T"


def default_config(configs: list[ConfigStats]) -> str:
    """The config ``load_dataset(repo)`` opens without a name: the largest."""
    return max(configs, key=lambda c: (c.rows, c.name)).name


def card_metadata(name: str, license_id: str, configs: list[ConfigStats]) -> dict[str, Any]:
    total = sum(c.rows for c in configs)
    largest = default_config(configs)
    entries = []
    for c in configs:
        entry: dict[str, Any] = {"config_name": c.name,
                                 "data_files": [{"split": "train", "path": f"data/{c.name}/train-*"}]}
        if c.name == largest:
            entry["default"] = True
        entries.append(entry)
    return {
        "pretty_name": name,
        "license": license_id,
        "language": sorted({c.lang for c in configs} - NOT_LANGUAGES),
        "size_categories": [size_category(total)],
        "task_categories": ["text-generation"],
        "task_ids": ["language-modeling"],
        "tags": ["skypile", "pretraining", "web", "common-crawl"],
        "configs": entries,
    }


def _configs_table(configs: list[ConfigStats]) -> str:
    rows = [(f"`{c.name}`", c.lang, c.source or "all", c.rows, c.characters, c.utf8_bytes,
             len(c.shards), human_bytes(c.disk_bytes)) for c in configs]
    rows.append(("**total**", "", "", sum(c.rows for c in configs), sum(c.characters for c in configs),
                 sum(c.utf8_bytes for c in configs), sum(len(c.shards) for c in configs),
                 human_bytes(sum(c.disk_bytes for c in configs))))
    return markdown_table(("config", "language", "source", "documents", "characters", "UTF-8 bytes",
                           "shards", "on disk"), rows, numeric=(3, 4, 5, 6, 7))


def _yaml(section: dict[str, Any]) -> str:
    # Lists of words inline, one key per line: a step's settings stay readable at a glance.
    return yaml.safe_dump(section, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100).rstrip()


def human_bytes(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} B"


def _steps_section(report: dict[str, Any]) -> list[str]:
    """Every step of the run in order with its configuration; disabled steps say so."""
    config = report.get("config", {})
    ran = [entry["step"] for entry in report.get("funnel", [])]
    parts = ["Steps in the order they ran, each with the configuration it ran with:", ""]
    for step in ran:
        section = config.get(step)
        parts += [f"### `{step}`", ""]
        if section:
            parts += ["```yaml", _yaml(section), "```", ""]
    disabled = [name for name, section in config.items()
                if isinstance(section, dict) and section.get("enabled") is False]
    if disabled:
        parts += ["Disabled: " + ", ".join(f"`{d}`" for d in disabled) + ".", ""]
    if "output" in config:
        parts += ["Curation output settings:", "", "```yaml",
                  _yaml(config["output"]), "```", ""]
    return parts


def _sources_section(report: dict[str, Any], configs: list[ConfigStats]) -> list[str]:
    inputs = report.get("inputs", [])
    parts = [f"Curated from {len(inputs):,} input files" + (":" if inputs else "."), ""]
    parts += [f"- `{path}`" for path in inputs[:MAX_INPUTS_LISTED]]
    if len(inputs) > MAX_INPUTS_LISTED:
        parts.append(f"- ... and {len(inputs) - MAX_INPUTS_LISTED:,} more (all in `report.json`)")
    sources = sorted({c.source for c in configs if c.source})
    parts += ["", "Sources (the `source` column): " + (", ".join(f"`{s}`" for s in sources) if sources
                                                        else "one source, so one config per language") + ".",
              "", "Web pages remain the work of their publishers; Common Crawl data is subject to its "
              "terms of use (https://commoncrawl.org/terms-of-use).", ""]
    return parts


def _limitations_section(report: dict[str, Any]) -> list[str]:
    """What the run did not do, read from the steps that ran (HF card: "Bias, risks, limitations")."""
    ran = {entry["step"] for entry in report.get("funnel", [])}
    notes = ["Personal information (names, e-mail addresses, phone numbers) in the pages is not "
             "removed or masked."]
    if "score_filter" not in ran:
        notes.append("No model-based quality or toxicity threshold was applied (`score_filter` did not run); "
                     + ("score columns are there to filter on." if "score" in ran else "no score columns."))
    if not {"exact_dedup", "minhash_dedup"} & ran:
        notes.append("Documents were not deduplicated.")
    if "decontaminate" not in ran:
        notes.append("Documents were not checked against benchmark test sets.")
    notes.append("Language labels come from `langid` scores; pages mixing languages are labelled by "
                 "their dominant one." if "langid" in ran else "Languages were not identified (`und`).")
    return ["## Limitations", ""] + [f"- {note}" for note in notes] + [""]


def card_body(name: str, report: dict[str, Any], configs: list[ConfigStats], chart: str | None,
              schema: list[tuple[str, str]], repo_id: str | None = None) -> str:
    where = repo_id or "path/to/this/folder"
    steps = [entry["step"] for entry in report.get("funnel", []) if entry["step"] != "read"]
    parts = [f"# {name}", "",
             "A pre-training corpus curated from web crawls with skypile, a rebuild of Skywork-13B's "
             "SkyPile pipeline on Apache Beam. Steps: " + (", ".join(f"`{s}`" for s in steps) or "none")
             + " (see How it was made); every input record is accounted for in the funnel.", "",
             "## Load", "", "```python", "from datasets import load_dataset", "",
             f'ds = load_dataset("{where}", "{default_config(configs)}", split="train", streaming=True)', "```", "",
             "## Configs", "", _configs_table(configs), "",
             "## Sources", ""]
    parts += _sources_section(report, configs)
    parts += ["## Funnel", "", summary_line(report), ""]
    if chart:
        parts += [f"![funnel]({chart})", ""]
    parts += [funnel_markdown(report), "", "### Dropped, by reason", "", dropped_markdown(report), "",
              "### Kept, by language", "", languages_markdown(report), "",
              "## How it was made", ""]
    parts += _steps_section(report)
    versions = report.get("versions") or {}
    if versions:
        parts += ["Versions:", "", markdown_table(("package", "version"),
                                                  [(k, v) for k, v in sorted(versions.items())]), ""]
    parts += ["## Schema", "", markdown_table(("column", "type"), [(f"`{n}`", t) for n, t in schema]), ""]
    parts += _limitations_section(report)
    return "\n".join(parts)


def render_card(metadata: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{body}"
