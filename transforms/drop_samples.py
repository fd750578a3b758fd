"""What each drop reason removes, for the run report: top domains and example snippets.

Per ``(step, reason)``: the domains with the most dropped documents (``top_domains``), how many
documents and distinct domains were dropped, and the ``snippets`` dropped documents with the
smallest ids (first ``SNIPPET_CHARS`` characters of their text, and their URL). Smallest ids,
not the first seen, so the report is the same whatever the workers and bundles; ids are hashes
of each record's identity, so the smallest are an unbiased sample. Two small shuffles: drops
counted per (step, reason, domain), then the top domains and the smallest ids per (step, reason)
kept by combiners that hold ``top_domains`` and ``snippets`` entries, never a whole domain list;
one last grouping brings those few entries per reason to the writer. No drops: no file.
"""
from __future__ import annotations

import heapq
import json
from typing import Any, Iterable
from urllib.parse import urlsplit

import apache_beam as beam

from transforms.document import Document
from transforms.keep_or_drop import Rejected

SNIPPET_CHARS = 200
DROP_SAMPLES_JSON = "drop_samples.json"


def domain_of(doc: Document) -> str:
    if doc.domain:
        return doc.domain
    host = urlsplit(doc.url).hostname if doc.url else None
    return host or "(no url)"


def drop_sample(step: str, reason: str, doc: Document) -> tuple[str, str, str, str, str, str]:
    """What :class:`SampleDrops` keeps of one drop: ``(step, reason, domain, id, url, snippet)``;
    plain strings, so no document crosses its shuffles."""
    small = slim(doc)
    return step, reason, small.domain, small.id, small.url or "", small.text


def _as_sample(element) -> tuple[str, str, str, str, str, str]:
    return drop_sample(element.step, element.reason, element.doc) if isinstance(element, Rejected) else element


def slim(doc: Document) -> Document:
    """What the sample needs of a dropped document (a DoFn that drops documents itself, e.g. per
    input file, can emit ``Rejected(step, reason, slim(doc))`` for ``SampleDrops``)."""
    return Document(id=doc.id, url=doc.url, domain=domain_of(doc),
                    text=" ".join((doc.text or "")[:SNIPPET_CHARS].split()))


class _TopFn(beam.CombineFn):
    """The ``n`` smallest values by ``key`` (and the number of inputs): small accumulators."""

    def __init__(self, n: int, key=None):
        self.n, self.key = n, key

    def create_accumulator(self):
        return 0, []

    def add_input(self, acc, value):
        count, best = acc
        return count + 1, self._keep([*best, value])

    def merge_accumulators(self, accs: Iterable):
        counts, values = 0, []
        for count, best in accs:
            counts += count
            values.extend(best)
        return counts, self._keep(values)

    def _keep(self, values):
        return heapq.nsmallest(self.n, values, key=self.key)

    def extract_output(self, acc):
        return acc


def _by_count_then_name(entry):
    domain, n = entry
    return -n, domain


def _entries(parts) -> list[dict[str, Any]]:
    """``("domains" | "examples", (step, reason), (count, top))`` parts -> one entry per reason."""
    merged: dict = {}
    for kind, key, value in parts:
        merged.setdefault(key, {"domains": (0, []), "examples": (0, [])})[kind] = value
    out = []
    for (step, reason), got in merged.items():
        (domains, top), (dropped, examples) = got["domains"], got["examples"]
        out.append({"step": step, "reason": reason, "dropped": dropped, "domains": domains,
                    "top_domains": [[d, n] for d, n in top],
                    "examples": [{"id": i, "url": u, "text": t} for i, u, t in examples]})
    return out


class _WriteJsonFn(beam.DoFn):
    def __init__(self, path: str):
        self.path = path

    def process(self, element):
        from apache_beam.io.filesystems import FileSystems

        _, parts = element
        entries = sorted(_entries(parts), key=lambda e: (e["step"], e["reason"]))
        with FileSystems.create(self.path) as f:
            f.write(json.dumps(entries, ensure_ascii=False, indent=1).encode("utf-8"))
        yield self.path


class SampleDrops(beam.PTransform):
    """``drops | SampleDrops(output)`` (:func:`drop_sample` tuples, or ``Rejected`` records made
    into them first) writes ``output/drop_samples.json``; :func:`read_drop_samples` reads it back
    for the report."""

    def __init__(self, output: str, top_domains: int = 5, snippets: int = 3):
        super().__init__()
        self.output, self.top_domains, self.snippets = output, top_domains, snippets

    def expand(self, rejected):
        from apache_beam.io.filesystems import FileSystems

        from transforms.shuffle import measured

        samples = rejected | "Samples" >> beam.Map(_as_sample)
        domains = (measured(samples | "ByDomain" >> beam.Map(lambda t: ((t[0], t[1], t[2]), 1)), "CountDomains")
                   | "CountDomains" >> beam.CombinePerKey(sum)
                   | "ByReason" >> beam.Map(lambda kv: ((kv[0][0], kv[0][1]), (kv[0][2], kv[1]))))
        domains = measured(domains, "TopDomains") | "TopDomains" >> beam.CombinePerKey(
            _TopFn(self.top_domains, _by_count_then_name))
        examples = (measured(samples | "Examples" >> beam.Map(lambda t: ((t[0], t[1]), (t[3], t[4], t[5]))),
                             "SmallestIds")
                    | "SmallestIds" >> beam.CombinePerKey(_TopFn(self.snippets)))
        # One grouping brings both halves of every reason to the writer (a few entries per reason):
        # fewer stages than a CoGroupByKey per reason and a ToList, each of which every worker sets up.
        parts = ((domains | "TagDomains" >> beam.Map(lambda kv: (None, ("domains", kv[0], kv[1]))),
                  examples | "TagExamples" >> beam.Map(lambda kv: (None, ("examples", kv[0], kv[1]))))
                 | "Parts" >> beam.Flatten())
        return (measured(parts, "All")
                | "All" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(_WriteJsonFn(FileSystems.join(self.output, DROP_SAMPLES_JSON))))


def read_drop_samples(output: str) -> list[dict[str, Any]]:
    """The entries ``SampleDrops`` wrote under ``output`` ([] when there are none)."""
    from apache_beam.io.filesystems import FileSystems

    path = FileSystems.join(output, DROP_SAMPLES_JSON)
    if not FileSystems.exists(path):
        return []
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode("utf-8"))
