/* Vectorised float functions for the activations (act.c): e^x, sigmoid, tanh, SiLU and GELU on
 * stl_vf, in float arithmetic with FMA. Unlike tinylibm's scalar functions (one rounding of a
 * double evaluation, ≤ 0.51 ULP) these are a few ULP from the exact value; the bounds, measured
 * over every float input, are in tools/act_ulp.c, which checks them (scripts/tinylibm-sweep
 * --activations). Special values: NaN gives NaN, ±inf the limits, overflow +inf; results round
 * into the subnormals. The polynomials are fitted by tinylibm/tools/minimax.py. */
#ifndef STL_VMATH_H
#define STL_VMATH_H

#include "inline.h"
#include "simd.h"

/* e^x = (p · s1) · s2: p in [1/√2, √2], s1 and s2 powers of two. The scaling goes last, so a
 * caller can multiply p by something first and round into the subnormals only once. */
struct stl_vexp2 {
	stl_vf p, s1, s2;
};

/* q(r) = (e^r − 1)/r for |r| <= ln2/2: minimax, relative error 2^-26.5 */
static inline stl_vf stl_vexpm1_q(stl_vf r)
{
	stl_vf q = stl_vfma(stl_vdup(0x1.123cd6p-7f), r, stl_vdup(0x1.6c16a6p-10f));
	q = stl_vfma(stl_vdup(0x1.555652p-5f), r, q);
	q = stl_vfma(stl_vdup(0x1.55547ep-3f), r, q);
	q = stl_vfma(stl_vdup(0x1.fffffep-2f), r, q);
	return stl_vfma(stl_vdup(1.0f), r, q);
}

/* wide: any x (e^x may overflow or be subnormal); else the caller keeps x in [-87, 88], where
 * 2^n is one normal float (s2 = 1) and the clamp is not needed. */
STL_INLINE struct stl_vexp2 stl_vexp_parts(stl_vf x, const int wide)
{
	/* Past [-160, 90] e^x rounds to 0 or +inf anyway; the clamp keeps n in range (NaN passes). */
	if (wide)
		x = stl_vclamp(x, stl_vdup(-160.0f), stl_vdup(90.0f));
	/* x = n·ln2 + r, |r| <= ln2/2: ln2_hi has 13 significant bits, so n·ln2_hi is exact for
	 * |n| < 2^11 and x − n·ln2_hi is exact (Cody and Waite). */
	const stl_vf n = stl_vround(stl_vmul(x, stl_vdup(0x1.715476p+0f)));
	stl_vf r = stl_vfma(x, n, stl_vdup(-0x1.62ep-1f));
	r = stl_vfma(r, n, stl_vdup(-0x1.0bfbe8p-15f));
	const stl_vf p = stl_vfma(stl_vdup(1.0f), r, stl_vexpm1_q(r)); /* e^r = 1 + r·q(r) */
	if (!wide) {
		const struct stl_vexp2 e = {p, stl_vpow2i(n), stl_vdup(1.0f)};
		return e;
	}
	/* 2^n as 2^n1 · 2^n2, n1 = round(n/2): both in the normal range for n in [-231, 130] */
	const stl_vf n1 = stl_vround(stl_vmul(n, stl_vdup(0.5f)));
	const struct stl_vexp2 e = {p, stl_vpow2i(n1), stl_vpow2i(stl_vsub(n, n1))};
	return e;
}

/* Whether every lane of x is in (-lim, lim) (so none is NaN): where the functions below keep
 * their exponentials' 2^n one normal float, take stl_vexp_parts' short path and give the same
 * results as the wide one, which they take for a vector with any lane outside. */
static inline int stl_vall_within(stl_vf x, float lim)
{
	return stl_vall(stl_vlt(stl_vabs(x), stl_vdup(lim)));
}

STL_INLINE stl_vf vexp_body(stl_vf x, const int wide)
{
	const struct stl_vexp2 e = stl_vexp_parts(x, wide);
	return stl_vmul(stl_vmul(e.p, e.s1), e.s2);
}

