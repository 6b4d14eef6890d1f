/**
 * Special tokens by role (bos, eos, cls, sep, mask, pad, unk), read from the files in this order:
 * tokenizer_config.json, special_tokens_map.json, then what tokenizer.json itself implies (the post-processor's
 * [CLS]/[SEP] or <s>/</s>, the model's unknown token, added tokens named like a mask or a padding).
 */
import type { SpecialTokenIds } from './textTokenizer';

type Role = keyof SpecialTokenIds;
const ROLES: Role[] = ['bos', 'eos', 'cls', 'sep', 'mask', 'pad', 'unk'];

/** A role's value in tokenizer_config.json / special_tokens_map.json: "…" or {"content": "…"}. */
function contentOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export function resolveSpecialRoles(
  sources: readonly (Record<string, unknown> | undefined)[],
  tokenizerJson: Record<string, unknown>,
  idOf: (content: string) => number | undefined,
  addedContents: readonly string[],
): SpecialTokenIds {
  const out: SpecialTokenIds = {};
  const set = (role: Role, content: string | undefined): void => {
    if (out[role] !== undefined || content === undefined) return;
    const id = idOf(content);
    if (id !== undefined) out[role] = id;
  };
  for (const src of sources) if (src) for (const role of ROLES) set(role, contentOf(src[`${role}_token`]));
  // What the post-processor adds: the token before the text opens it, the one after closes it.
  const post = tokenizerJson.post_processor as Record<string, unknown> | null | undefined;
  const visit = (p: Record<string, unknown> | null | undefined): void => {
    if (!p) return;
    if (p.type === 'Sequence' && Array.isArray(p.processors)) p.processors.forEach((c) => visit(c as Record<string, unknown>));
    if ((p.type === 'BertProcessing' || p.type === 'RobertaProcessing') && Array.isArray(p.cls) && Array.isArray(p.sep)) {
      set('cls', p.cls[0] as string);
      set('sep', p.sep[0] as string);
      set('bos', p.cls[0] as string);
      set('eos', p.sep[0] as string);
    }
    if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
      const items = p.single as Record<string, { id?: string }>[];
      const seq = items.findIndex((it) => 'Sequence' in it);
      items.forEach((it, i) => {
        const id = it.SpecialToken?.id;
        if (id === undefined) return;
        if (i < seq) {
          set('bos', id);
          set('cls', id);
        } else {
          set('eos', id);
          set('sep', id);
        }
      });
    }
  };
  visit(post);
  const model = tokenizerJson.model as Record<string, unknown>;
  if (typeof model.unk_token === 'string') set('unk', model.unk_token);
  if (Array.isArray(model.vocab) && Number.isInteger(model.unk_id)) out.unk ??= model.unk_id as number;
  const named = (role: Role, names: string[]): void => {
    for (const n of names) if (addedContents.includes(n)) set(role, n);
  };
  named('mask', ['<mask>', '[MASK]', '<|mask|>']);
  named('pad', ['<pad>', '[PAD]', '<|pad|>']);
  return out;
}
