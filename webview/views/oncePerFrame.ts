/**
 * Pointer moves coalesced to one update per animation frame. A mouse reports moves faster than the screen
 * refreshes (and a sweep across a column of tokens crosses several per frame); each update redraws a canvas or
 * restyles spans, so only the last position of a frame matters. The first move of a frame is applied at once,
 * so a single hover is shown in the very next frame with no added latency; moves after it in the same frame
 * only record their value, and the last one is applied in the next animation frame callback (before that frame
 * paints).
 */
export function oncePerFrame<T>(apply: (value: T) => void): (value: T) => void {
  let appliedThisFrame = false;
  let pending: { value: T } | null = null;
  let frameRequested = false;
  const onFrame = (): void => {
    frameRequested = false;
    appliedThisFrame = false;
    if (pending) {
      const { value } = pending;
      pending = null;
      appliedThisFrame = true;
      apply(value);
      frameRequested = true;
      requestAnimationFrame(onFrame);
    }
  };
  return (value: T): void => {
    if (appliedThisFrame) pending = { value };
    else {
      appliedThisFrame = true;
      apply(value);
    }
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(onFrame);
    }
  };
}
