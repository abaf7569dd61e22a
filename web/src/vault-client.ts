// The one place that starts the crypto worker. The page holds only this handle: keys stay
// in the worker, and lock() ends the session, terminates the worker and with it every key.
import { wrap, proxy, type Remote } from 'comlink';
import { installErrorTransfer, VaultFailure } from './worker/errors-transfer.ts';
import type { VaultService } from './worker/service.ts';

installErrorTransfer();

export type VaultApi = Remote<VaultService>;

/** How long lock waits for the server to end the session before terminating anyway. */
const LOGOUT_WAIT_MS = 1500;

const locked = () => new VaultFailure({ name: 'Locked', code: 'VAULT_ERR_LOCKED', message: 'the vault was locked' });

// [Note: calls pending at lock]
// A terminated worker never answers: a call still on its way (an upload, a record being
// read) would wait for ever, and whatever awaited it (the upload queue) would stay stuck, or
// worse, be answered during lock's logout and write decrypted data back into a page that was
// just cleared. So every call goes through `api`, which remembers it, and lock rejects them
// all at once with VAULT_ERR_LOCKED before anything else.

export class VaultClient {
  private worker: Worker | undefined;
  private remote: VaultApi | undefined;
  private facade: VaultApi | undefined;
  private readonly pending = new Set<(err: unknown) => void>();

  /** The worker's API; starts a fresh worker (with no keys) when none runs. */
  get api(): VaultApi {
    if (!this.remote || !this.facade) {
      this.worker = new Worker(new URL('./worker/main.ts', import.meta.url), { type: 'module', name: 'vault' });
      const remote = wrap<VaultService>(this.worker);
      this.remote = remote;
      this.facade = new Proxy({} as VaultApi, {
        get: (_target, method: string) => (...args: unknown[]) => this.track((remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args)),
      });
    }
    return this.facade;
  }

  private track<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      call.then(resolve, reject).finally(() => this.pending.delete(reject));
    });
  }

  private detach(): { worker: Worker | undefined; remote: VaultApi | undefined } {
    const { worker, remote } = this;
    this.worker = undefined;
    this.remote = undefined;
    this.facade = undefined;
    for (const reject of this.pending) reject(locked());
    this.pending.clear();
    return { worker, remote };
  }

  /** Ends the session (waiting briefly for the server) and terminates the worker. */
  async lock(): Promise<void> {
    const { worker, remote } = this.detach();
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
    this.detach().worker?.terminate();
  }
}

export { proxy, VaultFailure };
