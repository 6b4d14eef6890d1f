/**
 * Turns protocol messages into JSON text and back, keeping ArrayBuffers as base64.
 * Used where messages cannot travel by postMessage: the standalone HTML page embeds a recorded message stream
 * that the same webview code replays.
 */
import type { HostToWebview } from './messages';

const BINARY_KEY = '$base64';

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): ArrayBuffer {
  if (typeof Buffer !== 'undefined') {
    const buf = Buffer.from(text, 'base64');
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function serializeMessages(messages: readonly HostToWebview[]): string {
  return JSON.stringify(messages, (_key, value: unknown) =>
    value instanceof ArrayBuffer ? { [BINARY_KEY]: toBase64(value) } : value,
  );
}

export function deserializeMessages(text: string): HostToWebview[] {
  const parsed: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && BINARY_KEY in value) {
      return fromBase64((value as Record<string, string>)[BINARY_KEY]);
    }
    return value;
  });
  if (!Array.isArray(parsed)) throw new Error('Embedded attention data is not a message list.');
  return parsed as HostToWebview[];
}
