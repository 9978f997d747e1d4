/* stl_qdepthwise (qgemm.h): depthwise int8 convolution one output row at a time. The input rows
 * its taps read are copied, less the zero point, into int16 rows padded with zeros (the padding's
 * value x_zp, centred) and split by stride phase, so that every tap of a block of QDW output
 * columns is one unit-stride run: QDW int32 accumulators stay in registers over all taps, and
 * the block is requantised in vectors (qrequant.h). The rows are centred in vectors for strides
 * 1 and 2 (stride 2 keeps every other byte: the low byte of each 16-bit lane, or LD2). The
 * multiply-accumulate is NEON on aarch64 (LD1 and SMLAL by element) or x86 VPMADDWD of the
 * sign-extended row with the tap in the low half of each 32-bit lane (exact: the high half
 * multiplies 0), 16 lanes in one AVX-512 register or two AVX2 ones; elsewhere plain C. */
#include <string.h>

#include "inline.h"
#include "qgemm.h"
#include "qrequant.h"

#define QDW 16                /* output columns per block */
#define QDW_ROW_BUDGET 3072u  /* int16 elements of the row buffer (6 KiB of the TA's 32 KiB stack) */

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

static inline int16x8_t ld8h(const int16_t *p)
{
	int16x8_t v;
	__asm__("ld1 {%0.8h}, [%1]" : "=w"(v) : "r"(p), "m"(*(const int16_t(*)[8])p));
	return v;
}

static inline void st8h(int16_t *p, int16x8_t v)
{
	__asm__("st1 {%1.8h}, [%2]" : "=m"(*(int16_t(*)[8])p) : "w"(v), "r"(p));
}

/* 16 centred values: bytes src[0], src[sw], ... (sw 1 or 2; reads 16·sw bytes, or where
 * QDW_CENTRE_MASKED writes only `count` values from the first `bytes`) xor flip, less zpu. */
#define QDW_CENTRE 16
static inline void centre16(int16_t *dst, const uint8_t *src, uint32_t sw, uint8_t flip, uint8_t zpu, uint32_t count,
			    uint32_t bytes)
{
	(void)count, (void)bytes;
	uint8x16_t b;
	if (sw == 1)
		__asm__("ld1 {%0.16b}, [%1]" : "=w"(b) : "r"(src), "m"(*(const uint8_t(*)[16])src));
	else
		b = vld2q_u8(src).val[0];
	b = veorq_u8(b, vdupq_n_u8(flip));
	st8h(dst, vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(b), vdup_n_u8(zpu))));
	st8h(dst + 8, vreinterpretq_s16_u16(vsubl_high_u8(b, vdupq_n_u8(zpu))));
}

/* acc[0..QDW) += r[0..QDW) · w */
static inline void madd_block(int32x4_t acc[4], const int16_t *r, int16_t w)
{
	const int16x8_t a = ld8h(r), b = ld8h(r + 8);
	acc[0] = vmlal_n_s16(acc[0], vget_low_s16(a), w);
	acc[1] = vmlal_high_n_s16(acc[1], a, w);
	acc[2] = vmlal_n_s16(acc[2], vget_low_s16(b), w);
	acc[3] = vmlal_high_n_s16(acc[3], b, w);
}

/* acc[0..QDW) += r[0..QDW) · lane l of w (l constant) */
#define MADD_LANE(acc, r, w, l)                                                             \
	do {                                                                                \
		const int16x8_t a_ = ld8h(r), b_ = ld8h((r) + 8);                           \
		acc[0] = vmlal_laneq_s16(acc[0], vget_low_s16(a_), w, l);                   \
		acc[1] = vmlal_high_laneq_s16(acc[1], a_, w, l);                            \
		acc[2] = vmlal_laneq_s16(acc[2], vget_low_s16(b_), w, l);                   \
		acc[3] = vmlal_high_laneq_s16(acc[3], b_, w, l);                            \
	} while (0)
#define QDW_ROW_3X3 1 /* dw_row_3x3: the nine taps in registers, SMLAL by lane */

typedef int32x4_t qdw_acc[4];
static inline void acc_init(qdw_acc acc, int32_t b)
{
	for (int j = 0; j < 4; j++)
		acc[j] = vdupq_n_s32(b);
}
static inline void acc_out(const qdw_acc acc, int32_t out[QDW])
{
	for (int j = 0; j < 4; j++)
		vst1q_s32(out + 4 * j, acc[j]); /* out is an aligned stack array */
}
#elif defined(__AVX2__)
#include <immintrin.h>

