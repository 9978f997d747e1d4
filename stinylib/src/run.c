/* stl_run: argument checks, then the inputs in, every op in order over the caller's arena, and the
 * outputs out; stl_run_begin and stl_run_end do its first and last part for a run in chunks
 * (chunks.c). */
#include <string.h>

#include "check.h"
#include "kernels.h"

static stl_kernel_fn *const kernels[STL_OP_LAST + 1] = {
	[STL_OP_CONV] = stl_k_conv,
	[STL_OP_GEMM] = stl_k_gemm,
	[STL_OP_MAXPOOL] = stl_k_maxpool,
	[STL_OP_AVGPOOL] = stl_k_avgpool,
	[STL_OP_GLOBAL_AVGPOOL] = stl_k_global_avgpool,
	[STL_OP_BINARY] = stl_k_binary,
	[STL_OP_UNARY] = stl_k_unary,
	[STL_OP_CONCAT] = stl_k_concat,
	[STL_OP_SOFTMAX] = stl_k_softmax,
	[STL_OP_TRANSPOSE] = stl_k_transpose,
	[STL_OP_PAD] = stl_k_pad,
	[STL_OP_RESHAPE] = stl_k_reshape,
	[STL_OP_SLICE] = stl_k_slice,
	[STL_OP_RESIZE] = stl_k_resize,
	[STL_OP_REDUCE] = stl_k_reduce,
	[STL_OP_MATMUL] = stl_k_matmul,
	[STL_OP_TILE] = stl_k_tile,
	[STL_OP_WHERE] = stl_k_where,
	[STL_OP_NORMALIZE] = stl_k_normalize,
	[STL_OP_CONV_TRANSPOSE] = stl_k_conv_transpose,
	[STL_OP_PAD_EDGE] = stl_k_pad_mode,
	[STL_OP_PAD_REFLECT] = stl_k_pad_mode,
	[STL_OP_QUANTIZE] = stl_k_quantize,
	[STL_OP_DEQUANTIZE] = stl_k_dequantize,
	[STL_OP_QCONV] = stl_k_qconv,
	[STL_OP_QGEMM] = stl_k_qgemm,
	[STL_OP_QADD] = stl_k_qadd,
	[STL_OP_QGLOBAL_AVGPOOL] = stl_k_qglobal_avgpool,
};

static int overlaps(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
	return pa < pb + blen && pb < pa + alen;
}

static enum stl_status arg_error(struct stl_model *m, const char *reason)
{
	m->error.status = STL_E_ARG;
	m->error.reason = reason;
	m->error.op = -1;
	m->error.tensor = -1;
	return STL_E_ARG;
}

static enum stl_status cancelled(struct stl_model *m, uint32_t next_op)
{
	m->error.status = STL_E_CANCELLED;
	m->error.reason = "run stopped by the op hook (cancelled)";
	m->error.op = (int32_t)next_op;
	m->error.tensor = -1;
	return STL_E_CANCELLED;
}

/* One input or output buffer: not NULL, 4-byte aligned, exactly its tensor's bytes, outside the arena. */
static int buffer_ok(const struct stl_model *m, const void *arena, const void *data, size_t len, uint32_t bytes)
{
	return data != NULL && len == bytes && (uintptr_t)data % 4 == 0 && !overlaps(data, len, arena, m->arena_size);
}

/* The model and arena checks every run entry makes; NULL when they pass, else the reason. */
static const char *check_arena(const struct stl_model *m, const void *arena, size_t arena_len)
{
	if (m->base == NULL)
		return "model is not loaded (stl_load failed or was not called)";
	if (arena == NULL || (uintptr_t)arena % STL_ALIGN != 0)
		return "arena is NULL or not 16-byte aligned";
	if (arena_len < m->arena_size)
		return "arena is shorter than stl_arena_bytes()";
	return NULL;
}

static const char *check_inputs(const struct stl_model *m, const void *arena, const struct stl_input *in,
				uint32_t n_in)
{
	struct stl_io_desc d;
	if (n_in != m->n_inputs || (n_in && in == NULL))
		return "give exactly stl_n_inputs() inputs, in the model's order";
	for (uint32_t i = 0; i < n_in; i++)
		if (stl_input_desc(m, i, &d) != STL_OK || !buffer_ok(m, arena, in[i].data, in[i].len, d.bytes))
			return "an input is NULL, misaligned, not its stl_input_desc() bytes long, or in the arena";
	return NULL;
}

