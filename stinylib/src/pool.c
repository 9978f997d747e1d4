/* MAXPOOL, AVGPOOL and GLOBAL_AVGPOOL over NCHW. Window cells outside the input are skipped; the
 * loader proved every window holds at least one input cell. Cells whose window lies wholly inside
 * the input take a fast path specialised for the common 2×2 and 3×3 windows. */
#include "tzm_format.h"
#include "inline.h"
#include "kernels.h"
#include "simd.h"
#include "window.h"

struct pool_geometry {
	uint32_t h, w, oh, ow;
	uint32_t kh, kw, sh, sw, pt, pl, pb, pr;
	int is_max, count_pad;
};

/* max(acc, v) as x86 maxps computes it and ONNX Runtime's pooling inherits: when either is NaN
 * the result is v. One compare-and-select, so the loops vectorise (a NaN test that keeps an
 * earlier NaN costs the pool 2.5× on SqueezeNet). The same C gives the same results on NEON. */
static inline float pool_max(float acc, float v)
{
	return acc > v ? acc : v;
}

/* A window on one axis: input cells [lo, hi), and how many cells of the padded input it covers. */
static void axis_window(int64_t start, uint32_t k, uint32_t in, uint32_t pad_end, uint32_t *lo, uint32_t *hi,
			uint32_t *padded)
{
	int64_t end = start + k, pend = end < (int64_t)in + pad_end ? end : (int64_t)in + pad_end;
	*lo = (uint32_t)(start < 0 ? 0 : start);
	*hi = (uint32_t)(end > in ? in : end);
	*padded = (uint32_t)(pend - start);
}

/* One output cell, every window cell bounds-checked: for the border of the output. */
static float border_cell(const struct pool_geometry *g, const float *xp, uint32_t i, uint32_t j)
{
	uint32_t r0, r1, rp, c0, c1, cp;
	axis_window((int64_t)i * g->sh - g->pt, g->kh, g->h, g->pb, &r0, &r1, &rp);
	axis_window((int64_t)j * g->sw - g->pl, g->kw, g->w, g->pr, &c0, &c1, &cp);
	float acc = g->is_max ? xp[(size_t)r0 * g->w + c0] : 0.0f;
	for (uint32_t r = r0; r < r1; r++)
		for (uint32_t c = c0; c < c1; c++)
			acc = g->is_max ? pool_max(acc, xp[(size_t)r * g->w + c]) : acc + xp[(size_t)r * g->w + c];
	if (!g->is_max)
		acc /= (float)(g->count_pad ? rp * cp : (r1 - r0) * (c1 - c0));
	return acc;
}

/* Interior cells are pooled separably, a chunk of output cells at a time: first down the kh
 * window rows into a buffer (long contiguous loops), then across kw columns of the buffer. The
 * buffer bounds the chunk's input width, hence the limits on stride and window width. Stride 2
 * with 2 or 3 columns (SqueezeNet's 3×3/2 max pools) goes straight from the input (direct_2). */
#define POOL_CHUNK 32u
#define POOL_MAX_SW 4u
#define POOL_MAX_KW 8u
#define POOL_BUF ((POOL_CHUNK - 1) * POOL_MAX_SW + POOL_MAX_KW)

static int separable(const struct pool_geometry *g)
{
	return g->sw <= POOL_MAX_SW && g->kw <= POOL_MAX_KW;
}

/* Across step: out[o] = pool over buf[o·sw + c], c < kw, for o < n; kw, sw constant when specialised. */
STL_INLINE void across(const float *buf, uint32_t n, float *restrict out, float scale, const uint32_t kw,
		       const uint32_t sw, const int is_max)
{
	for (uint32_t o = 0; o < n; o++) {
		float acc = buf[o * sw];
		for (uint32_t c = 1; c < kw; c++)
			acc = is_max ? pool_max(acc, buf[o * sw + c]) : acc + buf[o * sw + c];
		out[o] = is_max ? acc : acc * scale;
	}
}

/* Down step: buf[c] = pool over the kh window rows of column c, for c < width, in vectors (the
 * last one overlapping the one before); narrower than a vector, one cell at a time. */
