/* CONV. Depthwise-style convs (one input channel per group) run a direct kernel vectorised along
 * the output row. Every other conv is a GEMM per group, Y[M/g × P] = W[M/g × K] · X_col[K × P]:
 * the input is packed (im2col) a column chunk at a time into the scratch tensor, in strips of 32
 * output pixels, so the micro-kernel streams contiguous memory and the scratch stays small. */
#include <string.h>

#include "act.h"
#include "conv_geometry.h"
#include "gemm.h"
#include "kernels.h"

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

uint32_t stl_conv_scratch_bytes(const uint32_t x_dims[4], const uint32_t w_dims[4], const int32_t iattr[12])
{
	struct stl_conv_geometry g;
	if (stl_conv_geometry(&g, x_dims, w_dims, iattr) != STL_GEOM_OK || g.cg == 1)
		return 0;
	uint64_t bytes = 4ull * g.k * panel_cols(&g);
	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

/* First output index o in [0, n) with o*s + off >= 0, and one past the last with o*s + off < len. */
static void valid_span(int64_t off, uint32_t s, uint32_t len, uint32_t n, uint32_t *lo, uint32_t *hi)
{
	int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
	int64_t b = (int64_t)len - 1 - off < 0 ? 0 : ((int64_t)len - 1 - off) / s + 1;
	if (b > n)
		b = n;
	if (a > b)
		a = b;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
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
	for (uint32_t s = 0; s * STL_STRIP < pc; s++) {
		float *restrict strip = panel + (size_t)s * g->k * STL_STRIP;
		const uint32_t q0 = p0 + s * STL_STRIP;
		const uint32_t qn = pc - s * STL_STRIP < STL_STRIP ? pc - s * STL_STRIP : STL_STRIP;
		for (uint32_t c = 0; c < g->cg; c++)
			for (uint32_t ky = 0; ky < g->kh; ky++)
				for (uint32_t kx = 0; kx < g->kw; kx++) {
					float *restrict d = strip + (size_t)((c * g->kh + ky) * g->kw + kx) * STL_STRIP;
					const float *xc = xg + c * plane;
					const int64_t off = (int64_t)kx * g->dw - g->pl;
					uint32_t j = 0;
					/* Walk the strip one output row at a time. */
					while (j < qn) {
						const uint32_t q = q0 + j, oh = q / g->ow, ow0 = q % g->ow;
						const uint32_t run = g->ow - ow0 < qn - j ? g->ow - ow0 : qn - j;
						const int64_t ih = (int64_t)oh * g->sh - g->pt + (int64_t)ky * g->dh;
						if (ih < 0 || ih >= g->h) {
							memset(d + j, 0, run * sizeof *d);
						} else {
							const float *xr = xc + (size_t)ih * g->w;
							uint32_t lo, hi;
							valid_span(off, g->sw, g->w, ow0 + run, &lo, &hi);
							for (uint32_t t = 0; t < run; t++) {
								uint32_t o = ow0 + t;
								d[j + t] = o >= lo && o < hi ? xr[o * g->sw + off] : 0.0f;
							}
						}
						j += run;
					}
					memset(d + qn, 0, (STL_STRIP - qn) * sizeof *d);
				}
	}
}

/* Convs with one input channel per group (depthwise, possibly with a channel multiplier). */
static void conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x,
			const float *w, const float *b, float *y)
{
	const uint32_t mult = g->m / g->group;
	const size_t plane = (size_t)g->h * g->w;
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t oc = 0; oc < g->m; oc++) {
			const float *xp = x + ((size_t)n * g->c + oc / mult) * plane;
			const float *wp = w + (size_t)oc * g->kh * g->kw;
			float *yp = y + ((size_t)n * g->m + oc) * g->p;
			const float bias = b ? b[oc] : 0.0f;
			for (uint32_t oh = 0; oh < g->oh; oh++) {
				float *restrict row = yp + (size_t)oh * g->ow;
				for (uint32_t o = 0; o < g->ow; o++)
					row[o] = bias;
				for (uint32_t ky = 0; ky < g->kh; ky++) {
					const int64_t ih = (int64_t)oh * g->sh - g->pt + (int64_t)ky * g->dh;
					if (ih < 0 || ih >= g->h)
						continue;
					const float *restrict xr = xp + (size_t)ih * g->w;
					for (uint32_t kx = 0; kx < g->kw; kx++) {
						const float wv = wp[ky * g->kw + kx];
						const int64_t off = (int64_t)kx * g->dw - g->pl;
						uint32_t lo, hi;
						valid_span(off, g->sw, g->w, g->ow, &lo, &hi);
						if (g->sw == 1)
							for (uint32_t o = lo; o < hi; o++)
								row[o] += wv * xr[o + off];
						else
							for (uint32_t o = lo; o < hi; o++)
								row[o] += wv * xr[o * g->sw + off];
					}
				}
			}
			stl_act_apply(e->op, yp, g->p);
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
		conv_direct(e, &g, x, w, b, y);
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
