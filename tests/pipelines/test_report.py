"""The run report from the counts a run wrote: the invariant, reasons, the funnel table, report.json."""
from __future__ import annotations

import json

from pipelines.report import build_report, funnel_table, write_report
from pipelines.report_markdown import funnel_markdown

COUNTERS = {
    ("read", "records_in"): 10, ("read", "files"): 2, ("read", "kept"): 6,
    ("read", "dropped:read_not_response"): 3, ("read", "dropped:read_corrupt"): 1,
    ("extract", "kept"): 5, ("extract", "dropped:extract_empty"): 1,
    ("langid", "kept"): 4, ("langid", "dropped:langid_other_language"): 1,
    ("output", "kept"): 4, ("output", "lang:zh"): 3, ("output", "lang:en"): 1,
}


def test_report_balances_and_lists_every_reason():
    report = build_report(COUNTERS, ["extract", "langid", "url_filter"], {}, ["a.warc.gz", "b.warc.gz"])
    assert report["records_in"] == 10 and report["kept"] == 4 and report["balanced"] is True
    assert report["dropped"] == {"extract_empty": 1, "langid_other_language": 1, "read_corrupt": 1,
                                 "read_not_response": 3}
    assert report["kept_per_language"] == {"en": 1, "zh": 3}
    assert [(f["step"], f["in"], f["kept"]) for f in report["funnel"]] == [
        ("read", 10, 6), ("extract", 6, 5), ("langid", 5, 4), ("url_filter", 0, 0)]


def test_a_lost_record_shows_as_not_balanced():
    lost = dict(COUNTERS)
    lost[("output", "kept")] = 3  # one document vanished between langid and the writer
    report = build_report(lost, ["extract", "langid"], {}, [])
    assert report["balanced"] is False
    assert "(NOT BALANCED)" in funnel_table(report)


def test_funnel_table_reads_top_down():
    table = funnel_table(build_report(COUNTERS, ["extract", "langid"], {}, []))
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["step", "in", "kept", "dropped"]
    assert lines[1].split()[:4] == ["read", "10", "6", "4"] and "read_not_response=3" in lines[1]
    assert lines[-1] == "records in 10 = kept 4 + dropped 6 (balanced)"


def test_report_from_a_real_run_is_built_from_the_counts_it_wrote(shared_data, tmp_path):
    """The report of a real curate run adds up the counts files the pipeline wrote (work files and
    ``_work/counts``), never Beam Metrics: the same report from those files alone."""
    import subprocess
    import sys

    from pipelines.curate import file_counts, work_files
    from pipelines.run_state import describe_inputs

    files = [str(shared_data / "warc/commoncrawl_whirlwind/whirlwind.warc.gz"),
             str(shared_data / "warc/resiliparse/clipped.warc.gz")]
    out = tmp_path / "out"
    env = {**__import__("os").environ, "SKYPILE_PAUSE_AT": "commit"}  # stop before _work is deleted
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "curate", "--input", *files, "--output",
                             str(out), "--disable", "score", "--disable", "score_filter", "--progress-every", "0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "paused at commit" in line:
            break
    work = work_files(str(out), describe_inputs(sorted(files)))
    counts = file_counts(work)
    proc.kill()
    proc.wait()
    report = build_report(counts, ["extract"], {"extract": {}}, files)
    path = write_report(str(tmp_path), report)
    saved = json.loads(open(path, encoding="utf-8").read())
    staged = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else \
        json.loads((out / "_work/staging/report.json").read_text())
    assert saved["records_in"] == staged["records_in"] == 5 and saved["balanced"] is True
    assert saved["dropped"] == staged["dropped"] and saved["kept"] == staged["kept"]
    assert saved["dropped"]["read_not_response"] == 3 and saved["dropped"]["read_truncated"] == 1


def test_report_md_lists_the_tool_versions_of_the_run():
    from pipelines.provenance import package_versions
    from pipelines.report_markdown import report_markdown

    report = build_report(COUNTERS, ["extract", "langid"], {}, [])
    assert "Tool versions" not in report_markdown(report, chart=None)
    report["versions"] = package_versions()
    md = report_markdown(report, chart=None)
    assert "## Tool versions" in md
    assert f"| `apache-beam` | {report['versions']['apache-beam']} |" in md and "| `python` |" in md


def test_terminal_and_markdown_funnels_order_reasons_alike():
    counters = {("read", "records_in"): 6, ("read", "kept"): 6, ("output", "kept"): 1,
                ("heuristics", "kept"): 1, ("heuristics", "dropped:gopher_short_doc"): 2,
                ("heuristics", "dropped:c4_too_few_lines"): 2, ("heuristics", "dropped:zh_no_sentences"): 1}
    report = build_report(counters, ["heuristics"], {}, [])
    row = funnel_table(report).splitlines()[2]
    assert row.index("c4_too_few_lines=2") < row.index("gopher_short_doc=2") < row.index("zh_no_sentences=1")
    markdown = next(line for line in funnel_markdown(report).splitlines() if "`heuristics`" in line)
    assert markdown.endswith("`c4_too_few_lines` 2, `gopher_short_doc` 2, `zh_no_sentences` 1 |")
