/* The geometry of a CONV op, derived once from its input dims, weight dims and attributes; the
 * loader, the scratch formula and the kernel all use this one derivation. */
#ifndef STL_CONV_GEOMETRY_H
#define STL_CONV_GEOMETRY_H

#include <stdint.h>

struct stl_conv_geometry {
	uint32_t n, c, h, w;          /* input [N, C, H, W] */
	uint32_t m, cg, kh, kw;       /* weights [M, C/group, kh, kw] */
	uint32_t group, sh, sw, pt, pl, pb, pr, dh, dw;
	uint32_t oh, ow;              /* output [N, M, OH, OW] */
	uint32_t k;                   /* GEMM depth: cg * kh * kw */
	uint32_t p;                   /* output pixels per channel: oh * ow */
};

enum stl_geom_status { STL_GEOM_OK = 0, STL_GEOM_BAD_ATTR, STL_GEOM_BAD_SHAPE };

/* Attributes are bounded (kernel, stride, dilation in 1..65535, pads in 0..65535) so that every
 * coordinate the kernel computes fits in int32 given dims whose product is < 2^30. */
enum stl_geom_status stl_conv_geometry(struct stl_conv_geometry *g, const uint32_t x[4],
				       const uint32_t w[4], const int32_t a[12]);

/* A 1×1, stride-1, unpadded conv: its input planes already are its GEMM operand. */
int stl_conv_is_plain_pointwise(const struct stl_conv_geometry *g);

#endif
