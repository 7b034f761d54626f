/** Reads a run's junit.xml and report.json back, the JSON checked against its schema. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT } from './cli.ts';

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase', 'property', 'flakyFailure', 'rerunFailure', 'flakyError', 'rerunError'].includes(name),
});

export async function readReports(out: string) {
  const junit = xml.parse(await readFile(join(out, 'junit.xml'), 'utf8'));
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', 'report.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate(report), true, `report.json matches its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  return { junit, report };
}
