/* RESIZE of the last two dims (docs/model-format.md): nearest (also of U8/I8 tensors) or bilinear,
 * with ONNX's coordinate transformations and nearest rounding modes. The arithmetic is float32 in the order ONNX Runtime
 * uses, so that ties (an output pixel exactly between two inputs) round the same way. */
#include <string.h>

#include "tzm_format.h"
#include "kernels.h"

/* Where output coordinate x falls in the input, for the given scale and lengths. An axis that
 * keeps its length at scale 1 is not resized: ONNX Runtime maps it to itself whatever the
 * transformation (tf_half_pixel_for_nn would otherwise shift it by half a pixel). */
static float original(int coord, float x, float scale, uint32_t out_len, uint32_t in_len)
{
	const float out = (float)out_len, in = (float)in_len;
	if (scale == 1.0f && out_len == in_len)
		return x;
	switch (coord) {
	case STL_COORD_HALF_PIXEL: return (x + 0.5f) / scale - 0.5f;
	case STL_COORD_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
	case STL_COORD_ALIGN_CORNERS: return out_len == 1 ? 0.0f : x * (in - 1.0f) / (out - 1.0f);
	case STL_COORD_ASYMMETRIC: return x / scale;
	case STL_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5f) / scale;
	default: { /* HALF_PIXEL_SYMMETRIC */
		const float adjustment = out / (scale * in), center = in / 2.0f;
		return center * (1.0f - adjustment) + (x + 0.5f) / scale - 0.5f;
	}
	}
}

/* floor and ceil without libm; |x| stays far below 2^31 (coordinates within a few input lengths). */
static int64_t floor_i(float x)
{
	const int64_t t = (int64_t)x;
	return (float)t > x ? t - 1 : t;
}

static int64_t ceil_i(float x)
{
	const int64_t t = (int64_t)x;
	return (float)t < x ? t + 1 : t;
}

/* std::round: halves away from zero. */
static int64_t round_i(float x)
{
	return x < 0.0f ? -floor_i(-x + 0.5f) : floor_i(x + 0.5f);
}

static uint32_t nearest(int rounding, float x, float scale, uint32_t in_len)
{
	int64_t i;
	/* Far outside the input every mode clamps to an end; keep x where integer casts are defined. */
	x = x < -2.0f ? -2.0f : x > (float)in_len + 1.0f ? (float)in_len + 1.0f : x;
	switch (rounding) {
	case STL_ROUND_PREFER_FLOOR:
		i = x == (float)(int64_t)x + 0.5f ? floor_i(x) : round_i(x);
		break;
	case STL_ROUND_PREFER_CEIL: i = round_i(x); break;
	case STL_ROUND_FLOOR: i = floor_i(x); break;
	case STL_ROUND_CEIL: i = ceil_i(x); break;
	default: i = scale < 1.0f ? ceil_i(x) : (int64_t)x; break; /* SIMPLE */
	}
	return i < 0 ? 0 : i >= (int64_t)in_len ? in_len - 1 : (uint32_t)i;
}

/* The two input indices around coordinate x and their weights (ONNX Runtime's bilinear setup). */
struct taps {
	uint32_t i1, i2;
	float w1, w2; /* weight of i1 and of i2 */
};

static struct taps linear(float x, uint32_t in_len)
{
	struct taps t;
	const float last = (float)(in_len - 1);
	x = x < 0.0f ? 0.0f : x > last ? last : x;
	t.i1 = (uint32_t)x < in_len - 1 ? (uint32_t)x : in_len - 1;
	t.i2 = t.i1 + 1 < in_len ? t.i1 + 1 : in_len - 1;
	const float d1 = x - (float)t.i1, d2 = (float)t.i2 - x;
	if (t.i1 == t.i2) {
		t.w1 = t.w2 = 0.5f;
	} else {
		t.w1 = d2 < 0.0f ? -d2 : d2; /* the weight of i1 is the distance to i2 */
		t.w2 = d1 < 0.0f ? -d1 : d1;
	}
	return t;
}

/* Output columns are mapped a chunk at a time into small stack tables (at most 2 KiB: the TA's
 * stack is 32 KiB), which every row of every plane then reuses: the coordinate arithmetic is done
 * once per column and once per row, not once per output pixel. */
