import * as assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  ConsoleReporter,
  createReporters,
  HtmlReporter,
  JsonReporter,
  JUnitReporter,
  renderHtml,
  renderJson,
  renderJUnit,
  ReporterHub,
  type Reporter,
} from '../../src/report/index.ts';
import { calls, makeRun } from './fixture.ts';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convotest-hub-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(): Writable & { text: string } {
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        stream.text += chunk.toString('utf8');
        done();
      },
    }),
    { text: '' },
  );
  return stream;
}

/** Each report in `out` holds the whole run (not just exists): byte for byte what its renderer makes of it. */
async function assertReports(out: string, run: ReturnType<typeof makeRun>, reportDir: string): Promise<void> {
  assert.deepEqual(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')), JSON.parse(JSON.stringify(run)));
  assert.equal(await readFile(join(out, 'report.json'), 'utf8'), renderJson(run));
  assert.equal(await readFile(join(out, 'junit.xml'), 'utf8'), renderJUnit(run, reportDir));
  assert.equal(await readFile(join(out, 'report.html'), 'utf8'), renderHtml(run));
  assert.match(renderJUnit(run, reportDir), /<testsuites name="convotest" tests="6" failures="2" errors="1" skipped="2"/);
}

class Recorder implements Reporter {
  readonly seen: string[] = [];
  onRunStart(): void {
    this.seen.push('runStart');
  }
  async onCallStart(_suite: unknown, call: { name: string }): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    this.seen.push(`callStart ${call.name}`);
  }
  onCallEnd(): void {
    this.seen.push('callEnd');
  }
  onRunEnd(): void {
    this.seen.push('runEnd');
  }
}

class Thrower implements Reporter {
  onRunStart(): void {
    throw new Error('disk full');
  }
  async onRunEnd(): Promise<void> {
    throw new Error('also broken');
  }
}

describe('ReporterHub', () => {
  test('passes every hook to every reporter, in order, awaiting each', async () => {
    const a = new Recorder();
    const b = new Recorder();
    const hub = new ReporterHub([a, b, {}]);
    const run = makeRun();
    await hub.onRunStart({ outDir: dir, suites: [], totalCalls: 1 });
    await hub.onCallStart(run.suites[0]!, { name: 'c1' });
    await hub.onCallEnd(run.suites[0]!, calls.passed);
    await hub.onRunEnd(run);
    assert.deepEqual(a.seen, ['runStart', 'callStart c1', 'callEnd', 'runEnd']);
    assert.deepEqual(b.seen, a.seen);
  });

  test('a throwing reporter does not stop the ones after it; the error is rethrown at the end', async () => {
    const before = new Recorder();
    const afterIt = new Recorder();
    const hub = new ReporterHub([before, new Thrower(), afterIt]);
    await assert.rejects(hub.onRunStart({ outDir: dir, suites: [], totalCalls: 0 }), (err: unknown) => {
      assert.ok(err instanceof AggregateError);
      assert.equal(err.message, '1 reporter failed in onRunStart: Thrower: disk full');
      assert.equal((err.errors[0] as Error).message, 'disk full');
      return true;
    });
    assert.deepEqual(before.seen, ['runStart']);
    assert.deepEqual(afterIt.seen, ['runStart']);
  });

  test('several failures are reported together, and the reports still get written', async () => {
    const out = join(dir, 'partial');
    const hub = new ReporterHub([new Thrower(), ...createReporters({ outDir: out, console: null, color: false }), new Thrower()]);
    await assert.rejects(hub.onRunEnd(makeRun()), /^AggregateError: 2 reporters failed in onRunEnd: Thrower: also broken; Thrower: also broken$/);
    assert.deepEqual((await readdir(out)).sort(), ['junit.xml', 'report.html', 'report.json']);
    await assertReports(out, makeRun(), out);
  });
});

describe('createReporters', () => {
  test('console + junit + json + html by default, no console when it is null', () => {
    const withConsole = createReporters({ outDir: dir, console: sink(), color: false });
    assert.deepEqual(
      withConsole.map((r) => r.constructor),
      [ConsoleReporter, JUnitReporter, JsonReporter, HtmlReporter],
    );
    const without = createReporters({ outDir: dir, console: null, color: false });
    assert.deepEqual(
      without.map((r) => r.constructor),
      [JUnitReporter, JsonReporter, HtmlReporter],
    );
  });

  test('a whole run through the hub writes both reports into outDir and lists them', async () => {
    const out = join(dir, 'full', 'reports');
    const screen = sink();
    const hub = new ReporterHub(createReporters({ outDir: out, console: screen, color: false }));
    const run = makeRun();
    await hub.onRunStart({ outDir: out, suites: run.suites.map((s) => ({ file: s.file, name: s.name, calls: s.calls.length })), totalCalls: 6 });
    for (const suite of run.suites) for (const call of suite.calls) await hub.onCallEnd(suite, call);
    await hub.onRunEnd(run);
    assert.deepEqual((await readdir(out)).sort(), ['junit.xml', 'report.html', 'report.json']);
    await assertReports(out, run, out);
    assert.match(screen.text, /^Running 6 calls from 2 suite files\n/);
    assert.match(screen.text, /\nreports: .*full\/reports\/junit\.xml, .*full\/reports\/report\.json, .*full\/reports\/report\.html, .*full\/reports\/audio\/\n$/);
  });
});
