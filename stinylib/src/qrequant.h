/* Requantisation of int32 accumulators in vectors, byte for byte stl_qround's (quant.h): convert,
 * multiply, clamp to [qmin − zp, qmax − zp], round half to even (CVTPS2DQ under the default
 * rounding mode, FCVTNS), add the zero point, pack (the values are in range: no saturation).
 * Used by the int8 kernels that accumulate into memory (depthwise, the general convolution). */
#ifndef STL_QREQUANT_H
#define STL_QREQUANT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

/* LD1 of four int32 lanes (strict alignment: see simd.h), ST1 of eight bytes. */
static inline int32x4_t stl_qr_ld4(const int32_t *p)
{
	int32x4_t v;
	__asm__("ld1 {%0.4s}, [%1]" : "=w"(v) : "r"(p), "m"(*(const int32_t(*)[4])p));
	return v;
}

static inline void stl_qr_st8(uint8_t *p, uint8x8_t v)
{
	__asm__("st1 {%1.8b}, [%2]" : "=m"(*(uint8_t(*)[8])p) : "w"(v), "r"(p));
}

/* The output's clamp (relative to its zero point) and zero point, for stl_qr_requant8. */
struct stl_qr_out {
	float32x4_t lo, hi;
	int32x4_t zp;
};

static inline struct stl_qr_out stl_qr_out(const struct stl_qparams *q)
{
	return (struct stl_qr_out){vdupq_n_f32((float)(q->qmin - q->zp)), vdupq_n_f32((float)(q->qmax - q->zp)),
				   vdupq_n_s32(q->zp)};
}

/* Eight accumulators times mult, requantised (saturated to int16: the caller narrows to bytes). */
static inline int16x8_t stl_qr_requant8(int32x4_t a, int32x4_t b, float mult, const struct stl_qr_out *o)
{
	int32x4_t v[2] = {a, b};
	for (int j = 0; j < 2; j++) {
		const float32x4_t f = vminq_f32(vmaxq_f32(vmulq_n_f32(vcvtq_f32_s32(v[j]), mult), o->lo), o->hi);
		v[j] = vaddq_s32(vcvtnq_s32_f32(f), o->zp);
	}
	return vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
}
#endif

/* y[i] = stl_qround(acc[i] · mult, q) for i < n. */
static inline void stl_qrequant(uint8_t *y, const int32_t *acc, size_t n, float mult, const struct stl_qparams *q)
{
	size_t i = 0;
#if defined(__AVX2__)
	const __m256 lo = _mm256_set1_ps((float)(q->qmin - q->zp)), hi = _mm256_set1_ps((float)(q->qmax - q->zp));
	const __m256 m = _mm256_set1_ps(mult);
	const __m256i zp = _mm256_set1_epi32(q->zp);
	const int is_signed = q->qmin < 0;
	for (; i + 8 <= n; i += 8) {
		__m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i))), m);
		f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
		const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
		const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
		_mm_storel_epi64((__m128i *)(void *)(y + i), is_signed ? _mm_packs_epi16(h, h) : _mm_packus_epi16(h, h));
	}
#elif defined(__aarch64__) && defined(__ARM_NEON)
	const struct stl_qr_out o = stl_qr_out(q);
	const int is_signed = q->qmin < 0;
	for (; i + 8 <= n; i += 8) {
		const int16x8_t h = stl_qr_requant8(stl_qr_ld4(acc + i), stl_qr_ld4(acc + i + 4), mult, &o);
		stl_qr_st8(y + i, is_signed ? vreinterpret_u8_s8(vqmovn_s16(h)) : vqmovun_s16(h));
	}
#endif
	for (; i < n; i++)
		y[i] = stl_qround((float)acc[i] * mult, q);
}

/* The first n of `lanes` (≤ 16, a multiple of 8) accumulators requantised in vectors; the rest are
 * computed and dropped (they must be initialised values). */
static inline void stl_qrequant_lanes(uint8_t *y, const int32_t *acc, size_t lanes, size_t n, float mult,
				      const struct stl_qparams *q)
{
	uint8_t all[16];
	stl_qrequant(n == lanes ? y : all, acc, lanes, mult, q);
	if (n != lanes)
		memcpy(y, all, n);
}

#endif
