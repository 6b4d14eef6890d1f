/**
 * Every string the extension shows has a 简体中文 translation: the host's l10n.t strings and the webview's strings
 * share l10n/bundle.l10n.zh-cn.json (keyed by the English message, as VS Code's l10n does), and every contributed
 * string has one in package.nls.zh-cn.json.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/bundled';
import { bundleKey, DEFAULT_STRINGS, type StringKey } from '../webview/strings';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const readJson = (...parts: string[]): Record<string, unknown> => JSON.parse(readFileSync(path.join(REPO_ROOT, ...parts), 'utf8')) as Record<string, unknown>;
const placeholders = (s: string): string[] => (s.match(/\{\d+\}/g) ?? []).sort();

/**
 * The messages src/ localises: literal first arguments of `vscode.l10n.t(…)` and of the `t(…)` that
 * AnalysisSession receives (vscode.l10n.t in the extension).
 */
function hostMessages(): Set<string> {
  const used = new Set<string>();
  for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|[^\w$])t\(\s*'((?:[^'\\]|\\.)*)'/g)) used.add(m[1].replace(/\\'/g, "'"));
  }
  return used;
}

describe('localisation', () => {
  const zh = readJson('l10n', 'bundle.l10n.zh-cn.json');

  it('translates every l10n.t string of the extension host into 简体中文', () => {
    const used = hostMessages();
    expect(used.size).toBeGreaterThan(5);
    const missing = [...used].filter((s) => typeof zh[s] !== 'string' || zh[s] === '');
    expect(missing).toEqual([]);
    for (const s of used) expect(placeholders(zh[s] as string), s).toEqual(placeholders(s));
  });

  it('localises only literal messages in src/ (so the check above sees every one)', () => {
    const calls: string[] = [];
    for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
      // The one forwarder: AnalysisSession's `t` is vscode.l10n.t in the extension.
      const text = readFileSync(file, 'utf8').replace('vscode.l10n.t(m, ...args)', '');
      for (const m of text.matchAll(/(?:^|[^\w$])t\(\s*([^\s,)]*)/g)) {
        // A literal, or the definition `t(message: string, …)`.
        if (!m[1].startsWith("'") && m[1] !== 'message:') calls.push(`${path.relative(REPO_ROOT, file)}: t(${m[1]}`);
      }
    }
    expect(calls).toEqual([]);
  });

  it('translates every webview string into 简体中文 in the same bundle', () => {
    const keys = Object.keys(DEFAULT_STRINGS) as StringKey[];
    const missing = keys.filter((k) => typeof zh[bundleKey(k)] !== 'string' || zh[bundleKey(k)] === '');
    expect(missing).toEqual([]);
  });

  it('bundle.l10n.json (the English bundle translators start from) lists exactly the messages in use', () => {
    const en = readJson('l10n', 'bundle.l10n.json');
    const expected: Record<string, unknown> = {};
    for (const s of hostMessages()) expected[s] = s;
    for (const k of Object.keys(DEFAULT_STRINGS) as StringKey[]) {
      const key = bundleKey(k);
      expected[key] = key === DEFAULT_STRINGS[k] ? key : { message: DEFAULT_STRINGS[k], comment: [key.slice(DEFAULT_STRINGS[k].length + 1)] };
    }
    expect(en).toEqual(expected);
    // A translation of a message nobody uses any more is dead weight: the zh-cn bundle has the same keys.
    expect(Object.keys(zh).sort()).toEqual(Object.keys(expected).sort());
  });

  it('has a 简体中文 entry for every %key% in package.json', () => {
    const pkg = readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8');
    const keys = new Set([...pkg.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    const en = readJson('package.nls.json');
    const zhNls = readJson('package.nls.zh-cn.json');
    for (const k of keys) {
      expect(en[k], k).toBeTruthy();
      expect(zhNls[k], k).toBeTruthy();
    }
  });
});
