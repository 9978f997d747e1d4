/* stl_qgemm_planes (qgemm.h): a register tile of output channels × pixels over the whole depth,
 * reading the activation planes in place (no packing buffer: the TA's stack is 32 KiB), and the
 * requantisation in vectors, rounding as stl_qround does (convert, multiply, clamp, round half to
 * even, add the zero point), so that every byte equals the reference kernel's.
 *
 * x86 (AVX-512BW, or AVX2): four planes are interleaved into u8 quads per pixel, two unpack
 * levels, and multiplied with the I8 weight quad of each channel row, broadcast: VPDPBUSD where
 * AVX-512 VNNI is present, otherwise its exact equivalent in two VPMADDWD over the even and odd
 * bytes widened to 16 bits (VPMADDUBSW would saturate). The zero point is taken out at the end
 * (acc − zp·Σw); I8 activations are biased to U8 (x ^ 0x80, zp + 128). The unpacks leave four
 * pixels per 32-bit lane group in an order that the final pack instructions undo.
 *
 * aarch64 (ARMv8.0-A, no dot product): for depths that are multiples of 8, int8 products along
 * the depth (SMULL + SMLAL2 + SADALP) over a block of pixels transposed on the stack (q_gemm8);
 * otherwise x − zp widened to 16 bits (USUBL) times one weight per lane (SMLAL/SMLAL2 by
 * element), 4 channels × 16 pixels in 16 accumulators, the weights of 8 input channels per load.
 * Loads and stores of unknown alignment are LD1/ST1 (the TA's strict alignment, simd.h). */
#include <string.h>

#include "inline.h"
#include "qgemm.h"
#include "qrequant.h"

#if defined(__AVX512BW__) || defined(__AVX2__)
#include <immintrin.h>

#if defined(__AVX512BW__)
#define QW 64 /* pixels (bytes of one plane) per block */
#define QMR 5 /* output channels per tile: 20 accumulators of 32 registers (6 spill) */
#define QF(name) _mm512_##name
typedef __m512i qv;
typedef __m512 qf;
static inline qv q_load(const uint8_t *p, uint32_t n)
{
	return _mm512_maskz_loadu_epi8(n >= 64 ? ~0ull : (1ull << n) - 1u, p);
}
static inline void q_store(uint8_t *p, qv v, uint32_t n)
{
	_mm512_mask_storeu_epi8(p, n >= 64 ? ~0ull : (1ull << n) - 1u, v);
}
static inline qv q_xor(qv a, qv b) { return _mm512_xor_si512(a, b); }
static inline qv q_and(qv a, qv b) { return _mm512_and_si512(a, b); }
static inline qv q_zero(void) { return _mm512_setzero_si512(); }
#if defined(__AVX512VNNI__)
#define Q_VNNI 1
static inline qv q_dpbusd(qv acc, qv x, qv w) { return _mm512_dpbusd_epi32(acc, x, w); }
#endif
#else
#define QW 32
#define QMR 3 /* 12 accumulators and the split operands in 16 registers */
#define QF(name) _mm256_##name
typedef __m256i qv;
typedef __m256 qf;
/* A block is always whole here (stl_qgemm_planes overlaps the last one). */
static inline qv q_load(const uint8_t *p, uint32_t n)
{
	(void)n;
	return _mm256_loadu_si256((const __m256i *)(const void *)p);
}
static inline void q_store(uint8_t *p, qv v, uint32_t n)
{
	(void)n;
	_mm256_storeu_si256((__m256i *)(void *)p, v);
}
static inline qv q_xor(qv a, qv b) { return _mm256_xor_si256(a, b); }
static inline qv q_and(qv a, qv b) { return _mm256_and_si256(a, b); }
static inline qv q_zero(void) { return _mm256_setzero_si256(); }
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define Q_VNNI 1
static inline qv q_dpbusd(qv acc, qv x, qv w) { return _mm256_dpbusd_epi32(acc, x, w); }
#endif
#endif

