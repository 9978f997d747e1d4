/* Direct CONV for convs with one input channel per group (depthwise, possibly with a channel
 * multiplier). Each input channel is copied once into a phase-split padded copy (conv_planes.h),
 * where every tap of every output pixel is a fixed offset whatever the stride; each of its output
 * channels is then computed DW_U vectors at a time, the accumulators in registers:
 * acc = bias + Σ_t w[t]·copy[q + off[t]], clamped as it is stored.
 *
 * A row of ceil(OW / VL) vectors is cut into chunks of DW_U consecutive vectors when it has that
 * many, the last chunk overlapping the one before (or, in a row of just DW_U vectors, its last
 * vector stored in part). Narrower rows (7, 14, 28 on AVX-512; 7 on NEON) give each chunk the next
 * DW_U vectors across rows, each row's last one stored in part. A partial vector's loads run into
 * the row's dropped columns and the next row (or the copy's slack); those lanes are not stored. */
#include "act.h"
#include "conv.h"
#include "conv_planes.h"
#include "inline.h"
#include "simd.h"

/* Vectors per chunk: enough independent FMA chains to cover the FMA latency, few enough that the
 * accumulators, the weights of a 3×3 kernel and the loads fit in the registers. Four, so that
 * a chunk of consecutive vectors is one stl_vld_x4. */
#define DW_U 4
#define DW_CHUNK (DW_U * STL_VL)
_Static_assert(STL_VL <= STL_PLANES_SLACK, "a partial vector past the last row stays in the slack");

uint64_t stl_conv_direct_scratch(const struct stl_conv_geometry *g)
{
	return stl_planes_bytes(g, 1);
}

/* What one output channel is computed from. */
struct dw_channel {
	const float *copy;  /* its input channel's copy */
	const size_t *off;  /* tap offsets, the first min(taps, STL_DIRECT_TAPS) */
	const float *w;     /* its taps' weights */
	stl_vf bias, lo, hi;
	int clamp_only;     /* the activation is the clamp to [lo, hi] */
};

/* acc[u] += Σ_t w[t]·(vector u + off[t]) for t < ntaps, vector u at in[u], or at in[0] + u·VL
 * (consecutive) when `consecutive` is set. ntaps is a compile-time constant in the specialised
 * calls, so the tap loop unrolls. */
STL_INLINE void taps_acc(stl_vf acc[DW_U], const float *const in[DW_U], int consecutive, const size_t *off,
			 const float *w, const uint32_t ntaps)
{
	for (uint32_t t = 0; t < ntaps; t++) {
		const stl_vf wt = stl_vdup(w[t]);
		stl_vf v[DW_U];
		if (consecutive)
			stl_vld_x4(in[0] + off[t], v);
		else
			for (int u = 0; u < DW_U; u++)
				v[u] = stl_vld(in[u] + off[t]);
		for (int u = 0; u < DW_U; u++)
			acc[u] = stl_vfma(acc[u], v[u], wt);
	}
}

/* The taps of the kernel: the common 3×3 and 5×5 unrolled; kernels larger than the offset table
 * in chunks of it, their offsets computed again each time (only kernels larger than 7×7). */
STL_INLINE void kernel_acc(stl_vf acc[DW_U], const float *const in[DW_U], int consecutive,
			   const struct stl_conv_geometry *g, const struct stl_planes *l, const struct dw_channel *ch)
{
	const uint32_t taps = g->kh * g->kw;
	if (taps == 9) {
		taps_acc(acc, in, consecutive, ch->off, ch->w, 9);
	} else if (taps == 25) {
		taps_acc(acc, in, consecutive, ch->off, ch->w, 25);
	} else if (taps <= STL_DIRECT_TAPS) {
		taps_acc(acc, in, consecutive, ch->off, ch->w, taps);
	} else {
		size_t off[STL_DIRECT_TAPS];
		for (uint32_t first = 0; first < taps; first += STL_DIRECT_TAPS) {
			const uint32_t n = taps - first < STL_DIRECT_TAPS ? taps - first : STL_DIRECT_TAPS;
			for (uint32_t t = 0; t < n; t++)
				off[t] = stl_planes_tap(g, l, first + t);
			taps_acc(acc, in, consecutive, off, ch->w + first, n);
		}
	}
}

/* The clamp and the store of `lanes` lanes (an activation that is no clamp comes after the plane). */
static inline void store(const struct dw_channel *ch, float *dst, stl_vf acc, unsigned lanes)
{
	const stl_vf y = stl_vclamp(acc, ch->lo, ch->hi);
	if (lanes == STL_VL)
		stl_vst(dst, y);
	else
		stl_vst_part(dst, y, lanes);
}

