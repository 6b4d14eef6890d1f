/** Small shared types of the panel's views (kept apart so controls and views do not import the app). */
export type ViewId = 'text' | 'head' | 'matrix' | 'grid' | 'computation' | 'stats' | 'diff';
export type Aggregate = 'head' | 'mean' | 'max' | 'rollout';
export type Direction = 'to' | 'from';

export const ALL_VIEWS: readonly ViewId[] = ['text', 'head', 'matrix', 'grid', 'computation', 'stats', 'diff'];

export function isViewId(value: unknown): value is ViewId {
  return typeof value === 'string' && (ALL_VIEWS as readonly string[]).includes(value);
}
