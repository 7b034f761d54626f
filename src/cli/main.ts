/** Commander wiring only: flags become options for the actions. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { botCommand, runCommand, validateCommand } from './actions.ts';
import { VERSION } from './version.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

const program = new Command()
  .name('convotest')
  .description('Declarative conversation tests for voice bots (Twilio Media Streams, AudioCodes VoiceAI Connect)')
  .version(VERSION)
  .showHelpAfterError('(run `convotest --help` for usage)')
  .exitOverride();

program
  .command('run')
  .description('run suites against a bot and write reports')
  .argument('[paths...]', 'suite files, folders or globs', ['suites/'])
  .option('-t, --target <url>', "dial this bot instead of each suite's target (ws://, wss://, builtin:reference)")
  .option('-o, --out <dir>', 'folder for junit.xml, report.json and audio', 'reports')
  .option('-g, --grep <regex>', 'run only calls whose "suite › call" title matches')
  .option('-w, --workers <n>', 'calls run at the same time', positiveInt, 4)
  .option('--no-audio', 'do not save call and reply WAVs')
  .option('--verbose', 'show the last timeline events of failed calls')
  .addOption(new Option('--color', 'force colour').conflicts('noColor'))
  .addOption(new Option('--no-color', 'no colour'))
  .action(async (paths: string[], options) => {
    process.exitCode = await runCommand(paths, options);
  });

program
  .command('validate')
  .description('check suites (schema, references, audio files) without calling anything')
  .argument('[paths...]', 'suite files, folders or globs', ['suites/'])
  .action(async (paths: string[]) => {
    process.exitCode = await validateCommand(paths);
  });

program
  .command('bot')
  .description('serve the reference bot (what the example suites talk to)')
  .addOption(new Option('-p, --protocol <protocol>', 'which side to play').choices(['twilio', 'audiocodes']).default('twilio'))
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .action(async (options) => {
    process.exitCode = await botCommand(options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version exit 0; every usage mistake is exit code 2, like an invalid suite.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    throw error;
  }
}
