/* The op kernels. run.c calls one per op; the loader has already proved every shape, attribute
 * and buffer bound, so kernels trust the tensor records and never re-check them. */
#ifndef STL_KERNELS_H
#define STL_KERNELS_H

#include "tzm_format.h"
#include "stinylib.h"

/* One op being executed: operand i is io entry op->io_first + i (inputs, output, scratch). A kernel
 * that splits (chunks.c) computes only chunk `chunk` of `chunks` (0 of 1: the whole op), and uses
 * `scratch` when it is not NULL instead of the op's scratch tensor, which is participant 0's. */
struct stl_exec {
	const struct stl_model *m;
	const struct stl_op *op;
	uint8_t *arena;
	uint32_t chunk, chunks;
	void *scratch;
};

static inline const struct stl_tensor *stl_operand(const struct stl_exec *e, unsigned i)
{
	return &e->m->tensors[e->m->io[e->op->io_first + i]];
}

/* Data of operand i: in the arena (ACT) or in the weights (CONST; never written). */
static inline float *stl_data(const struct stl_exec *e, unsigned i)
{
	const struct stl_tensor *t = stl_operand(e, i);
	const uint8_t *base = t->kind == STL_KIND_CONST ? e->m->weights : e->arena;
	return (float *)(uintptr_t)(base + t->offset);
}

/* Operand indices of the output and the scratch tensor. */
static inline unsigned stl_out(const struct stl_exec *e)
{
	return e->op->n_in;
}

static inline unsigned stl_scratch(const struct stl_exec *e)
{
	return e->op->n_in + 1u;
}

/* This call's scratch: its own, or the op's scratch tensor in the arena. */
static inline void *stl_op_scratch(const struct stl_exec *e)
{
	return e->scratch ? e->scratch : (void *)stl_data(e, stl_scratch(e));
}

/* The units [*lo, *hi) of an op's `units` independent units that this call computes: an even
 * share by chunk number, so that the chunks cover every unit once. */
static inline void stl_chunk_units(const struct stl_exec *e, uint32_t units, uint32_t *lo, uint32_t *hi)
{
	*lo = (uint32_t)((uint64_t)units * e->chunk / e->chunks);
	*hi = (uint32_t)((uint64_t)units * (e->chunk + 1u) / e->chunks);
}

/* Number of elements of an F32 tensor (the loader checked size = 4 * elements). */
static inline uint32_t stl_elems(const struct stl_tensor *t)
{
	return t->size / 4;
}

typedef void stl_kernel_fn(const struct stl_exec *e);

/* Run chunk `chunk` of `chunks` of op `op` (0 of 1: the whole op) with that scratch (run.c). */
void stl_exec_op(const struct stl_model *m, uint8_t *arena, uint32_t op, uint32_t chunk, uint32_t chunks,
		 void *scratch);

/* How many independent units the ops that split share out among their chunks (chunks.c): CONV's
 * (conv.c, stl_conv_units) and GEMM's (matmul.c: tiles of output columns). */
uint32_t stl_conv_op_units(const struct stl_exec *e);
uint32_t stl_gemm_op_units(const struct stl_exec *e);

stl_kernel_fn stl_k_conv;
stl_kernel_fn stl_k_gemm;
stl_kernel_fn stl_k_maxpool;
stl_kernel_fn stl_k_avgpool;
stl_kernel_fn stl_k_global_avgpool;
stl_kernel_fn stl_k_binary;
stl_kernel_fn stl_k_unary;
stl_kernel_fn stl_k_concat;
stl_kernel_fn stl_k_softmax;
stl_kernel_fn stl_k_transpose;
stl_kernel_fn stl_k_pad;
stl_kernel_fn stl_k_reshape;
stl_kernel_fn stl_k_slice;
stl_kernel_fn stl_k_resize;
stl_kernel_fn stl_k_reduce;
stl_kernel_fn stl_k_matmul;
stl_kernel_fn stl_k_tile;
stl_kernel_fn stl_k_where;
stl_kernel_fn stl_k_normalize;
stl_kernel_fn stl_k_conv_transpose;
stl_kernel_fn stl_k_pad_mode; /* PAD_EDGE and PAD_REFLECT */
stl_kernel_fn stl_k_quantize;
stl_kernel_fn stl_k_dequantize;
stl_kernel_fn stl_k_qconv;
stl_kernel_fn stl_k_qgemm;
stl_kernel_fn stl_k_qadd;
stl_kernel_fn stl_k_qglobal_avgpool;
stl_kernel_fn stl_k_qmaxpool; /* MAXPOOL of U8/I8 (qpool.c; stl_k_maxpool dispatches) */

#endif
