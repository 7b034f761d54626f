import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { JsonReporter, writeJson } from '../../src/report/json.ts';
import { makeRun } from './fixture.ts';

let dir: string;
let validate: ReturnType<Ajv2020['compile']>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convotest-json-'));
  const schema = JSON.parse(await readFile(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8'));
  // strict mode also checks the schema itself: unknown keywords or formats would throw here.
  validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function errorsOf(value: unknown): string[] {
  validate(value);
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('writeJson', () => {
  test('writes the whole run as pretty JSON that round-trips', async () => {
    const path = join(dir, 'reports', 'report.json');
    await writeJson(makeRun(), path);
    const text = await readFile(path, 'utf8');
    assert.match(text, /^\{\n {2}"tool": \{\n {4}"name": "convotest"/);
    assert.ok(text.endsWith('}\n'));
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(makeRun())));
  });

  test('the written report validates against schemas/report.schema.json', async () => {
    const path = join(dir, 'valid.json');
    await writeJson(makeRun(), path);
    assert.deepEqual(errorsOf(JSON.parse(await readFile(path, 'utf8'))), []);
  });

  test('a bigint in raw message data does not lose the report', async () => {
    const run = makeRun();
    run.suites[0]!.calls[0]!.timeline[1]!.data = { seq: 12n };
    const path = join(dir, 'bigint.json');
    await writeJson(run, path);
    const written = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(written.suites[0].calls[0].timeline[1].data, { seq: '12' });
    assert.deepEqual(errorsOf(written), []);
  });

  test('JsonReporter writes on run end', async () => {
    const path = join(dir, 'by-reporter', 'report.json');
    await new JsonReporter(path).onRunEnd(makeRun());
    assert.deepEqual(errorsOf(JSON.parse(await readFile(path, 'utf8'))), []);
  });
});

describe('report schema', () => {
  function mutated(change: (run: any) => void): unknown {
    const run: any = JSON.parse(JSON.stringify(makeRun()));
    change(run);
    return run;
  }

  test('rejects an unknown call status', () => {
    const errors = errorsOf(mutated((r) => (r.suites[0].calls[0].status = 'wobbly')));
    assert.ok(errors.includes('/suites/0/calls/0/status must be equal to one of the allowed values'), errors.join('\n'));
  });

  test('rejects an unknown expectation kind, turn status and timeline direction', () => {
    assert.notDeepEqual(errorsOf(mutated((r) => (r.suites[0].calls[0].turns[0].expectations[0].kind = 'speech'))), []);
    assert.notDeepEqual(errorsOf(mutated((r) => (r.suites[0].calls[0].turns[0].status = 'errored'))), []);
    assert.notDeepEqual(errorsOf(mutated((r) => (r.suites[0].calls[0].timeline[0].dir = 'sideways'))), []);
    assert.notDeepEqual(errorsOf(mutated((r) => (r.suites[1].protocol = 'sip'))), []);
  });

  test('rejects unknown fields and missing required ones', () => {
    assert.deepEqual(errorsOf(mutated((r) => (r.suites[0].calls[0].metrics.jitter = 3))), [
      '/suites/0/calls/0/metrics must NOT have additional properties',
    ]);
    assert.deepEqual(errorsOf(mutated((r) => delete r.summary.responseLatency)), [
      "/summary must have required property 'responseLatency'",
    ]);
    assert.deepEqual(errorsOf(mutated((r) => (r.tool.name = 'other'))), ['/tool/name must be equal to constant']);
    assert.notDeepEqual(errorsOf(mutated((r) => (r.startedAt = 'yesterday'))), []);
  });

  test('timeline data is free-form', () => {
    assert.deepEqual(errorsOf(mutated((r) => (r.suites[0].calls[0].timeline[0].data = [1, 'two', { three: null }]))), []);
  });
});
