/* MAXPOOL of a quantised (U8/I8) tensor, on the integers: the max of the stored values is the
 * stored value of the max, as the real values are an increasing function of them (scale > 0), and
 * the output has the input's scale and zero point (the loader checks). ONNX Runtime runs MaxPool
 * on uint8/int8 the same way. Window cells outside the input are skipped, as in pool.c; every
 * window holds at least one input cell (the loader proved it). I8 values are compared as U8 after
 * x ^ 0x80, which orders them alike, so that one loop that vectorises serves both. */
#include <string.h>

#include "inline.h"
#include "kernels.h"

/* Output cells per pass: the input span of a pass (the down buffer) is at most QPOOL_SPAN bytes. */
#define QPOOL_SPAN 1024u

static inline uint8_t umax(uint8_t a, uint8_t b)
{
	return a > b ? a : b;
}

/* [*lo, *hi): the input cells of a window starting at `start` of k cells in an axis of n. */
static void window(int64_t start, uint32_t k, uint32_t n, uint32_t *lo, uint32_t *hi)
{
	const int64_t end = start + k;
	*lo = (uint32_t)(start < 0 ? 0 : start);
	*hi = (uint32_t)(end > n ? n : end);
}

/* out[o] = max of b[o·sw + c], c < kw, for o < n (kw, sw constants where inlined so) */
STL_INLINE void across(const uint8_t *b, uint32_t n, uint8_t *restrict out, uint8_t flip, const uint32_t kw,
		       const uint32_t sw)
{
	for (uint32_t o = 0; o < n; o++) {
		uint8_t m = b[o * sw];
		for (uint32_t c = 1; c < kw; c++)
			m = umax(m, b[o * sw + c]);
		out[o] = m ^ flip;
	}
}

#if defined(__aarch64__) && defined(__ARM_NEON)
#include "bytes_neon.h"
#endif

/* buf[c] = src[c] ^ flip (first) or max(buf[c], src[c] ^ flip), c < n */
static void down(uint8_t *buf, const uint8_t *src, uint32_t n, uint8_t flip, int first)
{
	uint32_t c = 0;
#if defined(__aarch64__) && defined(__ARM_NEON)
	const uint8x16_t f = vdupq_n_u8(flip);
	for (; c < n && n >= 16; c += 16) {
		c = c + 16 <= n ? c : n - 16; /* the last vector overlaps the one before: max is idempotent */
		const uint8x16_t v = veorq_u8(ld16(src + c), f);
		st16(buf + c, first ? v : vmaxq_u8(ld16(buf + c), v));
	}
#endif
	for (; c < n; c++)
		buf[c] = first ? src[c] ^ flip : umax(buf[c], src[c] ^ flip);
}

/* across() for 2×2/2 and 3×3/2 windows: 16 outputs from two (kw 3: three) deinterleaved
 * vectors; returns how many outputs it wrote, all or none (fewer than 16: the caller does them). */
static uint32_t across_s2(const uint8_t *b, uint32_t n, uint8_t *out, uint8_t flip, uint32_t kw)
{
	uint32_t o = 0;
#if defined(__aarch64__) && defined(__ARM_NEON)
	const uint8x16_t f = vdupq_n_u8(flip);
	for (; o < n && n >= 16; o += 16) {
		o = o + 16 <= n ? o : n - 16; /* the last 16 overlap the ones before (the same bytes) */
		const uint8x16x2_t v = vld2q_u8(b + 2 * o); /* columns 2o and 2o + 1 (LD2: byte alignment) */
		uint8x16_t m = vmaxq_u8(v.val[0], v.val[1]);
		if (kw == 3) /* column 2o + 2: the next even column (its last one read from memory) */
			m = vmaxq_u8(m, vextq_u8(v.val[0], vld1q_dup_u8(b + 2 * o + 32), 1));
		st16(out + o, veorq_u8(m, f));
	}
#else
	(void)b, (void)n, (void)out, (void)flip, (void)kw;
#endif
	return o;
}