static void down(const struct pool_geometry *g, const float *x0, uint32_t width, float *restrict buf)
{
	if (width < STL_VL) {
		for (uint32_t c = 0; c < width; c++) {
			float acc = x0[c];
			for (uint32_t r = 1; r < g->kh; r++)
				acc = g->is_max ? pool_max(acc, x0[(size_t)r * g->w + c]) : acc + x0[(size_t)r * g->w + c];
			buf[c] = acc;
		}
		return;
	}
	for (uint32_t c = 0; c < width; c += STL_VL) {
		const uint32_t at = width - c < STL_VL ? width - STL_VL : c;
		stl_vf acc = stl_vld(x0 + at);
		for (uint32_t r = 1; r < g->kh; r++) {
			const stl_vf v = stl_vld(x0 + (size_t)r * g->w + at);
			acc = g->is_max ? stl_vmax(acc, v) : stl_vadd(acc, v);
		}
		stl_vst(buf + at, acc);
	}
}

/* even[i] = p[2i], odd[i] = p[2i + 1] from the first `floats` floats at p only, or from 2·VL (whole). */
STL_INLINE void load_pairs(const float *p, unsigned floats, const int whole, stl_vf *even, stl_vf *odd)
{
	if (whole)
		stl_vld_deinterleave(p, even, odd);
	else
		stl_vld_deinterleave_part(p, floats, even, odd);
}

/* The even and odd columns of kh window rows from x on (row stride w), each pooled down the rows:
 * from the first `floats` floats of each row only, or from 2·VL (whole). */
STL_INLINE void down_pairs(const float *x, size_t w, unsigned floats, const int whole, const uint32_t kh,
			   const int is_max, stl_vf *even, stl_vf *odd)
{
	load_pairs(x, floats, whole, even, odd);
	for (uint32_t r = 1; r < kh; r++) {
		stl_vf e, od;
		load_pairs(x + r * w, floats, whole, &e, &od);
		*even = is_max ? stl_vmax(*even, e) : stl_vadd(*even, e);
		*odd = is_max ? stl_vmax(*odd, od) : stl_vadd(*odd, od);
	}
}

/* A window's columns pooled down the rows, pooled across in the scalar order (kw 2 or 3). */
STL_INLINE stl_vf across_2(stl_vf even, stl_vf odd, stl_vf third, const uint32_t kw, const int is_max)
{
	const stl_vf acc = is_max ? stl_vmax(even, odd) : stl_vadd(even, odd);
	return kw == 3 ? (is_max ? stl_vmax(acc, third) : stl_vadd(acc, third)) : acc;
}

/* Output cells [o, o + n) (n <= VL; whole: n = VL, with whole-vector loads) of a stride-2 window
 * kh × kw (kw 2 or 3) whose first cell starts at x: each window row's even and odd columns are one
 * deinterleaving load, its third column the even lanes of a second one two columns on; pooled down
 * the rows, then across, in the scalar order. A partial load reads only the floats the n windows
 * cover; a whole one reads one column past the last window. */
STL_INLINE stl_vf window_2(const float *x, size_t w, unsigned n, const int whole, const uint32_t kh,
			   const uint32_t kw, const int is_max)
{
	stl_vf even, odd, third = stl_vdup(0.0f), unused;
	down_pairs(x, w, 2 * n, whole, kh, is_max, &even, &odd);
	if (kw == 3)
		down_pairs(x + 2, w, 2 * n - 1, whole, kh, is_max, &third, &unused);
	return across_2(even, odd, third, kw, is_max);
}

/* On NEON a partial load copies lane by lane: the last few cells cost less one at a time. */
#if defined(STL_SIMD_NEON)
#define POOL_PART_VECTORS 0
#else
#define POOL_PART_VECTORS 1
#endif

/* Interior cells [lo, hi) of a row with stride 2 and kw 2 or 3, straight from the input rows (no
 * buffer pass): whole vectors while their loads stay in the input row (the second load reads one
 * column past the last window), then the last few cells in partial vectors (or one at a time on
 * NEON), in the same order. */
