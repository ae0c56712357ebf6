import { describe, expect, it } from 'vitest';
import { csatPerDay, gapBacklog, gapSignals, joinTurns, type LogItem, outcomesPerDay, ratesPerDay, toCsv, topicRows } from '../../src/insights/analytics.js';
import { conversationSummaries, correctionEntry, transcript } from '../../src/insights/conversation-review.js';
import { type Interaction, interactionEntry, outcomeOf } from '../../src/insights/interactions.js';

let sequence = 0;
const item = (entry: Record<string, unknown>): LogItem => ({ id: `${Date.parse(String(entry.at ?? '2026-01-01'))}-${sequence++}`, entry });

function turn(overrides: Partial<Interaction> & { answerId: string; at: string }): LogItem {
  const interaction: Interaction = {
    id: overrides.answerId,
    sessionId: 'session-1',
    turn: 1,
    channel: 'widget',
    question: 'q',
    answer: 'a',
    lang: 'en',
    productLine: 'watch',
    outcome: 'answered',
    mode: 'extractive',
    confidence: 0.8,
    sources: [{ docId: 'doc-a', title: 'A' }],
    ...overrides,
  };
  return item({ ...interaction });
}

const range = { from: '2026-03-01', to: '2026-03-03' };
const interactions = [
  turn({ answerId: 'a1', at: '2026-03-01T08:00:00Z', sessionId: 's-one-111', turn: 1 }),
  turn({ answerId: 'a2', at: '2026-03-01T09:00:00Z', sessionId: 's-one-111', turn: 2, outcome: 'refused', mode: 'refusal', sources: [] }),
  turn({ answerId: 'a3', at: '2026-03-02T10:00:00Z', sessionId: 's-two-222', outcome: 'curated', mode: 'curated', channel: 'wechat', productLine: 'camera' }),
  turn({ answerId: 'a4', at: '2026-03-02T11:00:00Z', sessionId: 's-three-33', outcome: 'suggested', mode: 'suggest' }),
  turn({ answerId: 'a5', at: '2026-03-02T12:00:00Z', sessionId: 's-four-444' }),
  // Outside the range: counted nowhere.
  turn({ answerId: 'a6', at: '2026-02-27T12:00:00Z', sessionId: 's-five-555' }),
];
const feedback = [
  item({ answerId: 'a1', rating: 'down', at: '2026-03-01T08:01:00Z' }),
  item({ answerId: 'a1', rating: 'up', at: '2026-03-01T08:02:00Z' }),
  item({ answerId: 'a5', rating: 'down', at: '2026-03-02T12:05:00Z', question: 'q5', productLine: 'watch' }),
];
const handoffs = [item({ answerId: 'a2', at: '2026-03-01T09:01:00Z', channel: 'widget' }), item({ at: '2026-03-03T09:00:00Z', channel: 'wechat', question: '转人工', reason: 'requested' })];

