// npm run bench:sharing-web [-- --records 200 --events 1000 --runs 3]
// Sharing in the browser against tvault on the same server, in one run (docs/PERFORMANCE.md,
// "Sharing in the browser"): a lawyer opens an inbox of RECORDS shared records and searches
// it; a coordinator opens the history of a record with EVENTS events until it shows as
// verified. The browser is timed through the UI (click, wait until the result is on screen)
// in headless Chromium; tvault runs the same three things (inbox, list — tvault's nearest to
// a search: it decrypts every record listed —, history) with its vault unlocked in the
// agent (tvault unlock), as the browser's worker holds it. The data is written by the library
// in this process first (not timed). The server runs as its own process, on a throwaway
// database of the PostgreSQL at DATABASE_URL when set, else embedded.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildWeb } from '../test/web/browser.ts';
import { BareChromium, BareTab } from './bench-web/cdp.ts';
import { fromLog, startServer, type LoggedRequest } from './bench-web/server.ts';
import { tvault } from './bench-web/tvault.ts';
import { writeSharingData, LONG_HISTORY_TITLE } from './bench-sharing/setup.ts';
import { openHistory, openInbox, recordsSettled, search, searchInbox } from './bench-sharing/steps.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '200' },
    events: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
  },
});
const RECORDS = Number(args.records);
const EVENTS = Number(args.events);
const RUNS = Number(args.runs);
const PASSPHRASE = 'mezquite campanario lechuza andén tamarindo';
// The lawyer searches the inbox (the worker's index of what it decrypted to show it, so the
// search itself is warm); the coordinator searches the same RECORDS records as their own,
// the first time from a fresh worker, which decrypts them all. tvault has no search:
// `tvault list`, which decrypts every record listed, is its nearest.
const SEARCH_COLD = 'tapachula';
const SEARCH_WARM = 'saltillo';

const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mr = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const seconds = (r: { started: number; ended: number }) => (r.ended - r.started) / 1000;

