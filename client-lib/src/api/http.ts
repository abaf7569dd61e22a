import { ApiError, NetworkError, ServerError } from '../errors.ts';

export interface HttpOptions {
  server: string;
  fetch?: typeof fetch | undefined;
}

/** JSON over fetch, with the session token and typed errors. No Node built-ins. */
export class Http {
  readonly server: string;
  private readonly fetchFn: typeof fetch;
  token: string | undefined;
  /**
   * Called as each request leaves; what it returns is called with the answer when that is
   * a success (the audit client reads the Audit-Events header: [Note: events told]). It may
   * throw, and the request then fails with that error.
   */
  onSend: ((method: string, path: string) => ((res: Response) => Promise<void>) | undefined) | undefined;

  constructor(options: HttpOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.send(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    if (res.status === 204) return undefined as T;
    try {
      return (await res.json()) as T;
    } catch {
      throw new ServerError(res.status, 'VAULT_ERR_PROTOCOL', 'server answered something that is not JSON');
    }
  }

  /** `init` may be a function that makes it, called for each sending: a stream body is read once. */
  async send(path: string, init: RequestInit | (() => RequestInit)): Promise<Response> {
    const make = typeof init === 'function' ? init : () => init;
    let request = make();
    const answered = this.onSend?.(request.method ?? 'GET', path);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) request = make();
      const headers = new Headers(request.headers);
      if (this.token) headers.set('authorization', `Bearer ${this.token}`);
      let res: Response;
      try {
        res = await this.fetchFn(this.server + path, { ...request, headers });
      } catch (err) {
        throw new NetworkError(`cannot reach ${this.server}: ${(err as Error).message}`, { cause: err });
      }
      if (res.ok) {
        try {
          await answered?.(res);
        } catch (err) {
          await res.body?.cancel().catch(() => undefined);
          throw err;
        }
        return res;
      }
      const err = await errorFrom(res);
      // VAULT_ERR_BUSY is answered before the server did any work (its passphrase checks
      // are full), so the same request can be sent again once Retry-After has passed.
      if (err.code !== 'VAULT_ERR_BUSY' || attempt >= BUSY_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, retryAfterMs(res)));
    }
  }
}

/** Times a request refused as busy is sent again before the refusal reaches the caller. */
const BUSY_RETRIES = 4;

function retryAfterMs(res: Response): number {
  const seconds = Number(res.headers.get('retry-after'));
  // At least a moment, at most 5 s, whatever the server says.
  return Math.min(5_000, Math.max(200, Number.isFinite(seconds) ? seconds * 1000 : 1000));
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = 'VAULT_ERR_HTTP';
  let message = res.statusText;
  try {
    const body = (await res.json()) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status text
  }
  return res.status >= 500 ? new ServerError(res.status, code, message) : new ApiError(res.status, code, message);
}
