"""No document crosses a shuffle in a default run: every grouping of the chain is measured
(``shuffle/bytes:<label>``, ``shuffle/carries:<label>:<type>``, :mod:`transforms.shuffle`) and what
each one carries is asserted here, from a real run of the default chain on two real WARCs."""
from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter

from pipelines.config import load_config
from pipelines.curate import build_pipeline, work_files
from pipelines.run_state import describe_inputs, staging_dir
from transforms.shuffle import shuffle_counters

# grouping -> what its elements carry (a key record is a dict of ids and hashes, a verdict a tuple)
DEFAULT = {
    "SpreadFiles": {"WorkFile"},  # input files to spread over workers
    "SpreadWork": {"WorkFile"},  # work files written: the first pass is done
    "GroupById": {"dict"},  # key records by id (record dedup)
    "JoinDecisions.keys": {"dict"},  # key records, joined with each dedup step's decisions
    "JoinDecisions.decisions": {"Decision"},
    "GroupByUrl": {"tuple[float,str]"},  # (capture time, id) per URL hash
    "GroupByText": {"tuple[float,str]"},  # (rank, id) per text hash
    "Buckets": {"tuple[str,tuple]"},  # (id, (work file, row)) per LSH band key
    # candidate pairs by the work file of their larger id: (row, id, partner id, partner's place);
    # the Jaccard check reads the shingle hashes in the work files, none crosses a shuffle
    "PairsByFile": {"tuple[int,str,str,tuple]"},
    "GroupByRoot": {"str"},  # cluster members per root id
    "VerdictsByFile.file": {"WorkFile"},
    "VerdictsByFile.verdicts": {"tuple[int,str,Decision]"},  # (row, step, Decision) per work file
    # the report's drop samples, to the one writer: (kind, (step, reason), (count, top entries))
    "All": {"tuple[str,tuple,tuple]"},
}


def _run(shared_data, tmp_path, config):
    inputs = [str(shared_data / "warc/dolma/sample-0000.warc.gz"), str(shared_data / "warc/resiliparse/warcfile.warc.gz")]
    out = str(tmp_path / "out")
    p = beam.Pipeline(runner="FnApiRunner")
    build_pipeline(p, work_files(out, describe_inputs(inputs)), staging_dir(out), config, write_rejected=True)
    result = p.run()
    result.wait_until_finish()
    counters = {(c.key.metric.namespace, c.key.metric.name): c.committed
                for c in result.metrics().query(MetricsFilter().with_namespace("shuffle"))["counters"]}
    return shuffle_counters(counters)


@pytest.fixture(scope="module")
def default_run(shared_data, tmp_path_factory):
    return _run(shared_data, tmp_path_factory.mktemp("shuffles"), load_config())


def test_no_document_crosses_a_shuffle(default_run):
    carried = {label: set(info["carries"]) for label, info in default_run.items()}
    for label, kinds in carried.items():
        assert not any("Document" in k for k in kinds), f"{label} carries {kinds}"
    for label, kinds in DEFAULT.items():  # a grouping no element reached has no counter
        assert carried.get(label, set()) <= kinds, f"{label}: {carried.get(label)}"
    assert {"SpreadFiles", "SpreadWork", "GroupById", "JoinDecisions.keys", "GroupByUrl", "GroupByText", "Buckets",
            "VerdictsByFile.file", "All"} <= set(carried)  # these two WARCs hold no near-duplicate pair
    # the Jaccard check, the components and the drop samples (counts, (count, top list), report
    # entries as dicts): ids, hashes, strings and counts only
    others = set().union(*(k for label, k in carried.items() if label not in DEFAULT))
    assert others <= {"str", "int", "NoneType", "tuple[str,NoneType]", "list", "dict", "tuple[str,str]",
                      "tuple[str,int]", "tuple[str,str,str]", "tuple[int,list]"}, others
    assert not any("bytes" in k for kinds in carried.values() for k in kinds), carried  # no shingle hashes


def test_every_grouping_counts_its_bytes(default_run):
    assert all(info["bytes"] > 0 and info["elements"] > 0 for info in default_run.values())
    # key records carry no shingle hashes, and after record dedup shed what only it reads
    per_record = {label: default_run[label]["bytes"] / default_run[label]["elements"]
                  for label in ("GroupById", "JoinDecisions.keys")}
    assert per_record["JoinDecisions.keys"] < per_record["GroupById"], per_record