/* Rows of at least DW_U vectors. */
static void wide_rows(const struct stl_conv_geometry *g, const struct stl_planes *l,
		      const struct dw_channel *ch, float *out)
{
	const size_t oh = g->oh, ow = g->ow, cols = l->cols;
	for (size_t row = 0; row < oh; row++)
		for (size_t c = 0; c < ow; c += DW_CHUNK) {
			const size_t at = ow - c < DW_CHUNK && ow >= DW_CHUNK ? ow - DW_CHUNK : c;
			const float *in[DW_U] = {ch->copy + row * cols + at};
			stl_vf acc[DW_U];
			for (int u = 0; u < DW_U; u++)
				acc[u] = ch->bias;
			kernel_acc(acc, in, 1, g, l, ch);
			float *dst = out + row * ow + at;
			for (int u = 0; u < DW_U - 1; u++)
				store(ch, dst + u * STL_VL, acc[u], STL_VL);
			/* only the last vector of a row of exactly DW_U vectors is partial */
			const size_t last = (DW_U - 1) * STL_VL;
			if (ow - at - last >= STL_VL)
				store(ch, dst + last, acc[DW_U - 1], STL_VL);
			else
				store(ch, dst + last, acc[DW_U - 1], (unsigned)(ow - at - last));
		}
}

/* Rows of fewer than DW_U vectors: vector `col` of a row covers its lanes [col, col + VL); each
 * chunk takes the next DW_U vectors in order, and past the last one repeats it and stores nothing. */
static void narrow_rows(const struct stl_conv_geometry *g, const struct stl_planes *l,
			const struct dw_channel *ch, float *out)
{
	/* Locals, not reloads through the structs: intrinsic stores may alias anything. */
	const size_t oh = g->oh, ow = g->ow, cols = l->cols;
	const float *copy = ch->copy;
	size_t row = 0, col = 0;
	while (row < oh) {
		const float *in[DW_U];
		float *dst[DW_U];
		unsigned lanes[DW_U];
		stl_vf acc[DW_U];
		for (int u = 0; u < DW_U; u++) {
			if (row < oh) {
				in[u] = copy + row * cols + col;
				dst[u] = out + row * ow + col;
				lanes[u] = ow - col < STL_VL ? (unsigned)(ow - col) : STL_VL;
				col += STL_VL;
				if (col >= ow) {
					col = 0;
					row++;
				}
			} else {
				in[u] = in[u - 1];
				dst[u] = dst[u - 1];
				lanes[u] = 0;
			}
			acc[u] = ch->bias;
		}
		kernel_acc(acc, in, 0, g, l, ch);
		for (int u = 0; u < DW_U && lanes[u]; u++)
			store(ch, dst[u], acc[u], lanes[u]);
	}
}

/*
 * Planes of at most two vectors a row, for the common kernels (3×3 and 5×5, stride 1 or 2, no
 * dilation): blocks of DW_U output rows at once, so that an input vector loaded once serves every
 * row of the block that sees it. With stride s, tap (ky, kx) of output row r reads row
 * r + ky / s of the phase subplane of (ky % s, kx) (conv_planes.h): the taps of one column kx
 * and row phase share their input vectors, shifted by rows, and their weights stay in registers.
 * The last block overlaps the one before (rows computed twice, the same values stored); a plane of
 * DW_ROWS_MAX rows (7×7, the last stage of the MobileNets) is one block. A row's
 * last vector may be partial: its loads run into the dropped columns and the next row (or the
 * slack), and those lanes are not stored.
 */
#define DW_ROWS_MAX 7

STL_INLINE void rows_block(const int K, const int S, const int NV, const int U, const float *in, size_t cols,
			   const size_t *off, const struct dw_channel *ch, float *dst, size_t ow)
{
	stl_vf acc[DW_ROWS_MAX][2];
	STL_UNROLL
	for (int u = 0; u < U; u++)
		for (int v = 0; v < NV; v++)
			acc[u][v] = ch->bias;
	STL_UNROLL
	for (int kyr = 0; kyr < S; kyr++)
		STL_UNROLL
		for (int kx = 0; kx < K; kx++) {
			const int nq = (K - kyr + S - 1) / S; /* the taps ky = kyr + q·S < K */
			stl_vf wq[5];
			for (int q = 0; q < nq; q++)
				wq[q] = stl_vdup(ch->w[(kyr + q * S) * K + kx]);
			const float *base = in + off[kyr * K + kx];
			STL_UNROLL
			for (int j = 0; j < U + nq - 1; j++)
				STL_UNROLL
				for (int v = 0; v < NV; v++) {
					const stl_vf x = stl_vld(base + j * cols + v * STL_VL);
					STL_UNROLL
					for (int u = 0; u < U; u++)
						if (j - u >= 0 && j - u < nq)
							acc[u][v] = stl_vfma(acc[u][v], x, wq[j - u]);
				}
		}
	const unsigned last = (unsigned)(ow - (size_t)(NV - 1) * STL_VL);
	STL_UNROLL
	for (int u = 0; u < U; u++) {
		for (int v = 0; v < NV - 1; v++)
			store(ch, dst + u * ow + v * STL_VL, acc[u][v], STL_VL);
		store(ch, dst + u * ow + (NV - 1) * STL_VL, acc[u][NV - 1], last);
	}
}

