// The people of a shelter in one browser each, for the teams tests: the server with the
// web client, each person registered and logged in on a Spanish page; when a test fails,
// what each person had on screen is saved for whoever reads the output.
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { Vault } from '@testimony-vault/client';
import type { Page } from 'playwright-core';
import { build, type TestServer } from '../helper.ts';
import { buildWeb, launch, spanishPage } from './browser.ts';
import { login } from './people.ts';

export interface Person {
  handle: string;
  passphrase: string;
}

export async function shelterInBrowsers<K extends string>(t: Test, people: Record<K, Person>, screenPrefix: string): Promise<{ server: TestServer; pages: Record<K, Page>; violations: Record<K, string[]> }> {
  const dist = await buildWeb(t);
  const server = await build(t, { WEB_DIST_DIR: dist });
  const names = Object.keys(people) as K[];
  for (const name of names) await (await Vault.register({ server: server.url, ...people[name] })).vault.logout();
  const browser = await launch(t);
  const pages = {} as Record<K, Page>;
  const violations = {} as Record<K, string[]>;
  for (const name of names) ({ page: pages[name], violations: violations[name] } = await spanishPage(browser));
  t.teardown(async () => {
    if (t.passing()) return;
    for (const name of names) {
      const file = path.join(os.tmpdir(), `${screenPrefix}-${name}.png`);
      await pages[name].screenshot({ path: file, fullPage: true }).then(() => t.comment(`screen of the ${name}: ${file}`), () => {});
    }
  });
  for (const name of names) {
    await pages[name].goto(server.url);
    await login(pages[name], people[name].handle, people[name].passphrase);
  }
  return { server, pages, violations };
}
