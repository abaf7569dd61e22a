import { readFileSync } from 'node:fs';

// [Note: tvault's start]
// Every command pays Node's start and the loading of what it imports before its first
// request (docs/PERFORMANCE.md "tvault start-up"). `--version` alone loads nothing else;
// anything else loads the program (commander, the commands, the client library). The client
// library loads native libsodium (sodium-native) only when a command first needs libsodium,
// and its file-stream engine only at the first file; Vault.login sends the pre-login request
// before libsodium has finished loading.

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`tvault ${pkg.version}\n`);
} else {
  const { runProgram } = await import('./program.ts');
  await runProgram();
}
