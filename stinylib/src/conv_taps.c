/* CONV with few kernel taps as an implicit GEMM. The group's input channels are copied once into
 * phase-split padded copies (conv_planes.h); kernel tap t of channel c then reads cell
 * q + off[t] of copy c for flat output index q, so row (c, t) of the GEMM's B operand is copy c
 * shifted by off[t] and no im2col matrix is built, whatever the stride. */
#include "conv.h"
#include "conv_planes.h"
#include "gemm.h"

_Static_assert(STL_STRIP <= STL_PLANES_SLACK, "a register tile past the last flat index stays in the slack");

/* Flat output columns per chunk, sized so the chunk's slice of the copies stays in L2 (128 KiB). */
#define TAPS_CHUNK_FLOATS 32768u

/* Also only where the dropped columns of the flat layout ((kw − 1)·dw / sw per output row) are at
 * most a tenth of the row: on narrow planes (13×13) an im2col GEMM wastes less. */
int stl_conv_taps_applies(const struct stl_conv_geometry *g)
{
	const uint64_t dropped = (uint64_t)(g->kw - 1) * g->dw / g->sw;
	return g->kh * g->kw <= STL_TAPS && !stl_conv_is_plain_pointwise(g) && g->cg > 1 && 10 * dropped <= g->ow;
}

/* Where row r = c·ntaps + t of the GEMM's B starts in the channel copies, in floats from a flat
 * index: copy c shifted by tap t. */
static size_t taps_row(const struct stl_conv_geometry *g, const struct stl_planes *l, uint32_t ntaps, uint32_t r)
{
	return r / ntaps * l->plane + stl_planes_tap(g, l, r % ntaps);
}

uint64_t stl_conv_taps_scratch(const struct stl_conv_geometry *g)
{
	return stl_planes_bytes(g, g->cg);
}

void stl_conv_taps(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		   const float *b, float *y, float *buf, uint32_t u0, uint32_t u1)
{
	struct stl_planes l;
	stl_planes_layout(g, &l);
	const uint32_t mg = g->m / g->group, ntaps = g->kh * g->kw;
	const uint32_t mr_max = stl_gemm_tile_rows(), nr = stl_gemm_tile_cols();
	size_t chunk = TAPS_CHUNK_FLOATS / g->cg / nr * nr;
	chunk = chunk < nr ? nr : chunk;
	/* The register tiles run the depth four steps at a time, one channel's taps at a time: a
	 * channel of 9 taps ends in a single step. Where whole groups of `group` channels have a
	 * multiple of four taps, a tile walks a group as one channel of group·ntaps taps (a group's
	 * tap offsets include its channels' planes): the same rows of B in the same order. */
	const uint32_t group = ntaps % 4 == 0 ? 1 : ntaps % 2 == 0 ? 2 : 4;
	const uint32_t grouped = g->cg % group == 0 ? group : 1;
	const uint32_t cg = g->cg / grouped, gtaps = grouped * ntaps;
	/* The tile walks B's rows (stl_gemm_taps_tile): step[r] leads from row r of a group to row r + 1,
	 * the last one to the next group's first row, `grouped` planes on. */
	ptrdiff_t step[4 * STL_TAPS];
	for (uint32_t r = 0; r < gtaps; r++)
		step[r] = ((ptrdiff_t)taps_row(g, &l, ntaps, r + 1) - (ptrdiff_t)taps_row(g, &l, ntaps, r)) *
			  (ptrdiff_t)sizeof(float);
	const size_t first = taps_row(g, &l, ntaps, 0);
	float tile[STL_TILE_MAX];

	stl_planes_zero(&l, g->cg, buf);
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t u = u0; u < u1;) {
			const struct stl_conv_rows r = stl_conv_next_rows(g, &u, u1);
			const uint32_t gi = r.group;
			const float *xg = x + ((size_t)n * g->c + (size_t)gi * g->cg) * g->h * g->w;
			for (uint32_t c = 0; c < g->cg; c++)
				stl_planes_fill(g, &l, xg + (size_t)c * g->h * g->w, buf + c * l.plane);
			const float *wg = w + (size_t)gi * mg * g->k, *bg = b ? b + (size_t)gi * mg : NULL;
			float *yg = y + ((size_t)n * g->m + (size_t)gi * mg) * g->p;
			for (size_t c0 = 0; c0 < l.flat; c0 += chunk)
				for (uint32_t i = r.r0; i < r.r1; i += mr_max) {
					const uint32_t mr = r.r1 - i < mr_max ? r.r1 - i : mr_max;
					const size_t c1 = l.flat - c0 < chunk ? l.flat : c0 + chunk;
					for (size_t q = c0; q < c1; q += nr) {
						stl_gemm_taps_tile(mr, cg, gtaps, wg + (size_t)i * g->k, g->k, buf + first + q, step, tile,
								   bg ? bg + i : NULL, e->op);
						stl_planes_scatter(g, &l, tile, nr, mr, q, c1 - q < nr ? c1 - q : nr,
								   yg + (size_t)i * g->p);
					}
				}
		}
}