/* A quad vector split for the dot product: as is for VPDPBUSD; else its even and odd bytes,
 * zero-extended to 16 bits (a weight quad likewise, sign-extended). */
struct qpair {
	qv a, b;
};

static inline struct qpair q_split_x(qv x)
{
#ifdef Q_VNNI
	return (struct qpair){x, x};
#else
	return (struct qpair){q_and(x, QF(set1_epi16)(0x00ff)), QF(srli_epi16)(x, 8)};
#endif
}

static inline struct qpair q_split_w(int32_t quad)
{
	const qv w = QF(set1_epi32)(quad);
#ifdef Q_VNNI
	return (struct qpair){w, w};
#else
	return (struct qpair){QF(srai_epi16)(QF(slli_epi16)(w, 8), 8), QF(srai_epi16)(w, 8)};
#endif
}

/* acc + Σ of the four u8 × i8 products in each 32-bit lane, exactly. */
static inline qv q_dot(qv acc, struct qpair x, struct qpair w)
{
#ifdef Q_VNNI
	(void)x.b, (void)w.b;
	return q_dpbusd(acc, x.a, w.a);
#else
	return QF(add_epi32)(acc, QF(add_epi32)(QF(madd_epi16)(x.a, w.a), QF(madd_epi16)(x.b, w.b)));
#endif
}

struct qtile {
	const uint8_t *x; /* first pixel of the block in plane 0 */
	size_t ldx;
	uint32_t k_n, n;  /* depth; valid pixels of the block */
	qv flip;          /* 0x80 bytes for I8 activations, else 0 */
	const int8_t *w[QMR];
	int32_t fix[QMR]; /* bias − zp·Σw */
	float mult[QMR];
	uint8_t *y[QMR];  /* NULL: a padding row of the tile, not stored */
};

/* Every step reads four whole planes, so that the loop body is one (and gcc keeps the tile in
 * registers): when k_n is not a multiple of 4 the first step reads planes 0-3 (some twice when
 * k_n < 4) with the weights of planes k_n % 4 .. 3 masked to 0, and the next starts at k_n % 4. */
STL_INLINE void q_tile_of(const struct qtile *t, const struct stl_qparams *yq, int y_signed, int shallow)
{
	qv acc[QMR][4];
	for (int r = 0; r < QMR; r++)
		for (int j = 0; j < 4; j++)
			acc[r][j] = q_zero();
	const uint32_t rest = t->k_n % 4;
	uint32_t wmask = rest ? (1u << 8 * rest) - 1u : ~0u;
	for (uint32_t c = 0; c < t->k_n; c += c == 0 && rest ? rest : 4, wmask = ~0u) {
		qv p[4];
		for (uint32_t i = 0; i < 4; i++) /* below 4 planes, plane k_n − 1 again (its weight is masked) */
			p[i] = q_xor(q_load(t->x + (size_t)(c + i < t->k_n ? c + i : t->k_n - 1) * t->ldx, t->n), t->flip);
		const qv lo = QF(unpacklo_epi8)(p[0], p[1]), hi = QF(unpackhi_epi8)(p[0], p[1]);
		const qv lo2 = QF(unpacklo_epi8)(p[2], p[3]), hi2 = QF(unpackhi_epi8)(p[2], p[3]);
		const struct qpair q[4] = {q_split_x(QF(unpacklo_epi16)(lo, lo2)), q_split_x(QF(unpackhi_epi16)(lo, lo2)),
					   q_split_x(QF(unpacklo_epi16)(hi, hi2)), q_split_x(QF(unpackhi_epi16)(hi, hi2))};
		for (int r = 0; r < QMR; r++) {
			uint32_t quad = 0;
			if (shallow) /* the row's end is not passed */
				for (uint32_t i = 0; i < t->k_n; i++)
					quad |= (uint32_t)(uint8_t)t->w[r][i] << 8 * i;
			else
				memcpy(&quad, t->w[r] + c, 4);
			const struct qpair wq = q_split_w((int32_t)(quad & wmask));
			for (int j = 0; j < 4; j++)
				acc[r][j] = q_dot(acc[r][j], q[j], wq);
		}
	}
	const qf lo = QF(set1_ps)((float)(yq->qmin - yq->zp)), hi = QF(set1_ps)((float)(yq->qmax - yq->zp));
	const qv zp = QF(set1_epi32)(yq->zp);
	for (int r = 0; r < QMR; r++) {
		if (!t->y[r])
			continue;
		const qv fix = QF(set1_epi32)(t->fix[r]);
		const qf mult = QF(set1_ps)(t->mult[r]);
		qv v[4];
		for (int j = 0; j < 4; j++) {
			qf f = QF(mul_ps)(QF(cvtepi32_ps)(QF(add_epi32)(acc[r][j], fix)), mult);
			f = QF(min_ps)(QF(max_ps)(f, lo), hi);
			v[j] = QF(add_epi32)(QF(cvtps_epi32)(f), zp);
		}
		const qv a = QF(packs_epi32)(v[0], v[1]), b = QF(packs_epi32)(v[2], v[3]);
		q_store(t->y[r], y_signed ? QF(packs_epi16)(a, b) : QF(packus_epi16)(a, b), t->n);
	}
}

