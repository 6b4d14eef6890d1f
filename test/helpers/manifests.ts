/** A model.json that passes validation, for tests that change one field of it to see the error it gets. */
export const VALID_MANIFEST = {
  id: 'm',
  display_name: 'M',
  kind: 'causal',
  layers: 4,
  heads: 8,
  d_model: 256,
  head_dim: 32,
  max_positions: 512,
  vocab_size: 8192,
  files: { model: 'model.onnx', tokenizer: 'tokenizer.json' },
};
