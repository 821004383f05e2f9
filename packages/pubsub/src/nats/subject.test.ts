import { describe, expect, it } from 'vitest';
import { subjectOf } from './subject.js';

describe('subjectOf', () => {
  it.each([
    ['room:1', 'p.room:1'],
    ['a.b', 'p.a%2Eb'],
    ['x*>y', 'p.x%2A%3Ey'],
    ['with space', 'p.with%20space'],
    ['100%', 'p.100%25'],
  ])('%s → %s', (topic, subject) => {
    expect(subjectOf('p', topic)).toBe(subject);
  });

  it('keeps distinct topics distinct', () => {
    expect(subjectOf('p', 'a.b')).not.toBe(subjectOf('p', 'a%2Eb'));
  });
});
