// A record's history as a self-contained file that anyone can check without the server
// (scripts/verify-export.ts: npm run verify-export FILE).
import { toBase64Url, equalBytes, parseCheckpoint } from '@testimony-vault/protocol';
import { VaultError } from '../errors.ts';
import { sodiumIfLoaded, sodiumReady, type Sodium } from '../crypto/sodium.ts';
import { verifyCheckpoint } from './checkpoint.ts';
import { checkRecordEvents, historyEvent, bytesFrom, proofFrom, type AuditHistoryEvent, type ProvenLeaf } from './events.ts';
import { fail, guard } from './fail.ts';
import { parseLogKey } from './checkpoint.ts';

export const AUDIT_EXPORT_FORMAT = 'tvault-audit-export/v1';

export const AUDIT_EXPORT_EXPLANATION = [
  'English: This file is an extract of the tamper-evident audit log kept by a testimony vault server. It lists the ' +
    'recorded actions concerning one record (who created, read, changed, shared or deleted it or its files, and ' +
    "when, by the server's clock); it contains no testimony content. Each event is a leaf of a Merkle tree whose " +
    "root and size are signed with the server's log key (the \"checkpoint\", a C2SP signed note). The inclusion " +
    'proofs show that every listed event is in that signed log, unaltered, at its position. When chainComplete is ' +
    "true (exported by the record's owner), each event also carries the hash of the previous event about the same " +
    'record, and the list must start with its creation, so an event removed from between the first and the last one ' +
    'listed after the server appended them would be detected. The field "complete" says how far the list is complete: ' +
    'it ends at or after the newest event about the record that the exporting device knew of (its own actions on the ' +
    'record and the events it was shown before; complete.newestKnownIndex), and it covers the signed log of ' +
    'complete.treeSize events only. Events appended later are not covered, and events after the last one listed ' +
    'that the exporting device never knew of (another person\'s access that it was never shown) may exist. When ' +
    'chainComplete is false (exported by a reviewer), the list holds only the reviewer\'s own events, including every ' +
    'one its device knew of, and may omit others. To check it, run "npm run verify-export FILE" in the testimony-vault source code, ' +
    'preferably as "npm run verify-export FILE -- --key KEY" with KEY the server\'s verifier key obtained ' +
    'independently (for example from its operator), since the key written in this file was supplied by whoever ' +
    'exported it. The check needs no network access and prints VERIFIED or the reason it failed.',
  'Español: Este archivo es un extracto del registro de auditoría a prueba de manipulaciones que lleva un servidor de ' +
    'la bóveda de testimonios. Enumera las acciones registradas sobre un expediente (quién lo creó, leyó, modificó, ' +
    'compartió o eliminó, o sus archivos, y cuándo, según el reloj del servidor); no contiene el contenido del ' +
    'testimonio. Cada evento es una hoja de un árbol de Merkle cuya raíz y tamaño están firmados con la clave del ' +
    'registro del servidor (el «checkpoint», una nota firmada C2SP). Las pruebas de inclusión muestran que cada evento ' +
    'listado está en ese registro firmado, sin alteraciones y en su posición. Cuando chainComplete es true (exportado ' +
    'por la persona propietaria del expediente), cada evento lleva además el hash del evento anterior sobre el mismo ' +
    'expediente, y la lista debe empezar por su creación, de modo que se detectaría la supresión, después de que el ' +
    'servidor los añadiera, de un evento situado entre el primero y el último de la lista. El campo «complete» indica ' +
    'hasta dónde está completa la lista: llega al menos hasta el evento más reciente sobre el expediente que conocía el ' +
    'dispositivo que la exportó (sus propias acciones sobre el expediente y los eventos que se le mostraron antes; ' +
    'complete.newestKnownIndex), y abarca solo el registro firmado de complete.treeSize eventos. Los eventos añadidos ' +
    'después no están cubiertos, y puede haber eventos posteriores al último listado que ese dispositivo nunca conoció ' +
    '(el acceso de otra persona que nunca se le mostró). Cuando chainComplete es false (exportado por una persona ' +
    'revisora), la lista contiene solo los eventos de esa persona, incluidos todos los que su dispositivo conocía, y ' +
    'puede omitir otros. Para comprobarlo, ejecute ' +
    '"npm run verify-export ARCHIVO" en el código fuente de testimony-vault, preferiblemente como ' +
    '"npm run verify-export ARCHIVO -- --key CLAVE", siendo CLAVE la clave de verificación del servidor obtenida por ' +
    'otra vía (por ejemplo, de su operador), ya que la clave escrita en este archivo la aportó quien lo exportó. La ' +
    'comprobación no necesita conexión a la red e indica VERIFIED o el motivo del fallo.',
].join('\n\n');

/** A record's history with everything needed to check it offline. JSON-serialisable. */
export interface AuditExport {
  format: typeof AUDIT_EXPORT_FORMAT;
  /** For a court or an investigator: what this is and how to check it (English and Spanish). */
  explanation: string;
  /** The log's origin (the checkpoint's first line and the verifier key's name). */
  origin: string;
  /** The log's Ed25519 verifier key, signed-note format; check it against one obtained independently. */
  verifierKey: string;
  /** The signed checkpoint (C2SP signed note) the events are proven against. */
  checkpoint: string;
  recordId: string;
  /** True when exported by the record's owner: every event about the record, chained. */
  chainComplete: boolean;
  /**
   * How far the list is complete (docs/PROTOCOL.md "Exports: what complete covers"). Absent
   * in exports made before it existed.
   */
  complete?: {
    /** The checkpoint's size: nothing appended at or past this index is covered. */
    treeSize: number;
    /**
     * The newest log index about the record that the exporting client knew of (its own
     * actions, events shown before), which the list holds; null when it knew of none.
     */
    newestKnownIndex: number | null;
  };
  /** Each event's leaf (base64url), its log index and its inclusion proof (base64url hashes, leaf upward). */
  events: { leaf: string; index: number; proof: string[] }[];
  /** When the file was made (by the exporter's clock; not covered by any signature). */
  exportedAt: string;
}