/* Output column o's max from buf (input columns from lo on), its window clipped to the row. */
static uint8_t across_clipped(const uint8_t *buf, uint32_t lo, uint32_t o, uint32_t kw, uint32_t sw, int64_t pl,
			      uint32_t w)
{
	uint32_t c0, c1;
	window((int64_t)o * sw - pl, kw, w, &c0, &c1);
	uint8_t m = buf[c0 - lo];
	for (uint32_t c = c0 + 1; c < c1; c++)
		m = umax(m, buf[c - lo]);
	return m;
}

void stl_k_qmaxpool(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const int32_t *a = e->op->iattr;
	const uint32_t h = xt->dims[2], w = xt->dims[3], oh = yt->dims[2], ow = yt->dims[3];
	const uint32_t kh = (uint32_t)a[STL_A_KH], kw = (uint32_t)a[STL_A_KW];
	const uint32_t sh = (uint32_t)a[STL_A_SH], sw = (uint32_t)a[STL_A_SW];
	const int64_t pt = a[STL_A_PT], pl = a[STL_A_PL];
	const uint8_t flip = xt->dtype == STL_DTYPE_I8 ? 0x80 : 0;
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	/* output cells per pass: their windows span (n − 1)·sw + kw ≤ QPOOL_SPAN input columns */
	const uint32_t per_pass = kw > QPOOL_SPAN ? 0 : sw > QPOOL_SPAN ? 1 : (QPOOL_SPAN - kw) / sw + 1;
	uint8_t buf[QPOOL_SPAN];

	for (uint32_t pl_i = 0; pl_i < xt->dims[0] * xt->dims[1]; pl_i++) {
		const uint8_t *xp = x + (size_t)pl_i * h * w;
		uint8_t *yp = y + (size_t)pl_i * oh * ow;
		for (uint32_t i = 0; i < oh; i++) {
			uint32_t r0, r1;
			window((int64_t)i * sh - pt, kh, h, &r0, &r1);
			uint8_t *row = yp + (size_t)i * ow;
			if (per_pass == 0) { /* a window wider than the buffer: cell by cell */
				for (uint32_t o = 0; o < ow; o++) {
					uint32_t c0, c1;
					window((int64_t)o * sw - pl, kw, w, &c0, &c1);
					uint8_t m = 0;
					for (uint32_t r = r0; r < r1; r++)
						for (uint32_t c = c0; c < c1; c++)
							m = umax(m, xp[(size_t)r * w + c] ^ flip);
					row[o] = m ^ flip;
				}
				continue;
			}
			for (uint32_t o0 = 0; o0 < ow; o0 += per_pass) {
				const uint32_t o1 = ow - o0 < per_pass ? ow : o0 + per_pass;
				uint32_t lo, hi, unused;
				window((int64_t)o0 * sw - pl, kw, w, &lo, &unused);
				window((int64_t)(o1 - 1) * sw - pl, kw, w, &unused, &hi);
				/* down the window rows: buf[c − lo] = max over rows r0..r1 − 1 of column c */
				const uint32_t span = hi - lo;
				for (uint32_t r = r0; r < r1; r++)
					down(buf, xp + (size_t)r * w + lo, span, flip, r == r0);
				/* across each window's columns: those wholly inside the row with constant
				 * window sizes for the common 3×3/2 and 2×2/2 (so that they vectorise) */
				uint32_t o = o0;
				for (; o < o1 && (int64_t)o * sw - pl < 0; o++)
					row[o] = across_clipped(buf, lo, o, kw, sw, pl, w) ^ flip;
				uint32_t in_hi = o;
				while (in_hi < o1 && (int64_t)in_hi * sw - pl + kw <= w)
					in_hi++;
				const uint8_t *b0 = buf + ((int64_t)o * sw - pl - lo);
				if ((kw == 3 || kw == 2) && sw == 2) {
					const uint32_t done = across_s2(b0, in_hi - o, row + o, flip, kw);
					if (kw == 3)
						across(b0 + 2 * done, in_hi - o - done, row + o + done, flip, 3, 2);
					else
						across(b0 + 2 * done, in_hi - o - done, row + o + done, flip, 2, 2);
				} else
					across(b0, in_hi - o, row + o, flip, kw, sw);
				for (o = in_hi; o < o1; o++)
					row[o] = across_clipped(buf, lo, o, kw, sw, pl, w) ^ flip;
			}
		}
	}
}
