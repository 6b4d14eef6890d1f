/**
 * The panel's head across analyses (webview/uiState.ts applyDefaultHead, in node): it opens on the model's default
 * head, and once the person picks another head that head stays for every later analysis — not only the next one.
 * (The analysis after the next used to snap back to the default head without telling the host, so a progressive
 * run streamed the person's layer while the panel waited for the default head's: issue 14, bench/README.md.)
 */
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../src/protocol/messages';
import type { AnalysisStore } from '../../webview/analysisStore';
import { UiStateKeeper } from '../../webview/uiState';

const model: ModelInfo = {
  id: 'encoder',
  displayName: 'Encoder',
  kind: 'encoder',
  layers: 4,
  heads: 8,
  headDim: 32,
  maxPositions: 512,
  defaultHead: { layer: 3, head: 7, reason: 'a head worth seeing' },
};

const keeper = (): UiStateKeeper => new UiStateKeeper({ setState: () => undefined }, {} as AnalysisStore);

describe('default head across analyses', () => {
  it('opens on the default head and keeps it while nobody moves', () => {
    const ui = keeper();
    expect(ui.applyDefaultHead(model)).toBe(true);
    expect([ui.state.layer, ui.state.head]).toEqual([3, 7]);
    for (let i = 0; i < 3; i++) {
      expect(ui.applyDefaultHead(model)).toBe(false);
      expect([ui.state.layer, ui.state.head]).toEqual([3, 7]);
      expect(ui.defaultHeadNote()?.reason).toBe('a head worth seeing');
    }
  });

  it('keeps the head the person picked for every later analysis', () => {
    const ui = keeper();
    ui.applyDefaultHead(model);
    ui.state.layer = 0; // the person picks Layer 1
    for (let i = 0; i < 4; i++) {
      expect(ui.applyDefaultHead(model), `analysis ${i + 1} after the pick`).toBe(false);
      expect([ui.state.layer, ui.state.head]).toEqual([0, 7]);
      expect(ui.defaultHeadNote()).toBeNull();
    }
    // Even back on the default head by hand, it is the person's choice now: still no note, still kept.
    ui.state.layer = 3;
    ui.applyDefaultHead(model);
    ui.state.head = 2;
    ui.applyDefaultHead(model);
    expect([ui.state.layer, ui.state.head]).toEqual([3, 2]);
  });

  it('a restored state that names a head wins over the default head', () => {
    const ui = keeper();
    ui.restore({ layer: 1, head: 4 } as Parameters<UiStateKeeper['restore']>[0]);
    for (let i = 0; i < 3; i++) {
      expect(ui.applyDefaultHead(model)).toBe(false);
      expect([ui.state.layer, ui.state.head]).toEqual([1, 4]);
    }
  });

  it('a translation opens on its default cross-attention head, and not on a default head of another attention', () => {
    const translation = (layer: number): ModelInfo => ({
      id: 'translation',
      displayName: 'Translation',
      kind: 'encoder-decoder',
      layers: 9, // encoder 0–2, decoder self 3–5, cross 6–8 (src/common/translation.ts)
      setLayers: 3,
      heads: 6,
      headDim: 32,
      maxPositions: 128,
      defaultHead: { layer, head: 3, reason: 'the cross-attention head that aligns best' },
    });
    const ui = keeper();
    expect(ui.state.attentionSet).toBe('cross');
    expect(ui.applyDefaultHead(translation(8))).toBe(true);
    expect([ui.state.layer, ui.state.head]).toEqual([8, 3]);
    expect(ui.defaultHeadNote()?.reason).toMatch(/aligns best/);
    const other = keeper();
    expect(other.applyDefaultHead(translation(1))).toBe(false); // an encoder head: the panel shows Cross
    expect(other.defaultHeadNote()).toBeNull();
  });
});