static inline stl_vf stl_vexp(stl_vf x)
{
	return stl_vall_within(stl_vsub(x, stl_vdup(0.5f)), 87.5f) ? vexp_body(x, 0) : vexp_body(x, 1);
}

/* e^x for x <= 0 where a result below the normal range may be flushed: x is clamped to -87 (e^-87
 * is 1.6e-38), then the short path. For softmax, whose sums are >= 1. */
static inline stl_vf stl_vexp_nonpositive(stl_vf x)
{
	const struct stl_vexp2 e = stl_vexp_parts(stl_vmax(stl_vdup(-87.0f), x), 0); /* NaN passes */
	return stl_vmul(e.p, e.s1);
}

/* num / (1 + z) with z = e^−|x|: sigmoid (num 1 for x >= 0, z below) and SiLU (num x, or x·z) share
 * it. Below zero the numerator takes z's parts before their scaling, so that a result in the
 * subnormals is rounded once. */
STL_INLINE stl_vf vsigmoid_body(stl_vf x, const int wide)
{
	const stl_vm neg = stl_vlt(x, stl_vdup(0.0f));
	const struct stl_vexp2 e = stl_vexp_parts(stl_vsub(stl_vdup(0.0f), stl_vabs(x)), wide);
	const stl_vf ps = stl_vmul(e.p, e.s1), z = stl_vmul(ps, e.s2);
	return stl_vdiv(stl_vsel(neg, z, stl_vdup(1.0f)), stl_vfma(stl_vdup(1.0f), ps, e.s2));
}

static inline stl_vf stl_vsigmoid(stl_vf x)
{
	return stl_vall_within(x, 87.0f) ? vsigmoid_body(x, 0) : vsigmoid_body(x, 1);
}

STL_INLINE stl_vf vsilu_body(stl_vf x, const int wide)
{
	const stl_vm neg = stl_vlt(x, stl_vdup(0.0f));
	const struct stl_vexp2 e = stl_vexp_parts(stl_vsub(stl_vdup(0.0f), stl_vabs(x)), wide);
	/* x·z for x < 0, with x kept finite (−inf·0 would be NaN; the limit is −0) */
	const stl_vf xz = stl_vmul(stl_vmul(stl_vmul(stl_vmax(stl_vdup(-160.0f), x), e.p), e.s1), e.s2);
	return stl_vdiv(stl_vsel(neg, xz, x), stl_vfma(stl_vdup(1.0f), stl_vmul(e.p, e.s1), e.s2));
}

static inline stl_vf stl_vsilu(stl_vf x)
{
	return stl_vall_within(x, 87.0f) ? vsilu_body(x, 0) : vsilu_body(x, 1);
}

/* tanh|x| = −m/(2 + m) with m = e^−2|x| − 1 in (−1, 0]: no cancellation at either end. m comes
 * from the e^x kernel's parts, m = 2^n·r·q + (2^n − 1) in one FMA (2^n − 1 is exact), which keeps
 * its relative accuracy for small |x| (n = 0, m = r·q). Past |x| = 9.1, tanh rounds to 1, so |x|
 * is clamped there and 2^n is one normal float. The sign of x goes on last (tanh(−0) = −0). */
static inline stl_vf stl_vtanh(stl_vf x)
{
	const stl_vf y = stl_vmul(stl_vmin(stl_vdup(9.1f), stl_vabs(x)), stl_vdup(-2.0f));
	const stl_vf n = stl_vround(stl_vmul(y, stl_vdup(0x1.715476p+0f)));
	stl_vf r = stl_vfma(y, n, stl_vdup(-0x1.62ep-1f));
	r = stl_vfma(r, n, stl_vdup(-0x1.0bfbe8p-15f));
	const stl_vf s = stl_vpow2i(n);
	const stl_vf m = stl_vfma(stl_vsub(s, stl_vdup(1.0f)), s, stl_vmul(r, stl_vexpm1_q(r)));
	return stl_vcopysign(stl_vdiv(m, stl_vsub(stl_vdup(-2.0f), m)), x);
}

