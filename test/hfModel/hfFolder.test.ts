/** config.json under every common spelling, the kind of model, variants, ids: what is read from a folder. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseVariant, inspectHfFolder, isHfFolder, parseHfConfig, slugFor } from '../../src/hfModel/hfFolder';
import { ModelConfigError } from '../../src/model/modelManifest';
import { hfFolder } from './hfFixtures';

const FILE = '/m/config.json';

describe('parseHfConfig', () => {
  it('reads GPT-2 names (n_layer, n_head, n_embd, n_positions) as a causal model', () => {
    const c = parseHfConfig({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 }, FILE);
    expect(c).toMatchObject({ layers: 12, heads: 12, kvHeads: 12, dModel: 768, headDim: 64, maxPositions: 1024, vocabSize: 50257, kind: 'causal' });
  });

  it('reads BERT names as an encoder, DistilBERT names (n_layers, n_heads, dim) too', () => {
    expect(parseHfConfig({ model_type: 'bert', num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 64, max_position_embeddings: 128 }, FILE).kind).toBe('encoder');
    const d = parseHfConfig({ model_type: 'distilbert', n_layers: 6, n_heads: 12, dim: 768, max_position_embeddings: 512 }, FILE);
    expect([d.layers, d.heads, d.dModel, d.kind]).toEqual([6, 12, 768, 'encoder']);
  });

  it('reads grouped-query attention and an explicit head_dim (Llama/Qwen-like)', () => {
    const c = parseHfConfig({ model_type: 'qwen2', num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, hidden_size: 896, head_dim: 64, max_position_embeddings: 32768 }, FILE);
    expect([c.heads, c.kvHeads, c.headDim, c.kind]).toEqual([14, 2, 64, 'causal']);
  });

  it('is_decoder and architectures decide the kind of an unknown family; seq2seq is encoder-decoder', () => {
    const base = { num_hidden_layers: 1, num_attention_heads: 1, hidden_size: 8, max_position_embeddings: 8 };
    expect(parseHfConfig({ ...base, model_type: 'mine', is_decoder: true }, FILE).kind).toBe('causal');
    expect(parseHfConfig({ ...base, model_type: 'mine', architectures: ['MineForCausalLM'] }, FILE).kind).toBe('causal');
    expect(parseHfConfig({ ...base, model_type: 'mine' }, FILE).kind).toBe('encoder');
    expect(parseHfConfig({ ...base, model_type: 'marian', d_model: 8 }, FILE).kind).toBe('encoder-decoder');
  });

  it('errors name the file and the field and say what was expected', () => {
    const errorOf = (o: Record<string, unknown>): ModelConfigError => {
      try {
        parseHfConfig(o, FILE);
      } catch (e) {
        return e as ModelConfigError;
      }
      throw new Error('no error');
    };
    const missing = errorOf({ n_head: 2, n_embd: 8, n_positions: 8 });
    expect(missing).toBeInstanceOf(ModelConfigError);
    expect([missing.file, missing.field]).toEqual([FILE, 'num_hidden_layers']);
    expect(missing.message).toMatch(/"num_hidden_layers" or "n_layer"/);
    const wrong = errorOf({ n_layer: 2, n_head: 'two', n_embd: 8, n_positions: 8 });
    expect([wrong.field, wrong.message]).toEqual(['n_head', expect.stringMatching(/positive integer.*got "two"/)]);
    expect(errorOf({ n_layer: 2, n_head: 3, n_embd: 8, n_positions: 8 }).message).toMatch(/3 does not divide 8/);
    expect(errorOf({ n_layer: 2, n_head: 4, num_key_value_heads: 3, n_embd: 8, n_positions: 8 }).field).toBe('num_key_value_heads');
  });
});

describe('inspectHfFolder', () => {
  it('lists the variants of tiny-gpt2, model.onnx first; the default is model.onnx', async () => {
    const info = await inspectHfFolder(hfFolder('tiny-gpt2'));
    expect(info.variants.map((v) => v.name)).toEqual(['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx']);
    expect(chooseVariant(info, undefined).name).toBe('model.onnx');
    expect(chooseVariant(info, 'fp16').name).toBe('model_fp16.onnx');
    expect(info.tokenizerConfigPath).toBe(path.join(hfFolder('tiny-gpt2'), 'tokenizer_config.json'));
  });

  it('finds an Optimum layout (model.onnx beside config.json) and an encoder-decoder pair', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-layout-'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', num_hidden_layers: 1, num_attention_heads: 1, hidden_size: 8, max_position_embeddings: 8 }));
    await writeFile(path.join(dir, 'tokenizer.json'), '{}');
    expect(await isHfFolder(dir)).toBe(false); // no ONNX file yet
    await writeFile(path.join(dir, 'model.onnx'), '');
    expect(await isHfFolder(dir)).toBe(true);
    expect((await inspectHfFolder(dir)).variants.map((v) => v.path)).toEqual([path.join(dir, 'model.onnx')]);
    const marian = await inspectHfFolder(hfFolder('tiny-marian'));
    expect(marian.config.kind).toBe('encoder-decoder');
    expect(marian.encoderDecoder?.encoder).toBe(path.join(hfFolder('tiny-marian'), 'onnx', 'encoder_model.onnx'));
    expect(marian.variants).toEqual([]);
  });

  it('a folder with no model file says what it expected', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-empty-'));
    await mkdir(path.join(dir, 'onnx'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ n_layer: 1, n_head: 1, n_embd: 8, n_positions: 8 }));
    await writeFile(path.join(dir, 'tokenizer.json'), '{}');
    await expect(inspectHfFolder(dir)).rejects.toThrow(/onnx: holds no model: expected onnx\/model\.onnx/);
  });

  it('ids are slugs of the folder name, unique among the models listed', () => {
    expect(slugFor('/x/Xenova_gpt2', new Set())).toBe('xenova-gpt2');
    expect(slugFor('/y/tiny-gpt2', new Set(['tiny-gpt2']))).toBe('tiny-gpt2-2');
    expect(slugFor('/z/模型', new Set())).toBe('model');
  });
});
