/** Where results say a call, turn or expectation was written: relative to the working directory when shorter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { location } from '../../src/engine/location.ts';

test('a position reads relative to the working directory, and follows it when it changes', (t) => {
  const start = process.cwd();
  t.after(() => process.chdir(start));
  const pos = { file: resolve(start, 'suites', 'pizza.yaml'), line: 12, col: 9 };
  assert.equal(location(pos), join('suites', 'pizza.yaml') + ':12:9');
  assert.equal(location(pos), join('suites', 'pizza.yaml') + ':12:9', 'asked again');
  process.chdir(resolve(start, 'suites'));
  assert.equal(location(pos), 'pizza.yaml:12:9');
  // From elsewhere the relative path would climb with "..": the absolute path is shown instead.
  process.chdir(tmpdir());
  assert.equal(location(pos), `${pos.file}:12:9`);
});
