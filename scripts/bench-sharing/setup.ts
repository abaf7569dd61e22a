// The sharing benchmark's data, written by the library in this process (fast, not timed):
// a coordinator who shares RECORDS records with a lawyer (the lawyer has compared the
// coordinator's safety number), and one record of the coordinator's with EVENTS events in
// its history (its creation, then reads).
import { Vault } from '@testimony-vault/client/node';

/** Places in the titles, so a search for one finds a fifth of the inbox. */
export const PLACES = ['Tapachula', 'Arriaga', 'Saltillo', 'Piedras Negras', 'Reynosa'];
export const LONG_HISTORY_TITLE = 'Historial largo';

export interface SharingData {
  coordinator: string;
  lawyer: string;
  shared: string[];
  longHistory: string;
}

/** Runs `fn` on items, `width` at a time (the server is on the same 2-core machine). */
async function inBatches<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map((x, j) => fn(x, i + j)));
}

export async function writeSharingData(server: string, passphrase: string, counts: { records: number; events: number }): Promise<SharingData> {
  const coordinator = 'coordinacion-banco';
  const lawyer = 'licenciada-banco';
  // Default Argon2id cost (256 MiB × 3): the browser logs in to these accounts.
  const { vault: coord } = await Vault.register({ server, handle: coordinator, passphrase, device: 'bench setup' });
  const { vault: lic } = await Vault.register({ server, handle: lawyer, passphrase, device: 'bench setup' });
  await coord.verifyContact(lawyer, lic.fingerprint());
  await lic.verifyContact(coordinator, coord.fingerprint());
  await lic.logout();

  const shared: string[] = new Array(counts.records);
  await inBatches([...Array(counts.records).keys()], 8, async (i) => {
    const place = PLACES[i % PLACES.length]!;
    const { id } = await coord.createRecord({
      title: `Testimonio ${String(i + 1).padStart(3, '0')} — ${place}`,
      narrative: `Relato ${i + 1}: lo que pasó en ${place}, contado por quien lo vivió.`,
      place,
      tags: ['banco', place.toLowerCase()],
    });
    await coord.share(id, lawyer);
    shared[i] = id;
  });

  // Last, so it is first in the coordinator's list (newest change first).
  const { id: longHistory } = await coord.createRecord({ title: LONG_HISTORY_TITLE, narrative: 'Leído muchas veces.' });
  // Each read appends one event; the creation is the first.
  await inBatches([...Array(counts.events - 1).keys()], 8, () => coord.getRecord(longHistory));
  await coord.logout();
  return { coordinator, lawyer, shared, longHistory };
}
