"""Tiny PyTorch models whose module paths, attention arithmetic and input/output conventions follow
Hugging Face transformers' GPT-2, BERT (SDPA), Llama and Marian, so that torch.onnx.export (the
TorchScript exporter) writes graphs shaped like Optimum / transformers.js exports.

Module attribute names are the Hugging Face ones on purpose: the exporter names nodes by module path
(`/transformer/h.1/attn/Softmax`), and finding attention in a graph depends on those names.

Every attention module appends its probabilities to CAPTURE when run eagerly (not while tracing),
which is how reference.json gets PyTorch's own attention to compare with."""
import math

import torch
from torch import nn

CAPTURE = []


def _capture(probs):
    if not torch.jit.is_tracing():
        CAPTURE.append(probs.detach().clone())


def _min(dtype):
    return torch.finfo(dtype).min


def init_weights(model, d_model, qk_names):
    """std 0.02 everywhere (as HF's initializer_range), but larger query/key weights so that the
    random model's attention is peaked and varied rather than uniform: score std ~ std^2 * d ~ 2."""
    qk_std = math.sqrt(2.0 / d_model)
    for name, p in model.named_parameters():
        if p.dim() < 2:
            if name.endswith("weight"):
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, std=0.02)
        elif any(n in name for n in qk_names):
            nn.init.normal_(p, std=qk_std)
        else:
            nn.init.normal_(p, std=0.02)


# ============================================================== GPT-2
class Conv1D(nn.Module):
    """GPT-2's transposed linear layer: addmm on the flattened input (exports as Gemm)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, n = cfg["n_embd"], cfg["n_positions"]
        self.n_head, self.head_dim = cfg["n_head"], d // cfg["n_head"]
        self.register_buffer("bias", torch.tril(torch.ones(n, n, dtype=torch.bool)).view(1, 1, n, n), persistent=False)
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def _split(self, x):
        return x.view(x.size()[:-1] + (self.n_head, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, h, past_key, past_value, attention_mask):
        q, k, v = self.c_attn(h).split(self.n_head * self.head_dim, dim=2)
        q, k, v = self._split(q), self._split(k), self._split(v)
        k = torch.cat((past_key, k), dim=-2)
        v = torch.cat((past_value, v), dim=-2)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        q_len, k_len = q.size(-2), k.size(-2)
        causal = self.bias[:, :, k_len - q_len:k_len, :k_len]
        w = torch.where(causal, w, torch.full([], _min(w.dtype), dtype=w.dtype))
        w = w + attention_mask
        w = nn.functional.softmax(w, dim=-1)
        _capture(w)
        a = torch.matmul(w, v)
        a = a.permute(0, 2, 1, 3).contiguous()
        a = a.view(a.size()[:-2] + (self.n_head * self.head_dim,))
        return self.c_proj(a), k, v


class GPT2MLP(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.c_fc = Conv1D(4 * d, d)
        self.c_proj = Conv1D(d, 4 * d)

    def forward(self, x):
        x = self.c_fc(x)
        x = 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
        return self.c_proj(x)


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        self.ln_1 = nn.LayerNorm(d, eps=cfg["layer_norm_epsilon"])
        self.attn = GPT2Attention(cfg)
        self.ln_2 = nn.LayerNorm(d, eps=cfg["layer_norm_epsilon"])
        self.mlp = GPT2MLP(d)

    def forward(self, h, pk, pv, mask):
        a, k, v = self.attn(self.ln_1(h), pk, pv, mask)
        h = h + a
        return h + self.mlp(self.ln_2(h)), k, v


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])

    def forward(self, input_ids, attention_mask, position_ids, past):
        h = self.wte(input_ids) + self.wpe(position_ids)
        m = attention_mask[:, None, None, :].to(h.dtype)
        m = (1.0 - m) * _min(h.dtype)
        presents = []
        for i, block in enumerate(self.h):
            h, k, v = block(h, past[2 * i], past[2 * i + 1], m)
            presents += [k, v]
        return self.ln_f(h), presents


class GPT2LMHeadModel(nn.Module):
    """forward(input_ids, attention_mask, position_ids, past_key_values.0.key, .0.value, ...) ->
    (logits, present.0.key, present.0.value, ...), as Optimum's text-generation-with-past export."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = GPT2Model(cfg)
        self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)
        init_weights(self, cfg["n_embd"], ())
        with torch.no_grad():  # query and key columns of c_attn get the larger std (see init_weights)
            d = cfg["n_embd"]
            for block in self.transformer.h:
                block.attn.c_attn.weight[:, :2 * d].normal_(std=math.sqrt(2.0 / d))
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in GPT-2

    def forward(self, input_ids, attention_mask, position_ids, *past):
        h, presents = self.transformer(input_ids, attention_mask, position_ids, past)
        return (self.lm_head(h), *presents)


