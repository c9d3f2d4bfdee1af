import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Looks for what must never leave its place in what a workspace's tenant got
 * back (for symlink-race.int.test.ts): foreign bytes (secrets, the database,
 * another tenant's file) and foreign names (entries that exist only outside
 * the workspace). Each method answers what it found; empty means no escape.
 */
export class EscapeProbe {
  constructor(private readonly markers: Buffer[], private readonly foreignNames: Set<string>) {}

  /** Foreign byte sequences in `buf` (shown by their first characters). */
  markersIn(buf: Buffer): string[] {
    return this.markers.filter((m) => buf.includes(m)).map((m) => m.toString('latin1').slice(0, 16));
  }

  /** Foreign names among a path's segments. */
  foreignIn(p: string): string[] {
    return p.split('/').filter((s) => this.foreignNames.has(s));
  }

  /** A tar.gz's entry names and file contents (a link's target text is the workspace's own and not checked). */
  async inTarGz(buf: Buffer): Promise<string[]> {
    const found: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      found.push(...this.foreignIn(header.name));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => { found.push(...this.markersIn(Buffer.concat(chunks))); next(); });
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      Readable.from([gunzipSync(buf)]).pipe(extract);
    });
    return found;
  }

  /** A zip's entry names and (inflated) contents. */
  async inZip(buf: Buffer): Promise<string[]> {
    const yauzl = (await import('yauzl')).default;
    return new Promise((resolve, reject) => {
      const found: string[] = [];
      yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
        if (err || !zip) return reject(err);
        zip.on('entry', (e: { fileName: string }) => {
          found.push(...this.foreignIn(e.fileName));
          if (e.fileName.endsWith('/')) return zip.readEntry();
          zip.openReadStream(e as never, (err2, s) => {
            if (err2 || !s) return reject(err2);
            const chunks: Buffer[] = [];
            s.on('data', (c: Buffer) => chunks.push(c));
            s.on('end', () => { found.push(...this.markersIn(Buffer.concat(chunks))); zip.readEntry(); });
          });
        });
        zip.on('end', () => resolve(found));
        zip.readEntry();
      });
    });
  }

  /** A directory tree on disk (a fork): names and file bytes, symlinks read as text and never followed. */
  inTree(dir: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const name of fs.readdirSync(d)) {
        const full = path.join(d, name);
        const st = fs.lstatSync(full);
        found.push(...this.foreignIn(name));
        if (st.isDirectory()) walk(full);
        else if (st.isFile()) found.push(...this.markersIn(fs.readFileSync(full)));
      }
    };
    walk(dir);
    return found;
  }

  /** Every blob below `dir`: file contents must carry no foreign bytes, snapshot manifests no foreign path. */
  inBlobs(dir: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) { walk(full); continue; }
        const data = fs.readFileSync(full);
        found.push(...this.markersIn(data));
        if (data[0] !== 0x1f || data[1] !== 0x8b) continue;
        try {
          const m = JSON.parse(gunzipSync(data).toString('utf8')) as { entries: { path: string }[] };
          for (const entry of m.entries) found.push(...this.foreignIn(entry.path));
        } catch { /* a gzipped workspace file, not a manifest: its bytes were checked above */ }
      }
    };
    walk(dir);
    return found;
  }
}
