/* erff: the error function, evaluated in double and rounded once.
 *
 * erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), the Taylor series, summed by Horner in
 * x^2 with as many terms as |x| needs for a truncation error below 2^-58 relative (13 terms up to
 * 0.5, 64 up to 4). The alternating terms grow to about 3e4 at |x| = 4 before they shrink, so
 * cancellation costs up to 2^-38 absolute there, where the result is within 2^-26 of 1: far
 * below half a float ULP. For |x| >= 4, 1 - erf|x| < 1.6e-8 < 2^-25 (half the float spacing below
 * 1), so the result is +-1. The coefficients are the series' exact values rounded to double.
 * Error: at most 0.5 + 2^-12 ULP from the exact value; measured over all floats
 * (scripts/tinylibm-sweep): 0.50018 ULP; glibc 2.36's erff: 0.96792. */
#include "tinylibm.h"

#include "tinylibm_bits.h"

static const double coef[64] = {
	0x1.20dd750429b6dp+0, -0x1.812746b0379e7p-2, 0x1.ce2f21a042be2p-4,
	-0x1.b82ce31288b51p-6, 0x1.565bcd0e6a53fp-8, -0x1.c02db40040b86p-11,
	0x1.f9a326f9b89b7p-14, -0x1.f4d25c3e0c2ebp-17, 0x1.b9e6c9dc651a3p-20,
	-0x1.5f742ec43e71ap-23, 0x1.fcc5720624c1cp-27, -0x1.51d7181c5d36dp-30,
	0x1.9e6ad5e55a730p-34, -0x1.d8453cb0c46eap-38, 0x1.f683ae4a97007p-42,
	-0x1.f56f071a885cfp-46, 0x1.d70b3537f4765p-50, -0x1.a2007af3447f6p-54,
	0x1.5f7919bc67b8cp-58, -0x1.18cc8a061c479p-62, 0x1.ab5cc31489f29p-67,
	-0x1.3676fc48c133cp-71, 0x1.af83c2fb19fa6p-76, -0x1.1f690c2b2753ap-80,
	0x1.6f928977a0028p-85, -0x1.c40abff27ce65p-90, 0x1.0baeaddb047b0p-94,
	-0x1.31b7776e54127p-99, 0x1.512193be51298p-104, -0x1.67657a57148a3p-109,
	0x1.72c97f9dd3b8dp-114, -0x1.7298e545013acp-119, 0x1.6731bac4d9ceap-124,
	-0x1.51e98b3b1916bp-129, 0x1.34d111e701528p-134, -0x1.1264ac150f151p-139,
	0x1.da7210371d95dp-145, -0x1.8f639dd720316p-150, 0x1.479786e3e5e92p-155,
	-0x1.05fd0bbdfc959p-160, 0x1.98d4d5028c0d7p-166, -0x1.37662752cf547p-171,
	0x1.cf590a2e0f10dp-177, -0x1.50e3e0ce7b515p-182, 0x1.df02a3457d653p-188,
	-0x1.4d24a7d0ce3d4p-193, 0x1.c5892686a9777p-199, -0x1.2e4a191adbb5bp-204,
	0x1.8abe02df55730p-210, -0x1.f92a784dac4f6p-216, 0x1.3ce771495cfd0p-221,
	-0x1.85f626e9d8b7dp-227, 0x1.d6cf89f0e1a40p-233, -0x1.16f321d52f9a8p-238,
	0x1.448a78f48ca16p-244, -0x1.72d7d814cc22fp-250, 0x1.a051c97a0eeb5p-256,
	-0x1.cb5122654fec5p-262, 0x1.f22b2e21fac94p-268, -0x1.09a6f11cbaf7dp-273,
	0x1.16adb7ae6e190p-279, -0x1.1fa13f82520a1p-285, 0x1.242860bf90d63p-291,
	-0x1.241f07b0fbd03p-297,
};

float tlm_erff(float x)
{
	const double d = x, a = d < 0 ? -d : d, d2 = d * d;
	double p = 0.0;
	int n;

	if (tlm_f32_is_nan(x))
		return x + x; /* NaN: the same NaN back, quieted */
	if (a >= 4.0)
		return x < 0 ? -1.0f : 1.0f;
	n = a < 0.5 ? 13 : a < 1.0 ? 19 : a < 2.0 ? 32 : a < 3.0 ? 49 : 64;
	while (n-- > 0)
		p = coef[n] + d2 * p;
	return (float)(d * p); /* d times an even series keeps the sign of -0 */
}
