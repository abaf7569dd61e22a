// Errors cross the worker boundary as plain data: comlink's default keeps only name and
// message, and the page needs the stable `code` (and a changed key's safety numbers) to
// say what happened in the user's language. Never the stack: it can name file paths.
import { transferHandlers } from 'comlink';

/** What the page learns of a failure in the worker. */
export interface WorkerFailure {
  name: string;
  code: string;
  status?: number;
  handle?: string;
  pinnedFingerprint?: string;
  presentedFingerprint?: string;
  /** Recovery words refused: how many were read, and the places of those not in the list (never the words). */
  wordCount?: number;
  unknownWords?: number[];
  /** For developers only, never shown as is: the page shows catalogue text. */
  message: string;
}

export class VaultFailure extends Error {
  readonly failure: WorkerFailure;
  constructor(failure: WorkerFailure) {
    super(failure.message);
    this.name = failure.name;
    this.failure = failure;
  }
}

/** A failure as plain data that crosses the worker boundary (no stack). */
export function describeFailure(err: unknown): WorkerFailure {
  if (err instanceof VaultFailure) return err.failure;
  const e = (err ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  const out: WorkerFailure = {
    name: pick('name') ?? 'Error',
    code: pick('code') ?? 'VAULT_ERR_CLIENT',
    message: pick('message') ?? String(err),
  };
  if (typeof e['status'] === 'number') out.status = e['status'] as number;
  if (typeof e['wordCount'] === 'number') out.wordCount = e['wordCount'] as number;
  if (Array.isArray(e['unknownWords'])) out.unknownWords = (e['unknownWords'] as unknown[]).filter((n): n is number => typeof n === 'number');
  for (const k of ['handle', 'pinnedFingerprint', 'presentedFingerprint'] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Installed on both sides of the worker boundary, before the first call. */
export function installErrorTransfer(): void {
  const builtIn = transferHandlers.get('throw');
  if (!builtIn) throw new Error('comlink has no throw handler');
  transferHandlers.set('throw', {
    // comlink marks a thrown value with a private symbol: only its own handler can tell.
    canHandle: builtIn.canHandle,
    serialize: (thrown: { value: unknown }) => [describeFailure(thrown.value), []],
    deserialize: (failure: WorkerFailure) => {
      throw new VaultFailure(failure);
    },
  } as never);
}
