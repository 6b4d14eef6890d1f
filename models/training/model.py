"""The transformer used by both bundled models (encoder = full mask + MLM, causal = causal mask + LM).

Pre-LayerNorm blocks, rotary positions on q and k, hand-written attention so that the rotated
queries/keys, the values and the post-softmax weights can be returned, tied input/output
embeddings. The attention scores are exactly q·kᵀ/√head_dim + attention_bias.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, **kw):
        self.vocab_size = 8192
        self.layers = 4
        self.heads = 8
        self.d_model = 256
        self.ff = 1024
        self.max_positions = 512
        self.rope_base = 10000.0
        self.__dict__.update(kw)
        self.head_dim = self.d_model // self.heads

    def to_dict(self):
        return dict(self.__dict__)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = cfg.heads
        self.hd = cfg.head_dim
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.scale = 1.0 / math.sqrt(self.hd)

    def forward(self, x, bias, cos, sin, fused=None):
        B, n, d = x.shape
        qkv = self.qkv(x).view(B, n, 3, self.h, self.hd).permute(2, 0, 3, 1, 4)  # 3,B,h,n,hd
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if fused is not None:
            # Training only (GPU): the same softmax(q·kᵀ/√head_dim + mask)·v by a fused kernel that never
            # materialises the weights. fused = "causal" or "full" (the only masks training uses).
            # (rotary promotes q, k to fp32 under autocast; the flash kernel wants them in v's dtype)
            y = F.scaled_dot_product_attention(q.to(v.dtype), k.to(v.dtype), v, is_causal=fused == "causal")
            return self.out(y.transpose(1, 2).reshape(B, n, d)), None, q, k, v
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale + bias
        att = torch.softmax(scores, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, n, d)
        return self.out(y), att, q, k, v


class Block(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        # residual dropout (training only; identity in eval mode, so exports and evaluation are unaffected)
        self.drop = nn.Dropout(dropout)
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.fc1 = nn.Linear(cfg.d_model, cfg.ff)
        self.fc2 = nn.Linear(cfg.ff, cfg.d_model)

    def forward(self, x, bias, cos, sin, fused=None):
        a, att, q, k, v = self.attn(self.ln1(x), bias, cos, sin, fused)
        x = x + self.drop(a)
        x = x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)))))
        return x, att, q, k, v


class Transformer(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg, dropout) for _ in range(cfg.layers)])
        self.ln_f = nn.LayerNorm(cfg.d_model)
        inv = 1.0 / (cfg.rope_base ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        t = torch.arange(cfg.max_positions).float()
        freqs = torch.outer(t, inv)
        emb = torch.cat((freqs, freqs), dim=-1)  # max_positions, head_dim
        self.register_buffer("rope_cos", emb.cos(), persistent=False)
        self.register_buffer("rope_sin", emb.sin(), persistent=False)
        self.apply(self._init)
        for b in self.blocks:  # GPT-2 style scaled init of residual projections
            nn.init.normal_(b.attn.out.weight, std=0.02 / math.sqrt(2 * cfg.layers))
            nn.init.normal_(b.fc2.weight, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def hidden(self, input_ids, bias, collect=False, fused=None):
        n = input_ids.shape[1]
        cos = self.rope_cos[:n]
        sin = self.rope_sin[:n]
        x = self.emb(input_ids)
        atts, qs, ks, vs = [], [], [], []
        for b in self.blocks:
            x, att, q, k, v = b(x, bias, cos, sin, fused)
            if collect:
                atts.append(att)
                qs.append(q)
                ks.append(k)
                vs.append(v)
        return self.ln_f(x), (atts, qs, ks, vs)

    def logits(self, h):
        return F.linear(h, self.emb.weight)

    def forward(self, input_ids, bias, fused=None):
        h, _ = self.hidden(input_ids, bias, fused=fused)
        return self.logits(h)


class ExportWrapper(nn.Module):
    """ONNX signature of the contract: (input_ids [1,n] int64, attention_bias [n,n] f32) ->
    attentions [L,H,n,n], queries/keys/values [L,H,n,hd], logits [1,n,V]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_bias):
        h, (atts, qs, ks, vs) = self.model.hidden(input_ids, attention_bias, collect=True)
        logits = self.model.logits(h)
        return (torch.cat(atts, 0), torch.cat(qs, 0), torch.cat(ks, 0), torch.cat(vs, 0), logits)


def causal_bias(n, neg=-1e9):
    return torch.triu(torch.full((n, n), neg), diagonal=1)


def load_onnx_weights(model, onnx_path):
    """Warm start: copy the weights of a model.onnx written by export.py (fp32, no constant folding, so the
    initializers are the PyTorch parameters themselves, named "model.<state_dict key>") into `model`; a weight
    stored as float16 by fp16_weights.py (behind a Cast to float32 that carries its name) is read back exactly.
    Every parameter of `model` must be found with the same shape; returns the number of tensors copied."""
    import onnx
    from fp16_weights import float32_initializers

    m = onnx.load(onnx_path)
    inits = float32_initializers(m)
    sd = model.state_dict()
    missing, copied = [], {}
    for key, ref in sd.items():
        arr = inits.get("model." + key, inits.get(key))
        if arr is None:
            missing.append(key)
            continue
        if tuple(arr.shape) != tuple(ref.shape):
            raise ValueError(f"{key}: ONNX shape {arr.shape} != model shape {tuple(ref.shape)}")
        copied[key] = torch.from_numpy(arr.copy()).to(ref.dtype)
    if missing:
        raise ValueError(f"{onnx_path}: no initializer for {missing} (initializers: {sorted(inits)[:20]}...)")
    model.load_state_dict(copied)
    return len(copied)
