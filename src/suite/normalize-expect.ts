/**
 * A turn's `expect:` list into the model: event expectations with their anchors and counts,
 * `anyOrder` groups, `forbid` windows and `bargeIn` checks. The schema has already said what
 * is the wrong type; this finds what it cannot: combinations that make no sense, anchors a
 * turn does not have, bad regexes. Every problem is reported at the value to fix.
 */
import { type Data, duration, isData, str } from './values.ts';
import type { AnchorEvent, AnchorSpec, EventExpectationSpec, ExpectationSpec, ForbidWindow, SourcePos, TextMatch } from './model.ts';
import { closest } from './suggest.ts';
import { compileTextMatch, isRegexLiteral } from './text-match.ts';
import type { DataPath } from './yaml-source.ts';

export interface ExpectContext {
  problem(path: DataPath, message: string): void;
  pos(path: DataPath): SourcePos;
}

/** What the turn's caller does, as far as anchors and barge-in checks care. */
export interface TurnShape {
  /** The caller speaks in this turn (audio, or anything else with caller speech). */
  speaks: boolean;
}

type EventKind = EventExpectationSpec['kind'];

export const EVENT_KINDS: readonly EventKind[] = ['botSpeech', 'mark', 'clear', 'dtmf', 'hangup', 'closed', 'text', 'recognition', 'transfer', 'message'];
const GROUP_KINDS = ['anyOrder', 'forbid', 'bargeIn'] as const;

const TIME_ANCHORS = ['turnStart', 'speechStart', 'speechEnd', 'previous'] as const;
const EVENT_ANCHORS: readonly AnchorEvent[] = ['clear', 'mark', 'botSpeech', 'botSpeechEnd', 'botMedia', 'dtmf', 'text', 'recognition', 'hangup'];

/** The `expect:` items of one turn; items the schema rejected are skipped. */
export function buildExpectations(ctx: ExpectContext, items: unknown[], path: DataPath, turn: TurnShape): ExpectationSpec[] {
  const builder = new ExpectationBuilder(ctx, turn);
  return items.flatMap((item, i) => builder.item(item, [...path, i]) ?? []);
}

class ExpectationBuilder {
  constructor(
    private readonly ctx: ExpectContext,
    private readonly turn: TurnShape,
  ) {}

  item(item: unknown, path: DataPath): ExpectationSpec | undefined {
    if (!isData(item)) return undefined;
    const group = GROUP_KINDS.find((key) => Object.hasOwn(item, key));
    if (group === 'anyOrder') return this.anyOrder(item[group], [...path, group], this.ctx.pos(path));
    if (group === 'forbid') return this.forbid(item[group], [...path, group], this.ctx.pos(path));
    if (group === 'bargeIn') return this.bargeIn(item[group], [...path, group], this.ctx.pos(path));
    const kind = eventKindOf(item);
    return kind ? this.event(kind, item[kind], [...path, kind], this.ctx.pos(path)) : undefined;
  }

  private anyOrder(value: unknown, path: DataPath, pos: SourcePos): ExpectationSpec | undefined {
    if (!Array.isArray(value)) return undefined;
    const members: EventExpectationSpec[] = [];
    value.forEach((member, i) => {
      const memberPath = [...path, i];
      if (!isData(member)) return;
      const group = GROUP_KINDS.find((key) => Object.hasOwn(member, key));
      if (group) {
        this.ctx.problem(memberPath, `\`anyOrder\` holds events only (botSpeech, mark, clear, …), not \`${group}\`: put \`${group}\` next to the group instead`);
        return;
      }
      const kind = eventKindOf(member);
      if (!kind) return;
      const spec = this.event(kind, member[kind], [...memberPath, kind], this.ctx.pos(memberPath));
      if (!spec) return;
      if (spec.count) {
        this.ctx.problem([...memberPath, kind], '`count`, `atLeast` and `atMost` do not work inside `anyOrder`: each member matches one event');
        return;
      }
      members.push(spec);
    });
    return { kind: 'anyOrder', members, pos };
  }