/* GELU, x·Φ(x) with Φ the standard normal CDF (ONNX Gelu, approximate "none").
 * |x| < 1: Φ = 1/2 + x/√2·E(x²/2)/2, E minimax for erf(z)/z (relative error 2^-30.4).
 * else: erfc(|x|/√2) = e^(−x²/2)·t·Q(t), t = 1/(1 + |x|/(2√2)), Q minimax (2^-27.3); x²/2 is split
 * into its rounding and the exact remainder (FMA), since an error in x²/2 is one in the result. For
 * x < 0, Φ = erfc/2, taken with e^(−x²/2) before its scaling (subnormal results round once); for
 * x >= 0, Φ = 1 − erfc/2. Beyond ±20, x·Φ(x) is x or −0: x is clamped there (NaN passes). */
STL_INLINE stl_vf vgelu_body(stl_vf x, const int wide)
{
	const stl_vf a = stl_vabs(x), xc = stl_vclamp(x, stl_vdup(-20.0f), stl_vdup(20.0f));
	const stl_vf w = stl_vmul(stl_vmul(xc, xc), stl_vdup(0.5f));
	stl_vf e = stl_vfma(stl_vdup(0x1.50948ap-8f), w, stl_vdup(-0x1.6b3758p-11f));
	e = stl_vfma(stl_vdup(-0x1.b7ce26p-6f), w, e);
	e = stl_vfma(stl_vdup(0x1.ce2c5cp-4f), w, e);
	e = stl_vfma(stl_vdup(-0x1.81274p-2f), w, e);
	e = stl_vfma(stl_vdup(0x1.20dd76p+0f), w, e);
	const stl_vf small = stl_vmul(x, stl_vfma(stl_vdup(0.5f), stl_vmul(x, stl_vdup(0x1.6a09e6p-2f)), e));

	const stl_vf lo = stl_vmul(stl_vfma(stl_vsub(stl_vdup(0.0f), stl_vmul(xc, xc)), xc, xc), stl_vdup(0.5f));
	const stl_vf t = stl_vdiv(stl_vdup(1.0f), stl_vfma(stl_vdup(1.0f), stl_vabs(xc), stl_vdup(0x1.6a09e6p-2f)));
	stl_vf q = stl_vfma(stl_vdup(0x1.10c0a4p-2f), t, stl_vdup(-0x1.af7674p-5f));
	q = stl_vfma(stl_vdup(-0x1.def9dep-2f), t, q);
	q = stl_vfma(stl_vdup(0x1.140eecp-2f), t, q);
	q = stl_vfma(stl_vdup(-0x1.b6de32p-6f), t, q);
	q = stl_vfma(stl_vdup(0x1.a254dep-3f), t, q);
	q = stl_vfma(stl_vdup(0x1.f0a4c8p-3f), t, q);
	q = stl_vfma(stl_vdup(0x1.213fcep-2f), t, q);
	q = stl_vfma(stl_vdup(0x1.20d9d2p-2f), t, q);
	/* erfc/2 before the scaling by e^(−w): t·Q·(1 − lo)/2, e^(−w − lo) ≈ e^(−w)·(1 − lo) */
	const stl_vf half = stl_vmul(stl_vmul(t, q), stl_vfma(stl_vdup(0.5f), lo, stl_vdup(-0.5f)));
	const struct stl_vexp2 ew = stl_vexp_parts(stl_vsub(stl_vdup(0.0f), w), wide);
	const stl_vf tail = stl_vmul(stl_vmul(half, ew.p), stl_vmul(ew.s1, ew.s2));
	const stl_vf pos = stl_vmul(x, stl_vsub(stl_vdup(1.0f), tail));
	const stl_vf neg = stl_vmul(stl_vmul(stl_vmul(stl_vmul(xc, half), ew.p), ew.s1), ew.s2);
	const stl_vf big = stl_vsel(stl_vlt(x, stl_vdup(0.0f)), neg, pos);
	return stl_vsel(stl_vlt(a, stl_vdup(1.0f)), small, big);
}

/* |x| < 13: x²/2 < 84.5, and x·Φ(x) stays normal */
static inline stl_vf stl_vgelu(stl_vf x)
{
	return stl_vall_within(x, 13.0f) ? vgelu_body(x, 0) : vgelu_body(x, 1);
}

#endif
