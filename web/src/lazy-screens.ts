// The screens behind the login, loaded by import() when first shown, so the login page
// carries only what it needs. Each folder's index.ts is one chunk; before it is imported,
// every file it needs is fetched with the integrity index.html holds for it
// ([Note: screens loaded after login] in web/build/integrity.ts), so a changed file is
// refused by the browser and never runs.

/**
 * The code of a screen folder could not be fetched (VAULT_ERR_SCREEN_LOAD), or the server sent
 * other code than the page expects and the browser refused it (VAULT_ERR_SCREEN_INTEGRITY).
 * Shown with its message, never as a blank page.
 */
export class ScreenLoadError extends Error {
  override name = 'ScreenLoadError';
  constructor(
    message: string,
    readonly code: 'VAULT_ERR_SCREEN_LOAD' | 'VAULT_ERR_SCREEN_INTEGRITY' = 'VAULT_ERR_SCREEN_LOAD',
  ) {
    super(message);
  }
}

// The only import() of the page: the build refuses any other (integrity({ lazy })).
const loaders = import.meta.glob('/src/screens/*/index.ts');

type Preload = { url: string; integrity: string };

let table: Record<string, Preload[]> | undefined;

function integrityTable(): Record<string, Preload[]> {
  if (table) return table;
  const block = document.getElementById('lazy-integrity');
  // The development server has no sealed page; a built one without the block would import
  // unchecked code, so it loads nothing.
  if (!block) {
    if (import.meta.env.DEV) return (table = {});
    throw new ScreenLoadError('the page holds no integrity for its screens');
  }
  return (table = JSON.parse(block.textContent ?? '') as Record<string, Preload[]>);
}

const preloaded = new Map<string, Promise<void>>();

/** Fetches one file into the page's module map, checked against its integrity. */
function preload({ url, integrity }: Preload): Promise<void> {
  let done = preloaded.get(url);
  if (!done) {
    done = new Promise<void>((resolve, reject) => {
      const link = document.createElement('link');
      // A browser without modulepreload (Safari before 17) would fire no event at all, and
      // an import() without it would run unchecked code: refused, with the message.
      if (!link.relList.supports('modulepreload')) return reject(new ScreenLoadError('this browser cannot preload modules with integrity'));
      link.rel = 'modulepreload';
      link.crossOrigin = '';
      link.integrity = integrity;
      link.href = url;
      link.onload = () => resolve();
      link.onerror = () => {
        link.remove();
        void whyNotLoaded({ url, integrity }).then(reject);
      };
      document.head.append(link);
    });
    // A failure is not kept: the next attempt asks again.
    done.catch(() => preloaded.delete(url));
    preloaded.set(url, done);
  }
  return done;
}

/**
 * A refused preload looks the same to the page whether the network failed or the file
 * differed: fetched again and hashed here, a file that arrives and differs is named as such,
 * so a server sending other code is reported as that, not as a bad connection.
 */
async function whyNotLoaded({ url, integrity }: Preload): Promise<ScreenLoadError> {
  try {
    const res = await fetch(url, { cache: 'no-store' });
    if (res.ok) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', await res.arrayBuffer()));
      if (`sha384-${btoa(String.fromCharCode(...digest))}` !== integrity) return new ScreenLoadError(`${url} is not the file the page expects`, 'VAULT_ERR_SCREEN_INTEGRITY');
    }
  } catch {
    // unreachable again: a failure to load
  }
  return new ScreenLoadError(`${url} was not loaded`);
}

const modules = new Map<string, Promise<unknown>>();
const ready = new Map<string, unknown>();

/** The module of a screen folder if it has loaded already (drawn at once, without a loading step). */
export function loadedScreens<M>(folder: string): M | undefined {
  return ready.get(folder) as M | undefined;
}

/** The module of a screen folder ('records' for /src/screens/records/index.ts), checked and loaded once. */
export function loadScreens<M>(folder: string): Promise<M> {
  const key = `/src/screens/${folder}/index.ts`;
  let module = modules.get(key);
  if (!module) {
    const load = loaders[key];
    if (!load) return Promise.reject(new ScreenLoadError(`no screens in ${key}`));
    module = (async () => {
      const needed = integrityTable()[key];
      if (!needed && !import.meta.env.DEV) throw new ScreenLoadError(`no integrity for ${key}`);
      await Promise.all((needed ?? []).map(preload));
      try {
        const loaded = await load();
        ready.set(folder, loaded);
        return loaded;
      } catch (err) {
        throw new ScreenLoadError(`${key}: ${(err as Error).message}`);
      }
    })();
    module.catch(() => modules.delete(key));
    modules.set(key, module);
  }
  return module as Promise<M>;
}
