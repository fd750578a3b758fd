"""``--dedup-against DIR``: which index files of earlier corpora a run reads, checked before launch.

The launcher's part of growing a corpus: every earlier corpus must be a finished ``skypile
curate`` output whose dedup index (:mod:`transforms.dedup.index`) has this skypile's format and the
same key settings; the dedup steps then read the files it returns (:mod:`transforms.dedup.previous`).
"""
from __future__ import annotations

from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipelines.run_state import read_json
from transforms.dedup.index import FORMAT, INDEX, SETTINGS, index_settings


class DedupIndexError(Exception):
    """An earlier corpus that cannot be deduplicated against (no index, other settings)."""


def previous_index_files(corpora: list[str], config: dict[str, Any]) -> list[str]:
    """The index files of every earlier corpus, after checking that each can be used."""
    want = index_settings(config)
    files: list[str] = []
    for corpus in corpora:
        if read_json(FileSystems.join(corpus, "report.json")) is None:
            raise DedupIndexError(f"--dedup-against {corpus}: no report.json (not a finished `skypile curate` output)")
        have = read_json(FileSystems.join(corpus, INDEX, SETTINGS))
        if have is None:
            raise DedupIndexError(f"--dedup-against {corpus}: no dedup index ({INDEX}/{SETTINGS}); it was curated "
                              "by an older skypile: curate it again, or leave it out")
        if have.get("format") != want["format"]:
            raise DedupIndexError(f"--dedup-against {corpus}: its dedup index is format {have.get('format')}, this "
                                  f"skypile reads format {FORMAT} (format 1 holds the kept documents only, so copies "
                                  "of documents it dropped after dedup would come back): curate it again "
                                  "(the same command with --overwrite), or leave it out")
        if want["minhash"] is not None and have.get("minhash") != want["minhash"]:
            raise DedupIndexError(f"--dedup-against {corpus}: curated with other MinHash settings "
                              f"({have.get('minhash')}) than this run ({want['minhash']}); band keys and "
                              "signatures cannot be compared: use the same minhash_dedup settings")
        if have.get("url") != want["url"] or have.get("text") != want["text"]:
            raise DedupIndexError(f"--dedup-against {corpus}: its index hashes URLs/texts another way "
                                  f"({have.get('url')}, {have.get('text')})")
        matched = FileSystems.match([FileSystems.join(corpus, INDEX, "*.parquet")])[0].metadata_list
        files += sorted(m.path for m in matched)
    return files
