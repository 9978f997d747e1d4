/* log1pf: log(1 + x), evaluated in double and rounded once; accurate where 1 + x would round away
 * x (Softplus and Mish of large negative inputs).
 *
 * - |x| < 2^-6: the Taylor series x - x^2/2 + ... - x^10/10; the first omitted term is below
 *   2^-60 relative.
 * - otherwise u = 1 + x in double (exact for |x| < 2^29, one 2^-53 rounding above) and
 *   u = 2^e m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716,
 *   from its series up to s^23 (truncation below 2^-64 relative). m - 1 is exact (Sterbenz).
 * Error: at most 0.5 + 2^-20 ULP from the exact value; measured over all floats
 * (scripts/tinylibm-sweep): 0.50000 ULP; glibc 2.36's log1pf: 1.29328.
 * Special values: log1p(-1) = -inf, below -1 NaN, +inf gives +inf, -0 gives -0. */
#include <stdint.h>

#include "tinylibm.h"

#include "tinylibm_bits.h"

static uint64_t f64_bits(double d)
{
	union { double d; uint64_t u; } v;
	v.d = d;
	return v.u;
}

float tlm_log1pf(float x)
{
	const double ln2 = 0x1.62e42fefa39efp-1, sqrt2 = 0x1.6a09e667f3bcdp+0;
	const double d = x;
	uint64_t bits;
	double m, s, w, p;
	int e, k;

	if (tlm_f32_is_nan(x))
		return x + x; /* NaN: the same NaN back, quieted */
	if (d < -1.0)
		return tlm_f32_from_bits(TLM_F32_QNAN);
	if (!(d > -1.0))
		return -tlm_f32_from_bits(TLM_F32_INF);
	if (tlm_f32_bits(x) == TLM_F32_INF)
		return x;
	if (d > -0x1p-6 && d < 0x1p-6) {
		p = 0.0;
		for (k = 10; k >= 2; k--)
			p = (k % 2 ? 1.0 : -1.0) / k + d * p;
		return (float)(d * (1.0 + d * p)); /* d times a factor keeps the sign of -0 */
	}
	bits = f64_bits(1.0 + d);
	e = (int)(bits >> 52) - 1023; /* 1 + d is a positive normal double here */
	m = tlm_f64_from_bits((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
	if (m >= sqrt2) {
		m *= 0.5;
		e++;
	}
	s = (m - 1.0) / (m + 1.0);
	w = s * s;
	p = 0.0;
	for (k = 23; k >= 3; k -= 2)
		p = 1.0 / k + w * p;
	return (float)((double)e * ln2 + 2.0 * s * (1.0 + w * p));
}
