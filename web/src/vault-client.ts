// The one place that starts the crypto worker. The page holds only this handle: keys stay
// in the worker, and lock() ends the session, terminates the worker and with it every key.
import { wrap, proxy, type Remote } from 'comlink';
import { installErrorTransfer, VaultFailure } from './worker/errors-transfer.ts';
import type { VaultService } from './worker/service.ts';

installErrorTransfer();

export type VaultApi = Remote<VaultService>;

/** How long lock waits for the server to end the session before terminating anyway. */
const LOGOUT_WAIT_MS = 1500;

export class VaultClient {
  private worker: Worker | undefined;
  private remote: VaultApi | undefined;

  /** The worker's API; starts a fresh worker when none runs (after a lock). */
  get api(): VaultApi {
    if (!this.remote) {
      this.worker = new Worker(new URL('./worker/main.ts', import.meta.url), { type: 'module', name: 'vault' });
      this.remote = wrap<VaultService>(this.worker);
    }
    return this.remote;
  }

  /** Ends the session (waiting briefly for the server) and terminates the worker. */
  async lock(): Promise<void> {
    const { worker, remote } = this;
    this.worker = undefined;
    this.remote = undefined;
    if (!worker || !remote) return;
    try {
      await Promise.race([remote.logout(), new Promise((r) => setTimeout(r, LOGOUT_WAIT_MS))]);
    } catch {
      // unreachable server or already ended: the keys die with the worker all the same
    } finally {
      worker.terminate();
    }
  }

  /**
   * Terminates the worker at once (quick exit): its keys and session token die with it,
   * unsent; the server's session then ends at its expiry, usable by no one.
   */
  destroy(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.remote = undefined;
  }
}

export { proxy, VaultFailure };
