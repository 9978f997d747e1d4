/* A run in chunks (docs/multicore.md §4.3): the ops that split share out their independent units
 * (output channels, output columns) among chunks that several participants compute at once; the
 * others are one chunk. */
#include "kernels.h"

static uint32_t op_units(const struct stl_model *m, uint32_t op)
{
	const struct stl_exec e = {m, &m->ops[op], NULL, 0, 1, NULL};
	switch (m->ops[op].type) {
	case STL_OP_CONV:
		return stl_conv_op_units(&e);
	case STL_OP_GEMM:
		return stl_gemm_op_units(&e);
	default:
		return 1;
	}
}

uint32_t stl_op_chunks(const struct stl_model *m, uint32_t op, uint32_t max)
{
	if (m->base == NULL || op >= m->n_ops || max == 0)
		return 0;
	const uint32_t units = op_units(m, op);
	return units < max ? units : max;
}

enum stl_status stl_op_chunk(const struct stl_model *m, void *arena, uint32_t op, uint32_t chunk, uint32_t chunks,
			     void *scratch)
{
	/* Only the caller's own bugs fail here; m is shared by the participants, so nothing is
	 * recorded in m->error. */
	if (arena == NULL || (uintptr_t)arena % STL_ALIGN != 0 || (uintptr_t)scratch % STL_ALIGN != 0 ||
	    chunks == 0 || stl_op_chunks(m, op, chunks) != chunks || chunk >= chunks)
		return STL_E_ARG;
	stl_exec_op(m, arena, op, chunk, chunks, scratch);
	return STL_OK;
}

uint32_t stl_chunk_scratch_bytes(const struct stl_model *m)
{
	uint32_t most = 0;
	for (uint32_t s = 0; m->base != NULL && s < m->n_ops; s++) {
		const struct stl_op *op = &m->ops[s];
		if (op->n_scratch) {
			const uint32_t bytes = m->tensors[m->io[op->io_first + op->n_in + 1u]].size;
			most = bytes > most ? bytes : most;
		}
	}
	return most;
}
