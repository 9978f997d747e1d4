/*
 * libFuzzer target for S-Tinylib's untrusted-input surface: stl_load over one .tzm file, then,
 * when the loader accepts it, stl_run's argument checks and a real run of every op.
 *
 * One fuzz input is one whole .tzm file. Every model input is filled by cycling over the file's
 * body bytes, so every float pattern a mutation creates (NaN, inf, denormals) reaches the kernels
 * as activations as well as weights.
 *
 * Built twice from this file (fuzz/Makefile):
 *   fuzz-tzm          plain: mutants are what libFuzzer makes of the bytes. Almost every mutant
 *                     of the body fails the SHA-256 check, so this mode explores the header,
 *                     the section checks and the hash check.
 *   fuzz-tzm-fixhash  FUZZ_FIX_HASH: a custom mutator re-hashes the body after every mutation
 *                     (with the engine's own sha256.c), so mutants reach the record checks, the
 *                     op/shape checks, the plan check and the kernels. Its corpus and crash files
 *                     are valid-hash files, so either binary reproduces them.
 *
 * Besides the sanitizers, the target aborts when the engine breaks its contract:
 *   - a refusal without a status/reason, or stl_run accepting a model whose load failed;
 *   - stl_load accepting a misaligned buffer; stl_run accepting a wrong-length input or output,
 *     a wrong number of inputs or outputs, a short or misaligned arena, an input inside the arena
 *     or two outputs that overlap (the buffer checks);
 *   - a run that fails with valid arguments, or writes into the model buffer;
 *   - a run whose output depends on the arena's previous contents (two runs, arena pre-filled
 *     with 0x00 and with 0xff, must give the same bytes): the engine must never read arena
 *     bytes the plan did not write first, or stale secrets would flow into the output.
 * And during a run each op can address only its own operands: before every op the engine's op
 * hook (stl_set_op_hook) has ASan poison the whole arena and the whole weights section, then
 * unpoison the op's inputs, output and scratch; after the last op only the model outputs stay
 * addressable for the copy out. A kernel that strays into another live tensor, a gap or the
 * alignment padding is reported even though the access stays inside one allocation.
 * FUZZ_POISON_SELFTEST builds a main() instead of the fuzz target that checks exactly that on
 * the files it is given (tests/fuzz/test_fuzz_inputs.py).
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "tzm_format.h"
#include "sha256.h"
#include "stinylib.h"

/*
 * Largest arena a run may request. A model may declare up to 4 GiB; the TA can never hold more
 * than its heap, which comes out of a TA RAM pool of at most ~62 MiB on the layouts we ship
 * (board/<board>/memory.yaml), so runs beyond 64 MiB test nothing the product can reach. They
 * would only push libFuzzer against its 2 GiB RSS limit (arena, ASan shadow and quarantine)
 * and slow every exec. Such models are still loaded and validated in full; only the run is
 * skipped.
 */
#define FUZZ_ARENA_CAP (64u << 20)


static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-tzm: engine contract broken: %s\n", what);
		abort();
	}
}

