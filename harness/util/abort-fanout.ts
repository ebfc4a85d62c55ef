// One 'abort' listener per AbortSignal, however many waits share it. A lab of N nodes runs N
// commands (and N polls) at once under the run's one signal; N listeners on it trip Node's
// MaxListenersExceededWarning from 11 on. Waits subscribe here instead, and leave when done.

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` once when `signal` aborts (at once if it already has); returns the unsubscribe. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => undefined;
  }
  let callbacks = subscribers.get(signal);
  if (!callbacks) {
    const fresh = new Set<() => void>();
    subscribers.set(signal, fresh);
    signal.addEventListener('abort', () => {
      for (const notify of [...fresh]) notify();
      fresh.clear();
    }, { once: true });
    callbacks = fresh;
  }
  callbacks.add(callback);
  const subscribed = callbacks;
  return () => void subscribed.delete(callback);
}

/**
 * A signal of its own for one operation, aborted with the parent's reason; dispose it when the
 * operation ends. Hand it to APIs (execa's cancelSignal) that would add a listener per call.
 */
export function childSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined } & Disposable {
  if (!parent) return { signal: undefined, [Symbol.dispose]: () => undefined };
  const controller = new AbortController();
  const unsubscribe = onAbort(parent, () => controller.abort(parent.reason));
  return { signal: controller.signal, [Symbol.dispose]: unsubscribe };
}
