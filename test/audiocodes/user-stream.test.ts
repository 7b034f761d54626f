import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mediaFormat } from '../../src/protocols/audiocodes/formats.ts';
import type { Violation } from '../../src/protocols/audiocodes/inbound.ts';
import { ChunkMessages } from '../../src/protocols/audiocodes/messages.ts';
import { UserStreams } from '../../src/protocols/audiocodes/user-stream.ts';

/** A wire that records what would be sent (copies: the streams reuse their chunk buffer). */
function recordingWire() {
  const sent: (string | Buffer)[] = [];
  const violations: string[] = [];
  return {
    sent,
    violations,
    wire: {
      start: () => sent.push('start'),
      chunk: (audio: Buffer) => sent.push(Buffer.from(audio)),
      stop: () => sent.push('stop'),
      violation: (violation: Violation) => violations.push(violation.rule),
    },
  };
}

/** 20 ms of raw/mulaw where every byte is `value`. */
const slot = (value: number) => new Uint8Array(160).fill(value);

describe('UserStreams', () => {
  it('sends chunkMs chunks in order, whether sent at once or held for the ack', () => {
    const { sent, wire } = recordingWire();
    const streams = new UserStreams(mediaFormat('raw/mulaw')!, 40, 3000, wire, () => 0);
    streams.openStream();
    for (let i = 1; i <= 4; i++) streams.audio(slot(i)); // held: not acknowledged yet
    assert.deepEqual([...sent], ['start']);
    streams.started();
    for (let i = 5; i <= 6; i++) streams.audio(slot(i)); // sent at once
    streams.closeStream();
    const chunks = sent.filter((item): item is Buffer => typeof item !== 'string');
    assert.deepEqual(
      chunks.map((chunk) => [chunk.length, chunk[0], chunk[160]]),
      [
        [320, 1, 2],
        [320, 3, 4],
        [320, 5, 6],
      ],
    );
    assert.equal(sent.at(-1), 'stop');
  });

  it('starts a new stream with its own audio, not what was left of one whose start was never acknowledged', () => {
    const { sent, violations, wire } = recordingWire();
    let now = 0;
    const streams = new UserStreams(mediaFormat('raw/mulaw')!, 100, 300, wire, () => now);
    streams.openStream();
    streams.audio(slot(9)); // 20 of the 100 ms: not a chunk yet
    now = 400;
    streams.checkTimeouts();
    assert.deepEqual(violations, ['user-stream-not-started']);
    assert.equal(streams.isOpen, false);

    streams.openStream();
    streams.started();
    for (let i = 0; i < 5; i++) streams.audio(slot(1));
    const chunks = sent.filter((item): item is Buffer => typeof item !== 'string');
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.length, 800);
    assert.ok(chunks[0]!.every((byte) => byte === 1), 'nothing of the abandoned stream');
  });
});

describe('ChunkMessages', () => {
  it('builds the same message as a frame as it does as text, for any conversationId and chunk size', () => {
    for (const conversationId of ['conv-42', 'gespräch "7" ✓']) {
      const messages = new ChunkMessages(conversationId);
      for (const size of [0, 1, 2, 3, 160, 640, 40000]) {
        const audio = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) & 0xff));
        const text = messages.text(audio);
        assert.deepEqual(JSON.parse(text), { type: 'userStream.chunk', conversationId, audioChunk: audio.toString('base64') });
        const frame = messages.frame(audio);
        assert.equal(frame[0], 0x81, 'FIN + text');
        const declared = frame[1]! & 0x7f;
        const at = declared < 126 ? 2 : declared === 126 ? 4 : 10;
        const length = declared < 126 ? declared : declared === 126 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
        const mask = frame.subarray(at, at + 4);
        const payload = Buffer.from(frame.subarray(at + 4).map((byte, i) => byte ^ mask[i % 4]!));
        assert.equal(length, payload.length);
        assert.equal(payload.toString('utf8'), text, `${conversationId}, ${size} bytes`);
      }
    }
  });
});
