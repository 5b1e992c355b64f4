/**
 * What the client needs from its platform, so that browsers, Node and tests each supply their own.
 * Structural types only: the project compiles without the DOM's types.
 */

/** The part of a `fetch` answer the client reads. */
export type FetchResponse = {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
};

export type FetchInit = {
  method: string;
  headers: Record<string, string>;
  body?: string;
  keepalive?: boolean;
  signal?: AbortSignal;
};

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** `localStorage`'s shape: what the queue and the consent switch persist in. */
export type StorageLike = {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
};

export type Timers = {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export const SYSTEM_TIMERS: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A Node timer that should not keep the process alive by itself; browsers' timers are numbers. */
export function unref(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && 'unref' in handle && typeof handle.unref === 'function')
    (handle as { unref(): void }).unref();
}
