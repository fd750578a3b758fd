"""datatrove's ``PIIFormatter`` on a JSONL of texts, run inside the peer kit's datatrove venv.

Writes, per text, the spans the formatter replaces, in the text's own coordinates: e-mails are
its e-mail regex's matches; IPs are its IP regex's matches that pass its ``public_ip_validator``,
found (as ``format`` does) after the e-mails are gone, here blanked with characters no IP can
contain. Then times ``format`` itself over the texts given with ``--time``. No skypile imports.

    $PEERBENCH_ROOT/venvs/datatrove/bin/python bench/pii_datatrove.py IN.jsonl OUT.jsonl [--time TEXTS.jsonl]
"""
from __future__ import annotations

import argparse
import json
import time

from datatrove.pipeline.formatters.pii import PIIFormatter, public_ip_validator


def spans(fmt: PIIFormatter, text: str) -> list[list]:
    out, blanked = [], list(text)
    for m in fmt.emails_replacer.regex.finditer(text):
        out.append([m.start(), m.end(), "email"])
        blanked[m.start():m.end()] = "\x00" * (m.end() - m.start())
    for m in fmt.ip_replacer.regex.finditer("".join(blanked)):
        if public_ip_validator(m.group(0), public_only=True):
            out.append([m.start(), m.end(), "ip"])
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--time", help="JSONL of texts to time format() on")
    args = ap.parse_args()
    fmt = PIIFormatter()
    with open(args.inp, encoding="utf-8") as f, open(args.out, "w", encoding="utf-8") as o:
        for line in f:
            o.write(json.dumps(spans(fmt, json.loads(line)["text"])) + "\n")
    if args.time:
        with open(args.time, encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f]
        fmt.format(texts[0])  # warm the regexes
        t0 = time.process_time()
        for text in texts:
            fmt.format(text)
        print(json.dumps({"cpu_s": time.process_time() - t0, "docs": len(texts),
                          "mb": sum(len(t.encode("utf-8")) for t in texts) / 1e6}))


if __name__ == "__main__":
    main()
