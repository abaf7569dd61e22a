import { setTimeout as sleep } from 'node:timers/promises';
import { busy } from '../errors.ts';

// [Note: password work admission]
// Every Argon2 computation a request causes (login, the dummy check for an unknown handle,
// registration, recovery, passphrase change) runs through one gate: at most `concurrency` at
// once, at most `queueMax` waiting in arrival order, and beyond that a refusal (503
// VAULT_ERR_BUSY with Retry-After) that waits for no slot and does no hashing or database
// work. A request's hashes share one slot, so none is refused half-way through its work.
// Each check holds 19 MiB and a core for tens of milliseconds on libuv's thread pool; the
// per-address rate limit does not bound a flood from many addresses, and without a bound the
// hashing takes every core while requests that need none wait behind it. Known and unknown
// handles pass the same gate, so a refusal or a wait says nothing about whether a handle
// exists.
//
// A refusal is held for `refusalDelayMs` (a timer, nothing else) before it is sent. Answered
// at once, a refusal costs the event loop as much as a cheap read, and a flood whose clients
// send again as soon as they are answered (ignoring Retry-After) turns into a request flood
// that takes most of the loop: measured in docs/RELIABILITY.md "Load". Held, each of its
// connections sends at most one attempt per hold.

export class PasswordWorkGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueMax: number,
    readonly refusal: { delayMs: number; retryAfterSeconds: number } = { delayMs: 0, retryAfterSeconds: 1 },
  ) {}

  /** Works holding a slot, and works waiting for one. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Runs `work` in a slot; when the queue is full, throws VAULT_ERR_BUSY after the hold, without running it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.concurrency) this.#running++;
    else if (this.#waiting.length < this.queueMax) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else {
      if (this.refusal.delayMs > 0) await sleep(this.refusal.delayMs);
      throw busy(this.refusal.retryAfterSeconds);
    }
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  /** Hands the slot to the first waiter, or frees it. */
  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}
