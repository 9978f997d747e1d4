/* The three ways S-Tinylib runs a CONV; conv.c picks one per op and owns the scratch formula. */
#ifndef STL_CONV_H
#define STL_CONV_H

#include "conv_geometry.h"
#include "kernels.h"

/* Convs with one input channel per group (depthwise): a direct kernel (conv_direct.c), with tap
 * offsets for up to STL_DIRECT_TAPS taps (7×7) in a table. */
#define STL_DIRECT_TAPS 49
uint64_t stl_conv_direct_scratch(const struct stl_conv_geometry *g);
void stl_conv_direct(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *scratch);

/* Convs with at most STL_TAPS kernel taps: an implicit GEMM over phase-split padded input copies
 * (conv_taps.c). */
#define STL_TAPS 25
int stl_conv_taps_applies(const struct stl_conv_geometry *g);
uint64_t stl_conv_taps_scratch(const struct stl_conv_geometry *g);
void stl_conv_taps(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		   const float *b, float *y, float *scratch);

/* Every other conv: a GEMM over im2col panels packed into the scratch; pointwise convs read their
 * input in place (conv_im2col.c). */
uint64_t stl_conv_im2col_scratch(const struct stl_conv_geometry *g);
void stl_conv_im2col(const struct stl_exec *e, const struct stl_conv_geometry *g, const float *x, const float *w,
		     const float *b, float *y, float *scratch);

#endif
