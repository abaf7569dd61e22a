import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileStateStore, IntegrityStateStore, Vault, type KdfLimits } from '@testimony-vault/client/node';
import { pickLang, translator, type MessageKey, type Translate } from './i18n/index.ts';
import { UsageError } from './errors.ts';
import { askTerminal } from './prompt.ts';
import { localDates, type LocalDates } from './dates.ts';
import { agentVault } from './agent.ts';
import { safeJson, safeText } from './safe-text.ts';

// What tvault keeps between runs, in a folder only its owner can read (mode 0700):
// settings.json (server URL and handle, in the clear: they are needed before the
// passphrase can open anything) and state.json (the contact-list and record versions seen,
// the audit log key and last checkpoint, uploads to resume), names and values encrypted
// under a key derived from the account's master key ([Note: local state at rest]). No key,
// passphrase, token or plaintext is ever written: each command asks for the passphrase,
// opens a session, and ends it. `tvault wipe` removes it all (docs/THREAT-MODEL.md §3).

export interface GlobalOptions {
  server?: string;
  lang?: string;
  json?: boolean;
  configDir?: string;
  passphraseFd?: string;
  handle?: string;
}

interface Settings {
  server?: string;
  handle?: string;
  /** 2 once this handle's passphrase uses KDF version 2: version 1 is then refused (PROTOCOL.md). */
  kdfVersion?: 2;
}

/** Every file tvault may leave in its folder (what `tvault wipe` removes). */
export const LOCAL_FILES = ['settings.json', 'state.json', 'uploads.json'] as const;

/** Tests only: a cheap Argon2id. The loud name is the point; never set it for real use. */
const TEST_KDF: KdfLimits | undefined = process.env.TVAULT_UNSAFE_TEST_KDF === '1' ? { opsLimit: 1, memLimit: 8192 } : undefined;

export class Context {
  readonly t: Translate;
  readonly dir: string;
  /** Dates as the user reads them ([Note: dates where the user is]). */
  readonly dates: LocalDates;

  constructor(readonly options: GlobalOptions) {
    const lang = pickLang(options.lang);
    this.t = translator(lang);
    this.dates = localDates(lang);
    const base = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config');
    this.dir = options.configDir ?? process.env.TVAULT_HOME ?? path.join(base, 'tvault');
  }

  /** The unlocked state of the account logged in by withVault (uploads to resume live there). */
  state: IntegrityStateStore | undefined;

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async settings(): Promise<Settings> {
    try {
      return JSON.parse(await readFile(this.file('settings.json'), 'utf8')) as Settings;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  async saveSettings(s: Settings): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await writeFile(this.file('settings.json'), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  }

  async server(): Promise<string> {
    const server = this.options.server ?? (await this.settings()).server;
    if (!server) throw new UsageError(this.t('login.needed'));
    return server;
  }

  private fdLines: string[] | undefined;

  /**
   * The next secret: from --passphrase-fd (one per line, in the order the command asks:
   * e.g. current then new passphrase), else from the terminal without echo (/dev/tty
   * when stdin is a pipe, as with --narrative-file -).
   */
  async passphrase(prompt: MessageKey & `${'passphrase' | 'recover' | 'passwd'}.${string}` = 'passphrase.prompt'): Promise<string> {
    if (this.options.passphraseFd !== undefined) {
      this.fdLines ??= readFileSync(Number(this.options.passphraseFd), 'utf8').split(/\r?\n/);
      const line = this.fdLines.shift();
      if (line === undefined) throw new UsageError(this.t('passphrase.noTerminal'));
      return line;
    }
    const answer = await askTerminal(this.t(prompt), true);
    if (answer === undefined) throw new UsageError(this.t('passphrase.noTerminal'));
    return answer;
  }

  async stateStore(): Promise<IntegrityStateStore> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written by versions before the state was encrypted: paths of evidence files in the clear.
    await rm(this.file('uploads.json'), { force: true });
    return IntegrityStateStore.wrap(new FileStateStore(this.file('state.json')));
  }

  /** Unlocks the state with the account's key and moves older, readable entries into the encrypted form. */
  async unlockState(state: IntegrityStateStore, vault: Vault): Promise<void> {
    state.unlock(vault.localStateKey());
    await state.migrate();
    this.state = state;
  }

  /** After a login or a passphrase change: a version-2 account is never again derived as version 1 here. */
  async rememberKdfVersion(vault: Vault): Promise<void> {
    const settings = await this.settings();
    if (vault.kdfVersion === 2 && settings.handle === vault.handle && settings.kdfVersion !== 2) await this.saveSettings({ ...settings, kdfVersion: 2 });
  }

  kdf(): { kdf?: KdfLimits; kdfFloor?: KdfLimits } {
    return TEST_KDF ? { kdf: TEST_KDF, kdfFloor: TEST_KDF } : {};
  }

  /** False in the agent itself, and for a command that needs the passphrase (passwd). */
  useAgent = true;

  /**
   * Logs in for one command, runs it, and ends the session whatever happens; or, when
   * `tvault unlock` left an agent for this config folder and handle, uses its session
   * ([Note: the unlock agent]; the passphrase is then '').
   */
  async withVault<T>(run: (vault: Vault, passphrase: string) => Promise<T>): Promise<T> {
    const settings = await this.settings();
    const handle = this.options.handle ?? settings.handle;
    const agent = this.useAgent ? await agentVault(this.dir) : undefined;
    if (agent && agent.handle === handle?.trim().toLowerCase()) {
      await this.unlockState(await this.stateStore(), agent);
      return run(agent, '');
    }
    const server = await this.server();
    if (!handle) throw new UsageError(this.t('login.needed'));
    const remembered = handle === settings.handle;
    const state = await this.stateStore();
    const passphrase = await this.passphrase();
    const minKdfVersion = remembered && settings.kdfVersion === 2 ? 2 : 1;
    const vault = await Vault.login({ server, handle, passphrase, state, device: 'tvault', minKdfVersion, ...this.kdf() });
    try {
      await this.unlockState(state, vault);
      await this.rememberKdfVersion(vault);
      return await run(vault, passphrase);
    } finally {
      await vault.logout().catch(() => undefined);
    }
  }

  // Every line tvault writes passes here ([Note: text from other parties on a terminal]).
  print(text: string): void {
    process.stdout.write(`${safeText(text)}\n`);
  }

  printJson(value: unknown): void {
    process.stdout.write(`${safeJson(value)}\n`);
  }

  /** A line on stderr (errors, refusals, prompts), made as safe as print's. */
  warn(text: string): void {
    process.stderr.write(`${safeText(text)}\n`);
  }
}
