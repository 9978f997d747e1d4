/* logf: natural logarithm.
 *
 * x = 2^e * m with m in [sqrt(1/2), sqrt(2)), so log(x) = e*ln2 + log(m). With s = (m-1)/(m+1)
 * (|s| <= 0.1716), log(m) = 2*atanh(s) = s*R(s^2), and R is a degree-4 minimax polynomial
 * (relative error 2^-37.8, fitted by tinylibm/tools/minimax.py). In double, m-1 and m+1 are
 * exact and the division adds 2^-53, so log(m) keeps its relative accuracy near m = 1 where
 * log(x) is tiny. For e != 0 the result is at least ln(2)/2 in magnitude, so the sum does not
 * cancel. Error: at most 0.5 + 2^-13 ULP from the exact value; measured over all floats
 * (scripts/tinylibm-sweep): 0.50006 ULP; glibc 2.36's logf: 0.81766. */
#include <stdint.h>

#include "tinylibm.h"

#include "tinylibm_bits.h"

float tlm_logf(float x)
{
	const double ln2 = 0x1.62e42fefa39efp-1;
	const double c0 = 0x1.0000000004a19p+1, c1 = 0x1.555554dad29adp-1, c2 = 0x1.999a9c8d36bc2p-2,
		     c3 = 0x1.2432c0f4eade3p-2, c4 = 0x1.e3af879b6cb82p-3;
	const uint32_t sqrt_half = 0x3f3504f3u; /* bits of sqrt(1/2) rounded down */
	uint32_t u = tlm_f32_bits(x);
	int e = 0;
	double m, s, w;

	if (tlm_f32_is_nan(x))
		return x + x; /* NaN: the same NaN back, quieted */
	if ((u & ~TLM_F32_SIGN) == 0)
		return -tlm_f32_from_bits(TLM_F32_INF); /* log(+-0) = -inf */
	if (u & TLM_F32_SIGN)
		return tlm_f32_from_bits(TLM_F32_QNAN); /* negative and -inf: NaN */
	if (u == TLM_F32_INF)
		return x;
	if (u < 0x00800000u) { /* subnormal: scale by 2^23 (exact) into the normal range */
		u = tlm_f32_bits(x * 0x1p23f);
		e = -23;
	}
	/* Offset the exponent field so that mantissas from sqrt(1/2) up count as the next binade,
	 * read e, then rebuild m from the mantissa bits in [sqrt(1/2), sqrt(2)). */
	u += TLM_F32_ONE - sqrt_half;
	e += (int)(u >> 23) - 127;
	u = (u & 0x007fffffu) + sqrt_half;

	m = tlm_f32_from_bits(u);
	s = (m - 1.0) / (m + 1.0);
	w = s * s;
	return (float)((double)e * ln2 + s * (c0 + w * (c1 + w * (c2 + w * (c3 + w * c4)))));
}
