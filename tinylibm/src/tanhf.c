/* tanhf: hyperbolic tangent, evaluated in double and rounded once.
 *
 * - |x| < 2^-5: the Taylor series x - x^3/3 + 2x^5/15 - 17x^7/315; the first omitted term,
 *   62x^9/2835, is below 2^-45 relative.
 * - otherwise: tanh|x| = 1 - 2/(e^2|x| + 1) with the shared double kernel (exp_kernel.h). The
 *   kernel's 2^-34 relative error reaches the result amplified by at most 1/(2 tanh|x|) <= 2^4.
 * - |x| > 9.1: 1 - tanh|x| < 2^-25, half the float spacing below 1, so the result is +-1.
 * Error: at most 0.5 + 2^-6 ULP from the exact value; measured over all floats
 * (scripts/tinylibm-sweep): 0.50538 ULP. glibc 2.36's tanhf is up to 2.19 ULP off, so on 729718
 * inputs the two differ by 2 ULP, ours being the closer to the exact value. */
#include "tinylibm.h"

#include "tinylibm_bits.h"
#include "exp_kernel.h"

float tlm_tanhf(float x)
{
	double a = x < 0 ? -(double)x : (double)x;
	double t;

	if (tlm_f32_is_nan(x))
		return x + x; /* NaN: the same NaN back, quieted */
	if (a < 0x1p-5) {
		double d = x, d2 = d * d;
		/* d times an even factor keeps the sign of d, including that of -0 (d + d*... would
		 * give -0 + 0 = +0); rounding 1 + tiny in double costs only 2^-53. */
		return (float)(d * (1.0 + d2 * (-1.0 / 3 + d2 * (2.0 / 15 + d2 * (-17.0 / 315)))));
	}
	t = a > 9.1 ? 1.0 : 1.0 - 2.0 / (tlm_exp_kernel(2.0 * a) + 1.0);
	return (float)(x < 0 ? -t : t);
}
