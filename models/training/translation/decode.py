"""Greedy decoding, batched, with cached keys and values.

Each step feeds only the newest token: its self-attention keys/values are appended to a per-layer cache, and the
cross-attention keys/values of the encoder output are computed once. The arithmetic is the model's own (its
modules, eval mode): the same softmax(q·kᵀ/√d + bias)·v as a full decoder pass over the prefix, where the causal mask
hides exactly the positions a step has not produced yet.
"""
import torch
import torch.nn.functional as F

from model import NEG


@torch.no_grad()
def greedy(model, sources, lang_id, eos, pad, max_len=128):
    """sources: list of source id lists (ending with </s>). Returns the generated target ids (without the language
    token and without </s>) for each. Generation stops at </s> or when the decoder input reaches max_len tokens
    (or 3 × the longest source + 10: a translation of this corpus is never that long)."""
    model.eval()
    B = len(sources)
    S = max(len(s) for s in sources)
    src = torch.full((B, S), pad, dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, :len(s)] = torch.tensor(s)
    key_bias = torch.where(src != pad, 0.0, NEG)[:, None, None, :]  # B,1,1,S
    memory = model.encode(src, key_bias.expand(-1, 1, S, -1))
    cross_kv = [(layer.cross_attn.split(layer.cross_attn.k(memory)), layer.cross_attn.split(layer.cross_attn.v(memory)))
                for layer in model.decoder]
    self_kv = [None] * len(model.decoder)
    last = torch.full((B,), lang_id, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    out = torch.empty((B, 0), dtype=torch.long)
    limit = min(max_len, 3 * S + 10)
    for pos in range(limit - 1):
        y = model.emb(last)[:, None, :] + model.dec_pos.weight[pos]
        for li, layer in enumerate(model.decoder):
            a = layer.self_attn
            h = layer.ln1(y)
            q, k, v = a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h))
            if self_kv[li] is not None:
                k = torch.cat([self_kv[li][0], k], 2)
                v = torch.cat([self_kv[li][1], v], 2)
            self_kv[li] = (k, v)
            att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * a.scale, dim=-1)
            y = y + a.out(torch.matmul(att, v).transpose(1, 2).reshape(B, 1, -1))
            c = layer.cross_attn
            q = c.split(c.q(layer.ln2(y)))
            ck, cv = cross_kv[li]
            att = torch.softmax(torch.matmul(q, ck.transpose(-1, -2)) * c.scale + key_bias, dim=-1)
            y = y + c.out(torch.matmul(att, cv).transpose(1, 2).reshape(B, 1, -1))
            y = y + layer.ff(layer.ln3(y))
        nxt = F.linear(model.dec_ln(y[:, 0]), model.emb.weight).argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
        out = torch.cat([out, nxt[:, None]], 1)
        done |= nxt == eos
        last = nxt
        if bool(done.all()):
            break
    result = []
    for row in out.tolist():
        ids = []
        for t in row:
            if t == eos or t == pad:
                break
            ids.append(t)
        result.append(ids)
    return result
