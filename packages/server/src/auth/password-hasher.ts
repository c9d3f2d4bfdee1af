import os from 'node:os';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id at OWASP's first recommended setting: m=19456 KiB, t=2, p=1.
 * @node-rs/argon2 runs on libuv's thread pool, so hashing never blocks the event loop.
 */
export const ARGON2_PARAMS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, which isolated modules cannot import)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Off the event loop is not enough: four pool threads hashing at once would take
 * every core of a small machine and starve request handling. At most cores - 1
 * hashes run at a time, so one core always serves other requests; the rest queue.
 */
const MAX_CONCURRENT_HASHES = Math.max(1, os.availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export const hashPassword = (password: string): Promise<string> => limited(() => hash(password, ARGON2_PARAMS));

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await limited(() => verify(storedHash, password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification when no user matches, so an
 * unknown email and a wrong password cannot be told apart by timing.
 */
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('coditect-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