#define QDW_CENTRE 16
#if defined(__AVX512BW__)
#define QDW_CENTRE_MASKED 1 /* centre16 takes a partial vector: `count` values from `bytes` bytes */
#endif
static inline void centre16(int16_t *dst, const uint8_t *src, uint32_t sw, uint8_t flip, uint8_t zpu, uint32_t count,
			    uint32_t bytes)
{
	__m256i v;
#if defined(__AVX512BW__)
	const __mmask32 k = bytes >= 32 ? ~0u : (1u << bytes) - 1u;
	const __m256i raw = _mm256_maskz_loadu_epi8(k, src);
#else
	(void)count, (void)bytes;
	const __m256i raw = sw == 1 ? _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)src))
				    : _mm256_loadu_si256((const __m256i *)(const void *)src);
#endif
	const __m256i b = _mm256_xor_si256(raw, _mm256_set1_epi8((char)flip));
	if (sw == 1)
		v = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(b));
	else
		v = _mm256_and_si256(b, _mm256_set1_epi16(0xff));
	v = _mm256_sub_epi16(v, _mm256_set1_epi16(zpu));
#if defined(__AVX512BW__)
	_mm256_mask_storeu_epi16(dst, (__mmask16)(count >= 16 ? 0xffffu : (1u << count) - 1u), v);
#else
	_mm256_storeu_si256((__m256i *)(void *)dst, v);
#endif
}

/* The tap in the low 16 bits of each 32-bit lane: VPMADDWD of a sign-extended lane is x · w. */
static inline int32_t tap_lane(int16_t w) { return (int32_t)(uint16_t)w; }

#if defined(__AVX512BW__)
typedef __m512i qdw_acc[1];
static inline void madd_block(qdw_acc acc, const int16_t *r, int16_t w)
{
	const __m512i x = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)r));
	acc[0] = _mm512_add_epi32(acc[0], _mm512_madd_epi16(x, _mm512_set1_epi32(tap_lane(w))));
}
static inline void acc_init(qdw_acc acc, int32_t b) { acc[0] = _mm512_set1_epi32(b); }
static inline void acc_out(const qdw_acc acc, int32_t out[QDW]) { _mm512_storeu_si512(out, acc[0]); }
#else
typedef __m256i qdw_acc[2];
static inline void madd_block(qdw_acc acc, const int16_t *r, int16_t w)
{
	const __m256i wv = _mm256_set1_epi32(tap_lane(w));
	const __m256i a = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)r));
	const __m256i b = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(r + 8)));
	acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(a, wv));
	acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(b, wv));
}
static inline void acc_init(qdw_acc acc, int32_t b)
{
	acc[0] = acc[1] = _mm256_set1_epi32(b);
}
static inline void acc_out(const qdw_acc acc, int32_t out[QDW])
{
	_mm256_storeu_si256((__m256i *)(void *)out, acc[0]);
	_mm256_storeu_si256((__m256i *)(void *)(out + 8), acc[1]);
}
#endif
#else
typedef int32_t qdw_acc[QDW];
static inline void madd_block(int32_t acc[QDW], const int16_t *r, int16_t w)
{
	for (int i = 0; i < QDW; i++)
		acc[i] += (int32_t)r[i] * w;
}
static inline void acc_init(qdw_acc acc, int32_t b)
{
	for (int i = 0; i < QDW; i++)
		acc[i] = b;
}
static inline void acc_out(const qdw_acc acc, int32_t out[QDW])
{
	memcpy(out, acc, sizeof(qdw_acc));
}
#endif

/* Input row `src` centred into its sw phase rows of len values at r: phase ph's value j is
 * (src[j·sw + ph − pl] ^ flip) − zpu, 0 outside the row; span[ph] = [lo, hi) of the inside ones. */
