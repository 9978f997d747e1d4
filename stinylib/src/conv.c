/* CONV: picks the kernel for each conv and owns the scratch formula that the converter calls. */
#include "conv.h"

uint32_t stl_conv_scratch_bytes(const uint32_t x_dims[4], const uint32_t w_dims[4], const int32_t iattr[12])
{
	struct stl_conv_geometry g;
	if (stl_conv_geometry(&g, x_dims, w_dims, iattr) != STL_GEOM_OK)
		return 0;
	uint64_t bytes = g.cg == 1 ? stl_conv_direct_scratch(&g)
		       : stl_conv_taps_applies(&g) ? stl_conv_taps_scratch(&g)
						  : stl_conv_im2col_scratch(&g);
	return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

void stl_k_conv(const struct stl_exec *e)
{
	const struct stl_tensor *xt = stl_operand(e, 0), *wt = stl_operand(e, 1);
	struct stl_conv_geometry g;
	stl_conv_geometry(&g, xt->dims, wt->dims, e->op->iattr); /* validated at load */
	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	/* Every conv the loader accepts has its scratch tensor: the formula is > 0 for every valid
	 * geometry, and the loader requires n_scratch = 1 exactly then. */
	float *y = stl_data(e, stl_out(e)), *scratch = stl_data(e, stl_scratch(e));

	if (g.cg == 1)
		stl_conv_direct(e, &g, x, w, b, y, scratch);
	else if (stl_conv_taps_applies(&g))
		stl_conv_taps(e, &g, x, w, b, y, scratch);
	else
		stl_conv_im2col(e, &g, x, w, b, y, scratch);
}
