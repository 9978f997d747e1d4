/* Bit access to float and double without <string.h>: C99 allows reading a union member other
 * than the one last written (TC3, 6.5.2.3 footnote 82), and gcc documents it. Public so that
 * the engine's scalar vector fallback (stinylib/src/simd.h) uses the same helpers. */
#ifndef TINYLIBM_BITS_H
#define TINYLIBM_BITS_H

#include <stdint.h>

static inline uint32_t tlm_f32_bits(float f)
{
	union { float f; uint32_t u; } v;
	v.f = f;
	return v.u;
}

static inline float tlm_f32_from_bits(uint32_t u)
{
	union { float f; uint32_t u; } v;
	v.u = u;
	return v.f;
}

static inline double tlm_f64_from_bits(uint64_t u)
{
	union { double d; uint64_t u; } v;
	v.u = u;
	return v.d;
}

#define TLM_F32_INF 0x7f800000u  /* +inf */
#define TLM_F32_QNAN 0x7fc00000u /* the default quiet NaN */
#define TLM_F32_SIGN 0x80000000u
#define TLM_F32_ONE 0x3f800000u

/* Tests on the bits rather than x != x: OP-TEE builds TAs with -Wfloat-equal -Werror. */
static inline int tlm_f32_is_nan(float f)
{
	return (tlm_f32_bits(f) & ~TLM_F32_SIGN) > TLM_F32_INF;
}

#endif
