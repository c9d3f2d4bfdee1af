/**
 * A tiny assembler for classic BPF as the kernel's seccomp filter reads it: `struct sock_filter`
 * = { u16 code, u8 jt, u8 jf, u32 k }, little-endian on the machines we run (x86_64, aarch64).
 * Jumps name labels; they are resolved to the forward offsets BPF requires (at most 255).
 */

// Opcodes (linux/filter.h, linux/bpf_common.h).
const BPF_LD = 0x00;
const BPF_W = 0x00;
const BPF_ABS = 0x20;
const BPF_ALU = 0x04;
const BPF_AND = 0x50;
const BPF_JMP = 0x05;
const BPF_JA = 0x00;
const BPF_JEQ = 0x10;
const BPF_JGE = 0x30;
const BPF_JSET = 0x40;
const BPF_K = 0x00;
const BPF_RET = 0x06;

/** Offsets into `struct seccomp_data`: nr (u32), arch (u32), instruction_pointer (u64), args[6] (u64). */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  /** Low 32 bits of argument i (little-endian). */
  argLow: (i: number) => 16 + 8 * i,
  /** High 32 bits of argument i (little-endian). */
  argHigh: (i: number) => 16 + 8 * i + 4,
} as const;

/** Filter return values (linux/seccomp.h). */
export const SECCOMP_RET = {
  killProcess: 0x80000000,
  allow: 0x7fff0000,
  errno: (errno: number) => 0x00050000 | (errno & 0xffff),
} as const;

/** Where a conditional jump goes: a label, or the next instruction. */
export type Target = string | 'next';

type Insn =
  | { kind: 'plain'; code: number; k: number }
  | { kind: 'jump'; code: number; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; to: string }
  | { kind: 'label'; name: string };

/** Builds a BPF program; `assemble()` returns the bytes for `bwrap --seccomp FD`. */
export class BpfProgram {
  private readonly insns: Insn[] = [];

  /** A = the 32-bit word at `offset` of seccomp_data. */
  load(offset: number): this {
    this.insns.push({ kind: 'plain', code: BPF_LD | BPF_W | BPF_ABS, k: offset });
    return this;
  }

  /** A &= k. */
  and(k: number): this {
    this.insns.push({ kind: 'plain', code: BPF_ALU | BPF_AND | BPF_K, k });
    return this;
  }

  /** if (A == k) goto jt else goto jf. */
  jeq(k: number, jt: Target, jf: Target = 'next'): this {
    this.insns.push({ kind: 'jump', code: BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf });
    return this;
  }

  /** if (A >= k) goto jt else goto jf (unsigned). */
  jge(k: number, jt: Target, jf: Target = 'next'): this {
    this.insns.push({ kind: 'jump', code: BPF_JMP | BPF_JGE | BPF_K, k, jt, jf });
    return this;
  }

  /** if (A & k) goto jt else goto jf. */
  jset(k: number, jt: Target, jf: Target = 'next'): this {
    this.insns.push({ kind: 'jump', code: BPF_JMP | BPF_JSET | BPF_K, k, jt, jf });
    return this;
  }

  /** goto label (32-bit offset: no 255 limit). */
  goto(label: string): this {
    this.insns.push({ kind: 'ja', to: label });
    return this;
  }

  /** return k (a SECCOMP_RET value). */
  ret(k: number): this {
    this.insns.push({ kind: 'plain', code: BPF_RET | BPF_K, k });
    return this;
  }

  /** Names the next instruction. */
  label(name: string): this {
    this.insns.push({ kind: 'label', name });
    return this;
  }

  /** Resolves labels and encodes the program (8 bytes per instruction). */
  assemble(): Buffer {
    const at = new Map<string, number>();
    const real: Exclude<Insn, { kind: 'label' }>[] = [];
    for (const insn of this.insns) {
      if (insn.kind === 'label') {
        if (at.has(insn.name)) throw new Error(`BPF label defined twice: ${insn.name}`);
        at.set(insn.name, real.length);
      } else {
        real.push(insn);
      }
    }
    if (real.length === 0 || real.length > 4096) throw new Error(`BPF program of ${real.length} instructions`);
    const offset = (pc: number, target: Target, max: number): number => {
      if (target === 'next') return 0;
      const dest = at.get(target);
      if (dest === undefined) throw new Error(`BPF label not defined: ${target}`);
      const off = dest - pc - 1;
      if (off < 0 || off > max) throw new Error(`BPF jump to ${target} out of range (${off})`);
      return off;
    };
    const buf = Buffer.alloc(real.length * 8);
    real.forEach((insn, pc) => {
      let code: number;
      let jt = 0;
      let jf = 0;
      let k: number;
      if (insn.kind === 'plain') {
        code = insn.code;
        k = insn.k;
      } else if (insn.kind === 'jump') {
        code = insn.code;
        k = insn.k;
        jt = offset(pc, insn.jt, 255);
        jf = offset(pc, insn.jf, 255);
      } else {
        code = BPF_JMP | BPF_JA;
        k = offset(pc, insn.to, 0xffffffff);
      }
      buf.writeUInt16LE(code, pc * 8);
      buf.writeUInt8(jt, pc * 8 + 2);
      buf.writeUInt8(jf, pc * 8 + 3);
      buf.writeUInt32LE(k >>> 0, pc * 8 + 4);
    });
    return buf;
  }
}
