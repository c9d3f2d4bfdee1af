import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatOf, formatUsd } from './units';

describe('usage formatting', () => {
  it('uses short binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(36 * 1024)).toBe('36 KB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GB');
    expect(formatBytes(115_515_392)).toBe('110 MB');
  });
  it('shows a limit when there is one', () => {
    expect(formatOf(1024, 2048)).toBe('1.0 KB / 2.0 KB');
    expect(formatOf(13, 512, String)).toBe('13 / 512');
    expect(formatOf(13, null, String)).toBe('13');
  });
});

describe('money', () => {
  it('never shows $0.0000 and never hides a tiny cost', () => {
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.00004)).toBe('< $0.01');
    expect(formatUsd(0.0099)).toBe('< $0.01');
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(1.234)).toBe('$1.23');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(-2)).toBe('-$2.00');
    expect(formatUsd(Number.NaN)).toBe('—');
  });
});

describe('durations', () => {
  it('picks the unit people read', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(450.4)).toBe('450 ms');
    expect(formatDuration(1200)).toBe('1.2 s');
    expect(formatDuration(9_960)).toBe('10.0 s');
    expect(formatDuration(87_551)).toBe('88 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(600_000)).toBe('10 min');
    expect(formatDuration(7_440_000)).toBe('2 h 4 min');
    expect(formatDuration(-1)).toBe('—');
  });
});
