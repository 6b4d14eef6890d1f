/**
 * AnalysisSession with the real models: a selection that moves on supersedes an analysis still being computed
 * (it is never shown), the analysis on screen stays, and `covers` tells the follow-selection path whether the
 * new selection still needs an analysis.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import { dispatch, isWebviewToHost, webviewToHostTypes, type HostToWebview, type WebviewToHost } from '../../src/protocol/messages';
import { webviewHandlers, type PanelActions } from '../../src/panel/webviewMessages';
import { inProcessInference, type InferenceBackend } from '../../src/model/modelRunner';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const source = (text: string, version = 1): TextSource => ({ uri: 'file:///a.txt', version, text, startOffset: 0, label: 'a.txt' });

function session(posted: HostToWebview[]): AnalysisSession {
  return new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
}

/** The panel's VS Code side, reduced to nothing: these tests look at what the session posts. */
const noPanel: PanelActions = { ready: async () => undefined, showFocus: () => undefined, export: async () => undefined, log: () => undefined };
/** Delivers a webview message through the host's handler table, as the panel does. */
const receive = (s: AnalysisSession, m: WebviewToHost): Promise<void> | void => dispatch(webviewHandlers(s, noPanel), m);

const startsOf = (posted: HostToWebview[]): string[] =>
  posted.filter((m): m is Extract<HostToWebview, { type: 'analysisStart' }> => m.type === 'analysisStart').map((m) => m.text);

describe('analysis session: superseding', () => {
  it('never shows an analysis superseded while it computed; the shown one stays, covers() follows', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    const a = source('The first selection, shown in full.');
    await s.analyzeSource(a);
    expect(startsOf(posted)).toEqual([a.text]);
    expect(s.covers(a)).toBe(true);

    const b = source('A second selection that the person moves away from while it is being computed.');
    const running = s.analyzeSource(b);
    expect(s.covers(b)).toBe(true); // computing b
    s.supersedePending(); // the selection changed again
    await running;
    expect(startsOf(posted)).toEqual([a.text]); // b was never shown, nothing failed
    expect(posted.some((m) => m.type === 'analysisError')).toBe(false);
    expect(posted.filter((m) => m.type === 'analysisComplete')).toHaveLength(1); // a's stream was complete: nothing re-sent
    expect(s.covers(b)).toBe(false); // so a return to b analyses it again
    expect(s.covers(a)).toBe(true); // a is still on screen

    // The requests the webview makes for the analysis on screen are still answered.
    const gen = posted.find((m) => m.type === 'analysisStart')!.generation;
    posted.length = 0;
    await receive(s, { type: 'requestVectors', generation: gen, slot: 0, layer: 1, head: 2 });
    expect(posted.map((m) => m.type)).toEqual(['headVectors']);

    await s.analyzeSource(b);
    expect(startsOf(posted)).toEqual([b.text]);
    expect(s.covers(b)).toBe(true);
  });

  it('supersedes nothing once the analysis is shown', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    const a = source('Shown before the selection moved.');
    await s.analyzeSource(a);
    s.supersedePending();
    expect(s.covers(a)).toBe(true);
    expect(startsOf(posted)).toEqual([a.text]);
  });
});

describe('the host\'s handler table', () => {
  it('has one handler for each webview → host message type the run-time check accepts, and no other', () => {
    const table = webviewHandlers(session([]), noPanel);
    expect(Object.keys(table).sort()).toEqual([...webviewToHostTypes].sort());
  });
});

describe('inference backend', () => {
  it('runs the model through the backend the session was given', async () => {
    const runs: number[] = [];
    const counting: InferenceBackend = {
      run: (manifest, ids, bias, options) => {
        runs.push(ids.length);
        return inProcessInference.run(manifest, ids, bias, options);
      },
      dispose: async () => undefined,
    };
    const posted: HostToWebview[] = [];
    const s = new AnalysisSession({ registry: () => registry, inference: counting, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
    await s.analyzeSource(source('Inference goes where the session says.'));
    const start = posted.find((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>;
    expect(runs).toEqual([start.tokens.length]);
  });
});

describe('the visible head', () => {
  /** Delivers an untyped message as the panel does: checked first, then through the handler table. */
  const receiveRaw = (s: AnalysisSession, raw: unknown): Promise<void> | void => (isWebviewToHost(raw) ? receive(s, raw) : undefined);
  const firstHeadOf = (posted: HostToWebview[], generation: number): { layer: number; head: number } | undefined => {
    const m = posted.find((x) => x.type === 'headData' && x.generation === generation);
    return m?.type === 'headData' ? { layer: m.layer, head: m.head } : undefined;
  };
  const lastGeneration = (posted: HostToWebview[]): number =>
    (posted.filter((m) => m.type === 'analysisStart').at(-1) as Extract<HostToWebview, { type: 'analysisStart' }>).generation;

  it('a head picked with no token focused is the first head streamed by the next analysis', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    await s.analyzeSource(source('The first analysis opens on the default head.'));
    // The encoder's default head (models/encoder/model.json default_head), the one the webview opens on.
    expect(firstHeadOf(posted, lastGeneration(posted))).toEqual({ layer: 3, head: 7 });
    // The person picks layer 3, head 6 in the toolbar. No token is focused, so no focusToken goes out: what the
    // webview tells the host is only that the visible head changed.
    await receiveRaw(s, { type: 'visibleHead', layer: 2, head: 5 });
    await s.analyzeSource(source('A new selection, analysed after the head changed.'));
    expect(firstHeadOf(posted, lastGeneration(posted))).toEqual({ layer: 2, head: 5 });
  });

  it('a head picked while an analysis computes is the first head that analysis streams', async () => {
    const posted: HostToWebview[] = [];
    const s = session(posted);
    await s.analyzeSource(source('Shown first.'));
    const running = s.analyzeSource(source('Still computing when the person picks another head.'));
    // The webview still shows the older generation; the choice of head is the person's, not that generation's.
    await receiveRaw(s, { type: 'visibleHead', layer: 1, head: 7 });
    await running;
    expect(firstHeadOf(posted, lastGeneration(posted))).toEqual({ layer: 1, head: 7 });
  });
});
