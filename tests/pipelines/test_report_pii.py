"""The report's personal-data section: report.json totals per kind and report.md's table."""
from __future__ import annotations

from pipelines.report import build_report
from pipelines.report_markdown import report_markdown

COUNTERS = {("read", "records_in"): 3, ("read", "kept"): 3, ("pii", "kept"): 3, ("output", "kept"): 3,
            ("pii", "redacted:email"): 4, ("pii", "redacted:phone"): 2, ("pii", "documents_redacted"): 2,
            ("heuristics", "redacted:email"): 99}  # another step's counter of the same name is not counted


def _config(**pii):
    return {"pii": {"enabled": True, "email": True, "phone": True, "id_number": True, "bank_card": True,
                    "ip": True, **pii}}


def test_every_kind_switched_on_is_listed_with_its_total():
    report = build_report(COUNTERS, ["pii"], _config(ip=False), [])
    assert report["redacted"] == {"email": 4, "phone": 2, "id_number": 0, "bank_card": 0}
    assert report["redacted_documents"] == 2
    md = report_markdown(report, chart=None)
    section = md.split("## Personal data redacted\n\n", 1)[1].split("\n\n## ", 1)[0]
    assert section.splitlines() == [
        "2 documents reaching the `pii` step had personal data replaced.", "",
        "| kind | replaced by | replacements |", "|---|---|---:|",
        "| `email` | `<EMAIL>` | 4 |", "| `phone` | `<PHONE>` | 2 |",
        "| `id_number` | `<ID_NUMBER>` | 0 |", "| `bank_card` | `<BANK_CARD>` | 0 |"]


def test_no_section_when_the_step_was_off():
    for config in ({}, _config(enabled=False)):
        report = build_report(COUNTERS, [], config, [])
        assert "redacted" not in report
        assert "Personal data" not in report_markdown(report, chart=None)