describe('the dashboard numbers', () => {
  const { turns, loneHandoffs } = joinTurns(interactions, feedback, handoffs);

  it('joins each turn with the last thumbs on its answer and the handoff that followed it', () => {
    expect(turns.find((entry) => entry.answerId === 'a1')).toMatchObject({ rating: 'up', final: 'answered', handedOff: false });
    expect(turns.find((entry) => entry.answerId === 'a2')).toMatchObject({ final: 'handed_off', outcome: 'refused', handedOff: true });
    expect(loneHandoffs).toEqual([{ at: '2026-03-03T09:00:00Z', channel: 'wechat', productLine: 'general', question: '转人工' }]);
  });

  it('counts questions per day by outcome, a lone request for a person included', () => {
    expect(outcomesPerDay(turns, loneHandoffs, range)).toEqual([
      { day: '2026-03-01', questions: 2, answered: 1, curated: 0, suggested: 0, refused: 0, handed_off: 1, thumbs_up: 1, thumbs_down: 0 },
      { day: '2026-03-02', questions: 3, answered: 1, curated: 1, suggested: 1, refused: 0, handed_off: 0, thumbs_up: 0, thumbs_down: 1 },
      { day: '2026-03-03', questions: 1, answered: 0, curated: 0, suggested: 0, refused: 0, handed_off: 1, thumbs_up: 0, thumbs_down: 0 },
    ]);
  });

  it('gives the answer rate and deflection (no handoff, no thumbs-down) per day, null without questions', () => {
    const rows = ratesPerDay(turns, loneHandoffs, { from: '2026-03-01', to: '2026-03-04' });
    expect(rows[0]).toEqual({ day: '2026-03-01', questions: 2, answered: 1, deflected: 1, answerRate: 0.5, deflection: 0.5 });
    // a3 curated and a5 answered count as answered; a5's thumbs-down keeps it from deflection.
    expect(rows[1]).toEqual({ day: '2026-03-02', questions: 3, answered: 2, deflected: 1, answerRate: 0.667, deflection: 0.333 });
    expect(rows[2]).toMatchObject({ questions: 1, answerRate: 0, deflection: 0 });
    expect(rows[3]).toMatchObject({ questions: 0, answerRate: null, deflection: null });
  });

  it('computes CSAT as the share of 4–5 star ratings, with the average', () => {
    const ratings = [
      item({ sessionId: 's1', stars: 5, at: '2026-03-01T10:00:00Z' }),
      item({ sessionId: 's2', stars: 2, at: '2026-03-01T11:00:00Z' }),
      item({ sessionId: 's3', stars: 4, at: '2026-03-02T11:00:00Z' }),
    ];
    expect(csatPerDay(ratings, { from: '2026-03-01', to: '2026-03-02' })).toEqual([
      { day: '2026-03-01', ratings: 2, satisfied: 1, averageStars: 3.5, csat: 0.5 },
      { day: '2026-03-02', ratings: 1, satisfied: 1, averageStars: 4, csat: 1 },
    ]);
  });

  it('ranks topics per product line with their questions per day and trend', () => {
    const member = (question: string, at: string) => ({ question, at });
    const rows = topicRows(
      [
        {
          productLine: 'watch',
          members: [member('swim?', '2026-03-01T01:00:00Z'), member('waterproof?', '2026-03-03T01:00:00Z'), member('swim?', '2026-03-03T02:00:00Z')],
          central: member('swim?', '2026-03-01T01:00:00Z'),
        },
        { productLine: 'watch', members: [member('battery?', '2026-03-01T01:00:00Z')], central: member('battery?', '2026-03-01T01:00:00Z') },
        { productLine: 'camera', members: [member('sd card?', '2026-03-02T01:00:00Z')], central: member('sd card?', '2026-03-02T01:00:00Z') },
      ],
      range,
      1,
    );
    expect(rows).toEqual([
      { productLine: 'camera', topic: 'sd card?', count: 1, questions: [], daily: [0, 1, 0], trend: 0 },
      { productLine: 'watch', topic: 'swim?', count: 3, questions: ['waterproof?'], daily: [1, 0, 2], trend: 1 },
    ]);
  });

  it('orders the gap backlog by impact: recent asks weigh more than old ones', () => {
    const now = Date.parse('2026-03-29T00:00:00Z');
    const signal = (id: string, at: string) => ({ id, question: id, productLine: 'watch', lang: 'en', at, kind: 'refused' as const });
    const old = [signal('old1', '2026-03-01T00:00:00Z'), signal('old2', '2026-03-01T00:00:00Z'), signal('old3', '2026-03-01T00:00:00Z')];
    const recent = [signal('new1', '2026-03-29T00:00:00Z'), signal('new2', '2026-03-28T00:00:00Z')];
    const rows = gapBacklog(
      [
        { productLine: 'watch', members: old, central: old[0] },
        { productLine: 'watch', members: recent, central: recent[0] },
      ],
      now,
    );
    expect(rows.map((row) => [row.example, row.count, row.impact])).toEqual([
      ['new1', 2, 1.95],
      ['old1', 3, 0.75],
    ]);
  });

  it('takes refused turns and thumbs-down answers as gap signals, once each', () => {
    const unanswered = [item({ answerId: 'x1', question: 'q1', productLine: 'watch', lang: 'en', at: '2026-03-01T00:00:00Z' })];
    const rated = [
      item({ answerId: 'x1', rating: 'down', question: 'q1', at: '2026-03-01T00:01:00Z' }),
      item({ answerId: 'x2', rating: 'down', question: 'q2', answeredAt: '2026-03-01T00:02:00Z' }),
      item({ answerId: 'x3', rating: 'up', question: 'q3' }),
    ];
    expect(gapSignals(unanswered, rated).map((signal) => [signal.question, signal.kind, signal.at])).toEqual([
      ['q1', 'refused', '2026-03-01T00:00:00Z'],
      ['q2', 'thumbs_down', '2026-03-01T00:02:00Z'],
    ]);
  });

  it('writes CSV that a spreadsheet reads: quoted fields, joined lists, no formulas', () => {
    expect(
      toCsv(
        [
          { a: 'x, "y"', b: ['p', 'q'], c: '=HYPERLINK()' },
          { a: -1, b: null, c: 0.5 },
        ],
        ['a', 'b', 'c'],
      ),
    ).toBe('a,b,c\r\n"x, ""y""",p | q,\'=HYPERLINK()\r\n-1,,0.5\r\n');
  });

  it('never lets a customer’s question that starts like a negative number run as a spreadsheet formula', () => {
    // "-1+…" is a formula to Excel and LibreOffice (the OWASP CSV-injection DDE payload), not a number.
    const csv = toCsv([{ q: "-1+1+cmd|' /C calc'!A0" }, { q: '-2.5' }, { q: '+1' }, { q: '-3 ' }], ['q']);
    expect(csv.split('\r\n').slice(1, 5)).toEqual(["'-1+1+cmd|' /C calc'!A0", '-2.5', "'+1", "'-3 "]);
  });
});

