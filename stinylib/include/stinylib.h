/*
 * S-Tinylib: a small float32 graph executor for .tzm models (docs/model-format.md).
 *
 * It is written to run inside an OP-TEE Trusted Application: no stdio, no libm (tinylibm
 * instead), no malloc. The caller owns all memory: the model buffer (weights are read in
 * place from it), one arena whose size the model declares, and the input and output buffers.
 *
 *   struct stl_model m;
 *   if (stl_load(&m, buf, len) != STL_OK) report(m.error.reason);
 *   arena = <stl_arena_bytes(&m) bytes, 16-byte aligned>;
 *   for i < stl_n_inputs(&m): stl_input_desc(&m, i, &d) gives d.name, d.dims, d.bytes
 *   struct stl_input in[] = {{x, x_len}, ...};      one per input, in the model's order
 *   struct stl_output out[] = {{y, y_len}, ...};    one per output, in the model's order
 *   stl_run(&m, arena, arena_len, in, n_in, out, n_out);
 */
#ifndef STINYLIB_H
#define STINYLIB_H

#include <stddef.h>
#include <stdint.h>

#define STL_MAX_DIMS 6

/* Tensor element types (format 2.1 adds all but F32). U8 and I8 ACT tensors are quantised:
 * real = scale * (q - zero_point). Model inputs and outputs are always F32. */
enum stl_dtype { STL_DTYPE_F32 = 0, STL_DTYPE_U8, STL_DTYPE_I8, STL_DTYPE_I32, STL_DTYPE_LAST = STL_DTYPE_I32 };

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
	uint8_t zero_point; /* U8: the value; I8: its two's complement byte; other dtypes zero */
	uint32_t dims[STL_MAX_DIMS];
	uint32_t offset;
	uint32_t size;
	float scale; /* quantised (U8/I8) ACT tensors: > 0 and finite; otherwise +0.0 */
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
 * the last op and before the outputs are copied out. A non-zero return stops the run there with
 * STL_E_CANCELLED. The TA checks its cancellation flag in it; the fuzz harness re-poisons the
 * tensors the next op must not touch.
 */
struct stl_model;
typedef int stl_op_hook(void *ctx, const struct stl_model *m, uint32_t next_op);

/* A model input or output: which tensor, and where its name is in the names section. */
struct stl_binding {
	uint32_t tensor;
	uint32_t name_offset;
	uint32_t name_len;  /* bytes, without the NUL that follows the name */
	uint32_t reserved;
};

struct stl_model {
	const uint8_t *base;            /* the whole file */
	size_t size;
	const struct stl_tensor *tensors;
	const struct stl_op *ops;
	const uint32_t *io;
	const uint8_t *source_sha256;   /* 32 bytes */
	const struct stl_binding *bindings; /* n_inputs inputs, then n_outputs outputs */
	const char *names;
	const uint8_t *weights;
	uint32_t n_tensors, n_ops, n_io;
	uint32_t n_inputs, n_outputs;
	uint32_t arena_size;
	struct stl_error error;         /* set by stl_load / stl_run on failure */
	stl_op_hook *op_hook;           /* NULL after stl_load; see stl_set_op_hook */
	void *op_hook_ctx;
};

/* What a caller needs to know about one input or output. Pointers are into the model buffer. */
struct stl_io_desc {
	const char *name;      /* NUL-terminated UTF-8, unique among the inputs (outputs) */
	uint32_t name_len;     /* bytes, without the NUL */
	uint32_t tensor;       /* index in the tensor table */
	uint8_t dtype;         /* enum stl_dtype */
	uint8_t ndim;
	const uint32_t *dims;  /* ndim entries (row-major; images are NCHW) */
	uint32_t bytes;        /* the exact length of the buffer stl_run takes or fills */
};

/* One input buffer and one output buffer of stl_run. */
struct stl_input {
	const void *data;
	size_t len;
};

struct stl_output {
	void *data;
	size_t len;
};

/*
 * Validate and index a model that lives in buf[0..len) (16-byte aligned). buf must stay valid
 * and unchanged while the model is used. Returns STL_OK or an error (details in m->error).
 */
enum stl_status stl_load(struct stl_model *m, const void *buf, size_t len);

/* Valid after a successful stl_load (0 or NULL before): the arena the plan needs in bytes, the
 * number of inputs and outputs, and the SHA-256 of the source model (32 bytes; all zero when
 * the converter recorded none). */
uint32_t stl_arena_bytes(const struct stl_model *m);
uint32_t stl_n_inputs(const struct stl_model *m);
uint32_t stl_n_outputs(const struct stl_model *m);
const uint8_t *stl_source_sha256(const struct stl_model *m);

/* Describe input (output) i, 0 <= i < stl_n_inputs() (stl_n_outputs()). STL_E_ARG, with *d
 * zeroed, when the model is not loaded or i is out of range. */
enum stl_status stl_input_desc(const struct stl_model *m, uint32_t i, struct stl_io_desc *d);
enum stl_status stl_output_desc(const struct stl_model *m, uint32_t i, struct stl_io_desc *d);

