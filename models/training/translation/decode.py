"""Greedy decoding (batched, no cache: each step re-runs the decoder over the prefix, which is exact and simple)."""
import torch

from model import NEG, batch_biases


@torch.no_grad()
def greedy(model, sources, lang_id, eos, pad, max_len=128):
    """sources: list of source id lists (ending with </s>). Returns the generated target ids (without the language
    token and without </s>) for each. Generation stops at </s> or when the decoder input reaches max_len tokens."""
    model.eval()
    B = len(sources)
    S = max(len(s) for s in sources)
    src = torch.full((B, S), pad, dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, :len(s)] = torch.tensor(s)
    mask = src != pad
    enc_b, _, _ = batch_biases(mask, 1)
    memory = model.encode(src, enc_b)
    dec = torch.full((B, 1), lang_id, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    # a translation rarely needs more than ~3x its source's tokens (Chinese -> English byte-level pieces)
    limit = min(max_len, 3 * S + 10)
    while dec.shape[1] < limit and not bool(done.all()):
        _, dec_b, cross_b = batch_biases(mask, dec.shape[1])
        logits = model.decode(dec, memory, dec_b, cross_b)
        nxt = logits[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
        dec = torch.cat([dec, nxt[:, None]], 1)
        done |= nxt == eos
    out = []
    for row in dec[:, 1:].tolist():
        ids = []
        for t in row:
            if t == eos or t == pad:
                break
            ids.append(t)
        out.append(ids)
    return out


assert NEG < -1e8
