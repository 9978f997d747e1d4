/* CONV: picks the kernel for each conv and owns the scratch formula that the converter calls. */
#include "conv.h"
#include "gemm.h"

/* Output channels per GEMM unit (a register tile's rows) and the units of one group. */
static uint32_t group_blocks(const struct stl_conv_geometry *g)
{
	const uint32_t rows = stl_gemm_tile_rows();
	return (g->m / g->group + rows - 1) / rows;
}

uint32_t stl_conv_units(const struct stl_conv_geometry *g)
{
	return g->cg == 1 ? g->c : g->group * group_blocks(g);
}

struct stl_conv_rows stl_conv_next_rows(const struct stl_conv_geometry *g, uint32_t *u, uint32_t end)
{
	const uint32_t blocks = group_blocks(g), rows = stl_gemm_tile_rows(), mg = g->m / g->group;
	const uint32_t group = *u / blocks, last = end < (group + 1) * blocks ? end : (group + 1) * blocks;
	const uint32_t r1 = (last - group * blocks) * rows;
	const struct stl_conv_rows r = {group, (*u - group * blocks) * rows, r1 < mg ? r1 : mg};
	*u = last;
	return r;
}

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

static void op_geometry(const struct stl_exec *e, struct stl_conv_geometry *g)
{
	stl_conv_geometry(g, stl_operand(e, 0)->dims, stl_operand(e, 1)->dims, e->op->iattr); /* validated at load */
}

uint32_t stl_conv_op_units(const struct stl_exec *e)
{
	struct stl_conv_geometry g;
	op_geometry(e, &g);
	return stl_conv_units(&g);
}

void stl_k_conv(const struct stl_exec *e)
{
	struct stl_conv_geometry g;
	op_geometry(e, &g);
	const float *x = stl_data(e, 0), *w = stl_data(e, 1);
	const float *b = e->op->n_in == 3 ? stl_data(e, 2) : NULL;
	/* Every conv the loader accepts has its scratch tensor: the formula is > 0 for every valid
	 * geometry, and the loader requires n_scratch = 1 exactly then. */
	float *y = stl_data(e, stl_out(e)), *scratch = stl_op_scratch(e);
	uint32_t u0, u1;
	stl_chunk_units(e, stl_conv_units(&g), &u0, &u1);

	if (g.cg == 1)
		stl_conv_direct(e, &g, x, w, b, y, scratch, u0, u1);
	else if (stl_conv_taps_applies(&g))
		stl_conv_taps(e, &g, x, w, b, y, scratch, u0, u1);
	else
		stl_conv_im2col(e, &g, x, w, b, y, scratch, u0, u1);
}