STL_INLINE void direct_2(const struct pool_geometry *g, const float *rows, uint32_t lo, uint32_t hi,
			 float *restrict row, float scale, const uint32_t kh, const uint32_t kw, const int is_max)
{
	const stl_vf vscale = stl_vdup(scale);
	const size_t w = g->w;
	uint32_t o = lo;
#if defined(STL_SIMD_NEON)
	const size_t first = 2 * (size_t)o - g->pl; /* the first window's first column */
	/* kw 3 on NEON: a window's third column is the next window's first, so while the next vector's
	 * loads stay in the row, the third columns are the next vector's even columns pooled down, one
	 * EXT away, instead of a second deinterleaving load per row (the same values, in the same
	 * order); the next vector's columns are carried over to its own cells. */
	if (kw == 3 && o + STL_VL <= hi && first + 4 * STL_VL <= w) {
		/* vectors of cells: within [o, hi), and the next vector's loads within the row */
		const uint32_t in_cells = (hi - o) / STL_VL, in_row = (uint32_t)((w - first - 4 * STL_VL) / (2 * STL_VL) + 1);
		const uint32_t vectors = in_cells < in_row ? in_cells : in_row;
		const float *x = rows + first;
		float *restrict out = row + o;
		stl_vf even, odd;
		down_pairs(x, w, 2 * STL_VL, 1, kh, is_max, &even, &odd);
		for (uint32_t v = 0; v < vectors; v++) {
			stl_vf next_even, next_odd;
			x += 2 * STL_VL;
			down_pairs(x, w, 2 * STL_VL, 1, kh, is_max, &next_even, &next_odd);
			const stl_vf acc = across_2(even, odd, vextq_f32(even, next_even, 1), kw, is_max);
			stl_vst(out, is_max ? acc : stl_vmul(acc, vscale));
			out += STL_VL;
			even = next_even;
			odd = next_odd;
		}
		o += vectors * STL_VL;
	}
#endif
	for (; o + STL_VL <= hi && 2 * (size_t)o - g->pl + 2 * STL_VL + 2 <= w; o += STL_VL) {
		const stl_vf acc = window_2(rows + (2 * (size_t)o - g->pl), w, STL_VL, 1, kh, kw, is_max);
		stl_vst(row + o, is_max ? acc : stl_vmul(acc, vscale));
	}
	for (; POOL_PART_VECTORS && o < hi;) {
		const unsigned n = hi - o < STL_VL ? hi - o : STL_VL;
		const stl_vf acc = window_2(rows + (2 * (size_t)o - g->pl), w, n, 0, kh, kw, is_max);
		stl_vst_part(row + o, is_max ? acc : stl_vmul(acc, vscale), n);
		o += n;
	}
	for (; o < hi; o++) {
		const float *x = rows + (2 * (size_t)o - g->pl);
		float acc = 0.0f;
		for (uint32_t c = 0; c < kw; c++) {
			float col = x[c];
			for (uint32_t r = 1; r < kh; r++)
				col = is_max ? pool_max(col, x[r * w + c]) : col + x[r * w + c];
			acc = c == 0 ? col : is_max ? pool_max(acc, col) : acc + col;
		}
		row[o] = is_max ? acc : acc * scale;
	}
}

/* direct_2 with compile-time window sizes for the common 3×3, 2×2 (and kh other than 3 or 2). */
static void stride_2(const struct pool_geometry *g, const float *rows, uint32_t lo, uint32_t hi,
		     float *restrict row, float scale)
{
	const uint32_t kh = g->kh;
#define STL_DIRECT_2(kw, is_max) \
	(kh == kw ? direct_2(g, rows, lo, hi, row, scale, kw, kw, is_max) : direct_2(g, rows, lo, hi, row, scale, kh, kw, is_max))
	if (g->kw == 3)
		g->is_max ? STL_DIRECT_2(3, 1) : STL_DIRECT_2(3, 0);
	else
		g->is_max ? STL_DIRECT_2(2, 1) : STL_DIRECT_2(2, 0);
#undef STL_DIRECT_2
}

