#!/usr/bin/python3
"""Train the translation model (both directions in one model), resumable, in the background.

    nohup nice -n 19 /usr/bin/python3 models/training/translation/train.py >> WORK/train.out 2>&1 &

Resumes from the newest checkpoint in WORK/ckpt (model, optimizer, step, data position, RNG states). Writes a
checkpoint every --ckpt-minutes and on SIGTERM/SIGINT, keeps the last two plus best.pt (lowest dev loss). Logs one
JSON line per --log-every steps to WORK/train.log (step, tokens/s, train loss; dev loss every --dev-every steps).

Examples: each pair gives two, English -> Chinese (source = en tokens + </s>, decoder input = <2zh> + zh tokens,
target = zh tokens + </s>) and the reverse with <2en>. Batches hold up to --batch-tokens source + target tokens of
similar lengths; the batch order is shuffled per epoch with a seed derived from the epoch, so a position
(epoch, batch index) is enough to resume exactly.

--align-weight W adds the guided-alignment loss (guided_loss; links from ibm1_align.py); a resume keeps the
checkpoint's weight and head unless the command line gives others, and the checkpoint records every change.
"""
import argparse
import glob
import json
import math
import os
import random
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

WORK = os.path.abspath(os.environ.get("WORK", os.path.join(HERE, "..", "work", "translation")))


def set_openblas_coretype():
    # Under KVM the CPU model is hidden and OpenBLAS falls back to slow generic kernels (models/training/README.md).
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return
    if " avx512f" in flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    elif " avx2" in flags:
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"


set_openblas_coretype()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bpe  # noqa: E402
from model import Config, Translator, batch_biases  # noqa: E402

MAX_LEN = 128  # tokens per side, including </s> (source) or the language token (decoder input)


def load_tokenizer():
    return bpe.Tokenizer(os.path.join(WORK, "tokenizer", "tokenizer.json"))


def encode_split(tok, split):
    """[(src ids, decoder input ids, target ids)] for both directions, cached in WORK/tokens/<split>.pt."""
    cache = os.path.join(WORK, "tokens", split + ".pt")
    tj = os.path.join(WORK, "tokenizer", "tokenizer.json")
    if os.path.exists(cache) and os.path.getmtime(cache) > os.path.getmtime(tj):
        return torch.load(cache)
    sp = tok.specials
    eos, to_zh, to_en = sp["</s>"], sp["<2zh>"], sp["<2en>"]
    out = []
    with open(os.path.join(WORK, "corpus", split + ".jsonl"), encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            en, zh = tok.encode(r["en"]), tok.encode(r["zh"])
            if len(en) + 1 > MAX_LEN or len(zh) + 1 > MAX_LEN:
                continue
            out.append((en + [eos], [to_zh] + zh, zh + [eos]))
            out.append((zh + [eos], [to_en] + en, en + [eos]))
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    torch.save(out, cache)
    return out


def make_batches(examples, batch_tokens, seed):
    """Indices grouped into batches of similar length whose padded size (src + tgt) stays under batch_tokens."""
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    # sort within chunks of 100 batches' worth so lengths are similar but the data stays mixed
    chunk = 8192
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: (len(examples[i][0]), len(examples[i][1])))
        cur, ms, mt = [], 0, 0
        for i in part:
            s, t = len(examples[i][0]), len(examples[i][1])
            ns, nt = max(ms, s), max(mt, t)
            if cur and (ns + nt) * (len(cur) + 1) > batch_tokens:
                batches.append(cur)
                cur, ns, nt = [], s, t
            cur.append(i)
            ms, mt = ns, nt
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(examples, idx, pad):
    S = max(len(examples[i][0]) for i in idx)
    T = max(len(examples[i][1]) for i in idx)
    src = torch.full((len(idx), S), pad, dtype=torch.long)
    dec = torch.full((len(idx), T), pad, dtype=torch.long)
    tgt = torch.full((len(idx), T), -100, dtype=torch.long)
    for b, i in enumerate(idx):
        s, d, t = examples[i]
        src[b, :len(s)] = torch.tensor(s)
        dec[b, :len(d)] = torch.tensor(d)
        tgt[b, :len(t)] = torch.tensor(t)
    return src, dec, tgt


