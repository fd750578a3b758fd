"""COLD (zh toxicity) round 4: a small character BERT, pre-trained by MLM on COLD train + dev, on CPU.

    nice -n 19 .venv/bin/python bench/cold_zh_bert.py [--mlm-epochs 4] [--ft-epochs 3] [--seed 0]
        [--layers 4 --hidden 256 --heads 4 --max-len 128] [--work /tmp/h1] [--json out.json]

Rounds 1-3 (bench/cold_zh_sweep.py, bench/cold_zh_cv.py) were bags of n-grams (0.75-0.77 test
F1). Here, with transformers' own classes: a character ``vocab.txt`` from COLD *train* text
(characters seen twice or more; BERT's basic tokenizer splits CJK characters one per token), a
``BertForMaskedLM`` pre-trained on train + dev text (never test), then
``BertForSequenceClassification`` from it, fine-tuned on train ("mlm"); and the same fine-tuning
from random weights ("scratch", ``--no-scratch`` skips it). Every choice is made on dev: the
fine-tuning epoch (best dev F1 over thresholds), the threshold (``pick_threshold``), and the
weight of the BERT in its mean with the shipped toxicity_zh pair (loaded through
``classifiers.kinds``). Test is scored once per chosen config. One torch thread (``--threads``).
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from classifiers.data import load_labelled  # noqa: E402
from classifiers.default_models import THRESHOLDS, pick_threshold, shipped_model  # noqa: E402
from classifiers.metrics import binary_metrics, roc_auc  # noqa: E402

SHARED = os.environ.get("SKYPILE_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # weight of the BERT in its mean with the fastText pair


def build_vocab(texts, out_dir: str, min_count: int = 2) -> dict[str, int]:
    """vocab.txt in ``out_dir`` and its token ids: the special tokens, then every token of BERT's
    normalizer + pre-tokenizer (lowercased; CJK characters one by one) seen ``min_count`` times in
    ``texts``, most frequent first."""
    from transformers import BertTokenizer

    backend = BertTokenizer(do_lower_case=True, tokenize_chinese_chars=True).backend_tokenizer
    norm, pre = backend.normalizer, backend.pre_tokenizer
    counts = collections.Counter(w for t in texts for w, _ in pre.pre_tokenize_str(norm.normalize_str(t)))
    tokens = SPECIAL + [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")
    return {w: i for i, w in enumerate(tokens)}


def encode(tok, texts, max_len: int) -> list[list[int]]:
    return tok(list(texts), truncation=True, max_length=max_len)["input_ids"]


def batches(ids, batch_size: int, gen, shuffle: bool = True):
    """Index batches of similar length (a shuffled order, sorted by length within windows of 50
    batches, then the batches shuffled), so padding stays small."""
    import torch

    order = torch.randperm(len(ids), generator=gen).tolist() if shuffle else list(range(len(ids)))
    window = batch_size * 50
    out = []
    for w in range(0, len(order), window):
        chunk = sorted(order[w:w + window], key=lambda i: len(ids[i]))
        out += [chunk[s:s + batch_size] for s in range(0, len(chunk), batch_size)]
    if shuffle:
        out = [out[i] for i in torch.randperm(len(out), generator=gen).tolist()]
    return out


def pad(ids, idx, pad_id: int = 0):
    import torch

    n = max(len(ids[i]) for i in idx)
    x = torch.full((len(idx), n), pad_id, dtype=torch.long)
    for r, i in enumerate(idx):
        x[r, :len(ids[i])] = torch.tensor(ids[i])
    return x, (x != pad_id).long()


def schedule(opt, total: int, warmup_frac: float = 0.06):
    import torch

    warmup = max(1, int(total * warmup_frac))
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))


def update(model, opt, sched, loss) -> float:
    """One optimiser step (gradients clipped to norm 1, as BERT does); the loss value."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()
    return loss.item()


def bert_config(args, vocab_size: int, **kw):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                      num_attention_heads=args.heads, intermediate_size=4 * args.hidden,
                      max_position_embeddings=args.max_len, **kw)


