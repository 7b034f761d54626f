/** Commander wiring only: flags become options for the actions. */
import { Command, CommanderError, Option } from 'commander';
import { botCommand, runCommand, validateCommand } from './actions.ts';
import { collect, durationFlag, durationOrOffFlag, passRateFlag, port, positiveInt, rateFlag, wholeNumber } from './flag-parsers.ts';
import { loadCommand, mergeReportsCommand } from './load-command.ts';
import { VERSION } from './version.ts';

const program = new Command()
  .name('convotest')
  .description('Declarative conversation tests for voice bots (Twilio Media Streams, AudioCodes VoiceAI Connect)')
  .version(VERSION)
  .showHelpAfterError('(run `convotest --help` for usage)')
  // Every mistake on the command line reads like convotest's others: "convotest: …".
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'convotest: ')) })
  .exitOverride();

/** A command that reads suites, named by paths. */
function suiteCommand(name: string, description: string): Command {
  return program.command(name).description(description).argument('[paths...]', 'suite files, folders or globs', ['suites/']);
}

function ttsCacheOption(command: Command): Command {
  return command.option('--tts-cache <dir>', 'where speech for `say:` turns is cached', '.cache/convotest/tts');
}

/** The options of the commands that place calls (run, load): which calls, where to, reports, limits, TLS. */
function callOptions(command: Command, noun: 'run' | 'load'): Command {
  command
    .option('-t, --target <url>', "dial this bot instead of each suite's target (ws://, wss://, http(s):// voice webhook, builtin:reference)")
    .option('-o, --out <dir>', 'folder for junit.xml, report.json, report.html and audio', 'reports')
    .option('-g, --grep <regex>', 'only calls whose "suite › call" title matches')
    .option('--grep-invert <regex>', 'leave out calls whose "suite › call" title matches')
    .option('--tag <tag>', "only calls with this tag (their own or their suite's); repeat for any of several", collect)
    .option('--threshold <expr>', `fail the ${noun} (exit 99) when a metric breaches this, e.g. "responseLatency: p(95) < 900ms"; repeatable`, collect)
    .option('--no-audio', 'do not save call and reply WAVs')
    .option('--max-call-duration <duration>', 'hang up and fail any call still running after this long; 0 = no limit (overrides limits.call; default 10m)', durationOrOffFlag)
    .option('--idle-timeout <duration>', 'fail a call when the bot sends nothing, not even a pong, this long; 0 = off (overrides limits.idle; default 30s)', durationOrOffFlag)
    .option('--ca <file>', 'also trust this PEM CA certificate for wss:// and https:// targets')
    .option('--insecure', 'do not verify TLS certificates (noted as a warning in every report)')
    .addOption(new Option('--color', 'force colour').conflicts('noColor'))
    .addOption(new Option('--no-color', 'no colour'));
  return ttsCacheOption(command);
}

callOptions(suiteCommand('run', 'run suites against a bot and write reports'), 'run')
  .option('--forbid-only', 'refuse to run (exit 2) when a suite has `only: true`, for CI')
  .option('--retries <n>', 'run a failed call again up to n times; one that passes on a retry is reported flaky', wholeNumber)
  .option('--repeat <n>', 'run every call n times and report its pass rate and latency distribution', positiveInt)
  .option('--min-pass-rate <rate>', "share of a call's attempts that must pass, 0-1 or a percentage (default: every run)", passRateFlag)
  .option('--fail-on-flaky', 'a flaky call fails the run (exit 1)')
  .option('-w, --workers <n>', 'calls run at the same time', positiveInt, 4)
  .option('--shard <i/n>', 'run only the i-th of n interleaved slices of the selected calls (spread a run over n CI jobs)')
  .option('--verbose', 'show the last timeline events of failed calls')
  .option('--max-run-duration <duration>', 'end the whole run after this long: calls still running are ended, the rest not started; exit 1', durationFlag)
  .action(async (paths: string[], options) => {
    process.exitCode = await runCommand(paths, options);
  });

ttsCacheOption(suiteCommand('validate', 'check suites (schema, references, audio files) without calling anything'))
  .option('--forbid-only', 'fail (exit 2) when a suite has `only: true`')
  .action(async (paths: string[], options) => {
    process.exitCode = await validateCommand(paths, options);
  });

const load = suiteCommand('load', "run a suite's calls as a load test: new calls at an arrival rate, with live progress and percentiles over time")
  .option('-n, --calls <n>', "calls to start in all (default: the suite's load.calls, else each selected call once, unless there is a duration)", positiveInt)
  .option('-r, --rate <rate>', "calls started per second (20, 20/s) or minute (300/m) once the ramp is over (default: the suite's load.rate, else 1/s)", rateFlag)
  .option('--ramp <duration>', 'climb linearly from 0 to --rate over this long', durationOrOffFlag)
  .option('-d, --duration <duration>', 'keep starting calls for this long (with --calls: whichever ends first)', durationFlag)
  .option('--shard <i/n>', 'start only the i-th of n interleaved slices of the arrivals (spread a load over n machines)')
  .option('--window <duration>', 'width of the percentile-over-time windows in the report', durationFlag)
  .option('--keep-timelines', "keep every passed call's timeline in report.json (by default only failed calls keep theirs)")
  .option('--no-priority', "leave thread priorities alone (by default, on Linux, the pacing thread is favoured over convotest's own helper threads)");
callOptions(load, 'load').action(async (paths: string[], options) => {
  process.exitCode = await loadCommand(paths, options);
});

program
  .command('merge-reports')
  .description('merge the report.json of several shards (--shard i/n) into one report.json, junit.xml and report.html')
  .argument('<reports...>', 'the report.json files to merge')
  .option('-o, --out <dir>', 'folder for the merged reports', 'reports')
  .action(async (files: string[], options) => {
    process.exitCode = await mergeReportsCommand(files, options);
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