#define STL_RESIZE_CHUNK 128u

/* Nearest: a copy of one input element per output element, of `elem` bytes (4: F32; 1: U8/I8,
 * which the loader lets through with the input's quantisation). */
static void resize_nearest(const struct stl_exec *e, uint32_t planes, uint32_t h, uint32_t w, uint32_t oh,
			   uint32_t ow, size_t elem)
{
	const int coord = e->op->iattr[1], rounding = e->op->iattr[2];
	const float sh = e->op->fattr[2], sw = e->op->fattr[3];
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	uint32_t col[STL_RESIZE_CHUNK];
	for (uint32_t x0 = 0; x0 < ow; x0 += STL_RESIZE_CHUNK) {
		const uint32_t n = ow - x0 < STL_RESIZE_CHUNK ? ow - x0 : STL_RESIZE_CHUNK;
		for (uint32_t i = 0; i < n; i++)
			col[i] = nearest(rounding, original(coord, (float)(x0 + i), sw, ow, w), sw, w);
		uint32_t previous = h; /* no input row yet */
		for (uint32_t oy = 0; oy < oh; oy++) {
			const uint32_t iy = nearest(rounding, original(coord, (float)oy, sh, oh, h), sh, h);
			for (uint32_t p = 0; p < planes; p++) {
				const uint8_t *xrow = x + ((size_t)p * h + iy) * w * elem;
				uint8_t *row = y + (((size_t)p * oh + oy) * ow + x0) * elem;
				if (iy == previous) /* upsampling repeats rows: copy the one just made */
					memcpy(row, row - (size_t)ow * elem, n * elem);
				else if (elem == 4)
					for (uint32_t i = 0; i < n; i++)
						memcpy(row + 4 * i, xrow + 4 * (size_t)col[i], 4);
				else
					for (uint32_t i = 0; i < n; i++)
						row[i] = xrow[col[i]];
			}
			previous = iy;
		}
	}
}

static void resize_linear(const struct stl_exec *e, uint32_t planes, uint32_t h, uint32_t w, uint32_t oh,
			  uint32_t ow)
{
	const int coord = e->op->iattr[1];
	const float sh = e->op->fattr[2], sw = e->op->fattr[3];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	struct taps col[STL_RESIZE_CHUNK];
	for (uint32_t x0 = 0; x0 < ow; x0 += STL_RESIZE_CHUNK) {
		const uint32_t n = ow - x0 < STL_RESIZE_CHUNK ? ow - x0 : STL_RESIZE_CHUNK;
		for (uint32_t i = 0; i < n; i++)
			col[i] = linear(original(coord, (float)(x0 + i), sw, ow, w), w);
		for (uint32_t oy = 0; oy < oh; oy++) {
			const struct taps ty = linear(original(coord, (float)oy, sh, oh, h), h);
			for (uint32_t p = 0; p < planes; p++) {
				const float *r1 = x + ((size_t)p * h + ty.i1) * w, *r2 = x + ((size_t)p * h + ty.i2) * w;
				float *row = y + ((size_t)p * oh + oy) * ow + x0;
				for (uint32_t i = 0; i < n; i++) {
					const struct taps tx = col[i];
					row[i] = tx.w1 * ty.w1 * r1[tx.i1] + tx.w2 * ty.w1 * r1[tx.i2] +
						 tx.w1 * ty.w2 * r2[tx.i1] + tx.w2 * ty.w2 * r2[tx.i2];
				}
			}
		}
	}
}

void stl_k_resize(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const uint32_t h = xt->dims[nd - 2], w = xt->dims[nd - 1], oh = yt->dims[nd - 2], ow = yt->dims[nd - 1];
	uint32_t planes = 1;
	for (unsigned d = 0; d + 2 < nd; d++)
		planes *= xt->dims[d];
	if (e->op->iattr[0] == STL_RESIZE_NEAREST)
		resize_nearest(e, planes, h, w, oh, ow, xt->dtype == STL_DTYPE_F32 ? 4 : 1);
	else
		resize_linear(e, planes, h, w, oh, ow);
}