/* Depth below 4 (shallow) in a copy of its own: its weight loads would keep the tile out of
 * registers in the other. */
static void q_tile(const struct qtile *t, const struct stl_qparams *yq, int y_signed)
{
	if (t->k_n < 4)
		q_tile_of(t, yq, y_signed, 1);
	else
		q_tile_of(t, yq, y_signed, 0);
}

int stl_qgemm_planes(const uint8_t *x, size_t ldx, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n,
		     uint32_t k_n, uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, size_t ldy,
		     const struct stl_qparams *yq)
{
	/* Below QW pixels AVX2 has no whole block to overlap; past 2^16 channels Σ could overflow. */
	if ((QW == 32 && p_n < QW) || k_n == 0 || k_n > 65536u)
		return 0;
	const int32_t zpu = zp + (x_signed ? 128 : 0);
	const int y_signed = yq->qmin < 0;
	struct qtile t;
	t.ldx = ldx;
	t.k_n = k_n;
	t.flip = QF(set1_epi8)((char)(x_signed ? 0x80 : 0));
	for (uint32_t m0 = 0; m0 < m_n; m0 += QMR) {
		for (uint32_t r = 0; r < QMR; r++) {
			const uint32_t m = m0 + r < m_n ? m0 + r : m_n - 1;
			int32_t sum = 0;
			t.w[r] = w + (size_t)m * k_n;
			for (uint32_t c = 0; c < k_n; c++)
				sum += t.w[r][c];
			t.fix[r] = (bias ? bias[m] : 0) - zpu * sum;
			t.mult[r] = mult[m];
		}
		for (uint32_t p0 = 0; p0 < p_n; p0 += QW) {
			uint32_t start = p0;
			t.n = p_n - p0 < QW ? p_n - p0 : QW;
			if (QW == 32 && t.n < QW) { /* the last QW pixels again: the same bytes twice */
				start = p_n - QW;
				t.n = QW;
			}
			t.x = x + start;
			for (uint32_t r = 0; r < QMR; r++)
				t.y[r] = m0 + r < m_n ? y + (size_t)(m0 + r) * ldy + start : NULL;
			q_tile(&t, yq, y_signed);
		}
	}
	return 1;
}

#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#include "bytes_neon.h"

#define QW 16
#define QMR 4

static inline int8x8_t ld8(const int8_t *p)
{
	int8x8_t v;
	__asm__("ld1 {%0.8b}, [%1]" : "=w"(v) : "r"(p), "m"(*(const int8_t(*)[8])p));
	return v;
}

struct qtile {
	const uint8_t *x;
	size_t ldx;
	uint32_t k_n;
	uint8_t flip, zpu;
	const int8_t *w[QMR];
	int32_t bias[QMR];
	float mult[QMR];
	uint8_t *y[QMR];
};

