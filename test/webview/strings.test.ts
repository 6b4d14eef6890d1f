/** The webview's UI strings: English defaults, the en/zh-cn files the host sends, keyed the same. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STRINGS } from '../../webview/strings';

const dir = path.resolve(__dirname, '..', '..', 'webview', 'l10n');
const load = (name: string): Record<string, string> => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Record<string, string>;

describe('webview strings', () => {
  it('strings.en.json is exactly the English defaults', () => {
    expect(load('strings.en.json')).toEqual(DEFAULT_STRINGS);
  });

  it('strings.zh-cn.json has every key, translated, with the same placeholders', () => {
    const zh = load('strings.zh-cn.json');
    expect(Object.keys(zh).sort()).toEqual(Object.keys(DEFAULT_STRINGS).sort());
    for (const [key, en] of Object.entries(DEFAULT_STRINGS)) {
      const placeholders = (s: string): string[] => (s.match(/\{\d+\}/g) ?? []).sort();
      expect(placeholders(zh[key]), key).toEqual(placeholders(en));
    }
    expect(zh['view.text']).toBe('文本');
  });
});
