/** The one DOM helper the panel's frame needs (the views build their own elements). Owns no state. */

/** A new element with its class set. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}