/* x − zp of the 16 pixels at xp (then the next plane's), as two int16x8 (the difference wraps to
 * its int16 value); I8 activations biased to U8 first. */
#define Q_PLANE(xl, xh)                                                                           \
	uint8x16_t xr_ = ld16(xp);                                                                \
	xp += t->ldx;                                                                             \
	if (x_signed)                                                                             \
		xr_ = veorq_u8(xr_, vdupq_n_u8(0x80));                                            \
	const int16x8_t xl = vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(xr_), zpv));             \
	const int16x8_t xh = vreinterpretq_s16_u16(vsubl_high_u8(xr_, zpq))

#define Q_LANE(l)                                                                                        \
	{                                                                                                \
		Q_PLANE(xl, xh);                                                                         \
		for (int r = 0; r < QMR; r++) {                                                          \
			acc[r][0] = vmlal_laneq_s16(acc[r][0], vget_low_s16(xl), wv[r], l);              \
			acc[r][1] = vmlal_high_laneq_s16(acc[r][1], xl, wv[r], l);                       \
			acc[r][2] = vmlal_laneq_s16(acc[r][2], vget_low_s16(xh), wv[r], l);              \
			acc[r][3] = vmlal_high_laneq_s16(acc[r][3], xh, wv[r], l);                       \
		}                                                                                        \
	}

/* The planes are read in order through one pointer, and the loads are volatile asm, so that gcc
 * does not hoist all eight planes' loads ahead of their products (which spilled the tile). */
STL_INLINE void q_tile_of(const struct qtile *t, const struct stl_qparams *yq, int y_signed, const int x_signed)
{
	int32x4_t acc[QMR][4];
	for (int r = 0; r < QMR; r++)
		for (int j = 0; j < 4; j++)
			acc[r][j] = vdupq_n_s32(t->bias[r]);
	const uint8x8_t zpv = vdup_n_u8(t->zpu);
	const uint8x16_t zpq = vdupq_n_u8(t->zpu);
	const uint8_t *xp = t->x;
	uint32_t c = 0;
	for (; c + 8 <= t->k_n; c += 8) {
		int16x8_t wv[QMR];
		for (int r = 0; r < QMR; r++)
			wv[r] = vmovl_s8(ld8(t->w[r] + c));
		Q_LANE(0) Q_LANE(1) Q_LANE(2) Q_LANE(3) Q_LANE(4) Q_LANE(5) Q_LANE(6) Q_LANE(7)
	}
	for (; c < t->k_n; c++) {
		Q_PLANE(xl, xh);
		for (int r = 0; r < QMR; r++) {
			const int16x8_t wd = vdupq_n_s16(t->w[r][c]);
			acc[r][0] = vmlal_s16(acc[r][0], vget_low_s16(xl), vget_low_s16(wd));
			acc[r][1] = vmlal_high_s16(acc[r][1], xl, wd);
			acc[r][2] = vmlal_s16(acc[r][2], vget_low_s16(xh), vget_low_s16(wd));
			acc[r][3] = vmlal_high_s16(acc[r][3], xh, wd);
		}
	}
	const struct stl_qr_out o = stl_qr_out(yq);
	for (int r = 0; r < QMR; r++) {
		if (!t->y[r])
			continue;
		const int16x8_t a = stl_qr_requant8(acc[r][0], acc[r][1], t->mult[r], &o);
		const int16x8_t b = stl_qr_requant8(acc[r][2], acc[r][3], t->mult[r], &o);
		st16(t->y[r], y_signed ? vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(a), vqmovn_s16(b)))
				       : vcombine_u8(vqmovun_s16(a), vqmovun_s16(b)));
	}
}

static void q_tile(const struct qtile *t, const struct stl_qparams *yq, int y_signed)
{
	if (t->flip)
		q_tile_of(t, yq, y_signed, 1);
	else
		q_tile_of(t, yq, y_signed, 0);
}

