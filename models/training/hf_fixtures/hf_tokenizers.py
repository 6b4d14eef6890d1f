"""Writes small Hugging Face tokenizer.json files (+ tokenizer_config.json, special_tokens_map.json)
for four families, trained on corpus.py's text:

  gpt2   byte-level BPE (models/training/bpe.py's trainer), <|endoftext|>
  bert   WordPiece (our own BPE-style trainer with the ## prefix) behind the BERT normaliser
  llama  SentencePiece BPE with byte fallback (python3-sentencepiece), converted to tokenizer.json
  marian SentencePiece Unigram with the nmt_nfkc Precompiled normaliser, Metaspace

Each builder returns (tokenizer_json, tokenizer_config, special_tokens_map); the caller writes them."""
import base64
import io
import struct
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bpe  # noqa: E402  (models/training/bpe.py: GPT-2 byte-level BPE trainer)

import corpus  # noqa: E402


def _added(tid, content):
    return {"id": tid, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


# ---------------------------------------------------------------- GPT-2: byte-level BPE
def gpt2(vocab_size=1000):
    counts = Counter()
    for line in corpus.lines():
        counts.update(bpe.pretokenize(line + "\n"))
    # bpe.train reserves len(bpe.SPECIALS) ids; we add one special (<|endoftext|>) ourselves.
    merges = bpe.train(dict(counts), vocab_size - 1 + len(bpe.SPECIALS), log=None)
    vocab = {bpe.B2U[b]: b for b in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 256 + i
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [_added(eot, "<|endoftext|>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    cfg = {"add_prefix_space": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
           "unk_token": "<|endoftext|>", "clean_up_tokenization_spaces": False, "model_max_length": 64,
           "tokenizer_class": "GPT2Tokenizer",
           "added_tokens_decoder": {str(eot): {k: v for k, v in _added(eot, "<|endoftext|>").items() if k not in ("id",)}}}
    stm = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}
    return tj, cfg, stm


# ---------------------------------------------------------------- BERT: WordPiece
def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def bert_normalize(text):
    """What BertNormalizer(clean_text, handle_chinese_chars, strip_accents=None, lowercase) does."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
            continue
        if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    s = unicodedata.normalize("NFD", "".join(out).lower())
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def bert_pretokenize(text):
    words = []
    for w in text.split():
        cur = ""
        for ch in w:
            if _is_punct(ch):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def bert(vocab_size=1500):
    counts = Counter()
    for line in corpus.lines():
        counts.update(bert_pretokenize(bert_normalize(line)))
    words = {tuple([w[0]] + ["##" + c for c in w[1:]]): c for w, c in counts.items()}
    alphabet = sorted({s for w in words for s in w})
    vocab = list(BERT_SPECIALS) + alphabet
    known = set(vocab)
    while len(vocab) < vocab_size:
        pairs = Counter()
        for w, c in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += c
        if not pairs:
            break
        # highest count, ties broken by the pair's text so the result is deterministic
        (a, b), n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < 2:
            break
        merged = a + b[2:]
        new_words = {}
        for w, c in words.items():
            nw, i = [], 0
            while i < len(w):
                if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                    nw.append(merged)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            new_words[tuple(nw)] = new_words.get(tuple(nw), 0) + c
        words = new_words
        if merged not in known:
            known.add(merged)
            vocab.append(merged)
    ids = {t: i for i, t in enumerate(vocab)}
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [_added(ids[t], t) for t in BERT_SPECIALS],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }
    cfg = {"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True, "model_max_length": 64,
           "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
           "clean_up_tokenization_spaces": True, "tokenizer_class": "BertTokenizer"}
    stm = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"}
    return tj, cfg, stm


# ---------------------------------------------------------------- SentencePiece helpers
def _train_spm(**kw):
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus.lines()), model_writer=buf, num_threads=1,
                                   minloglevel=2, **kw)
    return buf.getvalue()


def _varint(b, i):
    shift = n = 0
    while True:
        x = b[i]
        i += 1
        n |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return n, i


def _fields(b):
    """(field number, wire type, value) of one protobuf message: enough to read a ModelProto."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"sentencepiece model: unsupported protobuf wire type {wt}")
        yield f, wt, v


def spm_pieces(model_bytes):
    """[(piece, score, type)] in id order; type 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte."""
    out = []
    for f, _, v in _fields(model_bytes):
        if f == 1:
            piece, score, typ = "", 0.0, 1
            for g, _, w in _fields(v):
                if g == 1:
                    piece = w.decode("utf-8")
                elif g == 2:
                    score = struct.unpack("<f", w)[0]
                elif g == 3:
                    typ = w
            out.append((piece, score, typ))
    return out


def spm_precompiled_charsmap(model_bytes):
    for f, _, v in _fields(model_bytes):
        if f == 3:
            for g, _, w in _fields(v):
                if g == 2:
                    return bytes(w)
    raise ValueError("sentencepiece model has no precompiled_charsmap in its normalizer_spec")


# ---------------------------------------------------------------- Llama: SentencePiece BPE, byte fallback
def llama(vocab_size=1000):
    model = _train_spm(model_type="bpe", vocab_size=vocab_size, byte_fallback=True, character_coverage=0.9995,
                       unk_id=0, bos_id=1, eos_id=2, pad_id=-1, normalization_rule_name="identity",
                       add_dummy_prefix=True, remove_extra_whitespaces=False, split_digits=True,
                       allow_whitespace_only_pieces=True)
    pieces = spm_pieces(model)
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    mergeable = {p for p, _, t in pieces if t == 1}
    merges = []
    for p, _, t in pieces:
        if t != 1 or len(p) < 2:
            continue
        for k in range(1, len(p)):
            a, b = p[:k], p[k:]
            if a in mergeable and b in mergeable:
                merges.append((vocab[p], vocab[a], vocab[b], a, b))
    merges.sort()
    specials = ["<unk>", "<s>", "</s>"]
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [_added(vocab[t], t) for t in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for _, _, _, a, b in merges]},
    }
    cfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
           "unk_token": "<unk>", "pad_token": None, "legacy": False, "clean_up_tokenization_spaces": False,
           "model_max_length": 64, "tokenizer_class": "LlamaTokenizer"}
    stm = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    return tj, cfg, stm, model


# ---------------------------------------------------------------- Marian: SentencePiece Unigram, Precompiled
def marian(vocab_size=1000):
    model = _train_spm(model_type="unigram", vocab_size=vocab_size - 1, character_coverage=0.9995,
                       unk_id=1, eos_id=0, bos_id=-1, pad_id=-1, normalization_rule_name="nmt_nfkc",
                       remove_extra_whitespaces=False)  # tokenizer.json has no whitespace-collapsing step either
    pieces = spm_pieces(model)
    charsmap = spm_precompiled_charsmap(model)
    vocab = [[p, 0.0 if t in (2, 3) else float(s)] for p, s, t in pieces]
    pad = len(vocab)
    vocab.append(["<pad>", 0.0])
    meta = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [_added(0, "</s>"), _added(1, "<unk>"), _added(pad, "<pad>")],
        "normalizer": {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")},
        "pre_tokenizer": meta,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "</s>", "type_id": 1}}],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [0], "tokens": ["</s>"]}}},
        "decoder": dict(meta),
        "model": {"type": "Unigram", "unk_id": 1, "vocab": vocab, "byte_fallback": False},
    }
    cfg = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "model_max_length": 64,
           "source_lang": "en", "target_lang": "zh", "separate_vocabs": False,
           "clean_up_tokenization_spaces": False, "tokenizer_class": "MarianTokenizer"}
    stm = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
    return tj, cfg, stm, model