describe('the record of a turn', () => {
  it('names the outcome by mode: curated, suggested, refused, else answered', () => {
    expect([outcomeOf('curated', false), outcomeOf('suggest', false), outcomeOf('refusal', true), outcomeOf('generated', false), outcomeOf('clarify', false)]).toEqual([
      'curated',
      'suggested',
      'refused',
      'answered',
      'answered',
    ]);
  });

  it('keeps the cited sources, or the nearest retrieved ones when nothing was cited', () => {
    const base = { at: '2026-03-01T00:00:00Z', sessionId: 'session-1', turn: 1, channel: 'api', question: 'q', answer: 'a', lang: 'en' };
    const done = { answerId: 'id-1', mode: 'refusal', refused: true, productLine: 'watch', confidence: 0.1, citations: [] };
    const retrieved = [1, 2, 3, 4].map((n) => ({ docId: `d${n}`, title: `T${n}`, chunkId: `c${n}` }));
    expect(interactionEntry({ ...base, done, retrieved }).sources).toEqual(retrieved.slice(0, 3));
    const cited = interactionEntry({ ...base, done: { ...done, mode: 'curated', refused: false, citations: [{ docId: 'd9', title: 'T9', chunkId: 'c9' }], curated: { id: 'cur-1' } }, retrieved });
    expect(cited).toMatchObject({ outcome: 'curated', curatedId: 'cur-1', sources: [{ docId: 'd9', title: 'T9', chunkId: 'c9' }] });
  });
});

describe('conversation review', () => {
  const { turns } = joinTurns(interactions, feedback, handoffs);
  const ratings = [item({ sessionId: 's-two-222', stars: 2, at: '2026-03-02T10:05:00Z' })];

  it('lists conversations, newest first, filtered by line, outcome, rating, channel and date', () => {
    expect(conversationSummaries(turns, ratings, {}).map((summary) => summary.sessionId)).toEqual(['s-four-444', 's-three-33', 's-two-222', 's-one-111', 's-five-555']);
    expect(conversationSummaries(turns, ratings, { outcome: 'handed_off' }).map((summary) => summary.sessionId)).toEqual(['s-one-111']);
    expect(conversationSummaries(turns, ratings, { rating: 'down' }).map((summary) => summary.sessionId)).toEqual(['s-four-444']);
    expect(conversationSummaries(turns, ratings, { rating: '2', channel: 'wechat', productLine: 'camera' }).map((summary) => summary.sessionId)).toEqual(['s-two-222']);
    expect(conversationSummaries(turns, ratings, { range: { from: '2026-02-27', to: '2026-02-28' } }).map((summary) => summary.sessionId)).toEqual(['s-five-555']);
    expect(conversationSummaries(turns, ratings, { channel: 'email' })).toEqual([]);
  });

  it('reads a transcript in turn order with its corrections, and writes a correction in the contract shape', () => {
    const correction = correctionEntry(turns.find((entry) => entry.answerId === 'a2')!, { by: 'ops', expected: { docId: 'doc-b' }, note: 'warranty', at: '2026-03-05T00:00:00Z' });
    expect(correction).toMatchObject({
      by: 'ops',
      sessionId: 's-one-111',
      turn: 2,
      question: 'q',
      lang: 'en',
      productLine: 'watch',
      expected: { docId: 'doc-b' },
      wrong: { outcome: 'handed_off', sources: [] },
      note: 'warranty',
    });
    const read = transcript(turns, 's-one-111', [], [item({ ...correction })]);
    expect(read?.turns.map((entry) => [entry.turn, entry.corrections.length])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(transcript(turns, 'nobody-here', [], [])).toBeUndefined();
  });
});
