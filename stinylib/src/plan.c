/* Loader stage 4: the memory plan (docs/model-format.md, "The memory plan").
 *
 * The loader has no memory of its own, so live ranges are recomputed by scanning the op list
 * instead of being stored: the whole check is O(n_tensors × n_io), which the 65535 caps bound. */
#include "check.h"
#include "tzm_format.h"

/* Live range of a tensor: [def, last] in op indices; def is -1 for a model input. */
struct range {
	int64_t def, last;
	int scratch; /* written as an op's scratch tensor */
};

/* How many times op s writes tensor t (as its output, as its scratch), and whether as scratch. */
static unsigned writes(const struct stl_model *m, uint32_t s, uint32_t t, int *as_scratch)
{
	const struct stl_op *op = &m->ops[s];
	const unsigned out = stl_io(m, op, op->n_in) == t;
	const unsigned scratch = op->n_scratch && stl_io(m, op, op->n_in + 1u) == t;
	*as_scratch = scratch;
	return out + scratch;
}

static int reads(const struct stl_model *m, uint32_t s, uint32_t t)
{
	const struct stl_op *op = &m->ops[s];
	for (unsigned i = 0; i < op->n_in; i++)
		if (stl_io(m, op, i) == t)
			return 1;
	return 0;
}

/* Writers and readers of tensor t, checked against the rules, giving its live range. */
static enum stl_status live_range(struct stl_model *m, uint32_t t, struct range *r)
{
	const struct stl_tensor *ten = &m->tensors[t];
	uint32_t writers = 0;
	r->def = -1;
	r->last = -1;
	r->scratch = 0;
	for (uint32_t s = 0; s < m->n_ops; s++) {
		int as_scratch;
		const unsigned w = writes(m, s, t, &as_scratch);
		if (w) {
			writers += w;
			r->def = s;
			r->scratch = as_scratch;
		}
	}
	if (ten->kind == STL_KIND_CONST) {
		if (writers)
			return stl_fail(m, STL_E_PLAN, "an op writes a CONST tensor", r->def, t);
		/* An unread constant would be weight bytes nothing uses (the converter emits none). */
		for (uint32_t s = 0; s < m->n_ops; s++)
			if (reads(m, s, t))
				return STL_OK;
		return stl_fail(m, STL_E_PLAN, "no op reads this CONST tensor", -1, t);
	}
	const int input = stl_is_input(m, t);
	if (input ? writers != 0 : writers != 1)
		return stl_fail(m, STL_E_PLAN, input ? "an op writes a model input"
			: "ACT tensor is not written by exactly one op (and is not a model input)", -1, t);
	r->last = r->def;
	for (uint32_t s = 0; s < m->n_ops; s++)
		if (reads(m, s, t)) {
			if ((int64_t)s <= r->def)
				return stl_fail(m, STL_E_PLAN, "an op reads a tensor before (or while) it is written", s, t);
			if (r->scratch)
				return stl_fail(m, STL_E_PLAN, "an op reads another op's scratch tensor", s, t);
			r->last = s;
		}
	if (stl_is_output(m, t)) {
		if (r->scratch)
			return stl_fail(m, STL_E_PLAN, "a model output is a scratch tensor", -1, t);
		r->last = m->n_ops; /* every output lives to the end: no other tensor may take its bytes */
	}
	if ((uint64_t)ten->offset + ten->size > m->arena_size)
		return stl_fail(m, STL_E_PLAN, "ACT tensor lies outside the arena (arena_size too small)", -1, t);
	return STL_OK;
}

/* The in-place exception: op s reads a for the last time and writes b over exactly a's bytes. */
static int in_place(const struct stl_model *m, uint32_t a, const struct range *ra, uint32_t b, uint32_t s)
{
	const struct stl_op *op = &m->ops[s];
	const struct stl_tensor *ta = &m->tensors[a], *tb = &m->tensors[b];
	int b_is_scratch;
	if (ra->last != s || writes(m, s, b, &b_is_scratch) != 1 || b_is_scratch || !reads(m, s, a))
		return 0;
	if (ta->offset != tb->offset || ta->size != tb->size)
		return 0;
	if (op->type == STL_OP_UNARY || op->type == STL_OP_RESHAPE)
		return 1;
	if ((op->type != STL_OP_BINARY && op->type != STL_OP_NORMALIZE && op->type != STL_OP_WHERE) ||
	    ta->ndim != tb->ndim)
		return 0;
	for (unsigned i = 0; i < ta->ndim; i++)
		if (ta->dims[i] != tb->dims[i])
			return 0;
	return 1;
}

static int bytes_overlap(const struct stl_tensor *a, const struct stl_tensor *b)
{
	return (uint64_t)a->offset < (uint64_t)b->offset + b->size &&
	       (uint64_t)b->offset < (uint64_t)a->offset + a->size;
}

enum stl_status stl_check_plan(struct stl_model *m)
{
	struct range ra;
	if (m->arena_size % STL_ALIGN != 0)
		return stl_fail(m, STL_E_PLAN, "arena_size is not a multiple of 16", -1, -1);
	/* First every tensor's writers, readers and bounds, so the overlap pass meets only valid ones. */
	for (uint32_t a = 0; a < m->n_tensors; a++) {
		enum stl_status st = live_range(m, a, &ra);
		if (st != STL_OK)
			return st;
	}
	/* The inputs are all live at step -1, before any op: no op's span below meets two of them. */
	for (uint32_t i = 0; i < m->n_inputs; i++)
		for (uint32_t j = 0; j < i; j++)
			if (bytes_overlap(&m->tensors[m->bindings[i].tensor], &m->tensors[m->bindings[j].tensor]))
				return stl_fail(m, STL_E_PLAN, "two model inputs share arena bytes", -1, m->bindings[i].tensor);
	for (uint32_t a = 0; a < m->n_tensors; a++) {
		if (m->tensors[a].kind == STL_KIND_CONST)
			continue;
		live_range(m, a, &ra);
		/* Every tensor b whose range meets a's with def_b in [def_a, last_a] is written by an op
		 * in that span; pairs with def_b < def_a are found when the loop reaches b. */
		int64_t first = ra.def < 0 ? 0 : ra.def;
		int64_t end = ra.last < (int64_t)m->n_ops ? ra.last : (int64_t)m->n_ops - 1;
		for (int64_t s = first; s <= end; s++) {
			const struct stl_op *op = &m->ops[s];
			for (unsigned i = op->n_in; i < op->n_in + 1u + op->n_scratch; i++) {
				uint32_t b = stl_io(m, op, i);
				if (b == a || !bytes_overlap(&m->tensors[a], &m->tensors[b]))
					continue;
				if (!in_place(m, a, &ra, b, (uint32_t)s))
					return stl_fail(m, STL_E_PLAN, "two tensors live at the same time share arena bytes", s, b);
			}
		}
	}
	return STL_OK;
}
