/* The vector type of the hand-vectorised kernels: STL_VL floats and the few operations they use,
 * on AVX-512, AVX2 + FMA, NEON (aarch64) and a portable fallback. A kernel is written once against
 * these; gcc's auto-vectoriser cannot be relied on where a kernel needs registers it controls
 * (depthwise accumulators, the NEON GEMM tile) or where -mstrict-align stops it (the TA).
 *
 * Loads and stores are unaligned unless named _a (16-byte aligned on NEON, a packed panel).
 *
 * aarch64 note. OP-TEE runs TAs with alignment checking on (SCTLR_EL1.A), so their code is built
 * with -mstrict-align. gcc 12 then splits vld1q_f32/vst1q_f32 on a float pointer into scalar
 * loads, and its vectoriser gives up on unaligned loops. LD1/ST1 of .4s lanes need only 4-byte
 * alignment under SCTLR.A, so unaligned accesses here are LD1/ST1 in inline asm; an aligned
 * access (LDR/STR q, which must be 16-byte aligned there) can fold an immediate offset. The same
 * code is used in every aarch64 build, so the normal world runs the TA's instructions. */
#ifndef STL_SIMD_H
#define STL_SIMD_H

#include <stdint.h>

#include "tinylibm_bits.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#define STL_VL 16
typedef __m512 stl_vf;
typedef __mmask16 stl_vm;
static inline stl_vf stl_vld(const float *p) { return _mm512_loadu_ps(p); }
static inline stl_vf stl_vld_a(const float *p) { return _mm512_loadu_ps(p); }
/* v[i] = the vector at p + i·STL_VL, i < 4, and the store of four such vectors */
static inline void stl_vld_x4(const float *p, stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		v[i] = _mm512_loadu_ps(p + 16 * i);
}
static inline void stl_vst_x4(float *p, const stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		_mm512_storeu_ps(p + 16 * i, v[i]);
}
static inline void stl_vst(float *p, stl_vf v) { _mm512_storeu_ps(p, v); }
static inline stl_vf stl_vdup(float x) { return _mm512_set1_ps(x); }
static inline stl_vf stl_vadd(stl_vf a, stl_vf b) { return _mm512_add_ps(a, b); }
static inline stl_vf stl_vsub(stl_vf a, stl_vf b) { return _mm512_sub_ps(a, b); }
static inline stl_vf stl_vmul(stl_vf a, stl_vf b) { return _mm512_mul_ps(a, b); }
static inline stl_vf stl_vdiv(stl_vf a, stl_vf b) { return _mm512_div_ps(a, b); }
static inline stl_vf stl_vfma(stl_vf c, stl_vf a, stl_vf b) { return _mm512_fmadd_ps(a, b, c); }
/* max(a, b) / min(a, b) as x86 computes them: b when either is NaN. */
static inline stl_vf stl_vmax(stl_vf a, stl_vf b) { return _mm512_max_ps(a, b); }
static inline stl_vf stl_vmin(stl_vf a, stl_vf b) { return _mm512_min_ps(a, b); }
static inline stl_vm stl_vlt(stl_vf a, stl_vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
/* whether every lane of m is set */
static inline int stl_vall(stl_vm m) { return m == 0xffff; }
/* the sum and the maximum of the lanes (any order of the additions; a NaN lane may be dropped) */
static inline float stl_vsum_lanes(stl_vf v) { return _mm512_reduce_add_ps(v); }
static inline float stl_vmax_lanes(stl_vf v) { return _mm512_reduce_max_ps(v); }
/* m ? a : b, lane by lane */
static inline stl_vf stl_vsel(stl_vm m, stl_vf a, stl_vf b) { return _mm512_mask_blend_ps(m, b, a); }
static inline stl_vf stl_vround(stl_vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* 2^n for integral n in [-126, 127] */
static inline stl_vf stl_vpow2i(stl_vf n)
{
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
}
static inline stl_vf stl_vabs(stl_vf a) { return _mm512_abs_ps(a); }
/* p[0..n) = the first n lanes of v, for n <= STL_VL */
static inline void stl_vst_part(float *p, stl_vf v, unsigned n)
{
	_mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
/* dst[0..n) = src[0..n) for n <= STL_VL, touching nothing past either */
static inline void stl_vcopy_part(float *dst, const float *src, unsigned n)
{
	const __mmask16 m = (__mmask16)((1u << n) - 1u);
	_mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
}
/* even[i] = p[2i], odd[i] = p[2i + 1] for i < STL_VL */
static inline void stl_vld_deinterleave(const float *p, stl_vf *even, stl_vf *odd)
{
	const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
	*even = _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
	*odd = _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
}
/* The same from the first n <= 2·STL_VL floats at p only (lanes past them are 0). */
static inline void stl_vld_deinterleave_part(const float *p, unsigned n, stl_vf *even, stl_vf *odd)
{
	const uint32_t bits = (uint32_t)((1ull << n) - 1u); /* n <= 32 */
	const __m512 a = _mm512_maskz_loadu_ps((__mmask16)bits, p), b = _mm512_maskz_loadu_ps((__mmask16)(bits >> 16), p + 16);
	*even = _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
	*odd = _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
}
/* a with the sign bit of s (ternary logic 0xd8: sign bit from s, the others from a) */
static inline stl_vf stl_vcopysign(stl_vf a, stl_vf s)
{
	const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
	return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(a), _mm512_castps_si512(s), sign, 0xd8));
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define STL_VL 8
typedef __m256 stl_vf;
typedef __m256 stl_vm;
static inline stl_vf stl_vld(const float *p) { return _mm256_loadu_ps(p); }
static inline stl_vf stl_vld_a(const float *p) { return _mm256_loadu_ps(p); }
static inline void stl_vld_x4(const float *p, stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		v[i] = _mm256_loadu_ps(p + 8 * i);
}
static inline void stl_vst_x4(float *p, const stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		_mm256_storeu_ps(p + 8 * i, v[i]);
}
static inline void stl_vst(float *p, stl_vf v) { _mm256_storeu_ps(p, v); }
static inline stl_vf stl_vdup(float x) { return _mm256_set1_ps(x); }
static inline stl_vf stl_vadd(stl_vf a, stl_vf b) { return _mm256_add_ps(a, b); }
static inline stl_vf stl_vsub(stl_vf a, stl_vf b) { return _mm256_sub_ps(a, b); }
static inline stl_vf stl_vmul(stl_vf a, stl_vf b) { return _mm256_mul_ps(a, b); }
static inline stl_vf stl_vdiv(stl_vf a, stl_vf b) { return _mm256_div_ps(a, b); }
static inline stl_vf stl_vfma(stl_vf c, stl_vf a, stl_vf b) { return _mm256_fmadd_ps(a, b, c); }
static inline stl_vf stl_vmax(stl_vf a, stl_vf b) { return _mm256_max_ps(a, b); }
static inline stl_vf stl_vmin(stl_vf a, stl_vf b) { return _mm256_min_ps(a, b); }
static inline stl_vm stl_vlt(stl_vf a, stl_vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline int stl_vall(stl_vm m) { return _mm256_movemask_ps(m) == 0xff; }
static inline float stl_vsum_lanes(stl_vf v)
{
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}
static inline float stl_vmax_lanes(stl_vf v)
{
	__m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	h = _mm_max_ps(h, _mm_movehl_ps(h, h));
	return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
}
static inline stl_vf stl_vsel(stl_vm m, stl_vf a, stl_vf b) { return _mm256_blendv_ps(b, a, m); }
static inline stl_vf stl_vround(stl_vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline stl_vf stl_vpow2i(stl_vf n)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
static inline stl_vf stl_vabs(stl_vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline __m256i stl_vmask_n(unsigned n)
{
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline void stl_vst_part(float *p, stl_vf v, unsigned n) { _mm256_maskstore_ps(p, stl_vmask_n(n), v); }
static inline void stl_vcopy_part(float *dst, const float *src, unsigned n)
{
	_mm256_maskstore_ps(dst, stl_vmask_n(n), _mm256_maskload_ps(src, stl_vmask_n(n)));
}
static inline void stl_vld_deinterleave(const float *p, stl_vf *even, stl_vf *odd)
{
	const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
	/* in-lane shuffles give a0 a2 b0 b2 | a4 a6 b4 b6; the 64-bit permute puts the halves in order */
	*even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
	*odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}
static inline void stl_vld_deinterleave_part(const float *p, unsigned n, stl_vf *even, stl_vf *odd)
{
	const __m256 a = _mm256_maskload_ps(p, stl_vmask_n(n)), b = _mm256_maskload_ps(p + 8, stl_vmask_n(n > 8 ? n - 8 : 0));
	*even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
	*odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}
static inline stl_vf stl_vcopysign(stl_vf a, stl_vf s)
{
	const __m256 sign = _mm256_set1_ps(-0.0f);
	return _mm256_or_ps(_mm256_andnot_ps(sign, a), _mm256_and_ps(sign, s));
}

#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define STL_SIMD_NEON 1
#define STL_VL 4
typedef float32x4_t stl_vf;
typedef uint32x4_t stl_vm;
static inline stl_vf stl_vld(const float *p)
{
	stl_vf v;
	__asm__("ld1 {%0.4s}, [%1]" : "=w"(v) : "r"(p), "m"(*(const float(*)[4])p));
	return v;
}
static inline stl_vf stl_vld_a(const float *p) { return vld1q_f32((const float *)__builtin_assume_aligned(p, 16)); }
static inline void stl_vld_x4(const float *p, stl_vf v[4])
{
	const float32x4x4_t x = vld1q_f32_x4(p); /* one LD1 of four registers, 4-byte alignment */
	for (int i = 0; i < 4; i++)
		v[i] = x.val[i];
}
static inline void stl_vst_x4(float *p, const stl_vf v[4])
{
	const float32x4x4_t x = {{v[0], v[1], v[2], v[3]}};
	vst1q_f32_x4(p, x); /* one ST1 */
}
static inline void stl_vst(float *p, stl_vf v)
{
	__asm__("st1 {%1.4s}, [%2]" : "=m"(*(float(*)[4])p) : "w"(v), "r"(p));
}
static inline stl_vf stl_vdup(float x) { return vdupq_n_f32(x); }
static inline stl_vf stl_vadd(stl_vf a, stl_vf b) { return vaddq_f32(a, b); }
static inline stl_vf stl_vsub(stl_vf a, stl_vf b) { return vsubq_f32(a, b); }
static inline stl_vf stl_vmul(stl_vf a, stl_vf b) { return vmulq_f32(a, b); }
static inline stl_vf stl_vdiv(stl_vf a, stl_vf b) { return vdivq_f32(a, b); }
static inline stl_vf stl_vfma(stl_vf c, stl_vf a, stl_vf b) { return vfmaq_f32(c, a, b); }
/* The x86 semantics (b when either is NaN), which the clamps and max pooling are defined by:
 * FMAX/FMIN would return the NaN of a too. */
static inline stl_vf stl_vmax(stl_vf a, stl_vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline stl_vf stl_vmin(stl_vf a, stl_vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline stl_vm stl_vlt(stl_vf a, stl_vf b) { return vcltq_f32(a, b); }
static inline int stl_vall(stl_vm m) { return vminvq_u32(m) != 0; }
static inline float stl_vsum_lanes(stl_vf v) { return vaddvq_f32(v); }
static inline float stl_vmax_lanes(stl_vf v) { return vmaxvq_f32(v); }
static inline stl_vf stl_vsel(stl_vm m, stl_vf a, stl_vf b) { return vbslq_f32(m, a, b); }
static inline stl_vf stl_vround(stl_vf a) { return vrndnq_f32(a); }
static inline stl_vf stl_vpow2i(stl_vf n)
{
	return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23));
}
static inline stl_vf stl_vabs(stl_vf a) { return vabsq_f32(a); }
static inline void stl_vst_part(float *p, stl_vf v, unsigned n)
{
	if (n == 4) {
		stl_vst(p, v);
		return;
	}
	/* lane stores: 4-byte alignment is enough */
	if (n > 0)
		vst1q_lane_f32(p, v, 0);
	if (n > 1)
		vst1q_lane_f32(p + 1, v, 1);
	if (n > 2)
		vst1q_lane_f32(p + 2, v, 2);
}
static inline void stl_vcopy_part(float *dst, const float *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}
static inline void stl_vld_deinterleave(const float *p, stl_vf *even, stl_vf *odd)
{
	const float32x4x2_t v = vld2q_f32(p); /* LD2: 4-byte alignment is enough */
	*even = v.val[0];
	*odd = v.val[1];
}
static inline void stl_vld_deinterleave_part(const float *p, unsigned n, stl_vf *even, stl_vf *odd)
{
	float buf[8] = {0};
	for (unsigned i = 0; i < n; i++)
		buf[i] = p[i];
	stl_vld_deinterleave(buf, even, odd);
}
static inline stl_vf stl_vcopysign(stl_vf a, stl_vf s) { return vbslq_f32(vdupq_n_u32(0x80000000u), s, a); }

#else
/* Portable fallback: plain C on four lanes, which compilers may vectorise. */
#define STL_VL 4
typedef struct {
	float f[4];
} stl_vf;
typedef struct {
	int m[4];
} stl_vm;
#define STL_V_LANES(expr)                      \
	stl_vf r;                              \
	for (int i = 0; i < 4; i++)            \
		r.f[i] = (expr);               \
	return r
static inline stl_vf stl_vld(const float *p) { STL_V_LANES(p[i]); }
static inline stl_vf stl_vld_a(const float *p) { STL_V_LANES(p[i]); }
static inline void stl_vld_x4(const float *p, stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			v[i].f[j] = p[4 * i + j];
}
static inline void stl_vst_x4(float *p, const stl_vf v[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			p[4 * i + j] = v[i].f[j];
}
static inline void stl_vst(float *p, stl_vf v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v.f[i];
}
static inline stl_vf stl_vdup(float x) { STL_V_LANES(x); }
static inline stl_vf stl_vadd(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] + b.f[i]); }
static inline stl_vf stl_vsub(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] - b.f[i]); }
static inline stl_vf stl_vmul(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] * b.f[i]); }
static inline stl_vf stl_vdiv(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] / b.f[i]); }
static inline stl_vf stl_vfma(stl_vf c, stl_vf a, stl_vf b) { STL_V_LANES(c.f[i] + a.f[i] * b.f[i]); }
static inline stl_vf stl_vmax(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] > b.f[i] ? a.f[i] : b.f[i]); }
static inline stl_vf stl_vmin(stl_vf a, stl_vf b) { STL_V_LANES(a.f[i] < b.f[i] ? a.f[i] : b.f[i]); }
static inline stl_vm stl_vlt(stl_vf a, stl_vf b)
{
	stl_vm m;
	for (int i = 0; i < 4; i++)
		m.m[i] = a.f[i] < b.f[i];
	return m;
}
static inline stl_vf stl_vsel(stl_vm m, stl_vf a, stl_vf b) { STL_V_LANES(m.m[i] ? a.f[i] : b.f[i]); }
static inline int stl_vall(stl_vm m) { return m.m[0] && m.m[1] && m.m[2] && m.m[3]; }
static inline float stl_vsum_lanes(stl_vf v) { return (v.f[0] + v.f[1]) + (v.f[2] + v.f[3]); }
static inline float stl_vmax_lanes(stl_vf v)
{
	const float a = v.f[0] > v.f[1] ? v.f[0] : v.f[1], b = v.f[2] > v.f[3] ? v.f[2] : v.f[3];
	return a > b ? a : b;
}
/* Round to nearest (ties to even) for |a| < 2^22: adding 1.5·2^23 leaves no fraction bits. */
static inline stl_vf stl_vround(stl_vf a) { STL_V_LANES((a.f[i] + 0x1.8p23f) - 0x1.8p23f); }
/* A lane outside int32's range, NaN and infinities included (their results are NaN or are
 * replaced by the caller anyway), converts as INT32_MIN, as cvtps2dq does: converting it to an
 * integer is undefined in C, unlike in the vector instructions. */