def translation_loss(logits, tgt, smoothing):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100,
                           label_smoothing=smoothing)


def batch_loss(model, src, dec, tgt, pad, smoothing):
    enc_b, dec_b, cross_b = batch_biases(src != pad, dec.shape[1])
    return translation_loss(model(src, dec, enc_b, dec_b, cross_b), tgt, smoothing)


def collate_links(links, idx):
    """(batch row, decoder row, source position) of every alignment link of the batch's examples, as index tensors."""
    parts = [torch.cat([torch.full((len(links[i]), 1), b, dtype=torch.long), links[i].long()], 1)
             for b, i in enumerate(idx) if len(links[i])]
    if not parts:
        return None
    return torch.cat(parts, 0).unbind(1)


def guided_loss(model, src, dec, tgt, pad, smoothing, links, head):
    """Translation loss and the guided-alignment loss (ibm1_align.py): -log of the cross-attention weight that the
    decoder row writing a target token gives to the source token it translates, averaged over the links, for the mean
    of all cross-attention heads (what the panel's "all heads" shows) and for one chosen head (layer, head), so that
    one head reads as an alignment on its own."""
    enc_b, dec_b, cross_b = batch_biases(src != pad, dec.shape[1])
    memory = model.encode(src, enc_b)
    self_atts, cross = [], []
    ce = translation_loss(model.decode(dec, memory, dec_b, cross_b, collect_self=self_atts, collect_cross=cross),
                          tgt, smoothing)
    if links is None:
        return ce, torch.zeros(())
    b, j, i = links
    att = torch.stack([c[0] for c in cross], 0)  # [L, B, H, T, S]
    mean = att.mean((0, 2))[b, j, i]
    one = att[head[0], b, head[1], j, i]
    align = -(torch.log(mean + 1e-6).mean() + torch.log(one + 1e-6).mean()) / 2
    return ce, align


@torch.no_grad()
def dev_loss(model, examples, pad, batch_tokens):
    model.eval()
    total, n = 0.0, 0
    for idx in make_batches(examples, batch_tokens, seed=0):
        src, dec, tgt = collate(examples, idx, pad)
        k = int((tgt != -100).sum())
        total += float(batch_loss(model, src, dec, tgt, pad, 0.0)) * k
        n += k
    model.train()
    return total / n


def lr_at(step, peak, warmup, rewarm_from=None, rewarm=0):
    """Linear warm-up, then inverse square root decay. After a warm start from exported weights (fresh optimizer
    moments, see --init-onnx) the rate ramps up again over `rewarm` steps from `rewarm_from`: Adam's first updates
    are ~lr per weight whatever the gradient, which would shake a trained model at the full decayed rate."""
    step = max(step, 1)
    lr = peak * min(step / warmup, math.sqrt(warmup / step))
    if rewarm_from is not None and rewarm > 0:
        lr *= min(1.0, (step - rewarm_from) / rewarm)
    return lr


def weights_from_onnx(path, model):
    """A state dict from an exported model.onnx (models/training/fp16_weights.py stores `<param>.fp16` initializers
    named after the PyTorch parameters, `model.` prefixed by ExportWrapper). Used when the checkpoints are gone but
    the bundled model is not: the weights are the fp16-rounded ones the bundle ran."""
    import onnx
    from onnx import numpy_helper
    inits = {i.name: i for i in onnx.load(path).graph.initializer}
    state = {}
    for name, ref in model.state_dict().items():
        key = "model." + name
        init = inits.get(key + ".fp16", inits.get(key))
        if init is None:
            raise SystemExit(f"{path}: no initializer {key!r} (or {key}.fp16) for parameter {name}")
        arr = numpy_helper.to_array(init).astype(np.float32)
        if tuple(arr.shape) != tuple(ref.shape):
            raise SystemExit(f"{path}: initializer {init.name} has shape {arr.shape}, parameter {name} needs "
                             f"{tuple(ref.shape)}")
        state[name] = torch.from_numpy(arr.copy())
    return state


