/**
 * Runs one misbehaving call next to well-behaved ones in the same run, in-process with the
 * real reporters, and reads every report back: whatever the bot did, junit.xml, report.json
 * and report.html must be complete and parseable, and the other calls must have passed.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { run } from '../../src/engine/run.ts';
import type { CallResult, RunResult } from '../../src/engine/results.ts';
import { createReporters, escapeHtml, ReporterHub } from '../../src/report/index.ts';
import { loadSuiteFile } from '../../src/suite/index.ts';
import { ROOT, tempDir } from '../helpers/cli.ts';

export const HEALTHY_CALLS = ['greets first', 'greets again'];

/** A suite file with one call (`misbehaving`) of these YAML turns, against `target`. */
export function chaosSuite(target: string, turns: string[], limits: string[] = []): string {
  return [
    'name: Chaos',
    `target: ${target}`,
    'defaults: { timeout: 3s }',
    ...(limits.length ? ['limits:', ...limits.map((l) => `  ${l}`)] : []),
    'calls:',
    '  - name: misbehaving',
    '    turns:',
    ...turns.map((t) => `      ${t}`),
    '',
  ].join('\n');
}

export function healthySuite(target: string): string {
  return [
    'name: Healthy',
    `target: ${target}`,
    'calls:',
    ...HEALTHY_CALLS.flatMap((name) => [`  - name: ${name}`, '    turns:', '      - expect: [ { botSpeech: { within: 10s } }, { mark: { name: greeting } } ]']),
    '',
  ].join('\n');
}

export interface ChaosOutcome {
  result: RunResult;
  call: CallResult;
  out: string;
  junit: any;
  report: any;
  html: string;
}

/** Runs the chaos suite and the healthy suite together, checks the siblings and the reports. */
export async function runWithSiblings(chaos: string, healthyTarget: string): Promise<ChaosOutcome> {
  const dir = await tempDir('convotest-chaos-');
  await writeFile(join(dir, 'chaos.yaml'), chaos);
  await writeFile(join(dir, 'healthy.yaml'), healthySuite(healthyTarget));
  const suites = [await loadSuiteFile(join(dir, 'chaos.yaml')), await loadSuiteFile(join(dir, 'healthy.yaml'))];
  const out = join(dir, 'reports');
  const reporter = new ReporterHub(createReporters({ outDir: out, console: null, color: false }));
  const result = await run({ suites, outDir: out, workers: 3, reporter });

  const healthy = result.suites.find((s) => s.name === 'Healthy')!;
  assert.deepEqual(
    healthy.calls.map((c) => [c.name, c.status, c.reason]),
    HEALTHY_CALLS.map((name) => [name, 'passed', undefined]),
    'the well-behaved calls of the same run passed',
  );
  const call = result.suites.find((s) => s.name === 'Chaos')!.calls[0]!;
  return { result, call, out, ...(await readReports(out, result)) };
}

/** Every report is whole: parseable, the right number of calls, nothing half-written left behind. */
export async function readReports(out: string, result: RunResult) {
  const files = await readdir(out);
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temp files left behind');

  const xmlText = await readFile(join(out, 'junit.xml'), 'utf8');
  assert.equal(XMLValidator.validate(xmlText), true, 'junit.xml is well-formed XML');
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xmlText);
  const total = result.suites.reduce((n, s) => n + s.calls.length, 0);
  assert.equal(Number(junit.testsuites.tests), total, 'junit.xml has every call');

  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(report), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  assert.equal(report.summary.total, total);

  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<\/html>\n$/);
  for (const suite of result.suites) for (const call of suite.calls) assert.ok(html.includes(escapeHtml(call.name)), `report.html shows ${call.name}`);
  assert.ok(!/<script/i.test(html), 'report.html has no script at all');
  return { junit, report, html };
}

/** The junit testcase of a call, by name. */
export function junitCase(junit: any, name: string): any {
  return junit.testsuites.testsuite.flatMap((s: any) => s.testcase).find((c: any) => c.name === name);
}