export function buildExport(parts: {
  verifierKey: string;
  checkpoint: string;
  origin: string;
  recordId: string;
  chainComplete: boolean;
  items: readonly (ProvenLeaf & { index: number })[];
  /** Written as the export's `complete` when given (exportHistory always gives it). */
  complete?: NonNullable<AuditExport['complete']>;
  exportedAt?: Date;
}): AuditExport {
  return {
    format: AUDIT_EXPORT_FORMAT,
    explanation: AUDIT_EXPORT_EXPLANATION,
    origin: parts.origin,
    verifierKey: parts.verifierKey,
    checkpoint: parts.checkpoint,
    recordId: parts.recordId,
    chainComplete: parts.chainComplete,
    ...(parts.complete ? { complete: parts.complete } : {}),
    events: parts.items.map((e) => ({ leaf: toBase64Url(e.leaf), index: e.index, proof: e.proof.map(toBase64Url) })),
    exportedAt: (parts.exportedAt ?? new Date()).toISOString(),
  };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** verifyExport with a ready libsodium: synchronous. */
export function verifyExportWith(s: Sodium, doc: unknown, options: { verifierKey?: string | undefined } = {}): AuditHistoryEvent[] {
  if (!isObject(doc)) fail('the export is not a JSON object');
  if (doc.format !== AUDIT_EXPORT_FORMAT) fail(`the export's format is not ${AUDIT_EXPORT_FORMAT}`);
  for (const name of ['origin', 'verifierKey', 'checkpoint', 'recordId'] as const) {
    if (typeof doc[name] !== 'string') fail(`the export's ${name} is missing`);
  }
  if (typeof doc.chainComplete !== 'boolean') fail("the export's chainComplete is not true or false");
  if (!Array.isArray(doc.events)) fail("the export's events are not a list");
  const written = parseLogKey(doc.verifierKey, "the export's verifier key");
  let vkey = doc.verifierKey as string;
  if (options.verifierKey !== undefined) {
    const given = parseLogKey(options.verifierKey.trim(), 'the verifier key given');
    if (given.name !== written.name || !equalBytes(given.publicKey, written.publicKey)) {
      fail(`the export names the log key ${vkey}, not the key given (${options.verifierKey.trim()})`);
    }
    vkey = options.verifierKey.trim();
  }
  const tree = verifyCheckpoint(s, doc.checkpoint, vkey);
  if (doc.origin !== tree.origin) fail(`the export's origin ${JSON.stringify(doc.origin)} is not the checkpoint's`);
  const items = doc.events.map((e: unknown, i) => {
    if (!isObject(e)) fail(`export event ${i} is not an object`);
    if (!Number.isSafeInteger(e.index)) fail(`export event ${i} has no index`);
    return { index: e.index as number, leaf: bytesFrom(e.leaf, `export event ${i}'s leaf`), proof: proofFrom(e.proof, `export event ${i}'s proof`) };
  });
  const events = checkRecordEvents(items, doc.recordId as string, tree, doc.chainComplete);
  events.forEach((e, i) => {
    if (e.index !== items[i]!.index) fail(`export event ${i} says index ${items[i]!.index} but its leaf is log index ${e.index}`);
  });
  if (doc.complete !== undefined) checkComplete(doc.complete, tree.size, events);
  return events.map(historyEvent);
}

/** The export's own statement of how far it is complete must agree with what it holds. */
function checkComplete(complete: unknown, treeSize: number, events: readonly { index: number }[]): void {
  if (!isObject(complete)) fail("the export's complete is not an object");
  if (complete.treeSize !== treeSize) fail(`the export says it is complete up to a log of ${String(complete.treeSize)} events, not the checkpoint's ${treeSize}`);
  const newest = complete.newestKnownIndex;
  if (newest === null) return;
  if (!Number.isSafeInteger(newest)) fail("the export's complete.newestKnownIndex is not an index");
  if (!events.some((e) => e.index === newest)) fail(`the export says its maker knew of event ${String(newest)}, which it does not hold`);
}

/**
 * Checks an export (as written by exportHistory, parsed from JSON) with no network: the
 * checkpoint's signature with the export's verifier key, or with `verifierKey` (obtained
 * independently) which must then be the same key; each event's inclusion in that
 * checkpoint and its record id; and the record's chain when `chainComplete`. Returns the
 * events; any failure throws AuditLogError.
 *
 * Synchronous: it needs libsodium loaded, which it is once any Vault was opened or
 * `await cryptoReady()` resolved; before that it throws VaultError.
 */
export function verifyExport(doc: unknown, options: { verifierKey?: string | undefined } = {}): AuditHistoryEvent[] {
  const s = sodiumIfLoaded();
  if (!s) throw new VaultError('the cryptography library is still loading: await cryptoReady() before verifyExport');
  return verifyExportWith(s, doc, options);
}

/** Resolves once the library's cryptography (libsodium) is loaded; see verifyExport. */
export async function cryptoReady(): Promise<void> {
  await sodiumReady();
}

/** The size of the tree an export's checkpoint signs (after verifyExport accepted it). */
export function exportTreeSize(doc: AuditExport): number {
  return guard('the checkpoint is malformed', () => parseCheckpoint(doc.checkpoint)).size;
}
