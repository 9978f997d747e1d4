/* Stride-1 CONV as an implicit GEMM. The group's input planes are copied once into the scratch
 * tensor with their padding (plane width wp = W + pad_left + pad_right). Output pixel (oh, ow) is
 * given the flat index q = oh·wp + ow; kernel tap (ky, kx) then reads the padded cell q + off[t]
 * with off[t] = ky·dh·wp + kx·dw, so row (c, t) of the GEMM's B operand is plane c shifted by
 * off[t] and no im2col matrix is built. Flat indices with ow >= OW (the padding columns) are
 * computed and dropped. */
#include <string.h>

#include "conv.h"
#include "gemm.h"

/* Floats past the last padded plane that a register tile may read (and whose results it drops). */
#define TAPS_SLACK STL_STRIP

/* Flat output columns per chunk, sized so the chunk's slice of the planes stays in L2 (128 KiB). */
#define TAPS_CHUNK_FLOATS 32768u

struct taps_layout {
	size_t wp, plane;  /* padded row width and plane size */
	uint32_t flat;     /* flat indices covering every output pixel: (OH − 1)·wp + OW */
};

static struct taps_layout taps_layout(const struct stl_conv_geometry *g)
{
	struct taps_layout l;
	l.wp = (size_t)g->w + g->pl + g->pr;
	l.plane = ((size_t)g->h + g->pt + g->pb) * l.wp;
	l.flat = (uint32_t)((g->oh - 1) * l.wp + g->ow);
	return l;
}

int stl_conv_taps_applies(const struct stl_conv_geometry *g)
{
	return g->sh == 1 && g->sw == 1 && g->kh * g->kw <= STL_TAPS && !stl_conv_is_plain_pointwise(g) && g->cg > 1;
}

uint64_t stl_conv_taps_scratch(const struct stl_conv_geometry *g)
{
	const uint64_t plane = ((uint64_t)g->h + g->pt + g->pb) * ((uint64_t)g->w + g->pl + g->pr);
	return 4ull * (g->cg * plane + TAPS_SLACK);
}

/* Fill the input cells of the cg padded planes of one group; the padding and the slack after the
 * planes are zeroed once per conv (zero_planes) and are never written. */
static void zero_planes(const struct stl_conv_geometry *g, const struct taps_layout *l, float *buf)
{
	memset(buf, 0, (g->cg * l->plane + TAPS_SLACK) * sizeof *buf);
}

static void fill_planes(const struct stl_conv_geometry *g, const struct taps_layout *l, const float *xg,
			float *restrict buf)
{
	for (uint32_t c = 0; c < g->cg; c++)
		for (uint32_t r = 0; r < g->h; r++)
			memcpy(buf + c * l->plane + (g->pt + (size_t)r) * l->wp + g->pl, xg + ((size_t)c * g->h + r) * g->w,
			       g->w * sizeof *buf);
}

/* Where a flat index lies: output row oh, column ow (ow >= OW on the padding columns). Tiles walk
 * the flat indices in order, so positions advance by addition instead of a division per tile. */
struct flat_pos {
	size_t oh, ow;
};

static void advance(struct flat_pos *p, size_t by, size_t wp)
{
	p->ow += by;
	while (p->ow >= wp) {
		p->ow -= wp;
		p->oh++;
	}
}

/* Store the n flat columns of a tile (row stride ld) that start at position at to the output rows
 * they belong to, dropping the padding columns. */
static void scatter(const struct stl_conv_geometry *g, const struct taps_layout *l, const float *tile, size_t ld,
		    uint32_t rows, struct flat_pos at, uint32_t n, float *y)
{
	for (uint32_t j = 0; j < n;) {
		const uint32_t run = l->wp - at.ow < n - j ? (uint32_t)(l->wp - at.ow) : n - j;
		if (at.ow < g->ow) {
			const uint32_t keep = g->ow - at.ow < run ? (uint32_t)(g->ow - at.ow) : run;
			for (uint32_t r = 0; r < rows; r++)
				memcpy(y + (size_t)r * g->p + at.oh * g->ow + at.ow, tile + r * ld + j, keep * sizeof *y);
		}
		j += run;
		advance(&at, run, l->wp);
	}
}

void stl_conv_taps(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		   const float *b, float *y, float *buf)
{
	const struct taps_layout l = taps_layout(g);
	const uint32_t mg = g->m / g->group, ntaps = g->kh * g->kw;
	const uint32_t mr_max = stl_gemm_tile_rows(), nr = stl_gemm_tile_cols();
	uint32_t chunk = TAPS_CHUNK_FLOATS / g->cg / nr * nr;
	chunk = chunk < nr ? nr : chunk;
	size_t off[STL_TAPS];
	for (uint32_t t = 0; t < ntaps; t++)
		off[t] = (size_t)(t / g->kw) * g->dh * l.wp + (size_t)(t % g->kw) * g->dw;
	float tile[STL_TILE_MAX];

	zero_planes(g, &l, buf);
	for (uint32_t n = 0; n < g->n; n++)
		for (uint32_t gi = 0; gi < g->group; gi++) {
			fill_planes(g, &l, x + ((size_t)n * g->c + (size_t)gi * g->cg) * g->h * g->w, buf);
			const float *wg = w + (size_t)gi * mg * g->k, *bg = b ? b + (size_t)gi * mg : NULL;
			float *yg = y + ((size_t)n * g->m + (size_t)gi * mg) * g->p;
			for (uint32_t c0 = 0; c0 < l.flat; c0 += chunk)
				for (uint32_t i = 0; i < mg; i += mr_max) {
					const uint32_t mr = mg - i < mr_max ? mg - i : mr_max;
					const uint32_t c1 = l.flat - c0 < chunk ? l.flat : c0 + chunk;
					struct flat_pos at = {c0 / l.wp, c0 % l.wp};
					for (uint32_t q = c0; q < c1; q += nr, advance(&at, nr, l.wp)) {
						stl_gemm_taps_tile(mr, g->cg, ntaps, wg + (size_t)i * g->k, g->k, buf + q, l.plane,
								   off, tile, bg ? bg + i : NULL, e->op);
						scatter(g, &l, tile, nr, mr, at, c1 - q < nr ? c1 - q : nr, yg + (size_t)i * g->p);
					}
				}
		}
}
