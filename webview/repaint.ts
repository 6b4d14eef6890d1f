/**
 * When the panel paints. Renders are coalesced to one per animation frame: a burst of messages (heads arrive one
 * per host turn) costs one render, not one each. The exception is the visible head's first arrival in an analysis,
 * rendered at once (renderNow, called by app.ts).
 *
 * Owns: whether a full render and a status-only render are queued, and per slot the wait for a new analysis's
 * first head. While that wait runs the new tokens are not rendered alone: at 512 tokens a render takes tens of
 * ms, and the head (sent right behind the tokens) would wait in the message queue for it and then cause a second
 * full render. The head's arrival renders both; FIRST_HEAD_WAIT_MS caps the wait, and the status line shows the
 * new analysis at once.
 */
import type { Slot } from '../src/protocol/messages';

const FIRST_HEAD_WAIT_MS = 250;

export class Repaint {
  /** The animation frame a full render waits for, if one is queued. */
  private queuedRender: number | null = null;
  private statusQueued = false;
  private readonly firstHeadTimer: [ReturnType<typeof setTimeout> | null, ReturnType<typeof setTimeout> | null] = [null, null];

  constructor(
    private readonly renderAll: () => void,
    /** Status line and banner only: what changes while heads stream in. */
    private readonly renderStatus: () => void,
  ) {}

  scheduleRender(): void {
    if (this.queuedRender !== null) return;
    this.queuedRender = requestAnimationFrame(() => {
      this.queuedRender = null;
      this.renderAll();
    });
  }

  /**
   * Renders in this task instead of at the next frame's start: for the visible head's first arrival, the picture
   * the person waits for. Its JavaScript (~10 ms at 512 tokens) then runs while the frame is still ahead, not inside
   * it, so the frame that draws it comes up to that much sooner. A render queued for that frame is dropped (this one covers it).
   */
  renderNow(): void {
    if (this.queuedRender !== null) cancelAnimationFrame(this.queuedRender);
    this.queuedRender = null;
    this.renderAll();
  }

  scheduleStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    requestAnimationFrame(() => {
      this.statusQueued = false;
      this.renderStatus();
    });
  }

  /** A new analysis began in `slot`: render it when its first head arrives, or after FIRST_HEAD_WAIT_MS. */
  waitForFirstHead(slot: Slot): void {
    this.clearFirstHeadWait(slot);
    this.firstHeadTimer[slot] = setTimeout(() => {
      this.firstHeadTimer[slot] = null;
      this.scheduleRender();
    }, FIRST_HEAD_WAIT_MS);
    this.scheduleStatus();
  }

  isWaitingForFirstHead(slot: Slot): boolean {
    return this.firstHeadTimer[slot] !== null;
  }

  clearFirstHeadWait(slot: Slot): void {
    const timer = this.firstHeadTimer[slot];
    if (timer !== null) clearTimeout(timer);
    this.firstHeadTimer[slot] = null;
  }
}