static void *xalloc(size_t align, size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, align, n ? n : 1) != 0) {
		fprintf(stderr, "fuzz-tzm: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

/* The model input: the file's body bytes, repeated. */
static void fill_input(uint8_t *in, size_t n, const uint8_t *file, size_t size)
{
	const uint8_t *body = file + STL_HEADER_SIZE;
	size_t body_len = size - STL_HEADER_SIZE; /* > 0: a loaded model has tables */
	for (size_t i = 0; i < n; i++)
		in[i] = body[i % body_len];
}

/* What the op hook needs to re-poison the arena and the weights before each op. */
struct guard {
	uint8_t *arena;
	size_t arena_len;
	const uint8_t *weights;
	size_t weights_len;
};

static const uint8_t *tensor_bytes(const struct stl_model *m, const struct guard *g, uint32_t t)
{
	const struct stl_tensor *x = &m->tensors[t];
	return (x->kind == STL_KIND_CONST ? g->weights : g->arena) + x->offset;
}

static void poison_all(const struct guard *g)
{
	ASAN_POISON_MEMORY_REGION(g->arena, g->arena_len);
	ASAN_POISON_MEMORY_REGION(g->weights, g->weights_len);
}

static void unpoison_tensor(const struct stl_model *m, const struct guard *g, uint32_t t)
{
	ASAN_UNPOISON_MEMORY_REGION(tensor_bytes(m, g, t), m->tensors[t].size);
}

/* The tensor of binding b: model input b, or model output b - n_inputs. */
static uint32_t binding_tensor(const struct stl_model *m, uint32_t b)
{
	return m->bindings[b].tensor;
}

/* Operand i of op o (inputs, output, scratch), as a tensor index. */
static uint32_t operand(const struct stl_model *m, const struct stl_op *o, uint32_t i)
{
	return m->io[o->io_first + i];
}

static uint32_t operand_count(const struct stl_op *o)
{
	return (uint32_t)o->n_in + o->n_out + o->n_scratch;
}

/* The op hook: before op next_op only its operands are addressable; after the last op only the
 * model outputs, which stl_run then copies out. ASan never shrinks an unpoisoned range, so
 * operands that share bytes in the plan (in-place ops) stay whole. */
static int expose_operands(void *ctx, const struct stl_model *m, uint32_t next_op)
{
	const struct guard *g = ctx;
	poison_all(g);
	if (next_op == m->n_ops) {
		for (uint32_t o = 0; o < m->n_outputs; o++)
			unpoison_tensor(m, g, binding_tensor(m, m->n_inputs + o));
		return 0;
	}
	const struct stl_op *o = &m->ops[next_op];
	for (uint32_t i = 0; i < operand_count(o); i++)
		unpoison_tensor(m, g, operand(m, o, i));
	return 0;
}

static struct guard guard_for(struct stl_model *m, uint8_t *arena, size_t arena_len, const uint8_t *file,
			      size_t size)
{
	struct guard g = { arena, arena_len, m->weights, size - (size_t)(m->weights - file) };
	return g;
}

/* The model's inputs and outputs: one buffer each, described for stl_run. */
struct buffers {
	struct stl_input *in;
	struct stl_output *out;
	uint32_t n_in, n_out;
};

static void buffers_alloc(struct buffers *b, const struct stl_model *m, const uint8_t *file, size_t size)
{
	struct stl_io_desc d;
	b->n_in = stl_n_inputs(m);
	b->n_out = stl_n_outputs(m);
	b->in = xalloc(16, b->n_in * sizeof *b->in);
	b->out = xalloc(16, b->n_out * sizeof *b->out);
	for (uint32_t i = 0; i < b->n_in; i++) {
		stl_input_desc(m, i, &d);
		uint8_t *data = xalloc(16, d.bytes);
		fill_input(data, d.bytes, file, size);
		b->in[i] = (struct stl_input){data, d.bytes};
	}
	for (uint32_t o = 0; o < b->n_out; o++) {
		stl_output_desc(m, o, &d);
		b->out[o] = (struct stl_output){xalloc(16, d.bytes), d.bytes};
	}
}

static void buffers_free(struct buffers *b)
{
	for (uint32_t i = 0; i < b->n_in; i++)
		free((void *)(uintptr_t)b->in[i].data);
	for (uint32_t o = 0; o < b->n_out; o++)
		free(b->out[o].data);
	free(b->in);
	free(b->out);
}

static enum stl_status guarded_run(struct stl_model *m, uint8_t *arena, size_t arena_len, const struct buffers *b,
				   const uint8_t *file, size_t size)
{
	struct guard g = guard_for(m, arena, arena_len, file, size);
	/* stl_run copies the inputs in before the first op: only their tensors are addressable then. */
	poison_all(&g);
	for (uint32_t i = 0; i < m->n_inputs; i++)
		unpoison_tensor(m, &g, binding_tensor(m, i));
	stl_set_op_hook(m, expose_operands, &g);
	enum stl_status st = stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out);
	stl_set_op_hook(m, NULL, NULL);
	ASAN_UNPOISON_MEMORY_REGION(g.arena, g.arena_len);
	ASAN_UNPOISON_MEMORY_REGION(g.weights, g.weights_len);
	return st;
}

/* stl_run must refuse each of these with STL_E_ARG (and write nothing). */
static void refused_runs(struct stl_model *m, uint8_t *arena, size_t arena_len, struct buffers *b)
{
	struct stl_input in0 = b->in[0];
	struct stl_output out0 = b->out[0];
	require(stl_run(m, arena, arena_len, b->in, b->n_in - 1, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted one input fewer than stl_n_inputs()");
	require(stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out + 1) == STL_E_ARG,
		"stl_run accepted one output more than stl_n_outputs()");
	b->in[0].len = in0.len - 4;
	require(stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted an input 4 bytes shorter than its stl_input_desc()");
	b->in[0] = (struct stl_input){arena, in0.len};
	require(stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted an input inside the arena");
	b->in[0] = in0;
	b->out[0].len = out0.len + 4;
	require(stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted an output 4 bytes longer than its stl_output_desc()");
	b->out[0] = out0;
	if (b->n_out > 1) {
		struct stl_output out1 = b->out[1];
		b->out[1].data = out0.data;
		require(stl_run(m, arena, arena_len, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
			"stl_run accepted two outputs that overlap");
		b->out[1] = out1;
	}
	require(stl_run(m, arena, arena_len - 1, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted an arena shorter than stl_arena_bytes()");
	require(stl_run(m, arena + 8, arena_len - 8, b->in, b->n_in, b->out, b->n_out) == STL_E_ARG,
		"stl_run accepted an arena that is not 16-byte aligned");
}

static void run_twice(struct stl_model *m, const uint8_t *file, size_t size)
{
	const size_t arena_len = stl_arena_bytes(m);
	if (arena_len > FUZZ_ARENA_CAP)
		return;
	uint8_t *arena = xalloc(16, arena_len);
	struct buffers b, first;
	buffers_alloc(&b, m, file, size);
	buffers_alloc(&first, m, file, size);
	refused_runs(m, arena, arena_len, &b);

	memset(arena, 0x00, arena_len);
	require(guarded_run(m, arena, arena_len, &first, file, size) == STL_OK,
		"stl_run refused valid arguments for a model stl_load accepted");
	memset(arena, 0xff, arena_len);
	require(guarded_run(m, arena, arena_len, &b, file, size) == STL_OK,
		"stl_run refused valid arguments on the second run");
	for (uint32_t o = 0; o < b.n_out; o++)
		require(memcmp(first.out[o].data, b.out[o].data, b.out[o].len) == 0,
			"output depends on the arena's previous contents (a kernel reads bytes nobody wrote)");
	free(arena);
	buffers_free(&b);
	buffers_free(&first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: stl_load needs 16-byte alignment, and with no slack after the last
	 * byte ASan flags any read past the end of the file. */
	uint8_t *file = xalloc(16, size);
	memcpy(file, data, size);
	struct stl_model m;
	if (size > 8)
		require(stl_load(&m, file + 8, size - 8) == STL_E_ARG, "stl_load accepted a buffer not 16-byte aligned");
	enum stl_status st = stl_load(&m, file, size);
	if (st != STL_OK) {
		require(m.error.status == st && m.error.reason != NULL, "a refusal without status and reason");
		float in[4], out[4];
		struct stl_input input = {in, sizeof in};
		struct stl_output output = {out, sizeof out};
		uint8_t *arena = xalloc(16, 16);
		require(stl_run(&m, arena, 16, &input, 1, &output, 1) == STL_E_ARG,
			"stl_run accepted a model whose stl_load failed");
		free(arena);
	} else {
		run_twice(&m, file, size);
	}
	require(memcmp(file, data, size) == 0, "the engine wrote into the model buffer");
	free(file);
	return 0;
}

#ifdef FUZZ_FIX_HASH
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * libFuzzer's own mutation, then the fix-ups a writer would make: when the length changed, the
 * length fields follow it (body_size, and weights_size, where inserted or erased bytes most
 * often land), and the body hash is recomputed. Mutants whose length fields disagree in other
 * ways still occur (in-place mutations of those fields), and the plain build covers the rest.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	(void)seed; /* LLVMFuzzerMutate draws from libFuzzer's own seeded generator */
	size_t n = LLVMFuzzerMutate(data, size, max_size);
	if (n < STL_HEADER_SIZE)
		return n;
	if (n != size && size >= STL_HEADER_SIZE) {
		uint32_t delta = (uint32_t)(n - size); /* modulo 2^32: also right when n < size */
		put32(data + STL_HDR_BODY_SIZE, stl_le32(data + STL_HDR_BODY_SIZE) + delta);
		put32(data + STL_HDR_WEIGHTS_SIZE, stl_le32(data + STL_HDR_WEIGHTS_SIZE) + delta);
	}
	stl_sha256(data + STL_HEADER_SIZE, n - STL_HEADER_SIZE, data + STL_HDR_BODY_SHA256);
	return n;
}
#endif

#ifdef FUZZ_POISON_SELFTEST
/*
 * For every op of every model given: after the op hook ran, every byte of the op's operands is
 * addressable, and every byte of every other tensor that no operand shares is poisoned; after the
 * last op, only the output. Prints one line per model; exit 1 if any byte is wrong.
 */
static int in_tensor(const struct stl_model *m, const struct guard *g, uint32_t t, const uint8_t *p)
{
	const uint8_t *b = tensor_bytes(m, g, t);
	return p >= b && p < b + m->tensors[t].size;
}

/* Should p be addressable before op next_op (or, at n_ops, before the outputs are copied out)? */
static int exposed(const struct stl_model *m, const struct guard *g, uint32_t next_op, const uint8_t *p)
{
	if (next_op == m->n_ops) {
		for (uint32_t o = 0; o < m->n_outputs; o++)
			if (in_tensor(m, g, binding_tensor(m, m->n_inputs + o), p))
				return 1;
		return 0;
	}
	const struct stl_op *o = &m->ops[next_op];
	for (uint32_t i = 0; i < operand_count(o); i++)
		if (in_tensor(m, g, operand(m, o, i), p))
			return 1;
	return 0;
}

static size_t wrong_bytes(const struct stl_model *m, const struct guard *g, uint32_t next_op)
{
	size_t wrong = 0;
	for (uint32_t t = 0; t < m->n_tensors; t++) {
		const uint8_t *b = tensor_bytes(m, g, t);
		for (uint32_t k = 0; k < m->tensors[t].size; k++)
			wrong += exposed(m, g, next_op, b + k) == __asan_address_is_poisoned(b + k);
	}
	return wrong;
}

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t data[1u << 20];
		size_t size = f ? fread(data, 1, sizeof data, f) : 0;
		if (f)
			fclose(f);
		uint8_t *file = xalloc(16, size);
		memcpy(file, data, size);
		struct stl_model m;
		if (stl_load(&m, file, size) != STL_OK) {
			printf("%s: not a loadable model\n", argv[i]);
			failed = 1;
			free(file);
			continue;
		}
		uint8_t *arena = xalloc(16, stl_arena_bytes(&m));
		struct guard g = guard_for(&m, arena, stl_arena_bytes(&m), file, size);
		size_t wrong = 0;
		for (uint32_t op = 0; op <= m.n_ops; op++) {
			expose_operands(&g, &m, op);
			wrong += wrong_bytes(&m, &g, op);
		}
		ASAN_UNPOISON_MEMORY_REGION(g.arena, g.arena_len);
		ASAN_UNPOISON_MEMORY_REGION(g.weights, g.weights_len);
		printf("%s: %u ops, %zu bytes exposed or hidden wrongly\n", argv[i], m.n_ops, wrong);
		failed |= wrong != 0;
		free(arena);
		free(file);
	}
	return failed;
}
#endif
