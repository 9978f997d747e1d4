/* Data-movement ops: CONCAT, TRANSPOSE, PAD, RESHAPE. The plan guarantees that an output never
 * overlaps an input, except RESHAPE placed in place (then it is a no-op). */
#include <string.h>

#include "kernels.h"
#include "quant.h"

/* Product of dims[from..to). */
static size_t span(const struct stl_tensor *t, unsigned from, unsigned to)
{
	size_t n = 1;
	for (unsigned i = from; i < to; i++)
		n *= t->dims[i];
	return n;
}

/* CONCAT of F32 tensors, or of quantised ones: an input of the output's scale and zero point is
 * copied, another requantised by table (quant.h). */
void stl_k_concat(const struct stl_exec *e)
{
	const struct stl_tensor *yt = stl_operand(e, stl_out(e));
	const unsigned axis = (unsigned)e->op->iattr[0];
	const size_t elem = yt->dtype == STL_DTYPE_F32 ? 4 : 1;
	const size_t outer = span(yt, 0, axis), inner = span(yt, axis + 1, yt->ndim) * elem;
	const size_t y_row = yt->dims[axis] * inner;
	uint8_t *y = (uint8_t *)stl_data(e, stl_out(e));
	const struct stl_qparams yq = stl_qparams_of(yt);
	size_t at = 0;
	for (unsigned i = 0; i < e->op->n_in; i++) {
		const struct stl_tensor *xt = stl_operand(e, i);
		const size_t row = xt->dims[axis] * inner;
		const uint8_t *x = (const uint8_t *)stl_data(e, i);
		const struct stl_qparams xq = stl_qparams_of(xt);
		if (elem == 4 || (xq.zp == yq.zp && memcmp(&xq.scale, &yq.scale, sizeof xq.scale) == 0)) {
			for (size_t o = 0; o < outer; o++)
				memcpy(y + o * y_row + at, x + o * row, row);
		} else {
			uint8_t table[256];
			stl_qrequant_table(table, &xq, &yq);
			for (size_t o = 0; o < outer; o++)
				for (size_t j = 0; j < row; j++)
					y[o * y_row + at + j] = table[x[o * row + j]];
		}
		at += row;
	}
}

void stl_k_transpose(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const int32_t *perm = e->op->iattr;
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	/* Walk Y in order; stride[i] is how far X moves when Y's index i advances. */
	size_t xstride[STL_MAX_DIMS], stride[STL_MAX_DIMS];
	uint32_t idx[STL_MAX_DIMS] = {0};
	for (unsigned i = 0; i < nd; i++)
		xstride[i] = span(xt, i + 1, nd);
	for (unsigned i = 0; i < nd; i++)
		stride[i] = xstride[perm[i]];
	size_t xo = 0;
	for (uint32_t n = stl_elems(yt), i = 0; i < n; i++) {
		y[i] = x[xo];
		for (int d = (int)nd - 1; d >= 0; d--) {
			xo += stride[d];
			if (++idx[d] < yt->dims[d])
				break;
			xo -= stride[d] * yt->dims[d];
			idx[d] = 0;
		}
	}
}

void stl_k_pad(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *yt = stl_operand(e, stl_out(e));
	const unsigned nd = xt->ndim;
	const int32_t *begin = e->op->iattr;
	const float value = e->op->fattr[2];
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	for (uint32_t n = stl_elems(yt), i = 0; i < n; i++)
		y[i] = value;
	if (nd == 0) {
		y[0] = x[0];
		return;
	}
	/* Copy each input line (last dim) to its place in Y; idx is the line's index in X. */
	uint32_t idx[STL_MAX_DIMS] = {0};
	const uint32_t inner = xt->dims[nd - 1];
	for (uint32_t l = 0, lines = stl_elems(xt) / inner; l < lines; l++) {
		size_t yo = 0;
		for (unsigned d = 0; d < nd; d++)
			yo = yo * yt->dims[d] + idx[d] + (uint32_t)begin[d];
		memcpy(y + yo, x + (size_t)l * inner, inner * sizeof *y);
		for (int d = (int)nd - 2; d >= 0; d--) {
			if (++idx[d] < xt->dims[d])
				break;
			idx[d] = 0;
		}
	}
}

void stl_k_reshape(const struct stl_exec *e)
{
	const float *x = stl_data(e, 0);
	float *y = stl_data(e, stl_out(e));
	if (x != y)
		memcpy(y, x, stl_operand(e, 0)->size);
}
