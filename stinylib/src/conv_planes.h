/* Padded, phase-split copies of input planes: the operand layout of the depthwise kernel
 * (conv_direct.c) and of the implicit GEMM (conv_taps.c).
 *
 * A channel's copy holds its zero-padded input split into sh × sw phase subplanes: padded cell
 * (r, c) goes to subplane (r % sh, c % sw) at (r / sh, c / sw). Each subplane is rows × cols with
 * rows = OH + (kh − 1)·dh / sh and cols = OW + (kw − 1)·dw / sw, just what the windows reach.
 * Output pixel (oh, ow) gets the flat index q = oh·cols + ow, and kernel tap (ky, kx) then reads
 * cell q + off[t] of the copy whatever the stride or dilation, so a kernel runs over consecutive
 * flat indices like a stride-1 conv with no border case. The flat indices with ow >= OW
 * ((kw − 1)·dw / sw per row) are no output pixels: a kernel computes them only to keep its vectors
 * whole, and drops them (stl_planes_scatter). */
#ifndef STL_CONV_PLANES_H
#define STL_CONV_PLANES_H

#include <stddef.h>
#include <stdint.h>

#include "conv_geometry.h"

/* Floats after the last copy that a kernel running past the last flat index may read (and whose
 * results it drops): a GEMM register tile's width (STL_STRIP) or a vector. */
#define STL_PLANES_SLACK 32u

/* The valid cells [lo, hi) of one column phase of a subplane row and the input column of cell lo. */
struct stl_phase_span {
	uint32_t lo, hi;
	size_t first;
};

struct stl_planes {
	size_t rows, cols; /* of one phase subplane */
	size_t sub;        /* rows · cols */
	size_t plane;      /* one channel's copy: sh · sw · sub */
	size_t flat;       /* flat indices covering every output pixel: (OH − 1)·cols + OW */
	/* for stl_planes_fill, once per op rather than per plane: the spans of column phases 0 and 1
	 * (the same on every row) and the input rows that reach a window */
	struct stl_phase_span span[2];
	uint32_t fill_rows;
};

void stl_planes_layout(const struct stl_conv_geometry *g, struct stl_planes *l);
/* Bytes of n channel copies plus the slack, for the scratch formula. */
uint64_t stl_planes_bytes(const struct stl_conv_geometry *g, uint32_t n);
/* Zero n channel copies and the slack: the padding cells stay zero, since fills never write them. */
void stl_planes_zero(const struct stl_planes *l, uint32_t n, float *copy);
/* Copy the input cells of one H × W input plane x into a channel copy. */
void stl_planes_fill(const struct stl_conv_geometry *g, const struct stl_planes *l, const float *x,
		     float *restrict copy);
/* Offset of kernel tap t = ky·kw + kx from a flat index. */
size_t stl_planes_tap(const struct stl_conv_geometry *g, const struct stl_planes *l, uint32_t t);

/* Store n flat results of each of `count` channels (channel i at tile + i·ld), for the flat
 * indices from q on, into their output planes y + i·p (p = OH·OW floats), dropping the extra
 * columns. */
void stl_planes_scatter(const struct stl_conv_geometry *g, const struct stl_planes *l, const float *tile,
			size_t ld, uint32_t count, size_t q, size_t n, float *y);

#endif