/* The 8-bit product path, for depths that are multiples of 8 up to QPACK / QPB (every pointwise
 * and im2col convolution of MobileNetV2 and SqueezeNet but the first): SMULL + SMLAL2 of 8 int8
 * pairs into int16, SADALP into int32, 16 products per three instructions (the 16-bit path above
 * needs four). The products run along the depth, so a block of QPB pixels is first transposed into
 * a stack buffer, depth-contiguous per pixel, once for all output channels. Activations become
 * int8 by x − 128 (U8) and zp − 128 comes out at the end through Σw. Two products of int8 in
 * [−128, 127] × [−127, 127] sum within int16 (|sum| ≤ 32512); a weight of −128 could overflow it,
 * so a GEMM with one takes the path above (symmetric quantisation, ORT's default for weights, never
 * produces one). */
#define QPB 8          /* pixels per packed block */
#define QPACK 8192u    /* bytes of the packed block on the stack (of the TA's 32 KiB): depth ≤ 1024 */
#define QMG 256u       /* output channels whose zero-point fix is held at once */

static inline uint8x8_t ld8u(const uint8_t *p)
{
	uint8x8_t v;
	__asm__("ld1 {%0.8b}, [%1]" : "=w"(v) : "r"(p), "m"(*(const uint8_t(*)[8])p));
	return v;
}

static inline int8x16_t ld16s(const int8_t *p)
{
	int8x16_t v;
	__asm__("ld1 {%0.16b}, [%1]" : "=w"(v) : "r"(p), "m"(*(const int8_t(*)[16])p));
	return v;
}

/* Row i of r: 8 bytes in each half; afterwards r[j] holds column j of each half (two 8 × 8
 * byte transposes side by side: TRN of bytes, halfwords, words). */
static inline void q_transpose8(uint8x16_t r[8])
{
	uint8x16_t t[8];
	uint16x8_t u[8];
	for (int i = 0; i < 8; i += 2) {
		t[i] = vtrn1q_u8(r[i], r[i + 1]);
		t[i + 1] = vtrn2q_u8(r[i], r[i + 1]);
	}
	for (int i = 0; i < 8; i += 4)
		for (int j = 0; j < 2; j++) {
			u[i + j] = vtrn1q_u16(vreinterpretq_u16_u8(t[i + j]), vreinterpretq_u16_u8(t[i + j + 2]));
			u[i + j + 2] = vtrn2q_u16(vreinterpretq_u16_u8(t[i + j]), vreinterpretq_u16_u8(t[i + j + 2]));
		}
	for (int i = 0; i < 4; i++) {
		const uint32x4_t a = vreinterpretq_u32_u16(u[i]), b = vreinterpretq_u32_u16(u[i + 4]);
		r[i] = vreinterpretq_u8_u32(vtrn1q_u32(a, b));
		r[i + 4] = vreinterpretq_u8_u32(vtrn2q_u32(a, b));
	}
}

/* QPB pixels of k_n planes (a multiple of 8) into pk as int8 (x − 128 for U8): chunk j of 16
 * planes is 8 pixels × 16 bytes at pk + 128·j, a last chunk of 8 planes 8 pixels × 8 bytes. */
STL_INLINE void q_pack(int8_t *pk, const uint8_t *x, size_t ldx, uint32_t k_n, const int x_signed)
{
	const uint8x16_t flip = vdupq_n_u8(x_signed ? 0 : 0x80);
	for (uint32_t c = 0; c < k_n; c += 16, pk += 128) {
		const int half = k_n - c < 16; /* the last 8 planes: the high halves repeat the low */
		uint8x16_t r[8];
		for (uint32_t i = 0; i < 8; i++) {
			const uint8x8_t a = ld8u(x + (size_t)(c + i) * ldx);
			r[i] = vcombine_u8(a, half ? a : ld8u(x + (size_t)(c + 8 + i) * ldx));
		}
		q_transpose8(r);
		for (int p = 0; p < QPB; p++) {
			const int8x16_t v = vreinterpretq_s8_u8(x_signed ? r[p] : veorq_u8(r[p], flip));
			if (half)
				vst1_s8(pk + 8 * p, vget_low_s8(v));
			else
				vst1q_s8(pk + 16 * p, v);
		}
	}
}

