import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mentionTokens, parseMentions, type Mentionable } from '../../src/modules/rooms/mentions.js';

const members: Mentionable[] = [
  { agentId: 'a', name: 'alpha' },
  { agentId: 'b', name: 'beta.bot' },
  { agentId: 'c', name: 'gamma-2' },
];
const names = (body: string) => parseMentions(body, members).mentioned.map((m) => m.name);

describe('mention parsing', () => {
  it('finds @name at the start, after whitespace and after punctuation, each member once', () => {
    expect(names('@alpha please look')).toEqual(['alpha']);
    expect(names('cc @beta.bot, (@gamma-2) and @alpha @alpha')).toEqual(['beta.bot', 'gamma-2', 'alpha']);
    expect(names('done.@alpha')).toEqual(['alpha']);
    expect(names('@ALPHA shouts')).toEqual(['alpha']);
  });

  it('does not take an email address, a URL path or code for a mention', () => {
    expect(parseMentions('write to me@example.com or https://host/@someone', members)).toEqual({
      mentioned: [],
      room: false,
      unknown: [],
    });
    expect(parseMentions('use `@Override` and\n```\nimport x from "@types/node"\n```\n', members).unknown).toEqual([]);
  });

  it('drops the punctuation that ends a sentence after a name', () => {
    expect(names('thanks @alpha.')).toEqual(['alpha']);
    expect(names('is it you, @gamma-2?')).toEqual(['gamma-2']);
  });

  it('reads @room as everyone and lists names that are no member as unknown', () => {
    expect(parseMentions('@room standup', members)).toEqual({ mentioned: [], room: true, unknown: [] });
    expect(parseMentions('@alpha and @nobody and @ghost.', members)).toEqual({
      mentioned: [members[0]],
      room: false,
      unknown: ['nobody', 'ghost'],
    });
  });

  it('finds nothing without an @', () => {
    expect(mentionTokens('no mentions here')).toEqual([]);
  });

  it('never makes a recipient of a name that is not a member (property)', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 5 }),
        fc.array(
          fc.oneof(
            name.map((n) => `@${n}`),
            fc.string(),
            fc.constantFrom(' ', ',', '.', '@', '`', '\n'),
          ),
          {
            maxLength: 30,
          },
        ),
        (memberNames, parts) => {
          const roster = memberNames.map((n, i) => ({ agentId: `id-${i}`, name: n }));
          const parsed = parseMentions(parts.join(''), roster);
          const known = new Set(memberNames);
          for (const m of parsed.mentioned) expect(known.has(m.name)).toBe(true);
          for (const u of parsed.unknown) expect(known.has(u)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