/*
 * Run the model: copy every input into the arena, execute every op, copy every output out.
 * arena must be 16-byte aligned and at least stl_arena_bytes() long. inputs[i] and outputs[i]
 * are in the model's order (stl_input_desc / stl_output_desc), exactly n_inputs =
 * stl_n_inputs() and n_outputs = stl_n_outputs() of them; each buffer is 4-byte aligned and
 * exactly its desc's bytes long. No output may overlap the arena, an input or another output,
 * and no input the arena. Any violation is STL_E_ARG and nothing is written.
 */
enum stl_status stl_run(struct stl_model *m, void *arena, size_t arena_len,
			const struct stl_input *inputs, uint32_t n_inputs,
			const struct stl_output *outputs, uint32_t n_outputs);

/*
 * A run in chunks, for several participants (threads, cores) that share one model and arena
 * (docs/multicore.md §4.3). It computes what stl_run computes, bit for bit, whatever the number of
 * chunks and whichever participant computes which chunk in whatever order: each output element is
 * computed by the same instructions as in stl_run.
 *
 *   stl_run_begin(&m, arena, arena_len, inputs, n_inputs);        stl_run's checks; the inputs in
 *   for every op s in order:
 *       n = stl_op_chunks(&m, s, participants);
 *       every chunk c < n once, by any participant: stl_op_chunk(&m, arena, s, c, n, scratch);
 *       all of op s's chunks are done before any chunk of op s + 1 starts (a barrier)
 *   stl_run_end(&m, arena, arena_len, outputs, n_outputs);        stl_run's checks; the outputs out
 *
 * The op hook is not called. stl_run_begin and stl_run_end fail as stl_run does (STL_E_ARG, in
 * m->error; stl_run_end writes nothing then).
 */
enum stl_status stl_run_begin(struct stl_model *m, void *arena, size_t arena_len,
			      const struct stl_input *inputs, uint32_t n_inputs);
enum stl_status stl_run_end(struct stl_model *m, const void *arena, size_t arena_len,
			    const struct stl_output *outputs, uint32_t n_outputs);

/* How many chunks op (0 ... stl_n_ops() - 1) splits into for up to max participants: 1 .. max
 * (1 for the ops that do not split: CONV and GEMM split). 0 when the model is not loaded, op is
 * out of range or max is 0. */
uint32_t stl_op_chunks(const struct stl_model *m, uint32_t op, uint32_t max);

/*
 * Compute chunk `chunk` (< chunks) of op, where chunks = stl_op_chunks(m, op, chunks) (the
 * call's own maximum). scratch: NULL for the op's scratch space in the arena, which one
 * participant only may use (participant 0); every other participant passes its own buffer of
 * stl_chunk_scratch_bytes() bytes, 16-byte aligned, outside the arena. STL_E_ARG, with nothing
 * computed and m->error untouched (participants share m), when an argument is wrong.
 */
enum stl_status stl_op_chunk(const struct stl_model *m, void *arena, uint32_t op, uint32_t chunk,
			     uint32_t chunks, void *scratch);

/* Bytes of a participant's own scratch buffer for stl_op_chunk (0: the model needs none). */
uint32_t stl_chunk_scratch_bytes(const struct stl_model *m);

/* Number of ops (0 before a successful stl_load). */
uint32_t stl_n_ops(const struct stl_model *m);

/*
 * A team: participants that run the chunks of one run at once, on their own threads
 * (docs/multicore.md §4.2). Between stl_run_begin and stl_run_end:
 *
 *   stl_team_arm(&t, &m, arena, counters, max_chunks);      counters: stl_team_counter_bytes()
 *   every participant, each on its own thread:  stl_team_work(&t, scratch, poll, ctx);
 *
 * Each participant claims the next unclaimed chunk of the current op with an atomic counter and
 * computes it, then waits (spinning) until the op's last chunk is done before the next op. Any
 * number of participants from one up completes the run, whichever arrive and whenever: one that
 * comes late finds the earlier ops done; but every participant that stl_team_work returned STL_OK
 * to has seen the whole run complete. scratch: NULL for exactly one participant (the arena's
 * scratch, stl_op_chunk), a buffer of stl_chunk_scratch_bytes() for each other one. A participant
 * calls poll(ctx) before each op and, while it waits, every 1024 spins (poll may be NULL); a
 * non-zero return, or
 * stl_team_stop() from any thread, stops the run: every participant returns STL_E_CANCELLED
 * after its current chunk, and the arena holds no valid result. STL_E_ARG (the run stopped too)
 * for a misaligned scratch. stl_team_arm refuses (STL_E_ARG) a model not loaded, no arena or
 * counters, or max_chunks 0. max_chunks: the number of participants, or a few times it, so that
 * a participant that is preempted holds back a smaller share.
 */
typedef int stl_team_poll(void *ctx);

struct stl_team {
	const struct stl_model *m;
	uint8_t *arena;
	uint32_t *counters; /* per op: chunks claimed, chunks done */
	uint32_t max_chunks; /* chunks per op: stl_op_chunks(m, op, max_chunks) */
	uint32_t stop;
};

uint32_t stl_team_counter_bytes(const struct stl_model *m);
enum stl_status stl_team_arm(struct stl_team *t, const struct stl_model *m, void *arena, uint32_t *counters,
			     uint32_t max_chunks);
enum stl_status stl_team_work(struct stl_team *t, void *scratch, stl_team_poll *poll, void *ctx);
void stl_team_stop(struct stl_team *t);

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