/* One 16-deep chunk of q_dot4x4: the first one starts the sums (SADDLP), the others add (SADALP). */
STL_INLINE void q_chunk(int32x4_t acc[4][4], const int8_t *xp, const int8_t *wr[4], const int first)
{
	int8x16_t xv[4], wv[4];
	for (int q = 0; q < 4; q++)
		xv[q] = vld1q_s8((const int8_t *)__builtin_assume_aligned(xp + 16 * q, 16));
	for (int r = 0; r < 4; r++) /* post-indexed: the weight pointers step by themselves */
		__asm__("ld1 {%0.16b}, [%1], #16" : "=w"(wv[r]), "+r"(wr[r]) : "m"(*(const int8_t(*)[16])wr[r]));
	for (int r = 0; r < 4; r++)
		for (int q = 0; q < 4; q++) {
			const int16x8_t pr = vmlal_high_s8(vmull_s8(vget_low_s8(wv[r]), vget_low_s8(xv[q])), wv[r], xv[q]);
			acc[r][q] = first ? vpaddlq_s16(pr) : vpadalq_s16(acc[r][q], pr);
		}
}

/* Σ_c w[c]·x[c] for 4 weight rows × pixels 4s..4s+3 of the packed block, a vector of the four
 * pixels' sums per row. */
STL_INLINE void q_dot4x4(const int8_t *pk, const int8_t *const w4[4], uint32_t k_n, int s, int32x4_t out[4])
{
	int32x4_t acc[4][4];
	const int8_t *wr[4] = {w4[0], w4[1], w4[2], w4[3]};
	const int8_t *xp = pk + 64 * s;
	uint32_t c = 16;
	if (k_n >= 16) {
		q_chunk(acc, xp, wr, 1);
		for (xp += 128; c + 16 <= k_n; c += 16, xp += 128)
			q_chunk(acc, xp, wr, 0);
	} else {
		for (int r = 0; r < 4; r++)
			for (int q = 0; q < 4; q++)
				acc[r][q] = vdupq_n_s32(0);
		c = 0;
	}
	if (c < k_n) { /* 8 planes, 8 bytes per pixel */
		xp -= 32 * s;
		for (int r = 0; r < 4; r++) {
			const int8x8_t wv = ld8(wr[r]);
			for (int q = 0; q < 4; q++)
				acc[r][q] = vpadalq_s16(acc[r][q], vmull_s8(wv, vld1_s8(xp + 8 * q)));
		}
	}
	for (int r = 0; r < 4; r++)
		out[r] = vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));
}

/* Σw of each of rows rows of k_n weights into sum; 0 when a weight is −128. The int16 lanes hold
 * k_n / 8 ≤ 128 weights each. */
static int q_row_sums(const int8_t *w, uint32_t rows, uint32_t k_n, int32_t *sum)
{
	int8x8_t low = vdup_n_s8(0);
	for (uint32_t m = 0; m < rows; m++, w += k_n) {
		int16x8_t s = vdupq_n_s16(0);
		for (uint32_t c = 0; c < k_n; c += 8) {
			const int8x8_t v = ld8(w + c);
			s = vaddw_s8(s, v);
			low = vmin_s8(low, v);
		}
		sum[m] = vaddlvq_s16(s);
	}
	return vminv_s8(low) != -128;
}