/* Interior cells [lo, hi) of output row i: every window lies inside the input. */
static void interior(const struct pool_geometry *g, const float *xp, uint32_t i, uint32_t lo, uint32_t hi,
		     float *restrict row)
{
	float buf[POOL_BUF];
	const float *rows = xp + ((size_t)i * g->sh - g->pt) * g->w;
	const float scale = 1.0f / (float)(g->kh * g->kw);
	if (g->sw == 2 && (g->kw == 2 || g->kw == 3)) {
		stride_2(g, rows, lo, hi, row, scale);
		return;
	}
	for (uint32_t o0 = lo; o0 < hi; o0 += POOL_CHUNK) {
		const uint32_t n = hi - o0 < POOL_CHUNK ? hi - o0 : POOL_CHUNK;
		const uint32_t width = (n - 1) * g->sw + g->kw;
		down(g, rows + ((size_t)o0 * g->sw - g->pl), width, buf);
		across(buf, n, row + o0, scale, g->kw, g->sw, g->is_max);
	}
}

static void pool(const struct stl_exec *e, int is_max)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const int32_t *a = e->op->iattr;
	const struct pool_geometry g = {
		xt->dims[2], xt->dims[3], yt->dims[2], yt->dims[3],
		(uint32_t)a[STL_A_KH], (uint32_t)a[STL_A_KW], (uint32_t)a[STL_A_SH], (uint32_t)a[STL_A_SW],
		(uint32_t)a[STL_A_PT], (uint32_t)a[STL_A_PL], (uint32_t)a[STL_A_PB], (uint32_t)a[STL_A_PR],
		is_max, !is_max && a[STL_A_COUNT_PAD],
	};
	uint32_t r_lo = 0, r_hi = 0, c_lo = 0, c_hi = 0;
	if (g.kh <= g.h)
		stl_valid_span(-(int64_t)g.pt, g.sh, g.h - g.kh + 1, g.oh, &r_lo, &r_hi);
	if (g.kw <= g.w)
		stl_valid_span(-(int64_t)g.pl, g.sw, g.w - g.kw + 1, g.ow, &c_lo, &c_hi);
	const uint32_t planes = xt->dims[0] * xt->dims[1];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));

	for (uint32_t pl = 0; pl < planes; pl++) {
		const float *xp = x + (size_t)pl * g.h * g.w;
		for (uint32_t i = 0; i < g.oh; i++) {
			float *restrict row = y + ((size_t)pl * g.oh + i) * g.ow;
			const int inner = i >= r_lo && i < r_hi && separable(&g);
			const uint32_t lo = inner ? c_lo : g.ow, hi = inner ? c_hi : g.ow;
			for (uint32_t o = 0; o < lo; o++)
				row[o] = border_cell(&g, xp, i, o);
			if (inner) /* a border row starts in the padding: no pointer to its first input row */
				interior(&g, xp, i, lo, hi, row);
			for (uint32_t o = hi; o < g.ow; o++)
				row[o] = border_cell(&g, xp, i, o);
		}
	}
}

void stl_k_maxpool(const struct stl_exec *e)
{
	if (stl_operand(e, 0)->dtype != STL_DTYPE_F32)
		stl_k_qmaxpool(e);
	else
		pool(e, 1);
}

void stl_k_avgpool(const struct stl_exec *e)
{
	pool(e, 0);
}

/* Sum of x[0..n) in eight interleaved partial sums: no loop-carried add chain, so it runs at load
 * speed and vectorises; the order is fixed, so every target gets the same result. */
static float sum8(const float *x, size_t n)
{
	float part[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (size_t k = 0; k < 8; k++)
			part[k] += x[i + k];
	for (; i < n; i++)
		part[0] += x[i];
	return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

void stl_k_global_avgpool(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0);
	const uint32_t planes = xt->dims[0] * xt->dims[1];
	const size_t area = (size_t)xt->dims[2] * xt->dims[3];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	for (uint32_t pl = 0; pl < planes; pl++)
		y[pl] = sum8(x + pl * area, area) / (float)area;
}
