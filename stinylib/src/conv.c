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

uint32_t stl_conv_scratch_bytes(const uint32_t x_dims[4], const uint32_t w_dims[4], const int32_t iattr[12])
{
	struct stl_conv_geometry g;
	if (stl_conv_geometry(&g, x_dims, w_dims, iattr) != STL_GEOM_OK)
		return 0;
	uint64_t bytes;
	if (g.cg == 1) { /* one padded, phase-split input plane (see direct_layout) */
		uint64_t phase_len = ((uint64_t)g.w + g.pl + g.pr + g.sw - 1) / g.sw;
		bytes = 4ull * ((uint64_t)g.h + g.pt + g.pb) * phase_len * g.sw;
	} else { /* one packed im2col panel */
		bytes = 4ull * g.k * panel_cols(&g);
	}
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

/*
 * Direct convs read their input from a copy in the scratch tensor: the plane with its zero padding,
 * each row split into sw phases (phase r holds padded columns r, r + sw, r + 2sw, ...). Then every
 * kernel tap reads consecutive cells for consecutive outputs, whatever the stride, and nothing
 * needs a border case.
 */
struct direct_layout {
	size_t phase_len;  /* cells per phase: ceil(padded width / sw) */
	size_t row;        /* cells per padded row: sw * phase_len */
};

static struct direct_layout direct_layout(const struct stl_conv_geometry *g)
{
	struct direct_layout l;
	l.phase_len = ((size_t)g->w + g->pl + g->pr + g->sw - 1) / g->sw;
	l.row = l.phase_len * g->sw;
	return l;
}

/* dst[i] = src[i·sw] for i < n; sw is a compile-time constant when specialised. */
STL_INLINE void gather_phase(float *restrict dst, const float *restrict src, uint32_t n, const uint32_t sw)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[(size_t)i * sw];
}

static void copy_plane(const struct stl_conv_geometry *g, const struct direct_layout *l, const float *x,
		       float *restrict buf)
{
	memset(buf, 0, g->pt * l->row * sizeof *buf);
	memset(buf + (g->pt + (size_t)g->h) * l->row, 0, g->pb * l->row * sizeof *buf);
	for (uint32_t r = 0; r < g->h; r++) {
		for (uint32_t phase = 0; phase < g->sw; phase++) {
			/* Cell i of this phase is padded column phase + i·sw, input column that − pl. */
			float *restrict dst = buf + (g->pt + (size_t)r) * l->row + phase * l->phase_len;
			const int64_t off = (int64_t)phase - g->pl;
			uint32_t lo, hi;
			stl_valid_span(off, g->sw, g->w, (uint32_t)l->phase_len, &lo, &hi);
			const float *src = x + (size_t)r * g->w + (size_t)(off + (int64_t)lo * g->sw);
			for (uint32_t i = 0; i < lo; i++)
				dst[i] = 0.0f;
			if (g->sw == 1)
				memcpy(dst + lo, src, (hi - lo) * sizeof *buf);
			else if (g->sw == 2)
				gather_phase(dst + lo, src, hi - lo, 2);
			else
				gather_phase(dst + lo, src, hi - lo, g->sw);
			for (uint32_t i = hi; i < l->phase_len; i++)
				dst[i] = 0.0f;
		}
	}
}

/* Kernel taps, at most STL_TAPS at a time, as offsets of their first input cell from the start of
 * an output row's window in the plane copy (see direct_layout). */
#define STL_TAPS 25

static uint32_t tap_offsets(const struct stl_conv_geometry *g, const struct direct_layout *l, uint32_t first,
			    size_t off[STL_TAPS])
{
	const uint32_t total = g->kh * g->kw, n = total - first < STL_TAPS ? total - first : STL_TAPS;
	for (uint32_t t = 0; t < n; t++) {
		const uint32_t ky = (first + t) / g->kw, col = (first + t) % g->kw * g->dw;
		off[t] = (size_t)ky * g->dh * l->row + col % g->sw * l->phase_len + col / g->sw;
	}
	return n;
}

/* row[o] = init + Σ_t w[t]·in[off[t] + o] for o < ow, where init is the bias (first chunk of taps)
 * or row[o] itself (later chunks). ntaps and accumulate are compile-time constants in the
 * specialised calls, so the tap loop unrolls and o vectorises. */
STL_INLINE void direct_cells(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			     float *restrict row, const uint32_t ntaps, const int accumulate)
{
	for (uint32_t o = 0; o < ow; o++) {
		float acc = accumulate ? row[o] : bias;
		for (uint32_t t = 0; t < ntaps; t++)
			acc += w[t] * in[off[t] + o];
		row[o] = acc;
	}
}

/* A fresh output row (bias, no accumulation) in blocks of a constant width blk; the last block
 * overlaps the one before rather than leaving a scalar remainder, which matters on 7- and 14-wide
 * rows. Needs ow >= blk. */
STL_INLINE void direct_blocks(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			      float *restrict row, const uint32_t ntaps, const uint32_t blk)
{
	uint32_t o = 0;
	for (; o + blk <= ow; o += blk)
		direct_cells(in + o, off, w, bias, blk, row + o, ntaps, 0);
	if (o < ow)
		direct_cells(in + ow - blk, off, w, bias, blk, row + ow - blk, ntaps, 0);
}

/* The first chunk of 9 taps (3×3 kernels) with the widest block that fits the row. */
static void direct_row_3x3(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			   float *restrict row)
{
	if (ow >= 16)
		direct_blocks(in, off, w, bias, ow, row, 9, 16);
	else if (ow >= 8)
		direct_blocks(in, off, w, bias, ow, row, 9, 8);
	else if (ow >= 4)
		direct_blocks(in, off, w, bias, ow, row, 9, 4);
	else
		direct_cells(in, off, w, bias, ow, row, 9, 0);
}

/* Convs with one input channel per group (depthwise, possibly with a channel multiplier), taps in
 * chunks of up to STL_TAPS (one chunk up to 5×5 kernels; larger kernels re-copy the planes). */
static void conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x,
			const float *w, const float *b, float *y, float *plane)
{
	const struct direct_layout l = direct_layout(g);
	const uint32_t mult = g->m / g->group, taps = g->kh * g->kw;
	size_t off[STL_TAPS];
	for (uint32_t first = 0; first < taps;) {
		const uint32_t n = tap_offsets(g, &l, first, off);
		for (uint32_t img = 0; img < g->n; img++)
			for (uint32_t ic = 0; ic < g->c; ic++) {
				copy_plane(g, &l, x + ((size_t)img * g->c + ic) * g->h * g->w, plane);
				for (uint32_t oc = ic * mult; oc < (ic + 1) * mult; oc++) {
					const float *wt = w + (size_t)oc * taps + first, bias = b ? b[oc] : 0.0f;
					float *out = y + ((size_t)img * g->m + oc) * g->p;
					for (uint32_t oh = 0; oh < g->oh; oh++) {
						const float *in = plane + (size_t)oh * g->sh * l.row;
						float *row = out + (size_t)oh * g->ow;
						if (n == 9 && first == 0)
							direct_row_3x3(in, off, wt, bias, g->ow, row);
						else
							direct_cells(in, off, wt, bias, g->ow, row, n, first > 0);
					}
					if (first + n == taps)
						stl_act_apply(e->op, out, g->p);
				}
			}
		first += n;
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
		conv_direct(e, &g, x, w, b, y, stl_data(e, stl_scratch(e)));
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