class GPT2LMHeadModelNoPast(GPT2LMHeadModel):
    """Optimum's decoder without past inputs: forward(input_ids, attention_mask, position_ids) ->
    (logits, present.*); the past is empty inside the graph. Same module paths as GPT2LMHeadModel."""

    def forward(self, input_ids, attention_mask, position_ids):
        c = self.cfg
        hd = c["n_embd"] // c["n_head"]
        empty = [torch.zeros(input_ids.size(0), c["n_head"], 0, hd) for _ in range(2 * c["n_layer"])]
        return super().forward(input_ids, attention_mask, position_ids, *empty)


# ============================================================== BERT (SDPA attention)
def sdpa_as_torchscript_exports_it(q, k, v, mask):
    """scaled_dot_product_attention written as the TorchScript exporter (opset 14 symbolic) writes it:
    both q and k^T multiplied by sqrt(scale), MatMul, Add(mask), Softmax, Where(IsNaN -> 0), MatMul.
    torch 1.13 has no F.scaled_dot_product_attention, so the decomposition is spelled out here."""
    sqrt_scale = math.sqrt(1.0 / math.sqrt(q.size(-1)))
    w = torch.matmul(q * sqrt_scale, k.transpose(-2, -1) * sqrt_scale)
    w = w + mask
    w = torch.softmax(w, dim=-1)
    w = torch.where(torch.isnan(w), torch.zeros([], dtype=w.dtype), w)
    _capture(w)
    return torch.matmul(w, v)


class BertSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.n, self.hd = cfg["num_attention_heads"], d // cfg["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def _heads(self, x):
        return x.view(x.size(0), x.size(1), self.n, self.hd).transpose(1, 2)

    def forward(self, h, mask):
        a = sdpa_as_torchscript_exports_it(self._heads(self.query(h)), self._heads(self.key(h)),
                                           self._heads(self.value(h)), mask)
        a = a.transpose(1, 2)
        return a.reshape(a.size(0), a.size(1), self.n * self.hd)


class BertSelfOutput(nn.Module):
    def __init__(self, d, inner, eps):
        super().__init__()
        self.dense = nn.Linear(inner, d)
        self.LayerNorm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg["hidden_size"], cfg["hidden_size"], cfg["layer_norm_eps"])

    def forward(self, h, mask):
        return self.output(self.self(h, mask), h)


class BertIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertSelfOutput(cfg["hidden_size"], cfg["intermediate_size"], cfg["layer_norm_eps"])

    def forward(self, h, mask):
        a = self.attention(h, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, h, mask):
        for layer in self.layer:
            h = layer(h, mask)
        return h


class BertEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], d, padding_idx=cfg["pad_token_id"])
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])
        self.register_buffer("position_ids", torch.arange(cfg["max_position_embeddings"]).unsqueeze(0), persistent=False)

    def forward(self, input_ids, token_type_ids):
        pos = self.position_ids[:, :input_ids.size(1)]
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(pos)
        return self.LayerNorm(e)


class BertModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.embeddings(input_ids, token_type_ids)
        m = attention_mask[:, None, None, :].to(h.dtype)
        m = (1.0 - m) * _min(h.dtype)
        return self.encoder(h, m)


class BertLMPredictionHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.transform = nn.Module()
        self.transform.dense = nn.Linear(d, d)
        self.transform.LayerNorm = nn.LayerNorm(d, eps=cfg["layer_norm_eps"])
        self.decoder = nn.Linear(d, cfg["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))

    def forward(self, h):
        h = self.transform.LayerNorm(nn.functional.gelu(self.transform.dense(h)))
        return self.decoder(h) + self.bias


class BertForMaskedLM(nn.Module):
    """forward(input_ids, attention_mask, token_type_ids) -> (logits, last_hidden_state)."""

    def __init__(self, cfg):
        super().__init__()
        self.bert = BertModel(cfg)
        self.cls = nn.Module()
        self.cls.predictions = BertLMPredictionHead(cfg)
        init_weights(self, cfg["hidden_size"], ("self.query", "self.key"))
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls.predictions(h), h


# ============================================================== Llama (RoPE, RMSNorm, GQA, eager)
class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hd = cfg["hidden_size"] // cfg["num_attention_heads"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, position_ids):
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def _rotate_half(x):
    h = x.size(-1) // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def _repeat_kv(x, n_rep):
    """(b, kv_heads, s, d) -> (b, kv_heads * n_rep, s, d), as transformers' repeat_kv."""
    if n_rep == 1:
        return x
    b, kvh, s, d = x.shape
    return x[:, :, None, :, :].expand(b, kvh, n_rep, s, d).reshape(b, kvh * n_rep, s, d)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.n, self.kvh = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.hd = d // self.n
        self.q_proj = nn.Linear(d, self.n * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.o_proj = nn.Linear(self.n * self.hd, d, bias=False)

    def forward(self, h, cos, sin, mask, pk, pv):
        b, s = h.size(0), h.size(1)
        q = self.q_proj(h).view(b, s, self.n, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, s, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, s, self.kvh, self.hd).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        k = torch.cat((pk, k), dim=-2)
        v = torch.cat((pv, v), dim=-2)
        rep = self.n // self.kvh
        w = torch.matmul(q, _repeat_kv(k, rep).transpose(2, 3)) * (self.hd ** -0.5)
        w = w + mask
        w = nn.functional.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        _capture(w)
        a = torch.matmul(w, _repeat_kv(v, rep)).transpose(1, 2).reshape(b, s, self.n * self.hd)
        return self.o_proj(a), k, v


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj, self.up_proj = nn.Linear(d, i, bias=False), nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.post_attention_layernorm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])

    def forward(self, h, cos, sin, mask, pk, pv):
        a, k, v = self.self_attn(self.input_layernorm(h), cos, sin, mask, pk, pv)
        h = h + a
        return h + self.mlp(self.post_attention_layernorm(h)), k, v


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = LlamaRMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.rotary_emb = LlamaRotaryEmbedding(cfg)

    def forward(self, input_ids, attention_mask, position_ids, past):
        h = self.embed_tokens(input_ids)
        q_len, past_len = input_ids.size(1), past[0].size(2)
        q_pos = torch.arange(q_len) + past_len
        k_pos = torch.arange(past_len + q_len)
        allowed = (k_pos[None, :] <= q_pos[:, None])[None, None, :, :] & attention_mask[:, None, None, :].bool()
        mask = torch.where(allowed, torch.zeros([], dtype=h.dtype), torch.full([], _min(h.dtype), dtype=h.dtype))
        cos, sin = self.rotary_emb(position_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            h, k, v = layer(h, cos, sin, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        return self.norm(h), presents


class LlamaForCausalLM(nn.Module):
    """forward(input_ids, attention_mask, position_ids, past_key_values.0.key, ...) -> (logits, present.0.key, ...);
    past/present tensors have num_key_value_heads heads."""

    def __init__(self, cfg):
        super().__init__()
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        init_weights(self, cfg["hidden_size"], ("q_proj", "k_proj"))

    def forward(self, input_ids, attention_mask, position_ids, *past):
        h, presents = self.model(input_ids, attention_mask, position_ids, past)
        return (self.lm_head(h), *presents)


# ============================================================== Marian (sinusoidal, post-LN, eager)
def marian_sinusoids(n_pos, d):
    """MarianSinusoidalPositionalEmbedding's table: sin in the first half of the features, cos in the second."""
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]
    j = torch.arange(d, dtype=torch.float64)[None, :]
    enc = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / d)
    out = torch.zeros(n_pos, d, dtype=torch.float64)
    half = d // 2
    out[:, :half] = torch.sin(enc[:, 0::2])
    out[:, half:] = torch.cos(enc[:, 1::2])
    return out.float()


class MarianSinusoidalPositionalEmbedding(nn.Embedding):
    def __init__(self, n_pos, d):
        super().__init__(n_pos, d)
        self.weight = nn.Parameter(marian_sinusoids(n_pos, d), requires_grad=False)

    def forward(self, seq_len, past_len=0):
        return super().forward(torch.arange(past_len, past_len + seq_len))


class MarianAttention(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.n, self.hd = n, d // n
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def _heads(self, x):
        return x.view(x.size(0), x.size(1), self.n, self.hd).transpose(1, 2)

    def forward(self, h, kv_source, mask):
        q = self._heads(self.q_proj(h))
        k, v = self._heads(self.k_proj(kv_source)), self._heads(self.v_proj(kv_source))
        w = torch.matmul(q, k.transpose(2, 3)) * (self.hd ** -0.5)
        w = w + mask
        w = nn.functional.softmax(w, dim=-1)
        _capture(w)
        a = torch.matmul(w, v).transpose(1, 2).reshape(h.size(0), h.size(1), self.n * self.hd)
        return self.out_proj(a), k, v


class MarianEncoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = MarianAttention(d, cfg["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, cfg["encoder_ffn_dim"]), nn.Linear(cfg["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, mask):
        a, _, _ = self.self_attn(h, h, mask)
        h = self.self_attn_layer_norm(h + a)
        return self.final_layer_norm(h + self.fc2(nn.functional.silu(self.fc1(h))))


class MarianDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.self_attn = MarianAttention(d, cfg["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = MarianAttention(d, cfg["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, cfg["decoder_ffn_dim"]), nn.Linear(cfg["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, self_mask, enc, cross_mask):
        a, sk, sv = self.self_attn(h, h, self_mask)
        h = self.self_attn_layer_norm(h + a)
        a, ck, cv = self.encoder_attn(h, enc, cross_mask)
        h = self.encoder_attn_layer_norm(h + a)
        return self.final_layer_norm(h + self.fc2(nn.functional.silu(self.fc1(h)))), (sk, sv, ck, cv)


class MarianEncoder(nn.Module):
    def __init__(self, cfg, shared):
        super().__init__()
        self.embed_scale = math.sqrt(cfg["d_model"])
        self.embed_tokens = shared
        self.embed_positions = MarianSinusoidalPositionalEmbedding(cfg["max_position_embeddings"], cfg["d_model"])
        self.layers = nn.ModuleList([MarianEncoderLayer(cfg) for _ in range(cfg["encoder_layers"])])

    def forward(self, input_ids, attention_mask):
        h = self.embed_tokens(input_ids) * self.embed_scale + self.embed_positions(input_ids.size(1))
        m = attention_mask[:, None, None, :].to(h.dtype)
        m = (1.0 - m) * _min(h.dtype)
        for layer in self.layers:
            h = layer(h, m)
        return h


class MarianDecoder(nn.Module):
    def __init__(self, cfg, shared):
        super().__init__()
        self.embed_scale = math.sqrt(cfg["d_model"])
        self.embed_tokens = shared
        self.embed_positions = MarianSinusoidalPositionalEmbedding(cfg["max_position_embeddings"], cfg["d_model"])
        self.layers = nn.ModuleList([MarianDecoderLayer(cfg) for _ in range(cfg["decoder_layers"])])

    def forward(self, input_ids, enc, encoder_attention_mask):
        n = input_ids.size(1)
        h = self.embed_tokens(input_ids) * self.embed_scale + self.embed_positions(n)
        pos = torch.arange(n)
        causal = (pos[None, :] <= pos[:, None])[None, None, :, :]
        self_mask = torch.where(causal, torch.zeros([], dtype=h.dtype), torch.full([], _min(h.dtype), dtype=h.dtype))
        cm = encoder_attention_mask[:, None, None, :].to(h.dtype)
        cm = (1.0 - cm) * _min(h.dtype)
        presents = []
        for layer in self.layers:
            h, kv = layer(h, self_mask, enc, cm)
            presents.append(kv)
        return h, presents


class MarianModel(nn.Module):
    """Holds shared/encoder/decoder like transformers' MarianModel. Its forward runs one part, so that
    the export wrappers call through it and node names keep the `/model/` scope."""

    def forward(self, part, *args):
        return getattr(self, part)(*args)


class MarianMTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = MarianModel()
        self.model.shared = nn.Embedding(cfg["vocab_size"], cfg["d_model"], padding_idx=cfg["pad_token_id"])
        self.model.encoder = MarianEncoder(cfg, self.model.shared)
        self.model.decoder = MarianDecoder(cfg, self.model.shared)
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab_size"], bias=False)
        self.register_buffer("final_logits_bias", torch.zeros(1, cfg["vocab_size"]))
        init_weights(self, cfg["d_model"], ("q_proj", "k_proj"))
        d, n_pos = cfg["d_model"], cfg["max_position_embeddings"]
        for part in (self.model.encoder, self.model.decoder):  # init_weights overwrote the fixed tables
            part.embed_positions.weight = nn.Parameter(marian_sinusoids(n_pos, d), requires_grad=False)
        self.lm_head.weight = self.model.shared.weight


class MarianEncoderExport(nn.Module):
    """encoder_model.onnx: (input_ids, attention_mask) -> last_hidden_state; nodes under /model/encoder/."""

    def __init__(self, mt):
        super().__init__()
        self.model = MarianModel()
        self.model.encoder = mt.model.encoder

    def forward(self, input_ids, attention_mask):
        return self.model("encoder", input_ids, attention_mask)


class MarianDecoderExport(nn.Module):
    """decoder_model.onnx: (encoder_attention_mask, input_ids, encoder_hidden_states) ->
    (logits, present.i.decoder.key/.value, present.i.encoder.key/.value ...); nodes under /model/decoder/."""

    def __init__(self, mt):
        super().__init__()
        self.model = MarianModel()
        self.model.decoder = mt.model.decoder
        self.lm_head = mt.lm_head
        self.register_buffer("final_logits_bias", mt.final_logits_bias.clone())

    def forward(self, encoder_attention_mask, input_ids, encoder_hidden_states):
        h, presents = self.model("decoder", input_ids, encoder_hidden_states, encoder_attention_mask)
        out = [self.lm_head(h) + self.final_logits_bias]
        for sk, sv, ck, cv in presents:
            out += [sk, sv, ck, cv]
        return tuple(out)
