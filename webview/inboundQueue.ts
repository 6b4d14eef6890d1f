/**
 * Host messages reach the app in the order the host posted them, with compressed head payloads inflated on the
 * way (HeadEncoding in src/protocol/messages.ts says why the host compresses them).
 *
 * Inflating is asynchronous (the browser's DecompressionStream, native code off the page's main thread), so a
 * message that arrives while an earlier head is still inflating waits behind it: an analysisComplete or the next
 * analysisStart must never overtake the heads before it. When nothing waits, a message that needs no inflating is
 * delivered at once, in the same task, as it always was.
 */
import type { HeadDataMessage, HostToWebview } from '../src/protocol/messages';

export class InboundQueue {
  private waiting = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly deliver: (message: HostToWebview) => void,
    /** A payload that could not be inflated (the head is dropped; the app asks for it again if it needs it). */
    private readonly onBadPayload: (message: HeadDataMessage, error: Error) => void,
  ) {}

  push(message: HostToWebview): void {
    const compressed = message.type === 'headData' && message.encoding === 'deflate-raw';
    if (this.waiting === 0 && !compressed) {
      this.deliver(message);
      return;
    }
    this.waiting++;
    // Started now, so heads inflate side by side; delivered strictly in arrival order.
    const ready: Promise<HostToWebview | null> = compressed
      ? inflateHead(message as HeadDataMessage).catch((e: unknown) => {
          this.onBadPayload(message as HeadDataMessage, e instanceof Error ? e : new Error(String(e)));
          return null;
        })
      : Promise.resolve(message);
    this.tail = this.tail.then(async () => {
      const m = await ready;
      this.waiting--;
      if (m) this.deliver(m);
    });
  }
}

/** The head with its bytes as laid out (`encoding` removed), so the rest of the app reads one format. */
export async function inflateHead(message: HeadDataMessage): Promise<HeadDataMessage> {
  const stream = new Blob([message.data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  const data = await new Response(stream).arrayBuffer();
  const { encoding: _encoding, ...rest } = message;
  return { ...rest, data };
}
