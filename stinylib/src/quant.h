/* Quantised arithmetic shared by the int8 kernels (qconv.c, qops.c), written to give ONNX
 * Runtime's (MLAS's) results bit for bit: real = scale * (q - zero_point), accumulation in int32,
 * requantisation in float with round-half-to-even and saturation. No libm: the rounding is the
 * float "magic number" trick, exact for |v| < 2^22 (every value is clamped to the type first). */
#ifndef STL_QUANT_H
#define STL_QUANT_H

#include <stdint.h>

#include "tzm_format.h"
#include "stinylib.h"

/* The range and zero point of a quantised tensor's type. */
struct stl_qparams {
	int32_t zp, qmin, qmax;
	float scale;
};

static inline struct stl_qparams stl_qparams_of(const struct stl_tensor *t)
{
	struct stl_qparams q;
	const int is_signed = t->dtype == STL_DTYPE_I8;
	q.zp = is_signed ? (int32_t)(int8_t)t->zero_point : (int32_t)t->zero_point;
	q.qmin = is_signed ? -128 : 0;
	q.qmax = is_signed ? 127 : 255;
	q.scale = t->scale;
	return q;
}

/* Element i of a U8 or I8 tensor's data as an int32. */
static inline int32_t stl_qload(const uint8_t *p, uint32_t i, int is_signed)
{
	return is_signed ? (int32_t)(int8_t)p[i] : (int32_t)p[i];
}

/* v clamped to [qmin - zp, qmax - zp] (NaN goes to the low end, as MLAS's MAXPS does), rounded
 * half to even, plus zp: the stored byte (an I8 value in two's complement). */
static inline uint8_t stl_qround(float v, const struct stl_qparams *q)
{
	const float lo = (float)(q->qmin - q->zp), hi = (float)(q->qmax - q->zp);
	v = v >= lo ? v : lo;
	v = v <= hi ? v : hi;
	const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer, half to even */
	const int32_t r = (int32_t)((v + magic) - magic);
	return (uint8_t)(r + q->zp);
}

/* v (already holding the zero point) rounded half to even, then saturated to the type: the order
 * of MLAS's QLinearAdd (convert, then saturating packs). */
static inline uint8_t stl_qround_biased(float v, const struct stl_qparams *q)
{
	const float magic = 12582912.0f;
	v = v >= -4194304.0f ? v : -4194304.0f; /* |v| < 2^22 keeps the magic rounding exact */
	v = v <= 4194304.0f ? v : 4194304.0f;
	int32_t r = (int32_t)((v + magic) - magic);
	r = r < q->qmin ? q->qmin : r;
	return (uint8_t)(r > q->qmax ? q->qmax : r);
}

/* table[b] = the byte of x's type b stored at y's scale and zero point: stl_qround of the real
 * value (b − x_zp)·x_scale (float, as DequantizeLinear gives it) divided by y_scale (as
 * QuantizeLinear divides): what DequantizeLinear, a data movement and QuantizeLinear compute. */
static inline void stl_qrequant_table(uint8_t table[256], const struct stl_qparams *x, const struct stl_qparams *y)
{
	for (int32_t b = 0; b < 256; b++) {
		const int32_t v = x->qmin < 0 ? (int32_t)(int8_t)(uint8_t)b : b;
		table[b] = stl_qround((float)(v - x->zp) * x->scale / y->scale, y);
	}
}

#endif
