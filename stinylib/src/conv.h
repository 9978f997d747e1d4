/* The three ways S-Tinylib runs a CONV; conv.c picks one per op and owns the scratch formula. */
#ifndef STL_CONV_H
#define STL_CONV_H

#include "conv_geometry.h"
#include "kernels.h"

/*
 * The units a conv's chunks share out (docs/multicore.md §4.3): input channels for the direct
 * kernel (each feeds its own output channels); for the two GEMM kernels, blocks of register-tile
 * rows (output channels) of each group, group-major, so that every output element is computed in
 * the same register tile as in a whole run, whichever chunk computes it.
 */
uint32_t stl_conv_units(const struct stl_conv_geometry *g);

/* One group's part of a range of GEMM units: output channels [r0, r1) of group `group`. */
struct stl_conv_rows {
	uint32_t group, r0, r1;
};

/* The part of units [*u, end) in the group of unit *u; advances *u past it. */
struct stl_conv_rows stl_conv_next_rows(const struct stl_conv_geometry *g, uint32_t *u, uint32_t end);

/* Each kernel computes units [u0, u1) of stl_conv_units(g) (all of them in a whole run). */

/* Convs with one input channel per group (depthwise): a direct kernel (conv_direct.c), with tap
 * offsets for up to STL_DIRECT_TAPS taps (7×7) in a table. */
#define STL_DIRECT_TAPS 49
uint64_t stl_conv_direct_scratch(const struct stl_conv_geometry *g);
void stl_conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *scratch, uint32_t u0, uint32_t u1);

/* Convs with at most STL_TAPS kernel taps: an implicit GEMM over phase-split padded input copies
 * (conv_taps.c). */
#define STL_TAPS 25
int stl_conv_taps_applies(const struct stl_conv_geometry *g);
uint64_t stl_conv_taps_scratch(const struct stl_conv_geometry *g);
void stl_conv_taps(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		   const float *b, float *y, float *scratch, uint32_t u0, uint32_t u1);

/* Every other conv: a GEMM over im2col panels packed into the scratch; pointwise convs read their
 * input in place (conv_im2col.c). */
uint64_t stl_conv_im2col_scratch(const struct stl_conv_geometry *g);
void stl_conv_im2col(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *scratch, uint32_t u0, uint32_t u1);

#endif