  private forbid(value: unknown, path: DataPath, pos: SourcePos): ExpectationSpec | undefined {
    if (!isData(value)) return undefined;
    const kinds = EVENT_KINDS.filter((kind) => Object.hasOwn(value, kind));
    if (kinds.length !== 1) {
      this.ctx.problem(
        path,
        kinds.length === 0
          ? '`forbid` names one event it forbids, like `forbid: { hangup: {}, untilNextTurn: true }`'
          : `\`forbid\` names one event, got ${kinds.map((k) => `\`${k}\``).join(' and ')}: write one \`forbid\` per event`,
      );
      return undefined;
    }
    const kind = kinds[0]!;
    const event = this.event(kind, value[kind], [...path, kind], pos);
    if (!event) return undefined;
    const fields = isData(value[kind]) ? value[kind] : {};
    for (const field of ['within', 'from', 'count', 'atLeast', 'atMost']) {
      if (!Object.hasOwn(fields, field)) continue;
      const instead = field === 'within' ? 'the window is `during` (or `untilNextTurn`)' : field === 'from' ? 'write `from` next to `during`' : 'any one forbidden event fails it';
      this.ctx.problem([...path, kind, field], `\`${field}\` has no meaning on a forbidden event: ${instead}`);
    }
    const during = duration(value['during']);
    const untilNextTurn = value['untilNextTurn'] === true;
    let window: ForbidWindow;
    if (during !== undefined && untilNextTurn) {
      this.ctx.problem([...path, 'untilNextTurn'], '`forbid` takes `during` or `untilNextTurn`, not both');
      return undefined;
    } else if (during !== undefined) {
      window = { during };
    } else if (untilNextTurn) {
      window = { untilNextTurn: true };
    } else {
      if (!Object.hasOwn(value, 'during') && !Object.hasOwn(value, 'untilNextTurn')) {
        this.ctx.problem(path, '`forbid` needs a window: `during: 2s` (from its anchor) or `untilNextTurn: true`');
      }
      return undefined;
    }
    const from = this.anchor(value['from'], [...path, 'from']);
    const spec: ExpectationSpec = { kind: 'forbid', event: { ...event, pos }, window, pos };
    if (from) spec.from = from;
    return spec;
  }

  private bargeIn(value: unknown, path: DataPath, pos: SourcePos): ExpectationSpec | undefined {
    const fields = isData(value) ? value : {};
    if (!this.turn.speaks) {
      this.ctx.problem(path, '`bargeIn` checks how the bot yields when the caller talks over it: it needs a turn where the caller speaks (`user: { audio: …, bargeIn: … }`)');
      return undefined;
    }
    const spec: Extract<ExpectationSpec, { kind: 'bargeIn' }> = { kind: 'bargeIn', pos };
    for (const key of ['stopWithin', 'clearWithin', 'maxTalkOver'] as const) {
      const ms = duration(fields[key]);
      if (ms !== undefined) spec[key] = ms;
    }
    return spec;
  }

  private event(kind: EventKind, raw: unknown, valuePath: DataPath, pos: SourcePos): EventExpectationSpec | undefined {
    // `text: "welcome"` is shorthand for `text: { match: "welcome" }`.
    const shorthand = (kind === 'text' || kind === 'recognition') && typeof raw === 'string';
    const fields: Data = shorthand ? { match: raw } : isData(raw) ? raw : {};
    const fieldPath = (field: string) => (shorthand ? valuePath : [...valuePath, field]);
    const base: { within?: number; from?: AnchorSpec; count?: { min: number; max?: number }; pos: SourcePos } = { pos };
    const within = duration(fields['within']);
    if (within !== undefined) base.within = within;
    const from = this.anchor(fields['from'], fieldPath('from'));
    if (from) base.from = from;
    const count = this.count(fields, valuePath);
    if (count) base.count = count;

    switch (kind) {
      case 'botSpeech': {
        const minDuration = duration(fields['minDuration']);
        return minDuration === undefined ? { kind, ...base } : { kind, ...base, minDuration };
      }
      case 'mark': {
        const name = str(fields['name']);
        return name === undefined ? { kind, ...base } : { kind, ...base, name };
      }
      case 'dtmf': {
        const digits = str(fields['digits']);
        return digits === undefined ? { kind, ...base } : { kind, ...base, digits };
      }
      case 'hangup': {
        const reason = this.textMatch(fields['reason'], fieldPath('reason'));
        return reason === undefined ? { kind, ...base } : { kind, ...base, reason };
      }
      case 'transfer': {
        const target = this.textMatch(fields['target'], fieldPath('target'));
        return target === undefined ? { kind, ...base } : { kind, ...base, target };
      }
      case 'text':
      case 'recognition': {
        const match = this.textMatch(fields['match'], fieldPath('match'));
        return match === undefined ? undefined : { kind, ...base, match };
      }
      case 'message': {
        if (!isData(fields['match'])) return undefined;
        this.checkMessageRegexes(fields['match'], fieldPath('match'));
        return { kind, ...base, match: fields['match'] };
      }
      case 'clear':
      case 'closed':
        return { kind, ...base };
    }
  }

  /** `count: N` is exactly N; `atLeast`/`atMost` bound it from one side or both. */
  private count(fields: Data, path: DataPath): { min: number; max?: number } | undefined {
    const count = wholeNumber(fields['count']);
    const atLeast = wholeNumber(fields['atLeast']);
    const atMost = wholeNumber(fields['atMost']);
    if (count !== undefined) {
      if (atLeast !== undefined || atMost !== undefined) {
        this.ctx.problem([...path, 'count'], '`count` is an exact number: use it alone, or `atLeast`/`atMost` instead');
        return undefined;
      }
      return { min: count, max: count };
    }
    if (atLeast !== undefined && atMost !== undefined && atLeast > atMost) {
      this.ctx.problem([...path, 'atMost'], `\`atMost: ${atMost}\` is below \`atLeast: ${atLeast}\`: no number of events can pass`);
      return undefined;
    }
    if (atLeast === undefined && atMost === undefined) return undefined;
    return atMost === undefined ? { min: atLeast! } : { min: atLeast ?? 0, max: atMost };
  }

  private anchor(value: unknown, path: DataPath): AnchorSpec | undefined {
    if (typeof value !== 'string') return undefined;
    const source = value;
    if ((TIME_ANCHORS as readonly string[]).includes(value)) {
      const kind = value as (typeof TIME_ANCHORS)[number];
      if ((kind === 'speechStart' || kind === 'speechEnd') && !this.turn.speaks) {
        this.ctx.problem(path, `\`from: ${kind}\` needs caller speech in the turn (\`user: { audio: … }\`); this turn has none — use \`turnStart\` or an event`);
        return undefined;
      }
      return { kind, source };
    }
    const markName = /^mark:(.+)$/.exec(value)?.[1]?.trim();
    if (markName) return { kind: 'event', event: 'mark', name: markName, source };
    if ((EVENT_ANCHORS as readonly string[]).includes(value)) return { kind: 'event', event: value as AnchorEvent, source };
    const known = [...TIME_ANCHORS, ...EVENT_ANCHORS];
    const guess = closest(value, known);
    this.ctx.problem(
      path,
      `\`from\` must be turnStart, speechStart, speechEnd, previous, or an event (${EVENT_ANCHORS.join(', ')}, mark:<name>), got ${JSON.stringify(value)}${guess ? ` — did you mean \`${guess}\`?` : ''}`,
    );
    return undefined;
  }

  private textMatch(value: unknown, path: DataPath): TextMatch | undefined {
    if (typeof value !== 'string' || value === '') return undefined;
    const compiled = compileTextMatch(value);
    if (typeof compiled === 'string') {
      this.ctx.problem(path, compiled);
      return undefined;
    }
    return compiled;
  }

  /** message.match values are kept as written, but a broken "/regex/" is better caught now than mid-run. */
  private checkMessageRegexes(match: Data, path: DataPath): void {
    for (const [field, value] of Object.entries(match)) {
      if (isData(value)) this.checkMessageRegexes(value, [...path, field]);
      if (typeof value !== 'string' || !isRegexLiteral(value)) continue;
      const compiled = compileTextMatch(value);
      if (typeof compiled === 'string') this.ctx.problem([...path, field], compiled);
    }
  }
}

function eventKindOf(item: Data): EventKind | undefined {
  return EVENT_KINDS.find((key) => Object.hasOwn(item, key));
}

function wholeNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

