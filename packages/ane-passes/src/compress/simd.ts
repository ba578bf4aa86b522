/**
 * WebAssembly SIMD kernels of fp16 linear quantization, eight elements per step, built from
 * bytes here (no toolchain, no file to load):
 *
 * - `x(ptr, n8)`: the largest magnitude (bits & 0x7fff) of 8 * n8 fp16 patterns at `ptr`, as
 *   eight u16 lane maxima stored at address 0 (the caller takes the largest);
 * - `c(in, out, n8, s, zp, qmin, qmax)`: the codes of 8 * n8 fp16 patterns at `in`, one byte
 *   each at `out`: `clip(round(w / s) + zp)` with numpy's arithmetic, exactly. The fp16 value
 *   becomes an fp32 (magnitude bits shifted into place, times 2^112, which also handles
 *   subnormals); `f32x4.div` gives numpy's fp32 quotient; it is rounded to fp16's 10 mantissa
 *   bits on its bits, ties to even (the fp32 quotient of two fp16 values never lands on an
 *   fp16 midpoint, so the tie rule never decides; quotients below fp16's normal range round to
 *   0 either way, those beyond it, bounded to +-65536, clip either way); `f32x4.nearest`
 *   rounds halves to even; the zero point and the clip follow in int32.
 *
 * Values must be finite (the caller checks with the maximum) and `s` positive.
 * @module
 */

/** Bytes of an unsigned LEB128 integer. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Core and SIMD (0xfd prefix) opcodes used below.
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const LOCAL_GET = (i: number): number[] => [0x20, i];
const LOCAL_SET = (i: number): number[] => [0x21, i];
const LOCAL_TEE = (i: number): number[] => [0x22, i];
const I32_CONST = (v: number): number[] => [0x41, v]; // small non-negative values only (< 64)
const MEMARG = [0, 0];
const V128_LOAD = [...simd(0x00), ...MEMARG];
const V128_STORE = [...simd(0x0b), ...MEMARG];
const I64_STORE = [0x37, ...MEMARG];
const splatI32 = (v: number): number[] => {
  const b: number[] = [];
  for (let k = 0; k < 4; k++) b.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  return [...simd(0x0c), ...b];
};
const splatI16 = (v: number): number[] => {
  const b: number[] = [];
  for (let k = 0; k < 8; k++) b.push(v & 255, (v >>> 8) & 255);
  return [...simd(0x0c), ...b];
};
const V128_AND = simd(0x4e);
const V128_OR = simd(0x50);
const I16X8_MAX_U = simd(0x99);
const I16X8_NARROW_I32X4_S = simd(0x85);
const I8X16_SHUFFLE_LOW_BYTES = [...simd(0x0d), 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14];
const I32X4_SPLAT = simd(0x11);
const F32X4_SPLAT = simd(0x13);
const I64X2_EXTRACT_LANE0 = [...simd(0x1d), 0];
const I32X4_EXTEND_LOW_I16X8_U = simd(0xa9);
const I32X4_EXTEND_HIGH_I16X8_U = simd(0xaa);
const I32X4_SHL = simd(0xab);
const I32X4_SHR_U = simd(0xad);
const I32X4_ADD = simd(0xae);
const I32X4_MIN_S = simd(0xb6);
const I32X4_MAX_S = simd(0xb8);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);
const F32X4_MIN = simd(0xe8);
const F32X4_MAX = simd(0xe9);
const F32X4_NEAREST = simd(0x6a);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR_IF = (d: number): number[] => [0x0d, d];
const I32_EQZ = [0x45];
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];

/** `p += k` for local p. */
const bump = (p: number, k: number): number[] => [...LOCAL_GET(p), ...I32_CONST(k), ...I32_ADD, ...LOCAL_SET(p)];
/** `--n; br_if (n != 0) 0` for local n. */
const countDown = (n: number): number[] => [...LOCAL_GET(n), ...I32_CONST(1), ...I32_SUB, ...LOCAL_TEE(n), ...BR_IF(0)];

/** x(ptr, n8): locals 0 ptr, 1 n8, 2 acc. */
function maxBody(): number[] {
  return [
    ...vec([[1, V128]]),
    ...BLOCK,
    ...LOCAL_GET(1), ...I32_EQZ, ...BR_IF(0),
    ...LOOP,
    ...LOCAL_GET(2), ...LOCAL_GET(0), ...V128_LOAD, ...splatI16(0x7fff), ...V128_AND, ...I16X8_MAX_U, ...LOCAL_SET(2),
    ...bump(0, 16),
    ...countDown(1),
    ...END,
    ...END,
    ...I32_CONST(0), ...LOCAL_GET(2), ...V128_STORE,
    ...END,
  ];
}

/** Four codes from the i32x4 of fp16 patterns on the stack (locals: 7 s, 8 zp, 9 qmin, 10 qmax, 13 scratch). */
function code4(): number[] {
  return [
    ...LOCAL_SET(13),
    // |w| as fp32: magnitude bits into the fp32 exponent/mantissa, times 2^112; then the sign.
    ...LOCAL_GET(13), ...splatI32(0x7fff), ...V128_AND, ...I32_CONST(13), ...I32X4_SHL,
    ...splatI32(0x77800000), ...F32X4_MUL,
    ...LOCAL_GET(13), ...splatI32(0x8000), ...V128_AND, ...I32_CONST(16), ...I32X4_SHL,
    ...V128_OR,
    ...LOCAL_GET(7), ...F32X4_DIV,
    // Quotients beyond fp16's range (infinite in numpy) clip either way; bounded, the int32
    // sum with the zero point cannot overflow.
    ...splatI32(0x47800000), ...F32X4_MIN, ...splatI32(0xc7800000), ...F32X4_MAX,
    ...LOCAL_SET(13),
    // Round the fp32 quotient to 10 mantissa bits, ties to even: b + 0xfff + bit13, low 13 bits cleared.
    ...LOCAL_GET(13),
    ...LOCAL_GET(13), ...I32_CONST(13), ...I32X4_SHR_U, ...splatI32(1), ...V128_AND,
    ...splatI32(0xfff), ...I32X4_ADD,
    ...I32X4_ADD,
    ...splatI32(0xffffe000), ...V128_AND,
    ...F32X4_NEAREST,
    ...I32X4_TRUNC_SAT_F32X4_S,
    ...LOCAL_GET(8), ...I32X4_ADD,
    ...LOCAL_GET(9), ...I32X4_MAX_S,
    ...LOCAL_GET(10), ...I32X4_MIN_S,
  ];
}

