import { describe, expect, it } from 'vitest';
import { formatBytes, formatOf } from './format-usage';

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
