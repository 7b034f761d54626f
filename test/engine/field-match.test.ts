/** The raw `message` matcher, form by form, and how a miss is worded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldMismatches, fieldsMatch, readPath } from '../../src/engine/field-match.ts';

const message = {
  event: 'mark',
  sequenceNumber: '12',
  mark: { name: 'greeting-1' },
  activities: [
    { type: 'event', name: 'config', activityParams: { bargeIn: true } },
    { type: 'event', name: 'hangup', activityParams: { hangupReason: 'done' } },
  ],
  scores: [640, 910],
};

test('exact values, with numbers matching numeric strings', () => {
  assert.ok(fieldsMatch(message, { event: 'mark' }));
  assert.ok(fieldsMatch(message, { sequenceNumber: 12 }), 'Twilio sends numbers as strings');
  assert.ok(!fieldsMatch(message, { event: 'media' }));
  assert.ok(!fieldsMatch(message, { missing: 'x' }));
});

test('regexes, with flags', () => {
  assert.ok(fieldsMatch(message, { 'mark.name': '/^greet/' }));
  assert.ok(fieldsMatch(message, { 'mark.name': '/GREETING/i' }));
  assert.ok(!fieldsMatch(message, { 'mark.name': '/^reply/' }));
  assert.ok(!fieldsMatch(message, { mark: '/greet/' }), 'a regex does not match a map');
});

test('numeric comparisons on numbers and numeric strings', () => {
  assert.ok(fieldsMatch(message, { sequenceNumber: '< 800' }));
  assert.ok(fieldsMatch(message, { sequenceNumber: '>= 12' }));
  assert.ok(fieldsMatch(message, { sequenceNumber: '== 12' }));
  assert.ok(!fieldsMatch(message, { sequenceNumber: '!= 12' }));
  assert.ok(!fieldsMatch(message, { sequenceNumber: '> 12' }));
  assert.ok(!fieldsMatch(message, { event: '< 800' }), 'text never compares as a number');
  assert.ok(fieldsMatch(message, { 'scores.1': '> 900' }));
});

test('nested maps, list indexes, and names that look into every list item', () => {
  assert.ok(fieldsMatch(message, { mark: { name: '/^greeting/' } }));
  assert.ok(fieldsMatch(message, { 'activities.1.name': 'hangup' }));
  assert.ok(fieldsMatch(message, { 'activities.name': 'hangup' }), 'any activity named hangup');
  assert.ok(fieldsMatch(message, { 'activities.activityParams.hangupReason': '/done/' }));
  assert.ok(!fieldsMatch(message, { 'activities.name': 'transfer' }));
  assert.ok(!fieldsMatch(message, { 'activities.5.name': 'hangup' }));
  assert.ok(fieldsMatch(message, { scores: [640, '> 900'] }), 'a list matches item by item');
  assert.ok(!fieldsMatch(message, { scores: [640] }), 'and must have the same length');
  assert.deepEqual(readPath(message, 'activities.type'), ['event', 'event']);
});

test('a miss names each failing path, what it holds and what was expected', () => {
  assert.deepEqual(fieldMismatches(message, { event: 'mark', 'mark.name': '/^reply/', sequenceNumber: '> 100', nope: 1 }), [
    'mark.name is "greeting-1", expected "/^reply/"',
    'sequenceNumber is "12", expected "> 100"',
    'nope missing, expected 1',
  ]);
});
