/* Direct CONV for convs with one input channel per group (depthwise, possibly with a channel
 * multiplier), vectorised along the output row. */
#include <string.h>

#include "act.h"
#include "conv.h"
#include "inline.h"
#include "window.h"

/*
 * Direct convs read their input from a copy in the scratch tensor: the input plane with its zero
 * padding, each row split into sw phases (phase r holds padded columns r, r + sw, r + 2sw, ...).
 * Then every kernel tap reads consecutive cells for consecutive outputs, whatever the stride, and
 * nothing needs a border case.
 */
struct direct_layout {
	size_t phase_len;  /* cells per phase: ceil(padded width / sw) */
	size_t row;        /* cells per padded row: sw · phase_len */
};

static struct direct_layout direct_layout(const struct stl_conv_geometry *g)
{
	struct direct_layout l;
	l.phase_len = ((size_t)g->w + g->pl + g->pr + g->sw - 1) / g->sw;
	l.row = l.phase_len * g->sw;
	return l;
}

uint64_t stl_conv_direct_scratch(const struct stl_conv_geometry *g)
{
	const uint64_t phase_len = ((uint64_t)g->w + g->pl + g->pr + g->sw - 1) / g->sw;
	return 4ull * ((uint64_t)g->h + g->pt + g->pb) * phase_len * g->sw;
}

/* dst[i] = src[i·sw] for i < n; sw is a compile-time constant when specialised. */
STL_INLINE void gather_phase(float *restrict dst, const float *restrict src, uint32_t n, const uint32_t sw)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[(size_t)i * sw];
}

/* Zero a plane copy: its padding cells are the same for every channel and stay zero. */
static void zero_plane(const struct stl_conv_geometry *g, const struct direct_layout *l, float *buf)
{
	memset(buf, 0, ((size_t)g->h + g->pt + g->pb) * l->row * sizeof *buf);
}

/* Fill the input cells of a zeroed plane copy with an input plane (padding cells untouched). */
static void fill_plane(const struct stl_conv_geometry *g, const struct direct_layout *l, const float *x,
		       float *restrict buf)
{
	for (uint32_t phase = 0; phase < g->sw; phase++) {
		/* Cell i of this phase is padded column phase + i·sw, input column that − pl; the same
		 * span of cells [lo, hi) holds input cells on every row. */
		const int64_t off = (int64_t)phase - g->pl;
		uint32_t lo, hi;
		stl_valid_span(off, g->sw, g->w, (uint32_t)l->phase_len, &lo, &hi);
		const size_t first = (size_t)(off + (int64_t)lo * g->sw); /* input column of cell lo */
		float *dst = buf + g->pt * l->row + phase * l->phase_len + lo;
		for (uint32_t r = 0; r < g->h; r++, dst += l->row) {
			const float *src = x + (size_t)r * g->w + first;
			if (g->sw == 1)
				memcpy(dst, src, (hi - lo) * sizeof *buf);
			else if (g->sw == 2)
				gather_phase(dst, src, hi - lo, 2);
			else
				gather_phase(dst, src, hi - lo, g->sw);
		}
	}
}

/* Offsets of taps [first, first + n) (n <= STL_DIRECT_TAPS), tap t = ky·kw + kx as in the weights,
 * from the start of an output row's window in the copy. Returns n. */
static uint32_t tap_offsets(const struct stl_conv_geometry *g, const struct direct_layout *l, uint32_t first,
			    size_t off[STL_DIRECT_TAPS])
{
	const uint32_t total = g->kh * g->kw;
	const uint32_t n = total - first < STL_DIRECT_TAPS ? total - first : STL_DIRECT_TAPS;
	for (uint32_t t = 0; t < n; t++) {
		const uint32_t ky = (first + t) / g->kw, col = (first + t) % g->kw * g->dw;
		off[t] = (size_t)ky * g->dh * l->row + col % g->sw * l->phase_len + col / g->sw;
	}
	return n;
}

/* The clamp applied as cells are stored: the op's activation on the last chunk of taps when it is
 * a clamp (stl_act_clamp), else unbounded. */
struct range {
	float lo, hi;
};

/* row[o] = clamp(bias + Σ_t w[t]·in[off[t] + o]) for o < ow. ntaps is a compile-time constant in
 * the specialised calls, so the tap loop unrolls and o vectorises. */
