// The attacker of symlink-race.int.test.ts: a process with full control of a
// workspace folder that, in a loop, swaps folders and files for symlinks
// (relative and absolute targets) and FIFOs while the server works on them.
// Usage: node symlink-racer.mjs <config.json>; on SIGTERM prints {"swaps":N}.
// config: { slots: [{ path, kind: 'dir' | 'file', targets: [string | {fifo: path}] }] }
import fs from 'node:fs';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let swaps = 0;
let stopping = false;

const quiet = (fn) => { try { fn(); } catch { /* the server (or a restore) changed it meanwhile */ } };
const isDir = (p) => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

function swap(slot, target) {
  const p = slot.path;
  const real = `${p}.real`;
  quiet(() => fs.renameSync(p, real));
  quiet(() => (typeof target === 'string' ? fs.symlinkSync(target, p) : fs.linkSync(target.fifo, p)));
  // Leave the trap in place a random moment (from nothing to tens of microseconds), so windows
  // of every length in the server's code get hit.
  for (let i = Math.floor(Math.random() * (Math.random() < 0.5 ? 2_000 : 50_000)); i > 0; i--);
  quiet(() => fs.unlinkSync(p));
  quiet(() => fs.renameSync(real, p));
  // A restore or delete may have removed the real one: bring it back.
  if (slot.kind === 'dir' && !isDir(p) && !isDir(real)) {
    quiet(() => fs.unlinkSync(p));
    quiet(() => fs.mkdirSync(p));
  }
  if (slot.kind === 'file') quiet(() => fs.writeFileSync(p, 'benign file', { flag: 'wx' }));
  swaps++;
}

function burst() {
  for (let i = 0; i < 200 && !stopping; i++) {
    for (const slot of config.slots) swap(slot, slot.targets[(swaps + i) % slot.targets.length]);
  }
  if (!stopping) setImmediate(burst);
}

process.on('SIGTERM', () => {
  stopping = true;
  process.stdout.write(JSON.stringify({ swaps }), () => process.exit(0));
});
process.stdout.write('ready\n');
burst();
