/* expf: e^x as the float rounding of a double-precision kernel (exp_kernel.h).
 * Error: at most 0.5 + 2^-10 ULP from the exact value, so the result differs from the correctly
 * rounded one only where e^x lies within 2^-10 ULP of a rounding midpoint. Measured over all
 * floats (scripts/tinylibm-sweep): 0.50067 ULP; glibc 2.36's expf: 0.50164. */
#include "tinylibm.h"

#include "tinylibm_bits.h"
#include "exp_kernel.h"

float tlm_expf(float x)
{
	if (tlm_f32_is_nan(x))
		return x + x; /* NaN: the same NaN back, quieted */
	/* Past these bounds the float result is decided: e^89 > FLT_MAX rounds to +inf and
	 * e^-104 < 2^-150 (half the least subnormal) rounds to +0. This also takes the infinities.
	 * Inside them the kernel's double result is a normal double, and the conversion below
	 * rounds it correctly to +inf, to a subnormal or to 0. */
	if (x > 89.0f)
		return tlm_f32_from_bits(TLM_F32_INF);
	if (x < -104.0f)
		return 0.0f;
	return (float)tlm_exp_kernel(x);
}
