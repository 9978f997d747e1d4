/* Tinylibm: the float math functions S-Tinylib needs inside an OP-TEE TA, where there is no libm.
 *
 * Each function rounds a double-precision evaluation once to float, so its error against the
 * exact value is at most 0.51 ULP (correct rounding would be 0.5); scripts/tinylibm-sweep checks
 * every float input against glibc. FMA contraction (-ffp-contract=fast) keeps these bounds.
 * Special values follow C99 Annex F: a NaN input comes back as the same quiet NaN, overflow
 * gives +inf, underflow rounds into the subnormals and then to +0, log of a negative is NaN.
 * The tlm_ prefix keeps them from clashing with a libm when built on the host. */
#ifndef TINYLIBM_H
#define TINYLIBM_H

float tlm_expf(float x);  /* e^x */
float tlm_logf(float x);  /* natural logarithm */
float tlm_tanhf(float x); /* hyperbolic tangent */
float tlm_erff(float x);  /* error function */
float tlm_log1pf(float x); /* log(1 + x) */
float tlm_sqrtf(float x); /* square root */

#endif
