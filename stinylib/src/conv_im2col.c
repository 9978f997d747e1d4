/* CONV as a GEMM per group, Y[M/g × P] = W[M/g × K] · X_col[K × P]: the input is packed (im2col)
 * a column chunk at a time into the scratch tensor, in strips of 32 output pixels, so the
 * micro-kernel streams contiguous memory and the scratch stays small. A pointwise conv's input
 * already is its X_col: it is read in place as far as the GEMM's tiles can (stl_gemm_in_place_cols)
 * and only the rest of the last strip is packed (zero-padded). */
#include <string.h>

#include "conv.h"
#include "gemm.h"
#include "window.h"

/* Budget of one packed panel: 32 Ki floats = 128 KiB, so it stays in L2 while every row block of
 * the weights passes over it. */
#define STL_PANEL_FLOATS 32768u

/* Output pixels per packed chunk: whole strips within the budget (at least one), at most all. */
static uint32_t panel_cols(const struct stl_conv_geometry *g)
{
	uint64_t strips = STL_PANEL_FLOATS / ((uint64_t)g->k * STL_STRIP);
	uint64_t all = ((uint64_t)g->p + STL_STRIP - 1) / STL_STRIP;
	if (strips < 1)
		strips = 1;
	return (uint32_t)((strips < all ? strips : all) * STL_STRIP);
}

uint64_t stl_conv_im2col_scratch(const struct stl_conv_geometry *g)
{
	return 4ull * g->k * panel_cols(g);
}

/*
 * im2col of output pixels [p0, p0 + pc) for one group: xg is the group's first input channel.
 * Row r = (c·kh + ky)·kw + kx of strip s is the input cell each pixel of the strip sees through
 * kernel tap (c, ky, kx), or 0 in the padding; pixels past pc are 0.
 */
static void pack_panel(const struct stl_conv_geometry *g, const float *xg, uint32_t p0, uint32_t pc,
		       float *restrict panel)
{
	const size_t plane = (size_t)g->h * g->w;
	const int pointwise = stl_conv_is_plain_pointwise(g);
	for (uint32_t s = 0; s * STL_STRIP < pc; s++) {
		float *restrict strip = panel + (size_t)s * g->k * STL_STRIP;
		const uint32_t q0 = p0 + s * STL_STRIP;
		const uint32_t qn = pc - s * STL_STRIP < STL_STRIP ? pc - s * STL_STRIP : STL_STRIP;
		for (uint32_t c = 0; c < g->cg; c++)
			for (uint32_t ky = 0; ky < g->kh; ky++)
				for (uint32_t kx = 0; kx < g->kw; kx++) {
					float *restrict d = strip + (size_t)((c * g->kh + ky) * g->kw + kx) * STL_STRIP;
					const float *xc = xg + c * plane;
					memset(d + qn, 0, (STL_STRIP - qn) * sizeof *d);
					if (pointwise) { /* the pixels are the input cells, in order */
						memcpy(d, xc + q0, qn * sizeof *d);
						continue;
					}
					const int64_t off = (int64_t)kx * g->dw - g->pl;
					/* Walk the strip one output row (run) at a time. */
					for (uint32_t j = 0; j < qn;) {
						const uint32_t q = q0 + j, oh = q / g->ow, o0 = q % g->ow;
						const uint32_t run = g->ow - o0 < qn - j ? g->ow - o0 : qn - j;
						const int64_t ih = (int64_t)oh * g->sh - g->pt + (int64_t)ky * g->dh;
						uint32_t lo = o0, hi = o0;
						if (ih >= 0 && ih < g->h) {
							stl_valid_span(off, g->sw, g->w, o0 + run, &lo, &hi);
							lo = lo < o0 ? o0 : lo;
							hi = hi < lo ? lo : hi;
						}
						float *restrict dr = d + j - o0; /* indexed by output column */
						const float *xr = xc + (ih >= 0 && ih < g->h ? (size_t)ih * g->w : 0);
						for (uint32_t o = o0; o < lo; o++)
							dr[o] = 0.0f;
						if (g->sw == 1)
							memcpy(dr + lo, xr + lo + off, (hi - lo) * sizeof *d);
						else
							for (uint32_t o = lo; o < hi; o++)
								dr[o] = xr[o * g->sw + off];
						for (uint32_t o = hi; o < o0 + run; o++)
							dr[o] = 0.0f;
						j += run;
					}
				}
	}
}

void stl_conv_im2col(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *panel, uint32_t u0, uint32_t u1)
{
	const uint32_t mg = g->m / g->group, cols = panel_cols(g);
	const size_t plane = (size_t)g->h * g->w;
	/* A pointwise conv's input already is its im2col matrix: whole strips are read in place. */
	const int pointwise = stl_conv_is_plain_pointwise(g);
	/* the columns of a chunk read in place: all of a whole chunk (whole strips), as many of the
	 * last one as the GEMM can (asked once: a call in the loops costs the packing its registers) */
	const uint32_t last = g->p % cols ? g->p % cols : cols;
	const uint32_t last_direct = pointwise ? stl_gemm_in_place_cols(last) : 0;
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t u = u0; u < u1;) {
			/* this chunk's output channels [r0, r1) of group gi: rows r0... of W */
			const struct stl_conv_rows r = stl_conv_next_rows(g, &u, u1);
			const uint32_t gi = r.group, rows = r.r1 - r.r0;
			const float *xg = x + ((size_t)n * g->c + (size_t)gi * g->cg) * plane;
			const float *wg = w + ((size_t)gi * mg + r.r0) * g->k;
			const float *bg = b ? b + (size_t)gi * mg + r.r0 : NULL;
			float *yg = y + ((size_t)n * g->m + (size_t)gi * mg + r.r0) * g->p;
			for (uint32_t p0 = 0; p0 < g->p; p0 += cols) {
				const uint32_t pc = g->p - p0 < cols ? g->p - p0 : cols;
				const uint32_t direct = !pointwise ? 0 : p0 + pc < g->p ? pc : last_direct;
				if (direct) {
					const struct stl_bmat in_place = {xg + p0, g->p, STL_STRIP};
					stl_gemm(rows, direct, g->k, wg, g->k, in_place, yg + p0, g->p, bg, e->op);
				}
				if (direct < pc) {
					pack_panel(g, xg, p0 + direct, pc - direct, panel);
					const struct stl_bmat packed = {panel, STL_STRIP, (size_t)g->k * STL_STRIP};
					stl_gemm(rows, pc - direct, g->k, wg, g->k, packed, yg + p0 + direct, g->p, bg, e->op);
				}
			}
		}
}
