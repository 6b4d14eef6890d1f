/** The webview's UI strings: English defaults, and their entries in the extension's l10n bundles (en, zh-cn). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleKey, DEFAULT_STRINGS, setStrings, t, type StringKey } from '../../webview/strings';

const dir = path.resolve(__dirname, '..', '..', 'l10n');
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Record<string, unknown>;
const keys = Object.keys(DEFAULT_STRINGS) as StringKey[];
/** A bundle entry's message: a string, or `{ message, comment }` where a comment tells translators its context. */
const messageOf = (entry: unknown): unknown => (typeof entry === 'object' && entry !== null && 'message' in entry ? entry.message : entry);

afterEach(() => setStrings(undefined));

describe('webview strings', () => {
  it('bundle.l10n.json holds exactly the English defaults', () => {
    const en = load('bundle.l10n.json');
    expect(Object.fromEntries(keys.map((k) => [k, messageOf(en[bundleKey(k)])]))).toEqual(DEFAULT_STRINGS);
  });

  it('bundle.l10n.zh-cn.json has every key, translated, with the same placeholders', () => {
    const zh = load('bundle.l10n.zh-cn.json');
    expect(keys.filter((k) => typeof zh[bundleKey(k)] !== 'string')).toEqual([]);
    for (const [key, en] of Object.entries(DEFAULT_STRINGS)) {
      const placeholders = (s: string): string[] => (s.match(/\{\d+\}/g) ?? []).sort();
      expect(placeholders(zh[bundleKey(key as StringKey)] as string), key).toEqual(placeholders(en));
    }
    // Through @vscode/l10n, as the panel reads them once the host has sent the bundle.
    setStrings(zh as Record<string, string>);
    expect(t('view.text')).toBe('文本');
    expect(t('title')).toBe('Attention Lens 注意力透镜');
    expect(t('status.window', 2, 3)).toBe(((zh['window {0}/{1}'] as string).replace('{0}', '2').replace('{1}', '3')));
    setStrings(undefined);
    expect(t('view.text')).toBe('Text');
  });
});
