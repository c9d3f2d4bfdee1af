/** Short human units for the workspace usage line: `1.5 GB`, `37%`, `0.7 s`. */

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