STL_INLINE int q_gemm8(const uint8_t *x, size_t ldx, const int x_signed, int32_t zp, const int8_t *w, uint32_t m_n,
		   uint32_t k_n, uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, size_t ldy,
		   const struct stl_qparams *yq)
{
	int8_t pk[QPACK] __attribute__((aligned(16)));
	int32_t fix[QMG];
	for (uint32_t m0 = 0; m0 < m_n; m0 += QMG) /* first: no −128 anywhere (nothing written yet) */
		if (!q_row_sums(w + (size_t)m0 * k_n, m_n - m0 < QMG ? m_n - m0 : QMG, k_n, fix))
			return 0;
	const int32_t off = (x_signed ? 0 : 128) - zp; /* x − zp = (x − 128) + off for U8 */
	const struct stl_qr_out o = stl_qr_out(yq);
	const int y_signed = yq->qmin < 0;
	for (uint32_t g0 = 0; g0 < m_n; g0 += QMG) {
		const uint32_t g_n = m_n - g0 < QMG ? m_n - g0 : QMG;
		q_row_sums(w + (size_t)g0 * k_n, g_n, k_n, fix);
		for (uint32_t m = 0; m < g_n; m++) /* in uint32: wraps as the reference's int32 sum does */
			fix[m] = (int32_t)((uint32_t)(bias ? bias[g0 + m] : 0) + (uint32_t)(off * fix[m]));
		for (uint32_t p0 = 0; p0 < p_n; p0 += QPB) {
			const uint32_t start = p_n - p0 < QPB ? p_n - QPB : p0; /* the last block overlaps */
			q_pack(pk, x + start, ldx, k_n, x_signed);
			for (uint32_t m1 = 0; m1 < g_n; m1 += 4) {
				const int8_t *wr[4];
				uint32_t row[4];
				for (uint32_t r = 0; r < 4; r++) { /* past the group's end, its last row again */
					row[r] = m1 + r < g_n ? m1 + r : g_n - 1;
					wr[r] = w + (size_t)(g0 + row[r]) * k_n;
				}
				int32x4_t a[4], b[4];
				q_dot4x4(pk, wr, k_n, 0, a);
				q_dot4x4(pk, wr, k_n, 1, b);
				for (uint32_t r = 0; r < 4 && m1 + r < g_n; r++) {
					const int32x4_t f = vdupq_n_s32(fix[row[r]]);
					const float mr = mult[g0 + row[r]];
					const int16x8_t v = stl_qr_requant8(vaddq_s32(a[r], f), vaddq_s32(b[r], f), mr, &o);
					stl_qr_st8(y + (size_t)(g0 + row[r]) * ldy + start,
					    y_signed ? vreinterpret_u8_s8(vqmovn_s16(v)) : vqmovun_s16(v));
				}
			}
		}
	}
	return 1;
}

int stl_qgemm_planes(const uint8_t *x, size_t ldx, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n,
		     uint32_t k_n, uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, size_t ldy,
		     const struct stl_qparams *yq)
{
	if (k_n % 8 == 0 && k_n <= QPACK / QPB && p_n >= QPB && k_n > 0 &&
	    (x_signed ? q_gemm8(x, ldx, 1, zp, w, m_n, k_n, p_n, mult, bias, y, ldy, yq)
		      : q_gemm8(x, ldx, 0, zp, w, m_n, k_n, p_n, mult, bias, y, ldy, yq)))
		return 1;
	/* (x − zp)·w fits int16 × int16; Σ over 2^16 channels fits int32. */
	if (p_n < QW || k_n == 0 || k_n > 65536u)
		return 0;
	const int y_signed = yq->qmin < 0;
	struct qtile t;
	t.ldx = ldx;
	t.k_n = k_n;
	t.flip = x_signed ? 0x80 : 0;
	t.zpu = (uint8_t)(zp + (x_signed ? 128 : 0));
	for (uint32_t m0 = 0; m0 < m_n; m0 += QMR) {
		for (uint32_t r = 0; r < QMR; r++) {
			const uint32_t m = m0 + r < m_n ? m0 + r : m_n - 1;
			t.w[r] = w + (size_t)m * k_n;
			t.bias[r] = bias ? bias[m] : 0;
			t.mult[r] = mult[m];
		}
		for (uint32_t p0 = 0; p0 < p_n; p0 += QW) {
			const uint32_t start = p_n - p0 < QW ? p_n - QW : p0; /* the last block overlaps */
			t.x = x + start;
			for (uint32_t r = 0; r < QMR; r++)
				t.y[r] = m0 + r < m_n ? y + (size_t)(m0 + r) * ldy + start : NULL;
			q_tile(&t, yq, y_signed);
		}
	}
	return 1;
}