/** Seconds the server spent answering the history pages requested since `from` (summed; issue 19). */
function historyAnswer(requests: LoggedRequest[], from: number): number {
  const pages = requests.slice(from).filter((q) => q.method === 'GET' && q.route === '/v1/records/:id/history');
  if (pages.length === 0 || pages.some((q) => !q.end)) throw new Error('no history request in the server log');
  return pages.reduce((sum, q) => sum + (q.end! - q.start), 0) / 1000;
}

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'tv-benchsharing-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  // tvault runs compiled (cli/dist), as a user runs it.
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const dist = await buildWeb(t);
  const server = await startServer(t, dist);
  t.teardown(() => server.stop());
  console.log(`server ${server.url} (${server.kind}); load ${await load()}`);

  const setupStart = Date.now();
  const data = await writeSharingData(server.url, PASSPHRASE, { records: RECORDS, events: EVENTS });
  console.log(`setup by the library: ${RECORDS} shared records, a history of ${EVENTS} events, ${((Date.now() - setupStart) / 1000).toFixed(1)} s`);

  // tvault for each person, logged in and unlocked (the agent ends with `tvault lock`).
  const homes = { lawyer: path.join(work, 'lic'), coordinator: path.join(work, 'coord') };
  for (const [who, handle] of [['lawyer', data.lawyer], ['coordinator', data.coordinator]] as const) {
    await tvault(homes[who], PASSPHRASE, ['--server', server.url, 'login', handle]);
    await tvault(homes[who], PASSPHRASE, ['unlock', '--minutes', '120']);
    t.teardown(() => tvault(homes[who], '', ['lock']).catch(() => undefined));
  }

  const bare = await BareChromium.launch();
  t.teardown(() => bare.close());
  const r = { inbox: [] as number[], inboxSearch: [] as number[], searchCold: [] as number[], searchWarm: [] as number[], historyFirst: [] as number[], history: [] as number[], historyServer: [] as number[] };
  // whoami through the agent: what every tvault command pays before its own work (Node's start, the agent's answer).
  const c = { inbox: [] as number[], list: [] as number[], history: [] as number[], historyServer: [] as number[], start: [] as number[] };
  let found = '';
  let verified = '';
  const browserRun = async () => {
    // The lawyer: a fresh tab and login (not timed).
    const lic = await BareTab.open(bare, server.url);
    await lic.login(data.lawyer, PASSPHRASE);
    r.inbox.push(await openInbox(lic, RECORDS));
    r.inboxSearch.push(await searchInbox(lic, SEARCH_COLD, RECORDS));
    await lic.close();
    // The coordinator: a fresh worker, so no search index yet.
    const coord = await BareTab.open(bare, server.url);
    await coord.login(data.coordinator, PASSPHRASE);
    await recordsSettled(coord);
    const cold = await search(coord, SEARCH_COLD);
    r.searchCold.push(cold.seconds);
    found = cold.status;
    r.searchWarm.push((await search(coord, SEARCH_WARM)).seconds);
    await coord.run(`button('^Quitar filtros$').click()`);
    await recordsSettled(coord);
    const from = server.requests.length;
    const h = await openHistory(coord, LONG_HISTORY_TITLE);
    r.historyFirst.push(h.first);
    r.history.push(h.whole);
    r.historyServer.push(await fromLog(() => historyAnswer(server.requests, from)));
    verified = h.status;
    await coord.close();
  };
  const cliRun = async () => {
    c.inbox.push(seconds(await tvault(homes.lawyer, '', ['inbox'])));
    c.list.push(seconds(await tvault(homes.coordinator, '', ['list'])));
    const from = server.requests.length;
    c.history.push(seconds(await tvault(homes.coordinator, '', ['history', data.longHistory])));
    c.historyServer.push(await fromLog(() => historyAnswer(server.requests, from)));
    c.start.push(seconds(await tvault(homes.coordinator, '', ['whoami'])));
  };
  // Warm-up of both (JIT, connections, the database's pages), not counted.
  await cliRun();
  await browserRun();
  for (const k of Object.values(r)) k.length = 0;
  for (const k of Object.values(c)) k.length = 0;
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      await browserRun();
      await cliRun();
    } else {
      await cliRun();
      await browserRun();
    }
    console.log(`run ${i + 1}: inbox ${r.inbox.at(-1)!.toFixed(2)} / ${c.inbox.at(-1)!.toFixed(2)} s, search ${r.searchCold.at(-1)!.toFixed(2)} / list ${c.list.at(-1)!.toFixed(2)} s, history ${r.history.at(-1)!.toFixed(2)} / ${c.history.at(-1)!.toFixed(2)} s; load ${await load()}`);
  }

  const ratio = (b: number[], cli: number[]) => (median(b) / median(cli)).toFixed(2);
  console.log(`\nSharing in the browser — database: ${server.kind}; ${RECORDS} shared records, a history of ${EVENTS}+ events; ${RUNS} runs, median (min–max) in seconds; ${new Date().toISOString()}; load ${await load()}\n`);
  console.log('| what | browser (click → on screen) | tvault (unlocked agent) | ratio browser / tvault |\n| --- | ---: | ---: | ---: |');
  console.log(`| lawyer opens an inbox of ${RECORDS} | ${mr(r.inbox)} | ${mr(c.inbox)} (inbox) | ${ratio(r.inbox, c.inbox)} |`);
  console.log(`| lawyer searches the inbox (what it decrypted to show it) | ${mr(r.inboxSearch)} | — | — |`);
  console.log(`| search the ${RECORDS + 1} records (coordinator), first search: decrypts all | ${mr(r.searchCold)} | ${mr(c.list)} (list) | ${ratio(r.searchCold, c.list)} |`);
  console.log(`| search again (index in the worker) | ${mr(r.searchWarm)} | — | — |`);
  console.log(`| coordinator: history of ${EVENTS}+ events, first page shown verified | ${mr(r.historyFirst)} | — | — |`);
  console.log(`| coordinator: the whole history verified (browser: "Ver más eventos" until no page remains) | ${mr(r.history)} | ${mr(c.history)} (history) | ${ratio(r.history, c.history)} |`);
  console.log(`| of which the server's answers (GET …/history, in pages with one proof each) | ${mr(r.historyServer)} | ${mr(c.historyServer)} | — |`);
  console.log(`| tvault's start, for reference (whoami) | — | ${mr(c.start)} | — |`);
  console.log(`\nthe page said: "${found.trim()}"; "${verified.trim()}"`);
}

try {
  await main();
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
