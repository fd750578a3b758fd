"""The one Markdown table helper: separators on ints, right-aligned numeric columns."""
from skypile_common.markdown import markdown_table


def test_ints_get_separators_and_numeric_columns_align_right():
    table = markdown_table(("step", "kept", "share"), [("langid", 12345, "97.5%"), ("dedup", 7, 0.25)],
                           numeric=(1, 2))
    assert table.splitlines() == ["| step | kept | share |", "|---|---:|---:|",
                                  "| langid | 12,345 | 97.5% |", "| dedup | 7 | 0.25 |"]


def test_strings_pass_through_unchanged():
    # train/evaluate/report.py formats its own cells (4 decimals, "nan") and passes strings.
    assert markdown_table(("a",), [("1234",), ("nan",)]).splitlines()[2:] == ["| 1234 |", "| nan |"]
