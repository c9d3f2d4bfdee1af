/**
 * The one place numbers become words for people: money (`< $0.01`, `$1.23`), durations
 * (`1.2 s`, `87 s`, `3 min 5 s`), bytes (`1.5 GB`). Pages never call toFixed themselves.
 */

/** US dollars with the precision people read: `$0`, `< $0.01`, `$0.42`, `$1,234.50`. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  if (abs < 0.01) return `${sign === '-' ? '> -' : '< '}$0.01`;
  return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A duration in the unit people read: `450 ms`, `1.2 s`, `87 s`, `3 min 5 s`, `2 h 4 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  const totalS = Math.round(s);
  if (totalS < 3600) {
    const rest = totalS % 60;
    return rest ? `${Math.floor(totalS / 60)} min ${rest} s` : `${totalS / 60} min`;
  }
  const minutes = Math.round(totalS / 60);
  const rest = minutes % 60;
  return rest ? `${Math.floor(minutes / 60)} h ${rest} min` : `${minutes / 60} h`;
}

/** Bytes in binary units with one decimal where it helps: 512 B, 36 KB, 115 MB, 1.5 GB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** `used / limit`, or just `used` when there is no limit. */
export function formatOf(used: number, limit: number | null, format: (n: number) => string = formatBytes): string {
  return limit === null ? format(used) : `${format(used)} / ${format(limit)}`;
}
