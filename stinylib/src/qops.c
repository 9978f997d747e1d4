/* The element-wise quantised ops: QUANTIZE and DEQUANTIZE at the edges of the int8 part of a
 * model, QADD, and QGLOBAL_AVGPOOL; each with ONNX Runtime's formula (quant.h). */
#include "kernels.h"
#include "quant.h"

static uint32_t elems_of(const struct stl_tensor *t)
{
	uint32_t n = 1;
	for (unsigned d = 0; d < t->ndim; d++)
		n *= t->dims[d];
	return n;
}

/* QuantizeLinear: q = saturate(round_half_even(x / scale) + zp), dividing as MLAS does. */
void stl_k_quantize(const struct stl_exec *e)
{
	const struct stl_tensor *yt = stl_operand(e, stl_out(e));
	const struct stl_qparams q = stl_qparams_of(yt);
	const float *x = stl_data(e, 0);
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const uint32_t n = elems_of(yt);
	for (uint32_t i = 0; i < n; i++)
		y[i] = stl_qround(x[i] / q.scale, &q);
}

/* DequantizeLinear: x = (q - zp) * scale. */
void stl_k_dequantize(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0);
	const struct stl_qparams q = stl_qparams_of(xt);
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	const int is_signed = xt->dtype == STL_DTYPE_I8;
	const uint32_t n = elems_of(xt);
	for (uint32_t i = 0; i < n; i++)
		y[i] = (float)(stl_qload(x, i, is_signed) - q.zp) * q.scale;
}

/* QLinearAdd: c = saturate(round(c_zp - (ra a_zp + rb b_zp) + rb b + ra a)) with ra = a_scale /
 * c_scale, rb = b_scale / c_scale, the two products fused multiply-adds: ONNX Runtime's order on
 * x86-64 (MLAS's AVX2 kernel), so that the host and the TA give its bytes. */
void stl_k_qadd(const struct stl_exec *e)
{
	const struct stl_tensor *at = stl_operand(e, 0), *bt = stl_operand(e, 1), *yt = stl_operand(e, stl_out(e));
	const struct stl_qparams aq = stl_qparams_of(at), bq = stl_qparams_of(bt), yq = stl_qparams_of(yt);
	const uint8_t *a = (const uint8_t *)stl_data(e, 0), *b = (const uint8_t *)stl_data(e, 1);
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const int is_signed = yt->dtype == STL_DTYPE_I8;
	const uint32_t n = elems_of(yt);
	const float ra = aq.scale / yq.scale, rb = bq.scale / yq.scale;
	const float za = ra * (float)aq.zp, zb = rb * (float)bq.zp; /* two roundings, no FMA */
	const float fixed = (float)yq.zp - (za + zb);
	for (uint32_t i = 0; i < n; i++) {
		const float v = __builtin_fmaf((float)stl_qload(b, i, is_signed), rb, fixed);
		y[i] = stl_qround_biased(__builtin_fmaf((float)stl_qload(a, i, is_signed), ra, v), &yq);
	}
}

/* QLinearGlobalAveragePool: the int32 sum of a plane less its zero points, times
 * x_scale / (y_scale * plane), requantised. */
void stl_k_qglobal_avgpool(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const struct stl_qparams xq = stl_qparams_of(xt), yq = stl_qparams_of(yt);
	const uint8_t *x = (const uint8_t *)stl_data(e, 0);
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const int is_signed = xt->dtype == STL_DTYPE_I8;
	const uint32_t planes = xt->dims[0] * xt->dims[1], plane = xt->dims[2] * xt->dims[3];
	const float scale = xq.scale / (yq.scale * (float)plane);
	for (uint32_t p = 0; p < planes; p++) {
		int32_t sum = -xq.zp * (int32_t)plane;
		for (uint32_t i = 0; i < plane; i++)
			sum += stl_qload(x, p * plane + i, is_signed);
		y[p] = stl_qround((float)sum * scale, &yq);
	}
}
