import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSamples, mediaFormat } from '../../src/protocols/audiocodes/formats.ts';
import { PlayStreams } from '../../src/protocols/audiocodes/playback.ts';
import { tone } from './scripted-bot.ts';

describe('PlayStreams', () => {
  it('queues every stream at 16 kHz, to the last sample once the stream stops', () => {
    for (const name of ['raw/lpcm16', 'raw/lpcm16_8', 'raw/lpcm16_24', 'raw/mulaw']) {
      const format = mediaFormat(name)!;
      const playback = new PlayStreams();
      const audio = encodeSamples(tone(format.rate, 500), format);
      assert.equal(playback.start('1', format), null);
      assert.equal(playback.chunk('1', audio.subarray(0, 101)).violation, null);
      assert.equal(playback.chunk('1', audio.subarray(101)).violation, null);
      assert.equal(playback.busy(), true);
      assert.equal(playback.stop('1'), null);
      assert.equal(playback.bufferedMs, 500, name);
      let frames = 0;
      while (playback.playFrame()) frames++;
      assert.equal(frames, 25, name);
      assert.equal(playback.busy(), false);
    }
  });

  it('plays the samples in order, and pads a stream\'s short last slot with silence, not with an earlier slot', () => {
    const format = mediaFormat('raw/lpcm16')!;
    const playback = new PlayStreams();
    const first = tone(16000, 40, 440, 8000);
    playback.start('1', format);
    playback.chunk('1', encodeSamples(first, format));
    playback.stop('1');
    const heard = [playback.playFrame()!.slice(), playback.playFrame()!.slice()];
    assert.deepEqual([...heard[0]!, ...heard[1]!], [...first]);
    const short = Int16Array.from({ length: 100 }, (_, i) => i + 1);
    playback.start('2', format);
    playback.chunk('2', encodeSamples(short, format));
    playback.stop('2');
    const last = playback.playFrame()!;
    assert.deepEqual([...last.subarray(0, 100)], [...short]);
    assert.ok(last.subarray(100).every((sample) => sample === 0), 'the rest of the slot is silence');
    assert.equal(playback.playFrame(), null);
  });

  it('drops what is buffered and what still arrives for a stream cut off by barge-in', () => {
    const format = mediaFormat('raw/lpcm16')!;
    const playback = new PlayStreams();
    playback.start('1', format);
    playback.chunk('1', encodeSamples(tone(16000, 400), format));
    assert.equal(playback.interrupt(), 400);
    assert.deepEqual(playback.chunk('1', encodeSamples(tone(16000, 400), format)), { queued: false, violation: null });
    assert.equal(playback.busy(), false);
    assert.equal(playback.playFrame(), null);
    assert.equal(playback.stop('1'), null, 'the bot may still stop the stream it was cut off in');
  });

  it('plays the rest of an open stream before the next when a bot starts a second one', () => {
    const format = mediaFormat('raw/lpcm16')!;
    const playback = new PlayStreams();
    playback.start('a', format);
    playback.chunk('a', encodeSamples(tone(16000, 100), format));
    assert.equal(playback.start('b', format)?.rule, 'second-play-stream');
    assert.equal(playback.bufferedMs, 100);
    assert.equal(playback.chunk('a', new Uint8Array(64)).violation?.rule, 'closed-stream');
    assert.equal(playback.stop('c')?.rule, 'unknown-stream');
  });
});
