/**
 * Thresholds as CI sees them: the real CLI in a child process against the reference bot,
 * exit codes 0 / 99 / 1 / 2, and the breach named in the console, junit.xml and report.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });

const SUITE = `name: Gates
target: builtin:reference
thresholds:
  timeToFirstSpeech: ["max < 1m", "count >= 1"]
  violations: count == 0
calls:
  - name: greets
    turns:
      - expect: [ { botSpeech: { within: 3s } }, { mark: { name: greeting } } ]
`;

async function setup(yaml = SUITE) {
  const dir = await tempDir();
  await writeFile(join(dir, 'gates.yaml'), yaml);
  return { dir, out: join(dir, 'reports') };
}

async function reports(out: string) {
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(report), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  return { report, junit: xml.parse(await readFile(join(out, 'junit.xml'), 'utf8')) };
}

test('thresholds that hold: exit 0, every result passed, metrics in every report', async () => {
  const { dir, out } = await setup();
  const result = await runCli(['run', 'gates.yaml', '--out', out, '--no-audio'], { cwd: dir });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /thresholds: all 3 passed/);
  assert.match(result.stdout, /timeToFirstSpeech\s+1\s/, 'the metrics table lists the greeting');
  const { report, junit } = await reports(out);
  assert.deepEqual(report.thresholds.map((t: any) => [t.metric, t.expression, t.passed, t.scope]), [
    ['timeToFirstSpeech', 'max < 1m', true, 'suite'],
    ['timeToFirstSpeech', 'count >= 1', true, 'suite'],
    ['violations', 'count == 0', true, 'suite'],
  ]);
  assert.match(report.thresholds[0].location, /gates\.yaml:4:23$/);
  assert.equal(report.summary.metrics.timeToFirstSpeech.count, 1);
  assert.equal(report.suites[0].metrics.timeToFirstSpeech.count, 1);
  const suites = junit.testsuites.testsuite;
  const gates = suites.find((s: any) => s.name === 'thresholds');
  assert.equal(Number(gates.tests), 3);
  assert.equal(Number(gates.failures), 0);
  const props = Object.fromEntries(suites[0].properties.property.map((p: any) => [p.name, p.value]));
  assert.equal(props['timeToFirstSpeech.count'], '1', 'suite percentiles are testsuite properties');
});

test('a breached --threshold fails the run with exit 99 and names metric, value and limit', async () => {
  const { dir, out } = await setup();
  const result = await runCli(['run', 'gates.yaml', '--out', out, '--no-audio', '--threshold', 'timeToFirstSpeech: max < 1ms'], { cwd: dir });
  assert.equal(result.code, 99, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /1 passed/);
  assert.match(result.stdout, /thresholds: 1 of 4 breached/);
  assert.match(result.stdout, /✗ timeToFirstSpeech: max < 1ms — timeToFirstSpeech max is \S+, breaching the limit < 1ms \(1 sample; --threshold\)/);
  const { report, junit } = await reports(out);
  assert.equal(report.exitCode, 99);
  const breached = report.thresholds.find((t: any) => !t.passed);
  assert.equal(breached.scope, 'run');
  assert.equal(breached.limit, 1);
  assert.ok(breached.value > 1);
  const gates = junit.testsuites.testsuite.find((s: any) => s.name === 'thresholds');
  assert.equal(Number(gates.failures), 1);
  const failed = gates.testcase.find((c: any) => c.failure);
  assert.equal(failed.name, 'timeToFirstSpeech: max < 1ms');
  assert.match(failed.failure.message, /breaching the limit < 1ms/);
  assert.equal(Number(junit.testsuites.failures), 1, 'the root counts the breached threshold');
});

test('a failed call wins over a breached threshold: exit 1', async () => {
  const { dir, out } = await setup(SUITE.replace('{ mark: { name: greeting } }', '{ mark: { name: nope, within: 300ms } }'));
  const result = await runCli(['run', 'gates.yaml', '--out', out, '--no-audio', '--threshold', 'violations: count > 5'], { cwd: dir });
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /thresholds: 1 of 4 breached/);
  const { report } = await reports(out);
  assert.equal(report.exitCode, 1);
});

test('bad thresholds stop the run before it starts: exit 2 with the reason', async () => {
  const { dir, out } = await setup();
  const flag = await runCli(['run', 'gates.yaml', '--out', out, '--threshold', 'responseLatency: p(95) < fast'], { cwd: dir });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^convotest: --threshold "responseLatency: p\(95\) < fast": "p\(95\) < fast" is not a threshold/m);

  const { dir: bad } = await setup(SUITE.replace('count == 0', 'count == 0ms'));
  const suite = await runCli(['validate', 'gates.yaml'], { cwd: bad });
  assert.equal(suite.code, 2);
  assert.match(suite.stderr, /gates\.yaml:5:15: "count == 0ms": `count` is a number of samples, not a duration: drop the unit "ms"/);
});
