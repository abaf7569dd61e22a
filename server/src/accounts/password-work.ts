import { busy } from '../errors.ts';

// [Note: password work admission]
// Every Argon2 computation a request causes (login, the dummy check for an unknown handle,
// registration, recovery, passphrase change) runs through one gate: at most `concurrency` at
// once, at most `queueMax` waiting in arrival order, and beyond that a refusal at once
// (503 VAULT_ERR_BUSY with Retry-After) before any hashing or database work. Each check holds
// 19 MiB and a core for tens of milliseconds on libuv's thread pool; the per-address rate
// limit does not bound a flood from many addresses, and without a bound the hashing takes
// every core while requests that need none wait behind it. Known and unknown handles pass the
// same gate, so a refusal or a wait says nothing about whether a handle exists.

export class PasswordWorkGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueMax: number,
    readonly retryAfterSeconds = 1,
  ) {}

  /** Works holding a slot, and works waiting for one. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Runs `work` in a slot; throws VAULT_ERR_BUSY without running it when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.concurrency) this.#running++;
    else if (this.#waiting.length < this.queueMax) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else throw busy(this.retryAfterSeconds);
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
