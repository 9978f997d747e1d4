/* sqrtf: the square root, correctly rounded (IEEE 754 requires it of the hardware instruction).
 *
 * On aarch64 and x86-64 it is the FPU's instruction, written as inline assembly because a call to
 * __builtin_sqrtf may still branch to libm's sqrtf for errno on negative inputs, and the TA has no
 * libm. Elsewhere: Newton's iteration in double from an exponent-halving first guess; five steps
 * take the 1-bit guess past double precision, and the double result rounds to the correctly
 * rounded float (53 >= 2*24 + 2, so the double rounding is innocuous). Special values: NaN comes
 * back quieted, sqrt(-0) = -0, negatives give NaN, +inf gives +inf. */
#include <stdint.h>

#include "tinylibm.h"

#include "tinylibm_bits.h"

float tlm_sqrtf(float x)
{
#if defined(__aarch64__)
	float r;
	__asm__("fsqrt %s0, %s1" : "=w"(r) : "w"(x));
	return r;
#elif defined(__x86_64__)
	float r;
	__asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
	return r;
#else
	uint32_t u = tlm_f32_bits(x);
	double d = x, y;
	int i;

	if (tlm_f32_is_nan(x))
		return x + x;
	if ((u & ~TLM_F32_SIGN) == 0 || u == TLM_F32_INF)
		return x;
	if (u & TLM_F32_SIGN)
		return tlm_f32_from_bits(TLM_F32_QNAN);
	y = tlm_f32_from_bits(((u >> 1) + 0x1fc00000u) & 0x7fffffffu); /* about sqrt(x), for normal x */
	if (u < 0x00800000u)
		y = 0x1p-70;
	for (i = 0; i < 8; i++)
		y = 0.5 * (y + d / y);
	return (float)y;
#endif
}