static void centre_row(int16_t *r, const uint8_t *src, const struct stl_conv_geometry *g, uint32_t len,
		       const int64_t span[4][2], uint8_t flip, int32_t zpu)
{
	for (uint32_t ph = 0; ph < g->sw; ph++) {
		const int64_t off = (int64_t)ph - g->pl, lo = span[ph][0], hi = span[ph][1];
		int16_t *rp = r + (size_t)ph * len;
		for (int64_t j = 0; j < lo; j++)
			rp[j] = 0;
		int64_t j = lo;
#ifdef QDW_CENTRE
		/* whole vectors while their 16·sw bytes stay inside the row; with masked loads and
		 * stores the rest too */
		if (g->sw <= 2) {
			for (; j < hi && (j + QDW_CENTRE) * g->sw + off <= (int64_t)g->w; j += QDW_CENTRE)
				centre16(rp + j, src + j * g->sw + off, g->sw, flip, (uint8_t)zpu, QDW_CENTRE,
					 QDW_CENTRE * g->sw);
#ifdef QDW_CENTRE_MASKED
			for (; j < hi; j += QDW_CENTRE)
				centre16(rp + j, src + j * g->sw + off, g->sw, flip, (uint8_t)zpu, (uint32_t)(hi - j),
					 (uint32_t)((int64_t)g->w - (j * g->sw + off)));
			j = hi;
#else
			/* the rest (fewer than 16 values) through bounce buffers, which keep the loads
			 * inside the row and the stores inside the phase row */
			if (j < hi) {
				uint8_t in[2 * QDW_CENTRE] = {0};
				int16_t out[QDW_CENTRE];
				const int64_t at = j * g->sw + off;
				memcpy(in, src + at, (size_t)((int64_t)g->w - at < 2 * QDW_CENTRE ? (int64_t)g->w - at
												    : 2 * QDW_CENTRE));
				centre16(out, in, g->sw, flip, (uint8_t)zpu, QDW_CENTRE, QDW_CENTRE * g->sw);
				memcpy(rp + j, out, (size_t)(hi - j) * sizeof *out);
				j = hi;
			}
#endif
		}
#endif
		for (; j < hi; j++)
			rp[j] = (int16_t)((src[j * g->sw + off] ^ flip) - zpu);
		for (j = hi; j < len; j++)
			rp[j] = 0;
	}
}

/* One output row of ow columns from the kn tap runs (kn constant where inlined so: 3×3, 5×5). */
#ifdef QDW_ROW_3X3
static void dw_row_3x3(const int16_t *const tap[49], const int16_t taps[49], int32_t bias, uint32_t ow, float mult,
		       const struct stl_qparams *yq, uint8_t *yrow)
{
	_Alignas(16) int32_t acc_lanes[QDW];
	const int16x8_t w = ld8h(taps);
	const int16_t w8 = taps[8];
	const int16_t *const t0 = tap[0], *const t1 = tap[1], *const t2 = tap[2], *const t3 = tap[3];
	const int16_t *const t4 = tap[4], *const t5 = tap[5], *const t6 = tap[6], *const t7 = tap[7];
	for (uint32_t o0 = 0; o0 < ow; o0 += QDW) {
		qdw_acc acc;
		acc_init(acc, bias);
		MADD_LANE(acc, t0 + o0, w, 0);
		MADD_LANE(acc, t1 + o0, w, 1);
		MADD_LANE(acc, t2 + o0, w, 2);
		MADD_LANE(acc, t3 + o0, w, 3);
		MADD_LANE(acc, t4 + o0, w, 4);
		MADD_LANE(acc, t5 + o0, w, 5);
		MADD_LANE(acc, t6 + o0, w, 6);
		MADD_LANE(acc, t7 + o0, w, 7);
		madd_block(acc, tap[8] + o0, w8);
		acc_out(acc, acc_lanes);
		stl_qrequant_lanes(yrow + o0, acc_lanes, QDW, ow - o0 < QDW ? ow - o0 : QDW, mult, yq);
	}
}
#endif

STL_INLINE void dw_row(const int16_t *const tap[49], const int16_t taps[49], int32_t bias, uint32_t ow, float mult,
		       const struct stl_qparams *yq, uint8_t *yrow, const uint32_t kn)
{
	_Alignas(16) int32_t acc_lanes[QDW];
	for (uint32_t o0 = 0; o0 < ow; o0 += QDW) {
		qdw_acc acc;
		acc_init(acc, bias);
		for (uint32_t t = 0; t < kn; t++)
			madd_block(acc, tap[t] + o0, taps[t]);
		acc_out(acc, acc_lanes);
		stl_qrequant_lanes(yrow + o0, acc_lanes, QDW, ow - o0 < QDW ? ow - o0 : QDW, mult, yq);
	}
}

/* The centred input rows live in a ring of `slots` = (kh − 1)·dh + 1 rows (each of sw phase rows),
 * input row ih in slot ih % slots, so that each is centred once per channel however many output
 * rows read it; rows in the padding read one row of zeros after the ring. */
