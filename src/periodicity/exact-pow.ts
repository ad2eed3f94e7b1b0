/**
 * Correctly rounded x^y in double precision, by BigInt fixed-point arithmetic (300 bits). V8's Math.pow
 * is up to one ulp off the correctly rounded result that glibc's pow returns for the arguments relbot
 * uses, and relbot's peak test compares sums of these weights for equality, so compatibility needs the
 * same last bit. Slow (tens of microseconds a call): for precomputing a few weights, not for inner loops.
 */

const P = 300n;
const ONE = 1n << P;

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/** A finite positive double as odd mantissa and exponent: x = m * 2^e. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  let m = exp === 0 ? frac : frac | (1n << 52n);
  let e = (exp === 0 ? 1 : exp) - 1075;
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e++;
  }
  return { m, e };
}

/** atanh(z) for a fixed-point z (scale 2^P), |z| <= 1/3. */
function atanhFixed(z: bigint): bigint {
  const z2 = (z * z) >> P;
  let term = z;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = (term * z2) >> P;
  }
  return sum;
}

const LN2 = 2n * atanhFixed(ONE / 3n);

/** ln(m * 2^e) in fixed point, m > 0. */
function lnFixed(m: bigint, e: number): bigint {
  const b = bitLength(m);
  const h = 1n << BigInt(b - 1); // m / h in [1, 2)
  const z = ((m - h) << P) / (m + h);
  return 2n * atanhFixed(z) + BigInt(e + b - 1) * LN2;
}

/** exp(t) for fixed-point t as { mantissa, binary exponent }: value = mant * 2^(exp - P). */
function expFixed(t: bigint): { mant: bigint; exp: bigint } {
  let n = t / LN2;
  let s = t - n * LN2;
  if (s < 0n) {
    s += LN2;
    n -= 1n;
  }
  let term = ONE;
  let sum = 0n;
  for (let k = 1n; term !== 0n; k++) {
    sum += term;
    term = (term * s) / (k << P);
  }
  return { mant: sum, exp: n };
}

/**
 * mant * 2^(exp - P) rounded to the nearest double (ties to even); normal results only. `other` picks the
 * other neighbour instead (the one a libm that is not correctly rounded returns near a halfway point).
 */
function toDouble(mant: bigint, exp: bigint, other = false): number {
  const bits = bitLength(mant);
  const shift = bits - 53;
  let m: bigint;
  if (shift > 0) {
    const s = BigInt(shift);
    m = mant >> s;
    const rem = mant & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    const up = rem > half || (rem === half && (m & 1n) === 1n);
    if (up !== other) m += 1n;
  } else {
    m = mant << BigInt(-shift);
  }
  const e = Number(exp - P) + shift;
  // two steps keep 2^e finite for the exponents a weight can have
  return Number(m) * 2 ** Math.trunc(e / 2) * 2 ** (e - Math.trunc(e / 2));
}

/**
 * x^y correctly rounded, for finite x >= 0 and finite y > 0 (what relbot's weights need); with
 * `otherNeighbour` the other double next to the exact value (see toDouble).
 */
export function exactPow(x: number, y: number, otherNeighbour = false): number {
  if (!(x >= 0) || !Number.isFinite(x) || !(y > 0) || !Number.isFinite(y))
    throw new RangeError("exactPow: x >= 0 and y > 0, both finite");
  if (x === 0) return 0;
  if (x === 1) return 1;
  const a = decompose(x);
  const b = decompose(y);
  let t = lnFixed(a.m, a.e) * b.m;
  t = b.e >= 0 ? t << BigInt(b.e) : t >> BigInt(-b.e);
  const r = expFixed(t);
  return toDouble(r.mant, r.exp, otherNeighbour);
}