/* QGEMM (the classifier: one row, 1280 deep, 1000 columns): 64 columns in 16 int32x4 over the
 * whole depth, x − zp by element times the weights widened to int16 (SMLAL by element); the sums
 * are requantised in C (one per column: few). */
#define QCB 64

int stl_qgemm_rows(const uint8_t *x, int x_signed, int32_t zp, const int8_t *w, uint32_t rows, uint32_t depth,
		   uint32_t cols, const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq)
{
	if (cols < QCB)
		return 0;
	int32_t sums[QCB] __attribute__((aligned(16)));
	for (uint32_t i = 0; i < rows; i++)
		for (uint32_t j1 = 0; j1 < cols; j1 += QCB) {
			const uint32_t j0 = cols - j1 < QCB ? cols - QCB : j1; /* the last block overlaps */
			int32x4_t acc[QCB / 4];
			for (int v = 0; v < QCB / 4; v++)
				acc[v] = vdupq_n_s32(0);
			const int8_t *wp = w + j0;
			for (uint32_t k = 0; k < depth; k++, wp += cols) {
				const uint8_t b = x[(size_t)i * depth + k];
				const int16x4_t xd = vdup_n_s16((int16_t)((x_signed ? (int32_t)(int8_t)b : b) - zp));
				for (int v = 0; v < QCB / 4; v += 4) {
					const int8x16_t wv = ld16s(wp + 4 * v);
					const int16x8_t lo = vmovl_s8(vget_low_s8(wv)), hi = vmovl_high_s8(wv);
					acc[v] = vmlal_lane_s16(acc[v], vget_low_s16(lo), xd, 0);
					acc[v + 1] = vmlal_high_lane_s16(acc[v + 1], lo, xd, 0);
					acc[v + 2] = vmlal_lane_s16(acc[v + 2], vget_low_s16(hi), xd, 0);
					acc[v + 3] = vmlal_high_lane_s16(acc[v + 3], hi, xd, 0);
				}
			}
			for (int v = 0; v < QCB / 4; v++)
				vst1q_s32(sums + 4 * v, acc[v]); /* an aligned stack array */
			for (uint32_t j = 0; j < QCB; j++) { /* in uint32: wraps as the reference's int32 sum does */
				const int32_t a = (int32_t)((uint32_t)sums[j] + (uint32_t)(bias ? bias[j0 + j] : 0));
				y[(size_t)i * cols + j0 + j] = stl_qround((float)a * mult[j0 + j], yq);
			}
		}
	return 1;
}

#else

int stl_qgemm_planes(const uint8_t *x, size_t ldx, int x_signed, int32_t zp, const int8_t *w, uint32_t m_n,
		     uint32_t k_n, uint32_t p_n, const float *mult, const int32_t *bias, uint8_t *y, size_t ldy,
		     const struct stl_qparams *yq)
{
	(void)x, (void)ldx, (void)x_signed, (void)zp, (void)w, (void)m_n, (void)k_n, (void)p_n, (void)mult;
	(void)bias, (void)y, (void)ldy, (void)yq;
	return 0;
}

#endif

#if !(defined(__aarch64__) && defined(__ARM_NEON)) /* the plain loop of stl_k_qgemm vectorises on x86 */

int stl_qgemm_rows(const uint8_t *x, int x_signed, int32_t zp, const int8_t *w, uint32_t rows, uint32_t depth,
		   uint32_t cols, const float *mult, const int32_t *bias, uint8_t *y, const struct stl_qparams *yq)
{
	(void)x, (void)x_signed, (void)zp, (void)w, (void)rows, (void)depth, (void)cols, (void)mult, (void)bias;
	(void)y, (void)yq;
	return 0;
}

#endif
