#include "conv_geometry.h"

#include "tzm_format.h"

static int in_range(int32_t v, int32_t lo, int32_t hi)
{
	return v >= lo && v <= hi;
}

/* Output size of one spatial axis, or -1 when the dilated kernel is larger than the padded input. */
static int64_t out_size(uint32_t in, int32_t k, int32_t s, int32_t p0, int32_t p1, int32_t d)
{
	int64_t span = (int64_t)in + p0 + p1 - (int64_t)d * (k - 1) - 1;
	return span < 0 ? -1 : span / s + 1;
}

enum stl_geom_status stl_conv_geometry(struct stl_conv_geometry *g, const uint32_t x[4],
				       const uint32_t w[4], const int32_t a[12])
{
	for (int i = 0; i < 11; i++) {
		int pad = i >= STL_A_PT && i <= STL_A_PR;
		int32_t hi = i == STL_A_GROUP ? INT32_MAX : 65535;
		if (!in_range(a[i], pad ? 0 : 1, hi))
			return STL_GEOM_BAD_ATTR;
	}
	if ((uint32_t)a[STL_A_KH] != w[2] || (uint32_t)a[STL_A_KW] != w[3])
		return STL_GEOM_BAD_ATTR;
	for (int i = 0; i < 4; i++)
		if (x[i] == 0 || w[i] == 0)
			return STL_GEOM_BAD_SHAPE;
	uint32_t group = (uint32_t)a[STL_A_GROUP];
	if (x[1] % group != 0 || w[0] % group != 0 || w[1] != x[1] / group)
		return STL_GEOM_BAD_SHAPE;
	int64_t oh = out_size(x[2], a[STL_A_KH], a[STL_A_SH], a[STL_A_PT], a[STL_A_PB], a[STL_A_DH]);
	int64_t ow = out_size(x[3], a[STL_A_KW], a[STL_A_SW], a[STL_A_PL], a[STL_A_PR], a[STL_A_DW]);
	if (oh < 1 || ow < 1 || oh > UINT32_MAX / 4 || ow > UINT32_MAX / 4)
		return STL_GEOM_BAD_SHAPE;
	uint64_t k = (uint64_t)w[1] * w[2] * w[3], p = (uint64_t)oh * (uint64_t)ow;
	if (k > UINT32_MAX / 4 || p > UINT32_MAX / 4)
		return STL_GEOM_BAD_SHAPE;

	g->n = x[0];
	g->c = x[1];
	g->h = x[2];
	g->w = x[3];
	g->m = w[0];
	g->cg = w[1];
	g->kh = w[2];
	g->kw = w[3];
	g->group = group;
	g->sh = (uint32_t)a[STL_A_SH];
	g->sw = (uint32_t)a[STL_A_SW];
	g->pt = (uint32_t)a[STL_A_PT];
	g->pl = (uint32_t)a[STL_A_PL];
	g->pb = (uint32_t)a[STL_A_PB];
	g->pr = (uint32_t)a[STL_A_PR];
	g->dh = (uint32_t)a[STL_A_DH];
	g->dw = (uint32_t)a[STL_A_DW];
	g->oh = (uint32_t)oh;
	g->ow = (uint32_t)ow;
	g->k = (uint32_t)k;
	g->p = (uint32_t)p;
	return STL_GEOM_OK;
}

int stl_conv_is_plain_pointwise(const struct stl_conv_geometry *g)
{
	return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->pb == 0 &&
	       g->pr == 0;
}
