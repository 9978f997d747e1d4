/*
 * S-Tinylib: a small float32 graph executor for .tzm models (docs/model-format.md).
 *
 * It is written to run inside an OP-TEE Trusted Application: no stdio, no libm (tinylibm
 * instead), no malloc. The caller owns all memory: the model buffer (weights are read in
 * place from it) and one arena whose size the model declares.
 *
 *   struct stl_model m;
 *   if (stl_load(&m, buf, len) != STL_OK) report(m.error.reason);
 *   arena = <stl_arena_bytes(&m) bytes, 16-byte aligned>;
 *   stl_run(&m, arena, arena_len, input, input_len, output, output_len);
 */
#ifndef STINYLIB_H
#define STINYLIB_H

#include <stddef.h>
#include <stdint.h>

#define STL_MAX_DIMS 6

enum stl_status {
	STL_OK = 0,
	STL_E_TRUNCATED,   /* buffer shorter than the header or a declared section */
	STL_E_MAGIC,       /* not a .tzm file */
	STL_E_VERSION,     /* unsupported format version */
	STL_E_FLAGS,       /* unknown or unsupported flag (e.g. encrypted) */
	STL_E_RESERVED,    /* a reserved field is not zero */
	STL_E_INTEGRITY,   /* body SHA-256 mismatch */
	STL_E_TENSOR,      /* invalid tensor record */
	STL_E_OP,          /* invalid op record, arity or attribute */
	STL_E_SHAPE,       /* shapes inconsistent with the op */
	STL_E_PLAN,        /* memory plan inconsistent (overlap, bounds, order) */
	STL_E_ARG,         /* caller argument wrong (arena, input or output size, alignment) */
	STL_E_CANCELLED,   /* the op hook stopped the run (stl_set_op_hook) */
};

struct stl_error {
	enum stl_status status;
	const char *reason; /* static string, never NULL after a failure */
	int32_t op;         /* op index involved, or -1 */
	int32_t tensor;     /* tensor index involved, or -1 */
};

/* Views into the loaded buffer; see docs/model-format.md for the byte layouts. */
struct stl_tensor {
	uint8_t kind;
	uint8_t dtype;
	uint8_t ndim;
	uint8_t reserved0;
	uint32_t dims[STL_MAX_DIMS];
	uint32_t offset;
	uint32_t size;
	uint32_t reserved1;
};

struct stl_op {
	uint16_t type;
	uint8_t n_in;
	uint8_t n_out;
	uint32_t io_first;
	uint8_t n_scratch;
	uint8_t act;
	uint16_t reserved0;
	int32_t iattr[12];
	float fattr[4];
	uint32_t reserved1;
};

/*
 * Called by stl_run before op next_op (0 ... n_ops-1) and once more with next_op = n_ops, after
 * the last op and before the output is copied out. A non-zero return stops the run there with
 * STL_E_CANCELLED. The TA checks its cancellation flag in it; the fuzz harness re-poisons the
 * tensors the next op must not touch.
 */
struct stl_model;
typedef int stl_op_hook(void *ctx, const struct stl_model *m, uint32_t next_op);

struct stl_model {
	const uint8_t *base;            /* the whole file */
	size_t size;
	const struct stl_tensor *tensors;
	const struct stl_op *ops;
	const uint32_t *io;
	const uint8_t *weights;
	uint32_t n_tensors, n_ops, n_io;
	uint32_t input, output;         /* tensor indices */
	uint32_t arena_size;
	struct stl_error error;         /* set by stl_load / stl_run on failure */
	stl_op_hook *op_hook;           /* NULL after stl_load; see stl_set_op_hook */
	void *op_hook_ctx;
};

/*
 * Validate and index a model that lives in buf[0..len) (16-byte aligned). buf must stay valid
 * and unchanged while the model is used. Returns STL_OK or an error (details in m->error).
 */
enum stl_status stl_load(struct stl_model *m, const void *buf, size_t len);

/* Sizes in bytes, valid after a successful stl_load. */
uint32_t stl_arena_bytes(const struct stl_model *m);
uint32_t stl_input_bytes(const struct stl_model *m);
uint32_t stl_output_bytes(const struct stl_model *m);

/*
 * Run the model: copy input into the arena, execute every op, copy the output out.
 * arena must be 16-byte aligned and at least stl_arena_bytes() long; input_len and
 * output_len must equal stl_input_bytes() and stl_output_bytes().
 */
enum stl_status stl_run(struct stl_model *m, void *arena, size_t arena_len,
			const float *input, size_t input_len, float *output, size_t output_len);

/* Install (or, with NULL, remove) the hook stl_run calls between ops; after stl_load. */
void stl_set_op_hook(struct stl_model *m, stl_op_hook *hook, void *ctx);

/*
 * Bytes of scratch a CONV op needs (0: none). x_dims is the input [N,C,H,W], w_dims the
 * weights [M,C/g,kh,kw], iattr the op's attributes. The converter calls this through the
 * host library so that the formula exists once.
 */
uint32_t stl_conv_scratch_bytes(const uint32_t x_dims[4], const uint32_t w_dims[4],
				const int32_t iattr[12]);

/* Human-readable name of a status code. */
const char *stl_status_name(enum stl_status s);

#endif
