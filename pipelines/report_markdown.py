"""``report.md`` and ``funnel.svg`` beside every run's report.json: the funnel a person reads.

The same Markdown tables go into the dataset card of a release (``pipelines/card.py``).
"""
from __future__ import annotations

from typing import Any

from pipelines.funnel_chart import funnel_svg
from pipelines.funnel_order import reasons_by_count
from skypile_common.markdown import markdown_table  # noqa: F401 - card.py and release.py take it from here

REPORT_MD = "report.md"
FUNNEL_PNG = "funnel.png"  # the release's chart (pipelines/release.py)
FUNNEL_SVG = "funnel.svg"  # every run's


def funnel_markdown(report: dict[str, Any]) -> str:
    """One row per step: records in, kept, dropped, and every drop reason with its count."""
    rows = []
    for entry in report["funnel"]:
        reasons = reasons_by_count(entry["dropped"])
        rows.append((f"`{entry['step']}`", entry["in"], entry["kept"], sum(entry["dropped"].values()),
                     ", ".join(f"`{r}` {n:,}" for r, n in reasons) or "-"))
    return markdown_table(("step", "in", "kept", "dropped", "reasons"), rows, numeric=(1, 2, 3))


def dropped_markdown(report: dict[str, Any]) -> str:
    """Every drop reason over the whole run, largest first, with its share of the records in."""
    total = report["records_in"] or 1
    rows = [(f"`{reason}`", count, f"{100 * count / total:.1f}%")
            for reason, count in reasons_by_count(report["dropped"])]
    return markdown_table(("reason", "records", "of records in"), rows, numeric=(1, 2))


def languages_markdown(report: dict[str, Any]) -> str:
    kept = report["kept"] or 1
    rows = [(f"`{lang}`", count, f"{100 * count / kept:.1f}%")
            for lang, count in sorted(report["kept_per_language"].items(), key=lambda kv: (-kv[1], kv[0]))]
    return markdown_table(("language", "documents kept", "share"), rows, numeric=(1, 2))


def _snippet(text: str) -> str:
    """A snippet safe in Markdown: no HTML, no emphasis or code marks from the page."""
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text or "(no text)"


def drop_samples_markdown(report: dict[str, Any]) -> str:
    """Per step and reason (in funnel order, largest first): the top domains and three example
    snippets of what the reason removed (``transforms/drop_samples.py``)."""
    order = {entry["step"]: i for i, entry in enumerate(report.get("funnel", []))}
    entries = sorted(report["drop_samples"], key=lambda e: (order.get(e["step"], len(order)), -e["dropped"], e["reason"]))
    parts = []
    for e in entries:
        domains = ", ".join(f"`{d}` {n:,}" for d, n in e["top_domains"])
        parts += [f"### `{e['step']}` / `{e['reason']}`: {e['dropped']:,} documents, {e['domains']:,} domains",
                  "", f"Top domains: {domains or '-'}", ""]
        parts += [f"- {_snippet(x['text'])} ({x['url'] or x['id']})" for x in e["examples"]]
        parts.append("")
    return "\n".join(parts)


def redacted_markdown(report: dict[str, Any]) -> str:
    """Personal data the ``pii`` step replaced: one row per kind switched on (``pipelines/report_pii.py``)."""
    from transforms.pii import PLACEHOLDERS

    rows = [(f"`{kind}`", f"`{PLACEHOLDERS[kind]}`", n) for kind, n in report["redacted"].items()]
    return "\n".join([f"{report.get('redacted_documents', 0):,} documents reaching the `pii` step had personal data replaced.", "",
                      markdown_table(("kind", "replaced by", "replacements"), rows, numeric=(2,))])


def summary_line(report: dict[str, Any]) -> str:
    dropped = sum(report["dropped"].values())
    status = "balanced" if report["balanced"] else "**NOT balanced**: records are unaccounted for"
    return (f"Records in **{report['records_in']:,}** = kept **{report['kept']:,}** + dropped "
            f"**{dropped:,}** ({status}).")


def report_markdown(report: dict[str, Any], chart: str | None = FUNNEL_SVG) -> str:
    parts = ["# skypile curation report", "", summary_line(report), ""]
    if chart:
        parts += [f"![funnel]({chart})", ""]
    parts += ["## Funnel", "", funnel_markdown(report), "",
              "## Dropped, by reason", "", dropped_markdown(report), "",
              "## Kept, by language", "", languages_markdown(report), ""]
    if report.get("drop_samples"):
        parts += ["## What each reason dropped", "", drop_samples_markdown(report)]
    if report.get("lines_removed"):
        rows = [(f"`{k}`", v) for k, v in sorted(report["lines_removed"].items())]
        parts += ["## Lines removed inside kept documents", "", markdown_table(("reason", "lines"), rows, numeric=(1,)), ""]
    if "redacted" in report:
        parts += ["## Personal data redacted", "", redacted_markdown(report), ""]
    if report.get("inputs"):
        parts += ["## Inputs", "", f"{len(report['inputs']):,} files.", ""]
    if report.get("versions"):  # pipelines/provenance.py: what produced the corpus
        rows = [(f"`{name}`", version) for name, version in sorted(report["versions"].items())]
        parts += ["## Tool versions", "", markdown_table(("tool", "version"), rows), ""]
    return "\n".join(parts)


def write_report_markdown(output: str, report: dict[str, Any]) -> str:
    """Write ``report.md`` and, when the run had a funnel, ``funnel.svg`` under ``output``."""
    # Imported here: `skypile release` renders the same tables without loading Beam.
    from apache_beam.io.filesystems import FileSystems

    from transforms.drop_samples import read_drop_samples

    if "drop_samples" not in report:  # written by the run's SampleDrops, when it had one
        report = {**report, "drop_samples": read_drop_samples(output)}
    chart = None
    if report.get("funnel"):
        with FileSystems.create(FileSystems.join(output, FUNNEL_SVG)) as f:
            f.write(funnel_svg(report))
        chart = FUNNEL_SVG
    path = FileSystems.join(output, REPORT_MD)
    with FileSystems.create(path) as f:
        f.write(report_markdown(report, chart).encode("utf-8"))
    return path
