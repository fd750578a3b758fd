"""``MODELS.md``: the model card of the shipped classifiers, written from the build's records
(``models.json``), so its figures are always the ones the shipped files reached."""
from __future__ import annotations


def _pr(m: dict) -> str:
    return f"P {m['precision']:.3f} / R {m['recall']:.3f} / F1 {m['f1']:.3f}"


def models_markdown(records: list[dict], max_train: int = 0) -> str:
    lines = [
        "# Shipped classifiers",
        "",
        "Written by `skypile classifiers build-defaults --out classifiers/models` (recipe: "
        "`classifiers/default_models.py`) from `../shared/data` or `SKYPILE_SHARED_DATA`; do not edit by hand.",
        "Scores are the probability of the positive class (toxic, or high quality). Thresholds were picked",
        "on the dev split only; test figures are reported, never used to choose anything. Toxicity:",
        "the highest threshold within 0.005 of the best dev F1 of the toxic class",
        "(`score_filter.max_toxicity`; dev F1 is flat near its top, and the higher threshold drops",
        "fewer ordinary pages). Quality:",
        "the highest threshold that keeps >= 95% of the dev split's good documents",
        "(`score_filter.min_quality`), so only clear low quality goes. fastText trains with Hogwild",
        "SGD on 10 threads: a rebuild lands within about +-0.002 F1 of the toxicity figures and +-0.01",
        "of the 198-document quality test. Rebuild:",
        "`skypile classifiers build-defaults --out classifiers/models --force` (about 5 minutes on 2 shared cores).",
        "",
    ]
    if max_train:
        lines += [f"**Built with --max-train {max_train}: a test build, not the shipped models.**", ""]
    lines += ["| model | file | size | test F1 at 0.5 | plain fastText (raw / tokens) | threshold | dev at threshold "
              "| test at threshold | clean reference docs kept |",
              "|---|---|---:|---:|---:|---:|---|---|---:|"]
    for r in records:
        size, plain, ref = sum(r["files"].values()), r["plain_fasttext_test_f1"], r["reference_at_threshold"]
        lines.append(f"| {r['name']} | `{r['file']}` | {size / 1e6:.2f} MB | {r['test_at_0.5']['f1']:.3f} | "
                     f"{plain['raw']:.3f} / {plain['tokens']:.3f} | {r['threshold']} | {_pr(r['dev_at_threshold'])} | "
                     f"{_pr(r['test_at_threshold'])} | {ref['kept']}/{ref['documents']} |")
    for r in records:
        lines += [
            "",
            f"## {r['name']} ({r['task']}, {r['lang']})",
            "",
            f"- Data: {r['source']}.",
            f"- Split: {r['split']} ({r['n_train']} train / {r['n_dev']} dev / {r['n_test']} test).",
            f"- Settings: {r['settings']}.",
            "- Members: " + "; ".join(
                f"`{m['file']}` ({', '.join(f'{k} {v}' for k, v in m.items() if k != 'file')})"
                for m in r["members"]) + ".",
            f"- Test: {_pr(r['test_at_0.5'])}, accuracy {r['test_at_0.5']['accuracy']:.3f} at 0.5; "
            f"ROC AUC {r['test_roc_auc']}; plain `fasttext.train_supervised` (library defaults, "
            f"10 threads) on the same train split: F1 {r['plain_fasttext_test_f1']['raw']:.3f} on raw "
            f"text, {r['plain_fasttext_test_f1']['tokens']:.3f} on skypile's tokens.",
            f"- Score with `max_chars: {r['max_chars']}` (the prefix every figure here was measured on).",
            f"- Recommended threshold {r['threshold']}: dev {_pr(r['dev_at_threshold'])}; "
            f"test {_pr(r['test_at_threshold'])}"
            + (" (positive = good: precision/recall of *kept* against good)." if r["task"] == "quality"
               else " (positive = toxic: precision/recall of *dropped* against toxic)."),
            f"- Clean reference documents ({r['lang']} domain sets in `../shared/data/eval`, permissive "
            f"licenses) kept at that threshold: {r['reference_at_threshold']['kept']} of "
            f"{r['reference_at_threshold']['documents']}.",
        ]
    lines += [
        "",
        "## Not shipped: a Chinese quality model",
        "",
        "The only Chinese quality labels in `../shared/data` are ChineseWebText's (clean/dirty, fastText",
        "train/test, CCNet sample): CASIA-LM/ChineseWebText has no data license (flagged in",
        "SOURCES.md), so no model trained on them ships. No other permissively licensed Chinese",
        "quality-labelled web text is there; reference-vs-web sets (`skypile classifiers",
        "build-quality-set`, DCLM style) can be built from your own data instead.",
        "",
    ]
    return "\n".join(lines)
