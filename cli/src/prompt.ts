import { openSync } from 'node:fs';
import tty from 'node:tty';
import { read } from 'read';
import { CanceledError } from './errors.ts';
import { safeText } from './safe-text.ts';

/**
 * Asks on the terminal: stdin when it is one, else the controlling terminal (/dev/tty), so
 * that `--narrative-file -` can read a pipe and still ask the passphrase. Undefined when
 * there is no terminal at all (a script: it should use --passphrase-fd).
 */
export async function askTerminal(prompt: string, silent: boolean): Promise<string | undefined> {
  const ask = async (io: { input?: NodeJS.ReadableStream; output: NodeJS.WritableStream }) => {
    try {
      return await read({ prompt: safeText(prompt), silent, replace: '', ...io });
    } catch (err) {
      // read rejects with "canceled" on Ctrl-C (readline's SIGINT in raw mode).
      if (err instanceof Error && err.message === 'canceled') throw new CanceledError('canceled');
      throw err;
    }
  };
  if (process.stdin.isTTY) return ask({ output: process.stderr });
  let input: tty.ReadStream;
  let output: tty.WriteStream;
  try {
    input = new tty.ReadStream(openSync('/dev/tty', 'r'));
    output = new tty.WriteStream(openSync('/dev/tty', 'w'));
  } catch {
    return undefined;
  }
  try {
    return await ask({ input, output });
  } finally {
    input.destroy();
    output.destroy();
  }
}
