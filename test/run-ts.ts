// Node arguments that run this repository's TypeScript sources in a child process: tsx as
// the loader (by absolute URL, so a child may start in any folder), and the workspace
// packages (@testimony-vault/protocol, /client) resolved to their src/ through the
// "@testimony-vault/source" export condition instead of their compiled dist/, so a child
// runs what was just edited, with no build in between.
export const SOURCE_CONDITION = '--conditions=@testimony-vault/source';
export const RUN_TS: readonly string[] = [SOURCE_CONDITION, '--import', import.meta.resolve('tsx')];
