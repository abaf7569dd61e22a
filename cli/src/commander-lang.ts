import { Help, type Command } from 'commander';
import type { Translate } from './i18n/index.ts';

// commander writes its own words (Usage:, Options:, "error: missing required argument …"):
// they are put in the user's language here, before any command is registered, so every
// subcommand inherits them (commander copies help and output settings to subcommands).

const TITLES = { 'Usage:': 'cmd.usage', 'Options:': 'cmd.options', 'Commands:': 'cmd.commands', 'Arguments:': 'cmd.arguments', 'Global Options:': 'cmd.globalOptions' } as const;

// commander's error lines, and the catalogue key that says the same.
const ERRORS: [RegExp, Parameters<Translate>[0]][] = [
  [/^error: missing required argument '(?<name>[^']+)'/, 'cmd.missingArgument'],
  [/^error: option '(?<name>[^']+)' argument missing/, 'cmd.optionArgumentMissing'],
  [/^error: required option '(?<name>[^']+)' not specified/, 'cmd.requiredOption'],
  [/^error: unknown option '(?<name>[^']+)'/, 'cmd.unknownOption'],
  [/^error: unknown command '(?<name>[^']+)'/, 'cmd.unknownCommand'],
  [/^error: too many arguments/, 'cmd.tooManyArguments'],
];

export function translateCommander(program: Command, t: Translate): void {
  const placeholders = (text: string) => text.replace('[options]', t('cmd.optionsPlaceholder')).replace('[command]', t('cmd.commandPlaceholder'));
  program
    .helpOption('-h, --help', t('cmd.help'))
    .helpCommand('help [command]', t('cmd.help'))
    .configureHelp({
      styleTitle: (title) => (title in TITLES ? t(TITLES[title as keyof typeof TITLES]) : title),
      commandUsage: (cmd) => placeholders(new Help().commandUsage(cmd)),
      subcommandTerm: (cmd) => placeholders(new Help().subcommandTerm(cmd)),
    })
    .configureOutput({
      outputError: (text, write) => {
        const known = ERRORS.find(([pattern]) => pattern.test(text));
        const suggestion = /\(Did you mean (?<s>[^?]+)\?\)/.exec(text)?.groups?.s;
        if (!known) return write(text);
        const name = known[0].exec(text)?.groups?.name ?? '';
        write(`tvault: ${t(known[1], { name })}${suggestion ? ` ${t('cmd.didYouMean', { name: suggestion })}` : ''}\n`);
      },
    })
    .showHelpAfterError(t('cmd.seeHelp'));
}
