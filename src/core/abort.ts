// Cancellation: how a fired AbortSignal becomes a typed CANCELLED error.
import { HashingError, ModelSigningError } from './errors';

/** Throws CANCELLED (a HashingError, as the hash pool rejects) if the signal has fired. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new HashingError('CANCELLED', 'Cancelled');
}

/** The CANCELLED error of the Sigstore steps (sign-in, GitHub, confirmation). */
export function cancelledError(): ModelSigningError {
  return new ModelSigningError('CANCELLED', 'Cancelled', { reason: 'cancelled' });
}

/** Throws cancelledError() if the signal has fired. */
export function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelledError();
}

/** Rejects with the signal's reason (a typed error for our deadlines) or cancelledError() as soon as it fires. */
export function raceSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  const reasonOf = (s: AbortSignal): ModelSigningError => {
    const reason: unknown = s.reason;
    return reason instanceof ModelSigningError ? (reason as ModelSigningError) : cancelledError();
  };
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}

/** Runs `work` now, as the body of an async function would: its result or its throw as a promise. */
export function settle<T>(work: () => T | PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}
