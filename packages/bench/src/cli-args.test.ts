import { describe, expect, it } from 'vitest';
import { argValue, positiveIntArg } from './cli-args.js';

describe('bench command-line options', () => {
  const args = ['--full', '--base=HEAD~1', '--repeats=31', '--duration=0', '--rounds=2.5', '--pairs=a:b,c:d'];

  it('reads --name=value, the whole value after the first =', () => {
    expect(argValue(args, 'base')).toBe('HEAD~1');
    expect(argValue(args, 'pairs')).toBe('a:b,c:d');
    expect(argValue(['--x=a=b'], 'x')).toBe('a=b');
    expect(argValue(args, 'full')).toBeUndefined();
  });

  it('takes positive integers only', () => {
    expect(positiveIntArg(args, 'repeats')).toBe(31);
    expect(positiveIntArg(args, 'duration')).toBeUndefined();
    expect(positiveIntArg(args, 'rounds')).toBeUndefined();
    expect(positiveIntArg(args, 'blocks')).toBeUndefined();
  });
});
