/**
 * Size limits for a tokenizer read from a model folder (untrusted input). Real tokenizers stay well inside them:
 * Llama-3's tokenizer.json is about 9 MB with 128 k tokens, Gemma's about 34 MB with 262 k tokens.
 */

/** Largest tokenizer.json read (bytes). */
export const MAX_TOKENIZER_FILE_BYTES = 64 * 1024 * 1024;
/** Largest tokenizer_config.json / special_tokens_map.json read (bytes): they hold a few settings. */
export const MAX_SIDE_FILE_BYTES = 4 * 1024 * 1024;
/** Largest vocabulary (model vocab plus added tokens). */
export const MAX_VOCAB_SIZE = 1_000_000;
/** Largest merges list of a BPE model. */
export const MAX_MERGES = 2_000_000;
/** Largest added_tokens list. */
export const MAX_ADDED_TOKENS = 100_000;
/** Longest regular expression source accepted from a file (characters). */
export const MAX_PATTERN_CHARS = 4096;
