import { ApiError, NetworkError } from '../errors.ts';

/** Worth retrying: the connection failed, the server is restarting or overloaded. */
export function retryable(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  return err instanceof ApiError && (err.status >= 500 || err.status === 429);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function backoff(attempt: number): number {
  return Math.min(200 * 2 ** attempt, 5000);
}
