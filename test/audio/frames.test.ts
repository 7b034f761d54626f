import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { samplesPerFrame, splitFrames } from '../../src/audio/frames.ts';

describe('samplesPerFrame', () => {
  it('is 20 ms by default', () => {
    assert.equal(samplesPerFrame(8000), 160);
    assert.equal(samplesPerFrame(16000), 320);
    assert.equal(samplesPerFrame(44100), 882);
    assert.equal(samplesPerFrame(8000, 10), 80);
  });
  it('rejects frames shorter than one sample', () => {
    assert.throws(() => samplesPerFrame(8000, 0), RangeError);
  });
});

describe('splitFrames', () => {
  it('full frames are views, the short last frame is a zero-padded copy', () => {
    const samples = Int16Array.from({ length: 350 }, (_, i) => i + 1);
    const frames = splitFrames(samples, 160);
    assert.deepEqual(frames.map((f) => f.length), [160, 160, 160]);
    assert.equal(frames[1]![0], 161);
    assert.equal(frames[0]!.buffer, samples.buffer);
    assert.equal(frames[2]![29], 350);
    assert.equal(frames[2]![30], 0);
    assert.equal(frames[2]![159], 0);
    assert.notEqual(frames[2]!.buffer, samples.buffer);
  });
  it('an exact multiple has no padded frame; empty input has no frames', () => {
    assert.equal(splitFrames(new Int16Array(320), 160).length, 2);
    assert.equal(splitFrames(new Int16Array(0), 160).length, 0);
  });
  it('rejects a frame size that is not a positive integer', () => {
    assert.throws(() => splitFrames(new Int16Array(10), 0), RangeError);
    assert.throws(() => splitFrames(new Int16Array(10), 1.5), RangeError);
  });
});
