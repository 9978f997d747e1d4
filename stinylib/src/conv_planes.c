#include "conv_planes.h"

#include <string.h>

#include "inline.h"
#include "simd.h"
#include "window.h"

_Static_assert(STL_PLANES_SLACK % STL_VL == 0, "the slack covers whole vectors");

/* Subplane rows and columns, in 64 bits: the scratch formula also sees unvalidated converter input. */
static uint64_t sub_rows(const struct stl_conv_geometry *g)
{
	return g->oh + (uint64_t)(g->kh - 1) * g->dh / g->sh;
}

static uint64_t sub_cols(const struct stl_conv_geometry *g)
{
	return g->ow + (uint64_t)(g->kw - 1) * g->dw / g->sw;
}

/* The valid cells of one column phase: cell j is padded column phase + j·sw, input column that
 * − pl; the same cells hold input on every row. */
static struct stl_phase_span phase_span(const struct stl_conv_geometry *g, const struct stl_planes *l, uint32_t phase)
{
	struct stl_phase_span s;
	const int64_t off = (int64_t)phase - g->pl;
	stl_valid_span(off, g->sw, g->w, (uint32_t)l->cols, &s.lo, &s.hi);
	s.first = (size_t)(off + (int64_t)s.lo * g->sw);
	return s;
}

void stl_planes_layout(const struct stl_conv_geometry *g, struct stl_planes *l)
{
	l->rows = (size_t)sub_rows(g);
	l->cols = (size_t)sub_cols(g);
	l->sub = l->rows * l->cols;
	l->plane = (size_t)g->sh * g->sw * l->sub;
	l->flat = (size_t)(g->oh - 1) * l->cols + g->ow;
	for (uint32_t phase = 0; phase < g->sw && phase < 2; phase++)
		l->span[phase] = phase_span(g, l, phase);
	/* Input row ih is padded row pt + ih: sub-row r / sh of row phase r % sh. Rows from
	 * rows·sh − pt on lie below the last window. */
	const uint64_t reach = (uint64_t)l->rows * g->sh;
	l->fill_rows = reach <= g->pt ? 0 : reach - g->pt < g->h ? (uint32_t)(reach - g->pt) : g->h;
}

uint64_t stl_planes_bytes(const struct stl_conv_geometry *g, uint32_t n)
{
	return 4ull * ((uint64_t)n * g->sh * g->sw * sub_rows(g) * sub_cols(g) + STL_PLANES_SLACK);
}

void stl_planes_zero(const struct stl_planes *l, uint32_t n, float *copy)
{
	memset(copy, 0, (n * l->plane + STL_PLANES_SLACK) * sizeof *copy);
}

/* dst[0..n) = src[0..n): four vectors at a time, then whole vectors, then the rest through a
 * partial copy. */
static inline void copy_run(float *restrict dst, const float *restrict src, size_t n)
{
	size_t i = 0;
	for (; i + 4 * STL_VL <= n; i += 4 * STL_VL) {
		stl_vf v[4];
		stl_vld_x4(src + i, v);
		stl_vst_x4(dst + i, v);
	}
	for (; i + STL_VL <= n; i += STL_VL)
		stl_vst(dst + i, stl_vld(src + i));
	if (i < n)
		stl_vcopy_part(dst + i, src + i, (unsigned)(n - i));
}

/* dst[i] = src[i·s] for i < n. */
static void gather(float *restrict dst, const float *restrict src, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i * s];
}

/* Stride 2: one pass splits a row into its two column phases, a vector pair at a time. Input
 * columns 0, 2, 4, ... are padded columns of the parity of pl: phase `even`; the odd ones go to the
 * other phase. */
static void fill_row_2(const struct stl_phase_span sp[2], int even, float *restrict dst[2], const float *restrict src)
{
	const struct stl_phase_span e = sp[even], o = sp[1 - even];
	float *restrict de = dst[even] + e.lo, *restrict dq = dst[1 - even] + o.lo;
	const size_t ne = e.hi - e.lo, no = o.hi - o.lo, pairs = ne < no ? ne : no;
	size_t i = 0;
	for (; i + STL_VL <= pairs; i += STL_VL) {
		stl_vf ve, vo;
		stl_vld_deinterleave(src + 2 * i, &ve, &vo);
		stl_vst(de + i, ve);
		stl_vst(dq + i, vo);
	}
	/* The rest (ne and no differ by at most one): its input columns are [2i, 2i + floats). */
	const size_t re = ne - i, ro = no - i, floats = re > ro ? 2 * re - 1 : 2 * ro;
	if (floats) {
		stl_vf ve, vo;
		stl_vld_deinterleave_part(src + 2 * i, (unsigned)floats, &ve, &vo);
		stl_vst_part(de + i, ve, (unsigned)re);
		stl_vst_part(dq + i, vo, (unsigned)ro);
	}
}

void stl_planes_fill(const struct stl_conv_geometry *g, const struct stl_planes *l, const float *x,
		     float *restrict copy)
{
	const uint32_t sh = g->sh, sw = g->sw, w = g->w;
	const size_t sub = l->sub, cols = l->cols, phase_step = (size_t)sw * sub;
	const uint32_t n = l->fill_rows;
	const struct stl_phase_span *sp = l->span;
	const int even = (int)(g->pl % 2);
	/* Where the destination row starts (in column phase 0), advanced by counting rather than
	 * dividing; unsigned arithmetic, so the step back to phase 0 may wrap. */
	uint32_t phase = g->pt % sh;
	size_t at = phase * phase_step + (size_t)(g->pt / sh) * cols;
	for (uint32_t ih = 0; ih < n; ih++) {
		float *row = copy + at;
		const float *src = x + (size_t)ih * w;
		if (sw == 1) {
			copy_run(row + sp[0].lo, src + sp[0].first, sp[0].hi - sp[0].lo);
		} else if (sw == 2) {
			float *dst[2] = {row, row + sub};
			fill_row_2(sp, even, dst, src);
		} else {
			for (uint32_t cp = 0; cp < sw; cp++) {
				const struct stl_phase_span s = phase_span(g, l, cp);
				gather(row + cp * sub + s.lo, src + s.first, s.hi - s.lo, sw);
			}
		}
		at += phase_step;
		if (++phase == sh) {
			phase = 0;
			at = at - sh * phase_step + cols;
		}
	}
}

size_t stl_planes_tap(const struct stl_conv_geometry *g, const struct stl_planes *l, uint32_t t)
{
	const size_t r = (size_t)(t / g->kw) * g->dh, c = (size_t)(t % g->kw) * g->dw;
	return (r % g->sh * g->sw + c % g->sw) * l->sub + r / g->sh * l->cols + c / g->sw;
}

void stl_planes_scatter(const struct stl_conv_geometry *g, const struct stl_planes *l, const float *tile,
			size_t ld, uint32_t count, size_t q, size_t n, float *y)
{
	const size_t p = (size_t)g->oh * g->ow;
	size_t oh = q / l->cols, ow = q % l->cols;
	for (size_t j = 0; j < n; oh++, ow = 0) {
		const size_t run = l->cols - ow < n - j ? l->cols - ow : n - j;
		if (ow < g->ow) {
			const size_t keep = g->ow - ow < run ? g->ow - ow : run;
			for (uint32_t i = 0; i < count; i++)
				copy_run(y + i * p + oh * g->ow + ow, tile + i * ld + j, keep);
		}
		j += run;
	}
}