static const char *check_outputs(const struct stl_model *m, const void *arena, const struct stl_output *out,
				 uint32_t n_out)
{
	struct stl_io_desc d;
	if (n_out != m->n_outputs || (n_out && out == NULL))
		return "give exactly stl_n_outputs() outputs, in the model's order";
	for (uint32_t o = 0; o < n_out; o++) {
		if (stl_output_desc(m, o, &d) != STL_OK || !buffer_ok(m, arena, out[o].data, out[o].len, d.bytes))
			return "an output is NULL, misaligned, not its stl_output_desc() bytes long, or in the arena";
		for (uint32_t p = 0; p < o; p++)
			if (overlaps(out[o].data, out[o].len, out[p].data, out[p].len))
				return "two outputs overlap";
	}
	return NULL;
}

/* stl_run's checks (its contract in stinylib.h); NULL when they pass, else the reason. */
static const char *check_run(const struct stl_model *m, const void *arena, size_t arena_len,
			     const struct stl_input *in, uint32_t n_in, const struct stl_output *out, uint32_t n_out)
{
	const char *bad = check_arena(m, arena, arena_len);
	bad = bad ? bad : check_inputs(m, arena, in, n_in);
	bad = bad ? bad : check_outputs(m, arena, out, n_out);
	if (bad)
		return bad;
	for (uint32_t o = 0; o < n_out; o++)
		for (uint32_t i = 0; i < n_in; i++)
			if (overlaps(out[o].data, out[o].len, in[i].data, in[i].len))
				return "an output overlaps an input";
	return NULL;
}

static void copy_in(const struct stl_model *m, uint8_t *arena, const struct stl_input *in, uint32_t n_in)
{
	for (uint32_t i = 0; i < n_in; i++)
		memcpy(arena + m->tensors[m->bindings[i].tensor].offset, in[i].data, in[i].len);
}

static void copy_out(const struct stl_model *m, const uint8_t *arena, const struct stl_output *out, uint32_t n_out)
{
	for (uint32_t o = 0; o < n_out; o++)
		memcpy(out[o].data, arena + m->tensors[m->bindings[m->n_inputs + o].tensor].offset, out[o].len);
}

void stl_exec_op(const struct stl_model *m, uint8_t *arena, uint32_t op, uint32_t chunk, uint32_t chunks,
		 void *scratch)
{
	const struct stl_exec e = {m, &m->ops[op], arena, chunk, chunks, scratch};
	kernels[m->ops[op].type](&e);
}

enum stl_status stl_run(struct stl_model *m, void *arena, size_t arena_len, const struct stl_input *inputs,
			uint32_t n_inputs, const struct stl_output *outputs, uint32_t n_outputs)
{
	const char *bad = check_run(m, arena, arena_len, inputs, n_inputs, outputs, n_outputs);
	if (bad != NULL)
		return arg_error(m, bad);

	copy_in(m, arena, inputs, n_inputs);
	for (uint32_t s = 0; s <= m->n_ops; s++) {
		if (m->op_hook && m->op_hook(m->op_hook_ctx, m, s))
			return cancelled(m, s);
		if (s == m->n_ops)
			break;
		stl_exec_op(m, arena, s, 0, 1, NULL);
	}
	copy_out(m, arena, outputs, n_outputs);
	return STL_OK;
}

enum stl_status stl_run_begin(struct stl_model *m, void *arena, size_t arena_len, const struct stl_input *inputs,
			      uint32_t n_inputs)
{
	const char *bad = check_arena(m, arena, arena_len);
	bad = bad ? bad : check_inputs(m, arena, inputs, n_inputs);
	if (bad != NULL)
		return arg_error(m, bad);
	copy_in(m, arena, inputs, n_inputs);
	return STL_OK;
}

enum stl_status stl_run_end(struct stl_model *m, const void *arena, size_t arena_len,
			    const struct stl_output *outputs, uint32_t n_outputs)
{
	const char *bad = check_arena(m, arena, arena_len);
	bad = bad ? bad : check_outputs(m, arena, outputs, n_outputs);
	if (bad != NULL)
		return arg_error(m, bad);
	copy_out(m, arena, outputs, n_outputs);
	return STL_OK;
}

void stl_set_op_hook(struct stl_model *m, stl_op_hook *hook, void *ctx)
{
	m->op_hook = hook;
	m->op_hook_ctx = ctx;
}