STL_INLINE void rows_plane(const int K, const int S, const int NV, const struct stl_conv_geometry *g,
			   const struct stl_planes *l, const struct dw_channel *ch, float *out)
{
	const size_t oh = g->oh, ow = g->ow, cols = l->cols;
	if (oh == DW_ROWS_MAX) { /* 7×7 planes: one block */
		rows_block(K, S, NV, DW_ROWS_MAX, ch->copy, cols, ch->off, ch, out, ow);
		return;
	}
	for (size_t r = 0; r < oh; r += DW_U) {
		const size_t at = oh - r < DW_U ? oh - DW_U : r;
		rows_block(K, S, NV, DW_U, ch->copy + at * cols, cols, ch->off, ch, out + at * ow, ow);
	}
}

/* Whether rows_plane computes the conv, and its variant: 1 + (kernel 5) + 2·(stride 2) + 4·(two
 * vectors a row), or 0. */
static int rows_variant(const struct stl_conv_geometry *g)
{
	if (g->kh != g->kw || (g->kh != 3 && g->kh != 5) || g->sh != g->sw || g->sh > 2 || g->dh != 1 ||
	    g->dw != 1 || g->oh < DW_U || g->ow > 2 * STL_VL)
		return 0;
	return 1 + (g->kh == 5) + 2 * (g->sh == 2) + 4 * (g->ow > STL_VL);
}

static void rows_dispatch(int variant, const struct stl_conv_geometry *g, const struct stl_planes *l,
			  const struct dw_channel *ch, float *out)
{
	switch (variant) {
	case 1: rows_plane(3, 1, 1, g, l, ch, out); break;
	case 2: rows_plane(5, 1, 1, g, l, ch, out); break;
	case 3: rows_plane(3, 2, 1, g, l, ch, out); break;
	case 4: rows_plane(5, 2, 1, g, l, ch, out); break;
	case 5: rows_plane(3, 1, 2, g, l, ch, out); break;
	case 6: rows_plane(5, 1, 2, g, l, ch, out); break;
	case 7: rows_plane(3, 2, 2, g, l, ch, out); break;
	default: rows_plane(5, 2, 2, g, l, ch, out); break;
	}
}

void stl_conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *copy, uint32_t u0, uint32_t u1)
{
	struct stl_planes l;
	stl_planes_layout(g, &l);
	const uint32_t mult = g->m / g->group, taps = g->kh * g->kw;
	size_t off[STL_DIRECT_TAPS];
	for (uint32_t t = 0; t < taps && t < STL_DIRECT_TAPS; t++)
		off[t] = stl_planes_tap(g, &l, t);
	float lo, hi;
	struct dw_channel ch = {copy, off, NULL, stl_vdup(0.0f), stl_vdup(0.0f), stl_vdup(0.0f), 0};
	ch.clamp_only = stl_act_clamp(e->op, &lo, &hi);
	ch.lo = stl_vdup(lo);
	ch.hi = stl_vdup(hi);
	const int rows = rows_variant(g);
	stl_planes_zero(&l, 1, copy);
	for (uint32_t img = 0; img < g->n; img++)
		for (uint32_t ic = u0; ic < u1; ic++) {
			stl_planes_fill(g, &l, x + ((size_t)img * g->c + ic) * g->h * g->w, copy);
			for (uint32_t oc = ic * mult; oc < (ic + 1) * mult; oc++) {
				float *out = y + ((size_t)img * g->m + oc) * g->p;
				ch.w = w + (size_t)oc * taps;
				ch.bias = stl_vdup(b ? b[oc] : 0.0f);
				if (rows)
					rows_dispatch(rows, g, &l, &ch, out);
				else if (g->ow > (DW_U - 1) * STL_VL)
					wide_rows(g, &l, &ch, out);
				else
					narrow_rows(g, &l, &ch, out);
				if (!ch.clamp_only)
					stl_act_apply(e->op, out, g->p);
			}
		}
}