STL_INLINE void direct_cells(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			     float *restrict row, const struct range *clamp, const uint32_t ntaps)
{
	const float lo = clamp->lo, hi = clamp->hi;
	for (uint32_t o = 0; o < ow; o++) {
		float acc = bias;
		for (uint32_t t = 0; t < ntaps; t++)
			acc += w[t] * in[off[t] + o];
		row[o] = stl_clamp(acc, lo, hi);
	}
}

/* A fresh output row in blocks of a constant width blk; the last block overlaps the one before
 * rather than leaving a scalar remainder, which matters on 7- and 14-wide rows. Needs ow >= blk. */
STL_INLINE void direct_blocks(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			      float *restrict row, const struct range *clamp, const uint32_t ntaps, const uint32_t blk)
{
	uint32_t o = 0;
	for (; o + blk <= ow; o += blk)
		direct_cells(in + o, off, w, bias, blk, row + o, clamp, ntaps);
	if (o < ow)
		direct_cells(in + ow - blk, off, w, bias, blk, row + ow - blk, clamp, ntaps);
}

/* A fresh row with ntaps taps, ntaps constant: the widest block that fits the row. */
STL_INLINE void direct_row(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			   float *restrict row, const struct range *clamp, const uint32_t ntaps)
{
	if (ow >= 16)
		direct_blocks(in, off, w, bias, ow, row, clamp, ntaps, 16);
	else if (ow >= 8)
		direct_blocks(in, off, w, bias, ow, row, clamp, ntaps, 8);
	else if (ow >= 4)
		direct_blocks(in, off, w, bias, ow, row, clamp, ntaps, 4);
	else
		direct_cells(in, off, w, bias, ow, row, clamp, ntaps);
}

/* row[o] += w · in[o] for o < ow: one tap over a whole row, the plain vectorisable form. */
static void tap_pass(float *restrict row, const float *restrict in, float w, uint32_t ow)
{
	for (uint32_t o = 0; o < ow; o++)
		row[o] += w * in[o];
}

/* One output row from n taps, added to the row when accumulate is set (later tap chunks). 3×3
 * kernels keep the row in registers (direct_row); other kernels make one pass per tap. */
static void direct_any_row(const float *in, const size_t *off, const float *w, float bias, uint32_t ow,
			   float *restrict row, const struct range *clamp, uint32_t n, int accumulate)
{
	if (n == 9 && !accumulate) {
		direct_row(in, off, w, bias, ow, row, clamp, 9);
		return;
	}
	if (!accumulate)
		for (uint32_t o = 0; o < ow; o++)
			row[o] = bias;
	for (uint32_t t = 0; t < n; t++)
		tap_pass(row, in + off[t], w[t], ow);
	for (uint32_t o = 0; o < ow; o++)
		row[o] = stl_clamp(row[o], clamp->lo, clamp->hi);
}

/* The copy is zeroed once; each input plane is then filled in once per chunk of STL_DIRECT_TAPS
 * taps (one chunk up to 5×5 kernels; larger kernels refill), and each of its output channels is
 * built row by row. */
void stl_conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *copy)
{
	const struct direct_layout l = direct_layout(g);
	const uint32_t mult = g->m / g->group, taps = g->kh * g->kw;
	size_t off[STL_DIRECT_TAPS];
	static const struct stl_op no_act;
	struct range act, open;
	const int clamp_only = stl_act_clamp(e->op, &act.lo, &act.hi);
	stl_act_clamp(&no_act, &open.lo, &open.hi);
	zero_plane(g, &l, copy);
	for (uint32_t first = 0; first < taps;) {
		const uint32_t n = tap_offsets(g, &l, first, off);
		const int last = first + n == taps;
		for (uint32_t img = 0; img < g->n; img++)
			for (uint32_t ic = 0; ic < g->c; ic++) {
				fill_plane(g, &l, x + ((size_t)img * g->c + ic) * g->h * g->w, copy);
				for (uint32_t oc = ic * mult; oc < (ic + 1) * mult; oc++) {
					const float *wt = w + (size_t)oc * taps + first, bias = b ? b[oc] : 0.0f;
					float *out = y + ((size_t)img * g->m + oc) * g->p;
					for (uint32_t oh = 0; oh < g->oh; oh++)
						direct_any_row(copy + (size_t)oh * g->sh * l.row, off, wt, bias, g->ow,
							       out + (size_t)oh * g->ow, last ? &act : &open, n, first > 0);
					if (last && !clamp_only)
						stl_act_apply(e->op, out, g->p);
				}
			}
		first += n;
	}
}