static inline stl_vf stl_vpow2i(stl_vf n)
{
	STL_V_LANES(tlm_f32_from_bits((uint32_t)((n.f[i] > -0x1p31f && n.f[i] < 0x1p31f ? (int32_t)n.f[i] : INT32_MIN) + 127) << 23));
}
static inline stl_vf stl_vabs(stl_vf a) { STL_V_LANES(tlm_f32_from_bits(tlm_f32_bits(a.f[i]) & 0x7fffffffu)); }
static inline void stl_vst_part(float *p, stl_vf v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = v.f[i];
}
static inline void stl_vcopy_part(float *dst, const float *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i];
}
static inline void stl_vld_deinterleave(const float *p, stl_vf *even, stl_vf *odd)
{
	for (int i = 0; i < 4; i++) {
		even->f[i] = p[2 * i];
		odd->f[i] = p[2 * i + 1];
	}
}
static inline void stl_vld_deinterleave_part(const float *p, unsigned n, stl_vf *even, stl_vf *odd)
{
	float buf[8] = {0};
	for (unsigned i = 0; i < n; i++)
		buf[i] = p[i];
	stl_vld_deinterleave(buf, even, odd);
}
static inline stl_vf stl_vcopysign(stl_vf a, stl_vf s)
{
	STL_V_LANES(tlm_f32_from_bits((tlm_f32_bits(a.f[i]) & 0x7fffffffu) | (tlm_f32_bits(s.f[i]) & 0x80000000u)));
}
#undef STL_V_LANES
#endif

/* x clamped to [lo, hi] lane by lane (lo, hi not NaN); a NaN lane passes through, as in stl_clamp.
 * On NEON FMAX/FMIN propagate the NaN of x, which is that result in one instruction each. */
static inline stl_vf stl_vclamp(stl_vf x, stl_vf lo, stl_vf hi)
{
#ifdef STL_SIMD_NEON
	return vminq_f32(hi, vmaxq_f32(lo, x));
#else
	return stl_vmin(hi, stl_vmax(lo, x));
#endif
}

#endif