/** c(in, out, n8, s, zp, qmin, qmax): locals 7..10 splats, 11 input, 12 low codes, 13 scratch. */
function codesBody(): number[] {
  return [
    ...vec([[7, V128]]),
    ...LOCAL_GET(3), ...F32X4_SPLAT, ...LOCAL_SET(7),
    ...LOCAL_GET(4), ...I32X4_SPLAT, ...LOCAL_SET(8),
    ...LOCAL_GET(5), ...I32X4_SPLAT, ...LOCAL_SET(9),
    ...LOCAL_GET(6), ...I32X4_SPLAT, ...LOCAL_SET(10),
    ...BLOCK,
    ...LOCAL_GET(2), ...I32_EQZ, ...BR_IF(0),
    ...LOOP,
    ...LOCAL_GET(0), ...V128_LOAD, ...LOCAL_SET(11),
    ...LOCAL_GET(11), ...I32X4_EXTEND_LOW_I16X8_U, ...code4(), ...LOCAL_SET(12),
    ...LOCAL_GET(11), ...I32X4_EXTEND_HIGH_I16X8_U, ...code4(), ...LOCAL_SET(11),
    // The low byte of each code (two's complement for negative ones), eight bytes stored.
    ...LOCAL_GET(1),
    ...LOCAL_GET(12), ...LOCAL_GET(11), ...I16X8_NARROW_I32X4_S, ...LOCAL_TEE(11), ...LOCAL_GET(11), ...I8X16_SHUFFLE_LOW_BYTES,
    ...I64X2_EXTRACT_LANE0, ...I64_STORE,
    ...bump(0, 16),
    ...bump(1, 8),
    ...countDown(2),
    ...END,
    ...END,
    ...END,
  ];
}

function moduleBytes(): Uint8Array {
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const body = (b: number[]): number[] => [...uleb(b.length), ...b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([
      [0x60, ...vec([[I32], [I32]]), 0],
      [0x60, ...vec([[I32], [I32], [I32], [F32], [I32], [I32], [I32]]), 0],
    ])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([
      [...name('m'), 0x02, 0],
      [...name('x'), 0x00, 0],
      [...name('c'), 0x00, 1],
    ])),
    ...section(10, vec([body(maxBody()), body(codesBody())])),
  ]);
}

/** The parts of the WebAssembly API used here (the compiler's libraries here do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The kernels of one thread, on their own memory. */
export class SimdKernels {
  private readonly memory: WasmMemory;
  private readonly maxFn: (ptr: number, n8: number) => void;
  private readonly codesFn: (src: number, dst: number, n8: number, s: number, zp: number, qmin: number, qmax: number) => void;
  private u8: Uint8Array;
  private u16: Uint16Array;

  constructor(api: WasmApi, module: WasmModule) {
    const inst = new api.Instance(module, {});
    const ex = inst.exports as { m: WasmMemory; x: (ptr: number, n8: number) => void; c: (src: number, dst: number, n8: number, s: number, zp: number, qmin: number, qmax: number) => void };
    this.memory = ex.m;
    this.maxFn = ex.x;
    this.codesFn = ex.c;
    this.u8 = new Uint8Array(this.memory.buffer);
    this.u16 = new Uint16Array(this.memory.buffer);
  }

  /** Grows the memory to at least `bytes` (views are remade: growing detaches the old buffer). */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (have >= bytes) return;
    this.memory.grow(Math.ceil((bytes - have) / 65536));
    this.u8 = new Uint8Array(this.memory.buffer);
    this.u16 = new Uint16Array(this.memory.buffer);
  }

  /** Bytes of the memory (after {@link reserve}). */
  get bytes(): Uint8Array {
    return this.u8;
  }

  /** 16-bit view of the memory (after {@link reserve}). */
  get halves(): Uint16Array {
    return this.u16;
  }

  /** Largest magnitude bits of the 8 * n8 patterns at byte offset `ptr` (>= 16, even). */
  maxMagnitude(ptr: number, n8: number): number {
    this.maxFn(ptr, n8);
    const u = this.u16;
    let m = 0;
    for (let k = 0; k < 8; k++) m = u[k]! > m ? u[k]! : m;
    return m;
  }

  /** Codes of the 8 * n8 patterns at byte offset `src` into bytes at `dst`. */
  codes(src: number, dst: number, n8: number, s: number, zp: number, qmin: number, qmax: number): void {
    this.codesFn(src, dst, n8, s, zp, qmin, qmax);
  }
}

let compiled: WasmModule | null | undefined;
let kernels: SimdKernels | null | undefined;

/** This thread's kernels, or undefined where WebAssembly SIMD is unavailable (the plain loops run then). */
export function simdKernels(): SimdKernels | undefined {
  if (kernels === undefined) {
    if (compiled === undefined) {
      const bytes = moduleBytes();
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    }
    kernels = compiled && wasm ? new SimdKernels(wasm, compiled) : null;
  }
  return kernels ?? undefined;
}
