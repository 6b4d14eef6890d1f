import { describe, expect, it } from 'vitest';
import {
  decodeHead,
  dequantizeWeight,
  encodeHead,
  headByteLength,
  hostToWebviewTypes,
  isHostToWebview,
  isWebviewToHost,
  quantizeWeights,
  webviewToHostTypes,
  type HostToWebview,
} from '../../src/protocol/messages';
import { buildAttentionBias } from '../../src/attention/mask';
import { deserializeMessages, serializeMessages } from '../../src/protocol/serialize';

describe('protocol', () => {
  it('recognises each direction by its type and rejects others', () => {
    expect(isWebviewToHost({ type: 'ready', protocolVersion: 1 })).toBe(true);
    expect(isWebviewToHost({ type: 'headData' })).toBe(false);
    expect(isHostToWebview({ type: 'headData' })).toBe(true);
    // Names an object has by inheritance are no message types.
    for (const junk of [null, 3, 'ready', {}, { type: 7 }, { type: 'nope' }, { type: 'toString' }, { type: '__proto__' }, { type: 'constructor' }]) {
      expect(isWebviewToHost(junk)).toBe(false);
      expect(isHostToWebview(junk)).toBe(false);
    }
  });

  it('accepts every listed type of a direction and only in that direction', () => {
    for (const type of webviewToHostTypes) {
      expect(isWebviewToHost({ type })).toBe(true);
      expect(isHostToWebview({ type })).toBe(false);
    }
    for (const type of hostToWebviewTypes) expect(isHostToWebview({ type })).toBe(true);
    expect(hostToWebviewTypes).toContain('slotClosed');
    expect(hostToWebviewTypes).not.toContain('progress');
  });

  it('quantises weights to one byte with error at most 1/510', () => {
    const w = new Float32Array(10001).map((_, i) => i / 10000);
    const q = quantizeWeights(w);
    let worst = 0;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(dequantizeWeight(q[i]) - w[i]));
    expect(worst).toBeLessThanOrEqual(1 / 510 + 1e-7);
    expect(quantizeWeights(new Float32Array([-0.1, 1.2, 0]))).toEqual(new Uint8Array([0, 255, 0]));
  });

  it('packs a causal head as its lower triangle and unpacks it to the same bytes as the dense layout', () => {
    for (const n of [1, 2, 7, 64]) {
      // A causal-looking head: random weights on and below the diagonal, exact zeros above (the model contract).
      const bias = buildAttentionBias(n, 'causal');
      let seed = n;
      const w = new Float32Array(n * n).map((_, i) => (bias[i] < 0 ? 0 : ((seed = (seed * 16807) % 2147483647) / 2147483647)));
      const packed = encodeHead(w, n, 'causal');
      expect(packed.layout).toBe('lowerTriangle');
      expect(packed.data.byteLength).toBe(headByteLength(n, 'lowerTriangle'));
      expect(packed.data.byteLength).toBe((n * (n + 1)) / 2);
      expect(decodeHead(packed.data.slice().buffer, n, packed.layout)).toEqual(quantizeWeights(w));
      const dense = encodeHead(w, n, 'full');
      expect(dense.layout).toBe('dense');
      expect(decodeHead(dense.data.slice().buffer, n, dense.layout)).toEqual(quantizeWeights(w));
    }
  });

  it('refuses head bytes that do not fit the token count and layout', () => {
    expect(decodeHead(new ArrayBuffer(10), 4, 'lowerTriangle')).not.toBeNull();
    expect(decodeHead(new ArrayBuffer(16), 4, 'lowerTriangle')).toBeNull();
    expect(decodeHead(new ArrayBuffer(10), 4, 'dense')).toBeNull();
  });

  it('serialises message streams with binary payloads and hostile text intact', () => {
    const data = new Uint8Array([0, 1, 254, 255]).buffer;
    const messages: HostToWebview[] = [
      { type: 'headData', generation: 3, slot: 0, layer: 1, head: 2, layout: 'dense', data },
      { type: 'analysisError', generation: 3, slot: 1, message: '</script><img src=x onerror=alert(1)>' },
    ];
    const back = deserializeMessages(serializeMessages(messages));
    expect(new Uint8Array((back[0] as { data: ArrayBuffer }).data)).toEqual(new Uint8Array(data));
    expect((back[1] as { message: string }).message).toBe('</script><img src=x onerror=alert(1)>');
  });
});