int stl_qdepthwise(const struct stl_conv_geometry *g, const uint8_t *x, int x_signed, int32_t zp, const int8_t *w,
		   const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq)
{
	const uint32_t kn = g->kh * g->kw, mg = g->m / g->group;
	const uint32_t ow_blocks = (g->ow + QDW - 1) / QDW;
	if (g->cg != 1 || kn > 49 || g->sw > 4 || g->kh > 7)
		return 0;
	/* A phase row: the block reads up to column ow_blocks·QDW − 1 + the last tap's offset. */
	const uint32_t len = ow_blocks * QDW + ((g->kw - 1) * g->dw) / g->sw + 1;
	const uint32_t slots = (g->kh - 1) * g->dh + 1, row_len = g->sw * len;
	if ((uint64_t)(slots + 1) * row_len > QDW_ROW_BUDGET)
		return 0;
	int16_t ring[QDW_ROW_BUDGET];
	int16_t *const zeros = ring + (size_t)slots * row_len;
	memset(zeros, 0, row_len * sizeof *zeros);
	int32_t held[QDW_ROW_BUDGET / 16]; /* the input row each slot holds (slots ≤ budget / 16) */
	int16_t taps[49];
	uint32_t tap_at[49]; /* where tap t's run starts in its input row's phase rows */
	for (uint32_t kh = 0, t = 0; kh < g->kh; kh++)
		for (uint32_t kw = 0; kw < g->kw; kw++, t++) {
			const uint32_t col = kw * g->dw;
			tap_at[t] = (col % g->sw) * len + col / g->sw;
		}
	int64_t span[4][2];
	for (uint32_t ph = 0; ph < g->sw; ph++) {
		const int64_t off = (int64_t)ph - g->pl;
		int64_t lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
		int64_t hi = (int64_t)g->w - off <= 0 ? 0 : ((int64_t)g->w - off - 1) / g->sw + 1;
		lo = lo < len ? lo : len;
		hi = hi < len ? hi : len;
		span[ph][0] = lo;
		span[ph][1] = hi > lo ? hi : lo;
	}
	/* I8 activations are biased to U8 (x ^ 0x80, zp + 128): one centring for both */
	const uint8_t flip = x_signed ? 0x80 : 0;
	const int32_t zpu = zp + (x_signed ? 128 : 0);
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t m = 0; m < g->m; m++) {
			const uint8_t *plane = x + ((size_t)n * g->c + m / mg) * g->h * g->w;
			uint8_t *out = y + ((size_t)n * g->m + m) * g->oh * g->ow;
			const int32_t b = bias ? bias[m] : 0;
			for (uint32_t t = 0; t < kn; t++)
				taps[t] = w[(size_t)m * kn + t];
			if (m % mg == 0) /* a new input channel */
				for (uint32_t sl = 0; sl < slots; sl++)
					held[sl] = -1;
			for (uint32_t oh = 0; oh < g->oh; oh++) {
				const int16_t *tap[49];
				for (uint32_t kh = 0; kh < g->kh; kh++) {
					const int64_t ih = (int64_t)oh * g->sh + (int64_t)kh * g->dh - g->pt;
					const int16_t *r = zeros;
					if (ih >= 0 && ih < g->h) {
						/* one division: a subtraction loop took ih / slots steps (6.5 M
						 * instructions of an int8 MobileNetV2 on aarch64) */
						const uint32_t sl = (uint32_t)ih % slots;
						r = ring + (size_t)sl * row_len;
						if (held[sl] != ih) {
							centre_row(ring + (size_t)sl * row_len, plane + (size_t)ih * g->w, g, len,
								   span, flip, zpu);
							held[sl] = (int32_t)ih;
						}
					}
					for (uint32_t kw = 0; kw < g->kw; kw++)
						tap[kh * g->kw + kw] = r + tap_at[kh * g->kw + kw];
				}
				uint8_t *yrow = out + (size_t)oh * g->ow;
#ifdef QDW_ROW_3X3
				if (kn == 9)
					dw_row_3x3(tap, taps, b, g->ow, mult[m], yq, yrow);
#else
				if (kn == 9)
					dw_row(tap, taps, b, g->ow, mult[m], yq, yrow, 9);
#endif
				else if (kn == 25)
					dw_row(tap, taps, b, g->ow, mult[m], yq, yrow, 25);
				else
					dw_row(tap, taps, b, g->ow, mult[m], yq, yrow, kn);
			}
		}
	return 1;
}
