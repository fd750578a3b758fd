"""datatrove's FineWeb filter chain over labelled texts: which documents it keeps.

Runs in the peer kit's datatrove venv (``$PEERBENCH_ROOT/venvs/datatrove/bin/python``), called by
``bench/heuristics_agreement.py``. The chain is datatrove's ``examples/fineweb.py``, as the kit's
``peer_heuristics.py`` runs it: GopherRepetitionFilter -> GopherQualityFilter ->
C4QualityFilter(filter_no_terminal_punct=False) -> FineWebQualityFilter, English defaults.
Reads JSON lines with ``text`` from stdin; prints one JSON line: {"kept": [row numbers kept]}.
"""
import json
import os
import sys


def main():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datatrove.data import Document
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter)

    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    chain = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
             FineWebQualityFilter()]
    stream = iter(Document(text=r["text"], id=str(i)) for i, r in enumerate(rows))
    for f in chain:
        stream = f.run(stream)
    print(json.dumps({"kept": sorted(int(d.id) for d in stream)}))


if __name__ == "__main__":
    main()
