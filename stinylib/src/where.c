/* WHERE: Y = C ? A : B element-wise, the three inputs broadcast numpy-style to Y. Booleans are
 * floats: any nonzero C selects A. May run in place over an input of Y's shape: each element is
 * read at the index it is written to. */
#include "broadcast.h"
#include "kernels.h"

void stl_k_where(const struct stl_exec *e)
{
	const struct stl_tensor *yt = stl_operand(e, stl_out(e));
	const unsigned nd = yt->ndim;
	const float *c = stl_data(e, 0), *a = stl_data(e, 1), *b = stl_data(e, 2);
	float *y = stl_data(e, stl_out(e));
	if (nd == 0) {
		y[0] = c[0] != 0.0f ? a[0] : b[0];
		return;
	}
	size_t sc[STL_MAX_DIMS], sa[STL_MAX_DIMS], sb[STL_MAX_DIMS];
	stl_broadcast_strides(stl_operand(e, 0), nd, 0, sc);
	stl_broadcast_strides(stl_operand(e, 1), nd, 0, sa);
	stl_broadcast_strides(stl_operand(e, 2), nd, 0, sb);
	uint32_t idx[STL_MAX_DIMS] = {0};
	size_t oc = 0, oa = 0, ob = 0;
	const uint32_t inner = yt->dims[nd - 1];
	const size_t ic = sc[nd - 1], ia = sa[nd - 1], ib = sb[nd - 1];
	for (uint32_t l = 0, lines = stl_elems(yt) / inner; l < lines; l++) {
		float *row = y + (size_t)l * inner;
		for (uint32_t i = 0; i < inner; i++)
			row[i] = c[oc + i * ic] != 0.0f ? a[oa + i * ia] : b[ob + i * ib];
		for (int d = (int)nd - 2; d >= 0; d--) {
			oc += sc[d];
			oa += sa[d];
			ob += sb[d];
			if (++idx[d] < yt->dims[d])
				break;
			oc -= sc[d] * yt->dims[d];
			oa -= sa[d] * yt->dims[d];
			ob -= sb[d] * yt->dims[d];
			idx[d] = 0;
		}
	}
}
