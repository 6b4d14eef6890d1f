"""The translation model: a pre-LayerNorm encoder-decoder transformer (English <-> Simplified Chinese).

Why this shape: absolute learned positions are added to the token embeddings (no rotary), so every attention's
scores are exactly q·kᵀ/√head_dim + bias and the host can reproduce each one from the exported q, k and the bias it
gave. Every attention returns its post-softmax weights and its q, k, v. One embedding matrix serves the encoder input,
the decoder input and the output projection (tied). The direction is chosen by the decoder's first input token
(<2zh> or <2en>); one model learns both directions.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_flush_denormal(True)  # tiny softmax gradients otherwise turn into denormals and slow every matmul ~80x

NEG = -1e9


class Config:
    def __init__(self, **kw):
        self.vocab_size = 8192
        self.layers = 3  # in the encoder and in the decoder
        self.heads = 6
        self.d_model = 192
        self.ff = 768
        self.max_positions = 128
        self.__dict__.update(kw)
        self.head_dim = self.d_model // self.heads

    def to_dict(self):
        return dict(self.__dict__)


class Attention(nn.Module):
    """softmax(q·kᵀ/√head_dim + bias)·v with separate projections, so queries may come from another stream than
    keys and values (cross-attention: queries from the decoder, keys/values from the encoder output)."""

    def __init__(self, cfg):
        super().__init__()
        self.h, self.hd = cfg.heads, cfg.head_dim
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.k = nn.Linear(cfg.d_model, cfg.d_model)
        self.v = nn.Linear(cfg.d_model, cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        self.scale = 1.0 / math.sqrt(self.hd)

    def split(self, x):
        B, n, _ = x.shape
        return x.view(B, n, self.h, self.hd).transpose(1, 2)  # B,h,n,hd

    def forward(self, x, memory, bias):
        q = self.split(self.q(x))
        k = self.split(self.k(memory))
        v = self.split(self.v(memory))
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale + bias, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return self.out(y), (att, q, k, v)


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc1 = nn.Linear(cfg.d_model, cfg.ff)
        self.fc2 = nn.Linear(cfg.ff, cfg.d_model)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, cfg, dropout):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn, self.ff = Attention(cfg), FeedForward(cfg)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        h = self.ln1(x)
        a, self_att = self.attn(h, h, bias)
        x = x + self.drop(a)
        return x + self.drop(self.ff(self.ln2(x))), self_att


class DecoderLayer(nn.Module):
    def __init__(self, cfg, dropout):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(cfg.d_model) for _ in range(3))
        self.self_attn, self.cross_attn, self.ff = Attention(cfg), Attention(cfg), FeedForward(cfg)
        self.drop = nn.Dropout(dropout)

    def forward(self, y, memory, self_bias, cross_bias):
        h = self.ln1(y)
        a, self_att = self.self_attn(h, h, self_bias)
        y = y + self.drop(a)
        c, cross_att = self.cross_attn(self.ln2(y), memory, cross_bias)
        y = y + self.drop(c)
        return y + self.drop(self.ff(self.ln3(y))), self_att, cross_att


class Translator(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.enc_pos = nn.Embedding(cfg.max_positions, cfg.d_model)
        self.dec_pos = nn.Embedding(cfg.max_positions, cfg.d_model)
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.ModuleList([EncoderLayer(cfg, dropout) for _ in range(cfg.layers)])
        self.decoder = nn.ModuleList([DecoderLayer(cfg, dropout) for _ in range(cfg.layers)])
        self.enc_ln, self.dec_ln = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.apply(self._init)
        residual_std = 0.02 / math.sqrt(2 * 2 * cfg.layers)  # GPT-2 style: residual projections scaled by depth
        for layer in list(self.encoder) + list(self.decoder):
            for m in layer.modules():
                if isinstance(m, Attention):
                    nn.init.normal_(m.out.weight, std=residual_std)
                elif isinstance(m, FeedForward):
                    nn.init.normal_(m.fc2.weight, std=residual_std)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def encode(self, input_ids, bias, collect=None):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.drop(self.emb(input_ids) + self.enc_pos(pos))
        for layer in self.encoder:
            x, att = layer(x, bias)
            if collect is not None:
                collect.append(att)
        return self.enc_ln(x)

    def decode(self, decoder_input_ids, memory, self_bias, cross_bias, collect_self=None, collect_cross=None,
               last_only=False):
        """Logits [B, T, vocab], or [B, 1, vocab] for the last position only (greedy decoding: the projection onto the
        vocabulary is the largest matmul, and earlier positions' logits are not needed)."""
        pos = torch.arange(decoder_input_ids.shape[1], device=decoder_input_ids.device)
        y = self.drop(self.emb(decoder_input_ids) + self.dec_pos(pos))
        for layer in self.decoder:
            y, s, c = layer(y, memory, self_bias, cross_bias)
            if collect_self is not None:
                collect_self.append(s)
                collect_cross.append(c)
        if last_only:
            y = y[:, -1:]
        return F.linear(self.dec_ln(y), self.emb.weight)

    def forward(self, input_ids, decoder_input_ids, enc_bias, dec_bias, cross_bias):
        memory = self.encode(input_ids, enc_bias)
        return self.decode(decoder_input_ids, memory, dec_bias, cross_bias)


def causal_bias(n, neg=NEG):
    return torch.triu(torch.full((n, n), neg), diagonal=1)


def batch_biases(src_mask, tgt_len):
    """Additive biases for a padded batch. src_mask: [B, S] bool (True = real token). Returns encoder [B,1,S,S],
    decoder [1,1,T,T] (causal: padding sits after the real target tokens, so causality already hides it from every
    real query) and cross [B,1,T,S]."""
    key = torch.where(src_mask, 0.0, NEG)[:, None, None, :]  # B,1,1,S
    enc = key.expand(-1, 1, src_mask.shape[1], -1)
    cross = key.expand(-1, 1, tgt_len, -1)
    return enc, causal_bias(tgt_len)[None, None], cross


class ExportWrapper(nn.Module):
    """The ONNX signature of the encoder-decoder contract (models/README.md)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, decoder_input_ids, encoder_attention_bias, decoder_attention_bias,
                cross_attention_bias):
        enc, dec, cross = [], [], []
        memory = self.model.encode(input_ids, encoder_attention_bias, collect=enc)
        logits = self.model.decode(decoder_input_ids, memory, decoder_attention_bias, cross_attention_bias,
                                   collect_self=dec, collect_cross=cross)

        def stack(items, i):
            return torch.cat([t[i] for t in items], 0)  # L x [1,H,n,m] -> [L,H,n,m]

        return (stack(enc, 0), stack(enc, 1), stack(enc, 2), stack(enc, 3),
                stack(dec, 0), stack(dec, 1), stack(dec, 2), stack(dec, 3),
                stack(cross, 0), stack(cross, 1), stack(cross, 2), stack(cross, 3),
                logits)


OUTPUT_NAMES = ["encoder_attentions", "encoder_queries", "encoder_keys", "encoder_values",
                "decoder_attentions", "decoder_queries", "decoder_keys", "decoder_values",
                "cross_attentions", "cross_queries", "cross_keys", "cross_values", "logits"]
INPUT_NAMES = ["input_ids", "decoder_input_ids", "encoder_attention_bias", "decoder_attention_bias",
               "cross_attention_bias"]
