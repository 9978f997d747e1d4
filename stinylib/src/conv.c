/* CONV. Depthwise-style convs (one input channel per group) run a direct kernel vectorised along
 * the output row. Every other conv is a GEMM per group, Y[M/g × P] = W[M/g × K] · X_col[K × P]:
 * the input is packed (im2col) a column chunk at a time into the scratch tensor, in strips of 32
 * output pixels, so the micro-kernel streams contiguous memory and the scratch stays small. */
#include <string.h>

#include "act.h"
#include "conv_geometry.h"
#include "gemm.h"
#include "inline.h"
#include "kernels.h"
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

static int has_padding(const struct stl_conv_geometry *g)
{
	return g->pt || g->pl || g->pb || g->pr;
}

uint32_t stl_conv_scratch_bytes(const uint32_t x_dims[4], const uint32_t w_dims[4], const int32_t iattr[12])
{
	struct stl_conv_geometry g;
	if (stl_conv_geometry(&g, x_dims, w_dims, iattr) != STL_GEOM_OK || (g.cg == 1 && !has_padding(&g)))
		return 0;
	uint64_t bytes = g.cg == 1 ? 4ull * (g.h + g.pt + g.pb) * (g.w + g.pl + g.pr) /* one padded plane */
				   : 4ull * g.k * panel_cols(&g);
	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
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
	const int pointwise = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
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

/* Output row oh of a direct conv over a plane src (row stride ld) that already includes the
 * padding, so every tap is inside it. In the specialised calls kh, kw, the column stride sw and
 * the dilation dw are compile-time constants: the tap loops unroll and o vectorises with plain
 * (stride 1) or even/odd (stride 2) loads. */
STL_INLINE void direct_row(const struct stl_conv_geometry *g, const float *src, size_t ld, const float *wp,
			   float bias, uint32_t oh, float *restrict row, const uint32_t kh, const uint32_t kw,
			   const uint32_t sw, const uint32_t dw)
{
	const float *top = src + (size_t)oh * g->sh * ld;
	const size_t dy = (size_t)g->dh * ld;
	for (uint32_t o = 0; o < g->ow; o++) {
		float acc = bias;
		for (uint32_t ky = 0; ky < kh; ky++)
			for (uint32_t kx = 0; kx < kw; kx++)
				acc += wp[ky * kw + kx] * top[ky * dy + (size_t)o * sw + kx * dw];
		row[o] = acc;
	}
}

/* One output plane; dispatches to direct_row specialised for the common depthwise convs. */
static void direct_plane(const struct stl_conv_geometry *g, const float *src, size_t ld, const float *wp,
			 float bias, float *out)
{
	for (uint32_t oh = 0; oh < g->oh; oh++) {
		float *row = out + (size_t)oh * g->ow;
		if (g->kh == 3 && g->kw == 3 && g->dw == 1 && g->sw == 1)
			direct_row(g, src, ld, wp, bias, oh, row, 3, 3, 1, 1);
		else if (g->kh == 3 && g->kw == 3 && g->dw == 1 && g->sw == 2)
			direct_row(g, src, ld, wp, bias, oh, row, 3, 3, 2, 1);
		else
			direct_row(g, src, ld, wp, bias, oh, row, g->kh, g->kw, g->sw, g->dw);
	}
}

/* Copy an input plane into buf with its zero padding around it (row stride w + pl + pr). */
static void pad_plane(const struct stl_conv_geometry *g, const float *x, float *restrict buf)
{
	const size_t ld = (size_t)g->w + g->pl + g->pr;
	memset(buf, 0, g->pt * ld * sizeof *buf);
	float *row = buf + g->pt * ld;
	for (uint32_t r = 0; r < g->h; r++, row += ld) {
		memset(row, 0, g->pl * sizeof *buf);
		memcpy(row + g->pl, x + (size_t)r * g->w, g->w * sizeof *buf);
		memset(row + g->pl + g->w, 0, g->pr * sizeof *buf);
	}
	memset(row, 0, g->pb * ld * sizeof *buf);
}

/* Convs with one input channel per group (depthwise, possibly with a channel multiplier). A
 * padded conv first copies each input plane with its padding into the scratch tensor, so the
 * kernel has no border cases. */
static void conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x,
			const float *w, const float *b, float *y, float *pad_buf)
{
	const uint32_t mult = g->m / g->group;
	const size_t plane = (size_t)g->h * g->w;
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t ic = 0; ic < g->c; ic++) {
			const float *src = x + ((size_t)n * g->c + ic) * plane;
			size_t ld = g->w;
			if (pad_buf) {
				pad_plane(g, src, pad_buf);
				src = pad_buf;
				ld = (size_t)g->w + g->pl + g->pr;
			}
			for (uint32_t oc = ic * mult; oc < (ic + 1) * mult; oc++) {
				float *out = y + ((size_t)n * g->m + oc) * g->p;
				direct_plane(g, src, ld, w + (size_t)oc * g->kh * g->kw, b ? b[oc] : 0.0f, out);
				stl_act_apply(e->op, out, g->p);
			}
		}
}

void stl_k_conv(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1);
	struct stl_conv_geometry g;
	stl_conv_geometry(&g, xt->dims, wt->dims, e->op->iattr); /* validated at load */
	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	float *y = stl_data(e, stl_out(e));

	if (g.cg == 1) {
		conv_direct(e, &g, x, w, b, y, has_padding(&g) ? stl_data(e, stl_scratch(e)) : NULL);
		return;
	}
	float *panel = stl_data(e, stl_scratch(e));
	const uint32_t mg = g.m / g.group, cols = panel_cols(&g);
	const size_t plane = (size_t)g.h * g.w;
	for (uint32_t n = 0; n < g.n; n++)
		for (uint32_t gi = 0; gi < g.group; gi++) {
			const float *xg = x + ((size_t)n * g.c + (size_t)gi * g.cg) * plane;
			const float *wg = w + (size_t)gi * mg * g.k;
			float *yg = y + ((size_t)n * g.m + (size_t)gi * mg) * g.p;
			for (uint32_t p0 = 0; p0 < g.p; p0 += cols) {
				const uint32_t pc = g.p - p0 < cols ? g.p - p0 : cols;
				pack_panel(&g, xg, p0, pc, panel);
				stl_gemm_packed(mg, pc, g.k, wg, g.k, panel, yg + p0, g.p, b ? b + (size_t)gi * mg : NULL);
				for (uint32_t i = 0; i < mg; i++)
					stl_act_apply(e->op, yg + (size_t)i * g.p + p0, pc);
			}
		}
}