def checkpoints():
    return sorted(glob.glob(os.path.join(WORK, "ckpt", "step-*.pt")),
                  key=lambda p: int(os.path.basename(p)[5:-3]))


def save(state, name):
    d = os.path.join(WORK, "ckpt")
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, "." + name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, os.path.join(d, name))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-tokens", type=int, default=4000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--smoothing", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--dev-every", type=int, default=500)
    p.add_argument("--ckpt-minutes", type=float, default=10)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this step (0: run until stopped)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--init-onnx", default=None,
                   help="with no checkpoint in WORK/ckpt: start from this exported model.onnx's weights and the step "
                        "and token counts of the training.json beside it (the optimizer starts fresh)")
    p.add_argument("--rewarm", type=int, default=200, help="steps of re-warm-up after --init-onnx")
    p.add_argument("--align-weight", type=float, default=None,
                   help="weight of the guided-alignment loss (needs WORK/tokens/align-train.pt from ibm1_align.py); "
                        "left out: as the resumed checkpoint had it, else 0 (off)")
    p.add_argument("--align-head", default=None,
                   help="layer.head (0-based) that the alignment loss also trains alone; left out: as resumed, else 2.3")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(11)
    tok = load_tokenizer()
    pad = tok.specials["<pad>"]
    train = encode_split(tok, "train")
    dev = encode_split(tok, "dev")
    cfg = Config(vocab_size=tok.vocab_size)
    model = Translator(cfg, dropout=a.dropout).to(a.device)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.01)
    st = {"step": 0, "epoch": 0, "batch": 0, "tokens": 0, "seconds": 0.0, "best_dev": float("inf"), "dev": []}
    ck = checkpoints()
    if ck:
        saved = torch.load(ck[-1], map_location=a.device)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        st = saved["state"]
        torch.set_rng_state(saved["torch_rng"])
        print(f"resumed from {ck[-1]} at step {st['step']}", flush=True)
    elif a.init_onnx:
        model.load_state_dict(weights_from_onnx(a.init_onnx, model))
        tj = os.path.join(os.path.dirname(os.path.abspath(a.init_onnx)), "training.json")
        done = {}
        if os.path.exists(tj):
            with open(tj) as fh:
                done = json.load(fh)
        st.update(step=done.get("step") or 0, tokens=done.get("tokens_seen") or 0,
                  seconds=done.get("train_seconds") or 0.0, dev=done.get("dev_loss_curve") or [],
                  epoch=done.get("epoch") or 0, batch=done.get("step") or 0,
                  rewarm_from=done.get("step") or 0, init_onnx=a.init_onnx)
        print(f"warm start from {a.init_onnx} at step {st['step']} (re-warm-up {a.rewarm} steps)", flush=True)
    # Guided alignment goes on after a resume unless the command line says otherwise.
    resumed_align = st.get("align", {})
    if a.align_weight is None:
        a.align_weight = resumed_align.get("weight", 0.0)
    align_head = (tuple(int(x) for x in a.align_head.split(".")) if a.align_head
                  else tuple(resumed_align.get("head", (2, 3))))
    links = None
    if a.align_weight > 0:
        links = torch.load(os.path.join(WORK, "tokens", "align-train.pt"))
        if len(links) != len(train):
            raise SystemExit(f"align-train.pt has {len(links)} entries, train.pt {len(train)}: rerun ibm1_align.py")
        st["align"] = {"weight": a.align_weight, "head": list(align_head)}
        st.setdefault("align_from", st["step"])
        # Every change of weight, so the card can say which weight trained which steps.
        schedule = st.setdefault("align_schedule", [])
        if not schedule or schedule[-1][1] != a.align_weight:
            schedule.append([st["step"], a.align_weight])
        print(f"guided alignment: weight {a.align_weight}, head {align_head} (since step {st['align_from']})", flush=True)
    log = open(os.path.join(WORK, "train.log"), "a")
    # The process writes its own pid: `$!` after `cd … && nohup … &` is the pid of a subshell, and a stop signal sent
    # there never reaches training (it happened: a "paused" run went on training).
    with open(os.path.join(WORK, "train.pid"), "w") as fh:
        fh.write(f"{os.getpid()}\n")

    def write_ckpt():
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "state": st, "config": cfg.to_dict(),
                 "args": vars(a), "torch_rng": torch.get_rng_state()}
        save(state, f"step-{st['step']}.pt")
        for old in checkpoints()[:-2]:
            os.remove(old)

    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    model.train()
    last_ckpt = time.time()
    win_tok, win_loss, win_n, win_t, win_align = 0, 0.0, 0, time.time(), 0.0
    while not stop["now"]:
        batches = make_batches(train, a.batch_tokens, seed=1000 + st["epoch"])
        while st["batch"] < len(batches) and not stop["now"]:
            t0 = time.time()
            src, dec, tgt = collate(train, batches[st["batch"]], pad)
            src, dec, tgt = src.to(a.device), dec.to(a.device), tgt.to(a.device)
            for g in opt.param_groups:
                g["lr"] = lr_at(st["step"] + 1, a.lr, a.warmup, st.get("rewarm_from"), a.rewarm)
            if links is None:
                loss = batch_loss(model, src, dec, tgt, pad, a.smoothing)
                total = loss
            else:
                loss, align = guided_loss(model, src, dec, tgt, pad, a.smoothing,
                                          collate_links(links, batches[st["batch"]]), align_head)
                total = loss + a.align_weight * align
                win_align += float(align)
            opt.zero_grad(set_to_none=True)
            total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            st["step"] += 1
            st["batch"] += 1
            ntok = int((src != pad).sum()) + int((tgt != -100).sum())
            st["tokens"] += ntok
            st["seconds"] += time.time() - t0
            win_tok += ntok
            win_loss += float(loss)
            win_n += 1
            if st["step"] % a.log_every == 0:
                now = time.time()
                rec = {"step": st["step"], "epoch": st["epoch"], "tokens": st["tokens"],
                       "tokens_per_s": round(win_tok / (now - win_t), 1), "train_loss": round(win_loss / win_n, 4),
                       "lr": round(lr_at(st["step"], a.lr, a.warmup, st.get("rewarm_from"), a.rewarm), 7), "time": round(now)}
                if links is not None:
                    rec["align_loss"] = round(win_align / win_n, 4)
                if st["step"] % a.dev_every == 0:
                    dl = dev_loss(model, dev, pad, a.batch_tokens)
                    rec["dev_loss"] = round(dl, 4)
                    st["dev"].append([st["step"], st["tokens"], round(dl, 4)])
                    if dl < st["best_dev"]:
                        st["best_dev"] = dl
                        save({"model": model.state_dict(), "state": st, "config": cfg.to_dict()}, "best.pt")
                log.write(json.dumps(rec) + "\n")
                log.flush()
                win_tok, win_loss, win_n, win_t, win_align = 0, 0.0, 0, time.time(), 0.0
            if time.time() - last_ckpt > a.ckpt_minutes * 60:
                write_ckpt()
                last_ckpt = time.time()
            if a.max_steps and st["step"] >= a.max_steps:
                stop["now"] = True
        if st["batch"] >= len(batches):
            st["epoch"] += 1
            st["batch"] = 0
    write_ckpt()
    log.write(json.dumps({"stopped_at_step": st["step"], "tokens": st["tokens"], "time": round(time.time())}) + "\n")
    log.close()


if __name__ == "__main__":
    main()