def pretrain_mlm(args, tok, ids, out_dir: str, log=print) -> dict:
    """MLM on ``ids`` (15% of non-special tokens: 80% [MASK], 10% random, 10% kept); saves to out_dir."""
    import torch
    from transformers import BertForMaskedLM

    torch.manual_seed(args.seed)
    model = BertForMaskedLM(bert_config(args, len(tok)))
    model.train()
    gen = torch.Generator().manual_seed(args.seed)
    n_batches = len(batches(ids, args.mlm_batch, torch.Generator().manual_seed(0)))
    opt = torch.optim.AdamW(model.parameters(), lr=args.mlm_lr, weight_decay=0.01)
    sched = schedule(opt, n_batches * args.mlm_epochs)
    mask_id, n_special = tok.mask_token_id, len(SPECIAL)
    epochs = []
    for epoch in range(args.mlm_epochs):
        t0, total, count = time.process_time(), 0.0, 0
        for idx in batches(ids, args.mlm_batch, gen):
            x, att = pad(ids, idx)
            special = x < n_special
            chosen = (torch.rand(x.shape, generator=gen) < 0.15) & ~special
            labels = torch.where(chosen, x, torch.full_like(x, -100))
            r = torch.rand(x.shape, generator=gen)
            x = torch.where(chosen & (r < 0.8), torch.full_like(x, mask_id), x)
            rand_tok = torch.randint(n_special, len(tok), x.shape, generator=gen)
            x = torch.where(chosen & (r >= 0.8) & (r < 0.9), rand_tok, x)
            # The prediction head on masked positions only (on every position it costs 40% of
            # the step at hidden 128 with a 4k vocabulary); the same loss as labels=...
            h = model.bert(input_ids=x, attention_mask=att).last_hidden_state
            loss = torch.nn.functional.cross_entropy(model.cls(h[chosen]), labels[chosen])
            total += update(model, opt, sched, loss)
            count += 1
        epochs.append({"epoch": epoch + 1, "loss": total / count, "cpu_s": time.process_time() - t0})
        log(f"# mlm epoch {epoch + 1}/{args.mlm_epochs}: loss {total / count:.4f}, "
            f"{time.process_time() - t0:.0f} CPU s", flush=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return {"epochs": epochs}


def predict(model, ids, batch_size: int = 128) -> np.ndarray:
    import torch

    model.eval()
    out = np.empty(len(ids), dtype=np.float32)
    with torch.inference_mode():
        for idx in batches(ids, batch_size, None, shuffle=False):
            x, att = pad(ids, idx)
            out[idx] = torch.softmax(model(input_ids=x, attention_mask=att).logits, -1)[:, 1].numpy()
    model.train()
    return out


def best_f1(labels, scores) -> float:
    return max(binary_metrics(labels, scores, t)["f1"] for t in THRESHOLDS)


def finetune(args, tok, base: str | None, train, dev_ids, test_ids, dev_y, log=print) -> dict:
    """Fine-tune (from ``base``, or random weights) on train; dev and test scores after every
    epoch, and the epoch with the best dev F1 (over thresholds)."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(args.seed)
    if base:
        model = BertForSequenceClassification.from_pretrained(base, num_labels=2)
        lr = args.ft_lr
    else:
        model = BertForSequenceClassification(bert_config(args, len(tok), num_labels=2))
        lr = args.scratch_lr
    model.train()
    tr_ids, tr_y = train
    gen = torch.Generator().manual_seed(args.seed + 1)
    n_batches = len(batches(tr_ids, args.ft_batch, torch.Generator().manual_seed(0)))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = schedule(opt, n_batches * args.ft_epochs, 0.1)
    per_epoch = []
    for epoch in range(args.ft_epochs):
        t0, total, count = time.process_time(), 0.0, 0
        for idx in batches(tr_ids, args.ft_batch, gen):
            x, att = pad(tr_ids, idx)
            loss = model(input_ids=x, attention_mask=att, labels=torch.tensor([tr_y[i] for i in idx])).loss
            total += update(model, opt, sched, loss)
            count += 1
        dev_s, test_s = predict(model, dev_ids), predict(model, test_ids)
        per_epoch.append({"epoch": epoch + 1, "loss": total / count, "dev_best_f1": best_f1(dev_y, dev_s),
                          "dev_auc": roc_auc(dev_y, dev_s), "cpu_s": time.process_time() - t0,
                          "dev": dev_s, "test": test_s})
        log(f"# fine-tune {'mlm' if base else 'scratch'} epoch {epoch + 1}/{args.ft_epochs}: loss "
            f"{total / count:.4f}, dev best F1 {per_epoch[-1]['dev_best_f1']:.4f}, "
            f"{time.process_time() - t0:.0f} CPU s", flush=True)
    chosen = max(per_epoch, key=lambda e: e["dev_best_f1"])
    return {"chosen_epoch": chosen["epoch"], "dev": chosen["dev"], "test": chosen["test"],
            "epochs": [{k: v for k, v in e.items() if k not in ("dev", "test")} for e in per_epoch]}


def fine_grained(path: str) -> np.ndarray:
    """COLD test's fine-grained labels, in file order (3 = anti-bias, a negative)."""
    with open(path, encoding="utf-8", newline="") as f:
        return np.array([int(r["fine-grained-label"]) for r in csv.DictReader(f)])


def row(name, dev_y, test_y, dev_s, test_s, extra=None, anti_bias=None) -> dict:
    th = pick_threshold("toxicity", dev_y, dev_s)
    m = binary_metrics(test_y, test_s, th)
    # Share of the test set's anti-bias comments (negatives unlike train's) flagged toxic.
    fp = float(np.mean(test_s[anti_bias] >= th)) if anti_bias is not None else float("nan")
    return {"name": name, "dev_f1_at_threshold": binary_metrics(dev_y, dev_s, th)["f1"], "threshold": th,
            "test_f1": m["f1"], "test_precision": m["precision"], "test_recall": m["recall"],
            "test_auc": roc_auc(test_y, test_s), "test_anti_bias_flagged": fp, **(extra or {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--mlm-epochs", type=int, default=4)
    ap.add_argument("--mlm-batch", type=int, default=64)
    ap.add_argument("--mlm-lr", type=float, default=5e-4)
    ap.add_argument("--ft-epochs", type=int, default=3)
    ap.add_argument("--ft-batch", type=int, default=32)
    ap.add_argument("--ft-lr", type=float, default=1e-4)
    ap.add_argument("--scratch-lr", type=float, default=3e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-scratch", action="store_true", help="skip fine-tuning from random weights")
    ap.add_argument("--mlm-dir", help="reuse this MLM checkpoint (from an earlier run) instead of pre-training")
    ap.add_argument("--work", default="/tmp/cold_zh_bert", help="MLM checkpoint and scores go here")
    ap.add_argument("--json", help="also write the rows (and per-epoch figures) here")
    ap.add_argument("--limit", type=int, default=0, help="N evenly spaced rows of each split only (a smoke test)")
    args = ap.parse_args()

    import torch
    from transformers import BertTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    t_start = time.process_time()
    d = os.path.join(SHARED, "labels/cold_zh_offensive")
    train, dev, test = (load_labelled(os.path.join(d, f"{s}.csv"), ["1"], ["0"], "TEXT") for s in ("train", "dev", "test"))
    if args.limit:
        train, dev, test = (type(s)(s.texts[::len(s.texts) // args.limit][:args.limit],
                                    s.labels[::len(s.texts) // args.limit][:args.limit], {}, {}, {})
                            for s in (train, dev, test))
    tag = f"L{args.layers}H{args.hidden}A{args.heads}_mlm{args.mlm_epochs}_s{args.seed}"
    work = os.path.join(args.work, tag)
    tok = BertTokenizerFast(vocab=build_vocab(train.texts, work), do_lower_case=True, tokenize_chinese_chars=True)
    tr_ids, dev_ids, test_ids = (encode(tok, s.texts, args.max_len) for s in (train, dev, test))
    unk = sum(i == tok.unk_token_id for ids in test_ids for i in ids) / sum(len(i) - 2 for i in test_ids)
    print(f"# vocab {len(tok)}, test tokens [UNK] {unk:.4f}", flush=True)
    result = {"args": vars(args), "vocab": len(tok), "test_unk_share": unk}
    mlm_dir = args.mlm_dir or os.path.join(work, "mlm")
    if not args.mlm_dir and args.mlm_epochs:
        result["pretrain"] = pretrain_mlm(args, tok, tr_ids + dev_ids, mlm_dir)
    runs = {}
    if args.mlm_epochs or args.mlm_dir:
        runs["mlm"] = finetune(args, tok, mlm_dir, (tr_ids, train.labels), dev_ids, test_ids, dev.labels)
    if not args.no_scratch:
        runs["scratch"] = finetune(args, tok, None, (tr_ids, train.labels), dev_ids, test_ids, dev.labels)
    from classifiers.kinds import load_classifier

    pair = load_classifier("fasttext", shipped_model("toxicity_zh"), max_chars=2_000)
    pair_dev, pair_test = pair.predict(dev.texts), pair.predict(test.texts)
    ab = None if args.limit else np.flatnonzero(fine_grained(os.path.join(d, "test.csv")) == 3)
    rows = [row("shipped fastText pair (toxicity_zh)", dev.labels, test.labels, pair_dev, pair_test, anti_bias=ab)]
    for name, r in runs.items():
        rows.append(row(f"bert {name} (epoch {r['chosen_epoch']})", dev.labels, test.labels, r["dev"], r["test"],
                        anti_bias=ab))
        # Ensemble weight: the best dev F1 at the dev-picked threshold; the higher weight on ties.
        cands = [row(f"bert {name} x {w} + pair x {1 - w}", dev.labels, test.labels,
                     w * r["dev"] + (1 - w) * pair_dev, w * r["test"] + (1 - w) * pair_test, {"weight": w}, ab)
                 for w in WEIGHTS[1:-1]]
        rows.append(max(cands, key=lambda c: (round(c["dev_f1_at_threshold"], 4), c["weight"])))
        result[name] = {"chosen_epoch": r["chosen_epoch"], "epochs": r["epochs"],
                        "weights_dev_f1": {c["weight"]: c["dev_f1_at_threshold"] for c in cands}}
        np.savez(os.path.join(work, f"scores_{name}.npz"), dev=r["dev"], test=r["test"])
    print(f"\nconfig {tag}, max_len {args.max_len}; {time.process_time() - t_start:.0f} CPU s in all\n")
    print("| model | dev F1 @ threshold | threshold | test F1 | test P / R | test AUC | anti-bias flagged |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['dev_f1_at_threshold']:.4f} | {r['threshold']:.2f} | {r['test_f1']:.4f} | "
              f"{r['test_precision']:.3f} / {r['test_recall']:.3f} | {r['test_auc']:.4f} | {r['test_anti_bias_flagged']:.3f} |")
    result["rows"], result["cpu_s"] = rows, time.process_time() - t_start
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
