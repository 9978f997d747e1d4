/* e^x in double precision, shared by tlm_expf and tlm_tanhf.
 *
 * Range reduction: x = k*ln2 + r with k = round(x/ln2) and |r| <= ln2/2, so e^x = 2^k * e^r.
 * Done in double, a single ln2 constant is enough (no Cody-Waite split): for |x| <= 110 the
 * error of r is below 2^-45 relative to the result, far under what float needs. e^r comes
 * from a degree-7 minimax polynomial (relative error 2^-34.5, fitted by
 * tinylibm/tools/minimax.py), and 2^k is built in the exponent field, so the kernel's relative
 * error is below 2^-34: after the caller's single rounding to float, at most 0.5 + 2^-10 ULP.
 *
 * Valid for |x| <= 700 (2^k must stay a normal double); callers clamp well inside that. */
#ifndef TINYLIBM_EXP_KERNEL_H
#define TINYLIBM_EXP_KERNEL_H

#include <stdint.h>

#include "tinylibm_bits.h"

static inline double tlm_exp_kernel(double x)
{
	const double inv_ln2 = 0x1.71547652b82fep+0;
	const double ln2 = 0x1.62e42fefa39efp-1;
	/* Minimax for e^r on [-ln2/2, ln2/2]; cj multiplies r^j. */
	const double c0 = 0x1.ffffffffabbcep-1, c1 = 0x1.000000010b49bp+0, c2 = 0x1.00000059cbc0dp-1,
		     c3 = 0x1.5555534402b20p-3, c4 = 0x1.555468719d611p-5, c5 = 0x1.1112fa2c15f49p-7,
		     c6 = 0x1.6da4ac7cc9b6ep-10, c7 = 0x1.9eb724676c7b5p-13;
	double z = x * inv_ln2;
	int k = (int)(z < 0 ? z - 0.5 : z + 0.5); /* round to nearest; C casts truncate */
	double r = x - (double)k * ln2;
	/* Estrin's scheme: four independent pairs, then two levels, instead of a chain of seven
	 * dependent multiply-adds; this is the hot path of softmax and sigmoid. */
	double r2 = r * r;
	double p01 = c0 + c1 * r, p23 = c2 + c3 * r, p45 = c4 + c5 * r, p67 = c6 + c7 * r;
	double p = (p01 + p23 * r2) + (p45 + p67 * r2) * (r2 * r2);
	return p * tlm_f64_from_bits((uint64_t)(k + 1023) << 52);
}

#endif
