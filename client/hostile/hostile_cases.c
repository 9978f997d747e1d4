#include "hostile_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tzm_format.h"
#include "io_block.h"
#include "sha256.h"
#include "ta_ops.h"
#include "tzinfer_sealed.h"
#include "tzinfer_ta.h"
/* Largest shared memory tried for the "huge buffer" cases; halved until the kernel agrees. */
#define HUGE_SHM_START (64u * 1024u * 1024u)
#define SMALL_BYTES 64u

/* A key id no test provisions: sealed packages naming it must find no key. */
#define UNPROVISIONED_KEY_ID 0xfffffff0u

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void expect_one_of(struct hostile *h, const char *name, const TEEC_Result *want,
			  size_t n_want, TEEC_Result got)
{
	size_t i = 0;
	int ok = 0;

	for (i = 0; i < n_want; i++)
		ok |= want[i] == got;
	h->cases++;
	h->failures += !ok;
	printf("case %-40s want 0x%08x%s got 0x%08x origin %u %s\n", name, want[0],
	       n_want > 1 ? "(or alike)" : "", got, h->link->origin, ok ? "ok" : "FAIL");
}

static void expect(struct hostile *h, const char *name, TEEC_Result want, TEEC_Result got)
{
	expect_one_of(h, name, &want, 1, got);
}

/* A precondition of a case failed: the case is a failure, not skipped. */
static void broken(struct hostile *h, const char *name, const char *step, TEEC_Result got)
{
	h->cases++;
	h->failures++;
	printf("case %-40s set-up step %s failed with 0x%08x FAIL\n", name, step, got);
}

static TEEC_Result begin(struct hostile *h, uint32_t total, uint32_t flags)
{
	TEEC_Operation op;

	ta_op_load_begin(&op, total, flags);
	return ta_link_call(h->link, TZI_CMD_LOAD_BEGIN, &op);
}

static TEEC_Result chunk(struct hostile *h, const void *data, size_t len, uint32_t offset)
{
	TEEC_Operation op;

	ta_op_load_chunk(&op, data, len, offset);
	return ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op);
}

static TEEC_Result end(struct hostile *h, char *reason, size_t reason_len)
{
	TEEC_Operation op;

	ta_op_load_end(&op, reason, reason_len);
	return ta_link_call(h->link, TZI_CMD_LOAD_END, &op);
}

/* Upload data as one file (declared size = len) in chunks of at most 64 KiB, then END. */
static TEEC_Result upload(struct hostile *h, const uint8_t *data, size_t len)
{
	return ta_link_load(h->link, data, len, 64u * 1024u, NULL);
}

/* A session with the valid model loaded; 0, or -1 after counting the case as broken. */
static int loaded(struct hostile *h, const char *name)
{
	TEEC_Result res = TEEC_SUCCESS;

	ta_link_unload(h->link);
	res = upload(h, h->model, h->model_len);
	if (res != TEEC_SUCCESS) {
		broken(h, name, "load of the valid model", res);
		return -1;
	}
	return 0;
}

/* A fresh upload of the valid model's size; 0, or -1 after counting the case as broken. */
static int begun(struct hostile *h, const char *name)
{
	TEEC_Result res = TEEC_SUCCESS;

	ta_link_unload(h->link);
	res = begin(h, (uint32_t)h->model_len, 0);
	if (res != TEEC_SUCCESS) {
		broken(h, name, "LOAD_BEGIN", res);
		return -1;
	}
	return 0;
}

static TEEC_Result run(struct hostile *h, const void *in, size_t in_len, void *out, size_t out_len)
{
	return ta_link_run(h->link, in, in_len, out, out_len);
}

static void order_cases(struct hostile *h)
{
	float out[64];
	size_t half = h->model_len / 2;

	ta_link_unload(h->link);
	expect(h, "RUN before LOAD", TEEC_ERROR_BAD_STATE,
	       run(h, h->input, h->input_len, out, h->output_block));
	expect(h, "CHUNK before BEGIN", TEEC_ERROR_BAD_STATE, chunk(h, h->model, SMALL_BYTES, 0));
	expect(h, "END before BEGIN", TEEC_ERROR_BAD_STATE, end(h, NULL, 0));
	if (!begun(h, "BEGIN twice"))
		expect(h, "BEGIN twice", TEEC_ERROR_BAD_STATE, begin(h, (uint32_t)h->model_len, 0));
	if (!begun(h, "RUN during an upload") && chunk(h, h->model, half, 0) == TEEC_SUCCESS)
		expect(h, "RUN during an upload", TEEC_ERROR_BAD_STATE,
		       run(h, h->input, h->input_len, out, h->output_block));
	if (!begun(h, "END with half the file") && chunk(h, h->model, half, 0) == TEEC_SUCCESS)
		expect(h, "END with half the file", TEEC_ERROR_BAD_STATE, end(h, NULL, 0));
	if (!loaded(h, "BEGIN while a model is loaded"))
		expect(h, "BEGIN while a model is loaded", TEEC_ERROR_BAD_STATE,
		       begin(h, (uint32_t)h->model_len, 0));
	if (!loaded(h, "END twice"))
		expect(h, "END twice", TEEC_ERROR_BAD_STATE, end(h, NULL, 0));
	if (!loaded(h, "CHUNK after END"))
		expect(h, "CHUNK after END", TEEC_ERROR_BAD_STATE, chunk(h, h->model, SMALL_BYTES, 0));
	ta_link_unload(h->link);
	expect(h, "RUN after UNLOAD", TEEC_ERROR_BAD_STATE,
	       run(h, h->input, h->input_len, out, h->output_block));
}

static void declared_size_cases(struct hostile *h)
{
	uint8_t *big = NULL;

	ta_link_unload(h->link);
	expect(h, "BEGIN size 0", TEEC_ERROR_BAD_PARAMETERS, begin(h, 0, 0));
	expect(h, "BEGIN unknown flag 0x2", TEEC_ERROR_BAD_PARAMETERS,
	       begin(h, (uint32_t)h->model_len, 2));
	expect(h, "BEGIN all flags set", TEEC_ERROR_BAD_PARAMETERS,
	       begin(h, (uint32_t)h->model_len, 0xffffffffu));
	expect(h, "BEGIN size 0xffffffff", TEEC_ERROR_EXCESS_DATA, begin(h, 0xffffffffu, 0));
	expect(h, "BEGIN size quota + 1", TEEC_ERROR_EXCESS_DATA, begin(h, h->quota + 1u, 0));
	ta_link_unload(h->link);
	if (!begin(h, (uint32_t)h->model_len + 100u, 0) &&
	    chunk(h, h->model, h->model_len, 0) == TEEC_SUCCESS)
		expect(h, "declared 100 bytes more than sent", TEEC_ERROR_BAD_STATE, end(h, NULL, 0));
	else
		broken(h, "declared 100 bytes more than sent", "BEGIN/CHUNK", 0);
	ta_link_unload(h->link);
	if (!begin(h, (uint32_t)h->model_len - 100u, 0))
		expect(h, "declared 100 bytes less than sent", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model, h->model_len, 0));
	if (!begun(h, "first chunk at offset 1"))
		expect(h, "first chunk at offset 1", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model, SMALL_BYTES, 1));
	if (!begun(h, "chunk skips ahead") && chunk(h, h->model, 4096, 0) == TEEC_SUCCESS)
		expect(h, "chunk skips ahead", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model + 8192, 4096, 8192));
	if (!begun(h, "chunk repeated") && chunk(h, h->model, 4096, 0) == TEEC_SUCCESS) {
		expect(h, "chunk repeated", TEEC_ERROR_BAD_PARAMETERS, chunk(h, h->model, 4096, 0));
		/* The rejected chunk ended the upload: the next one finds none. */
		expect(h, "chunk after a rejected chunk", TEEC_ERROR_BAD_STATE,
		       chunk(h, h->model + 4096, 4096, 4096));
	}
	if (!begun(h, "chunk at offset 0xffffffff"))
		expect(h, "chunk at offset 0xffffffff", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model, SMALL_BYTES, 0xffffffffu));
	if (!begun(h, "chunk crossing the declared end") &&
	    chunk(h, h->model, h->model_len - 16, 0) == TEEC_SUCCESS)
		expect(h, "chunk crossing the declared end", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model, 32, (uint32_t)h->model_len - 16));
	if (!begun(h, "chunk reserved value set")) {
		TEEC_Operation op = { 0 };

		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].tmpref.buffer = (void *)h->model;
		op.params[0].tmpref.size = SMALL_BYTES;
		op.params[1].value.b = 1;
		expect(h, "chunk reserved value set", TEEC_ERROR_BAD_PARAMETERS,
		       ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op));
	}
	if (!begun(h, "chunk of zero bytes (NULL)"))
		expect(h, "chunk of zero bytes (NULL)", TEEC_ERROR_BAD_PARAMETERS, chunk(h, NULL, 0, 0));
	if (!begun(h, "chunk of zero bytes (non-NULL)"))
		expect(h, "chunk of zero bytes (non-NULL)", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, h->model, 0, 0));
	/* One byte over the chunk limit, into an upload big enough to hold it. */
	big = calloc(1, TZI_MAX_CHUNK_BYTES + 1u);
	ta_link_unload(h->link);
	if (big && begin(h, TZI_MAX_CHUNK_BYTES + 4096u, 0) == TEEC_SUCCESS)
		expect(h, "chunk of max + 1 bytes", TEEC_ERROR_BAD_PARAMETERS,
		       chunk(h, big, TZI_MAX_CHUNK_BYTES + 1u, 0));
	else
		broken(h, "chunk of max + 1 bytes", "allocation/BEGIN", 0);
	free(big);
}

/* Truncated, oversized and wrong files declared with their own (consistent) size. */
static void bad_file_cases(struct hostile *h)
{
	uint8_t *buf = calloc(1, h->model_len + 4096u);

	if (!buf) {
		broken(h, "bad files", "allocation", 0);
		return;
	}
	ta_link_unload(h->link);
	expect(h, "file of 1 byte", TEEC_ERROR_BAD_FORMAT, upload(h, h->model, 1));
	expect(h, "file of the header only", TEEC_ERROR_BAD_FORMAT,
	       upload(h, h->model, STL_HEADER_SIZE));
	expect(h, "file truncated to 4000 bytes", TEEC_ERROR_BAD_FORMAT, upload(h, h->model, 4000));
	expect(h, "file missing its last byte", TEEC_ERROR_BAD_FORMAT,
	       upload(h, h->model, h->model_len - 1));
	memcpy(buf, h->model, h->model_len);
	expect(h, "file with 4096 trailing bytes", TEEC_ERROR_BAD_FORMAT,
	       upload(h, buf, h->model_len + 4096u));
	memset(buf, 0, h->model_len);
	expect(h, "file of zeros", TEEC_ERROR_BAD_FORMAT, upload(h, buf, h->model_len));
	memset(buf, 0xff, h->model_len);
	expect(h, "file of 0xff", TEEC_ERROR_BAD_FORMAT, upload(h, buf, h->model_len));
	memcpy(buf, h->model, h->model_len);
	buf[0] ^= 0x01;
	{
		char reason[1];

		ta_link_unload(h->link);
		expect(h, "bad magic, 1-byte reason buffer", TEEC_ERROR_BAD_FORMAT,
		       begin(h, (uint32_t)h->model_len, 0) ? TEEC_ERROR_GENERIC :
		       chunk(h, buf, h->model_len, 0) ? TEEC_ERROR_GENERIC :
		       end(h, reason, sizeof(reason)));
	}
	free(buf);
}

static void run_buffer_cases(struct hostile *h)
{
	float *out = calloc(1, h->output_block + 64u);
	uint8_t *in = calloc(1, h->input_len + 64u);
	char reason[TZI_REASON_BYTES];

	if (!out || !in || loaded(h, "RUN buffers")) {
		free(out);
		free(in);
		return;
	}
	memcpy(in, h->input, h->input_len);
	expect(h, "RUN input of zero bytes (NULL)", TEEC_ERROR_BAD_PARAMETERS,
	       run(h, NULL, 0, out, h->output_block));
	expect(h, "RUN input 4 bytes short", TEEC_ERROR_BAD_PARAMETERS,
	       run(h, in, h->input_len - 4, out, h->output_block));
	expect(h, "RUN input 4 bytes long", TEEC_ERROR_BAD_PARAMETERS,
	       run(h, in, h->input_len + 4, out, h->output_block));
	expect(h, "RUN output 4 bytes short", TEEC_ERROR_SHORT_BUFFER,
	       run(h, in, h->input_len, out, h->output_block - 4));
	expect(h, "RUN output of zero bytes (NULL)", TEEC_ERROR_SHORT_BUFFER,
	       run(h, in, h->input_len, NULL, 0));
	expect(h, "RUN output larger than needed", TEEC_SUCCESS,
	       run(h, in, h->input_len, out, h->output_block + 64u));
	{
		TEEC_Operation op = { 0 };
		size_t len = io_block_bytes(&h->input_len, 1);
		uint8_t *block = malloc(len);
		const void *data = h->input;

		if (block)
			io_block_write(block, &data, &h->input_len, 1);
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_MEMREF_TEMP_OUTPUT);
		op.params[0].tmpref.buffer = block;
		op.params[0].tmpref.size = block ? len : 0;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = h->output_block;
		op.params[3].tmpref.buffer = reason;
		op.params[3].tmpref.size = 0;
		expect(h, "RUN with a zero-byte reason buffer", TEEC_SUCCESS,
		       ta_link_call(h->link, TZI_CMD_RUN, &op));
		op.params[2].value.b = 1; /* reserved next to the time limit */
		expect(h, "RUN with [2].b not 0", TEEC_ERROR_BAD_PARAMETERS,
		       ta_link_call(h->link, TZI_CMD_RUN, &op));
		free(block);
	}
	free(out);
	free(in);
}

/* The valid input as a one-entry input block of len bytes (>= the standard size), its tensor at
 * `offset`, for the I/O block cases to spoil; NULL when out of memory. */
static uint8_t *input_block(const struct hostile *h, size_t len, size_t offset)
{
	uint8_t *block = calloc(1, len);
	struct tzi_io_header head = { 1, 0 };
	struct tzi_io_entry e = { (uint32_t)offset, (uint32_t)h->input_len };

	if (!block)
		return NULL;
	memcpy(block, &head, sizeof(head));
	memcpy(block + sizeof(head), &e, sizeof(e));
	memcpy(block + offset, h->input, h->input_len);
	return block;
}

/* Input block `block` with one u32 of it (at `at`) set to v, sent as RUN's input. */
static TEEC_Result run_with(struct hostile *h, uint8_t *block, size_t len, size_t at, uint32_t v,
			    void *out)
{
	uint32_t old = 0;
	TEEC_Result res = TEEC_SUCCESS;

	memcpy(&old, block + at, 4);
	memcpy(block + at, &v, 4);
	res = ta_link_run_block(h->link, block, len, out, h->output_block);
	memcpy(block + at, &old, 4);
	return res;
}

/* A whole allocated shared memory holding `block` at byte `skew`, as RUN's input (partial
 * memref), with the output block at byte `out_skew` of another. */
static TEEC_Result run_skewed(struct hostile *h, const uint8_t *block, size_t len, size_t skew,
			      size_t out_skew)
{
	TEEC_SharedMemory in, out;
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_ERROR_OUT_OF_MEMORY;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.size = len + skew;
	in.flags = TEEC_MEM_INPUT;
	out.size = h->output_block + out_skew;
	out.flags = TEEC_MEM_OUTPUT;
	if (TEEC_AllocateSharedMemory(&h->link->ctx, &in) != TEEC_SUCCESS)
		return res;
	if (TEEC_AllocateSharedMemory(&h->link->ctx, &out) == TEEC_SUCCESS) {
		memcpy((uint8_t *)in.buffer + skew, block, len);
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].memref.parent = &in;
		op.params[0].memref.offset = skew;
		op.params[0].memref.size = len;
		op.params[1].memref.parent = &out;
		op.params[1].memref.offset = out_skew;
		op.params[1].memref.size = h->output_block;
		res = ta_link_call(h->link, TZI_CMD_RUN, &op);
		TEEC_ReleaseSharedMemory(&out);
	}
	TEEC_ReleaseSharedMemory(&in);
	return res;
}

/* Malformed input blocks and misplaced output blocks: each refused (BAD_PARAMETERS), none
 * read past its buffer; a block laid out otherwise than the standard way, but by the rules,
 * gives the standard block's outputs. */
static void io_block_cases(struct hostile *h)
{
	const size_t first = (size_t)tzi_io_first(1), len = io_block_bytes(&h->input_len, 1);
	const size_t entry = sizeof(struct tzi_io_header), big = len + 64u;
	uint8_t *block = input_block(h, len, first), *moved = input_block(h, big, first + 64u);
	uint8_t *out = calloc(1, h->output_block), *want = calloc(1, h->output_block);
	TEEC_Result res = TEEC_SUCCESS;

	if (!block || !moved || !out || !want || loaded(h, "I/O blocks")) {
		broken(h, "I/O blocks", "allocation/load", 0);
		goto done;
	}
	expect(h, "RUN without an input block (NULL)", TEEC_ERROR_BAD_PARAMETERS,
	       ta_link_run_block(h->link, NULL, 0, out, h->output_block));
	expect(h, "RUN input block of 4 bytes", TEEC_ERROR_BAD_PARAMETERS,
	       ta_link_run_block(h->link, block, 4, out, h->output_block));
	expect(h, "RUN input block cut inside its table", TEEC_ERROR_BAD_PARAMETERS,
	       ta_link_run_block(h->link, block, entry + 4, out, h->output_block));
	expect(h, "RUN input block one byte short", TEEC_ERROR_BAD_PARAMETERS,
	       ta_link_run_block(h->link, block, first + h->input_len - 1, out, h->output_block));
	expect(h, "RUN input count 0", TEEC_ERROR_BAD_PARAMETERS, run_with(h, block, len, 0, 0, out));
	expect(h, "RUN input count 2", TEEC_ERROR_BAD_PARAMETERS, run_with(h, block, len, 0, 2, out));
	expect(h, "RUN input count 0xffffffff", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, 0, 0xffffffffu, out));
	expect(h, "RUN input block reserved field set", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, 4, 1, out));
	expect(h, "RUN input tensor inside the table", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry, 0, out));
	expect(h, "RUN input tensor past the block", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry, (uint32_t)len, out));
	expect(h, "RUN input offset + size wrapping 32 bits", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry, 0xfffffff0u, out));
	expect(h, "RUN input tensor misaligned", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, moved, big, entry, (uint32_t)first + 2u, out));
	expect(h, "RUN input entry 4 bytes short", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry + 4, (uint32_t)h->input_len - 4u, out));
	expect(h, "RUN input entry 4 bytes long", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry + 4, (uint32_t)h->input_len + 4u, out));
	expect(h, "RUN input entry of 0xffffffff bytes", TEEC_ERROR_BAD_PARAMETERS,
	       run_with(h, block, len, entry + 4, 0xffffffffu, out));
	expect(h, "RUN input block misaligned in memory", TEEC_ERROR_BAD_PARAMETERS,
	       run_skewed(h, block, len, 2, 0));
	expect(h, "RUN output block misaligned in memory", TEEC_ERROR_BAD_PARAMETERS,
	       run_skewed(h, block, len, 0, 2));
	/* By the rules but not the standard layout: the tensor 64 bytes further on. */
	res = ta_link_run_block(h->link, block, len, want, h->output_block);
	if (res != TEEC_SUCCESS) {
		broken(h, "RUN input tensor moved", "the standard block's run", res);
		goto done;
	}
	res = ta_link_run_block(h->link, moved, big, out, h->output_block);
	expect(h, "RUN input tensor moved 64 bytes on", TEEC_SUCCESS, res);
	expect(h, "RUN input tensor moved: the same outputs", TEEC_SUCCESS,
	       memcmp(out, want, h->output_block) ? TEEC_ERROR_GENERIC : TEEC_SUCCESS);
done:
	ta_link_unload(h->link);
	free(block);
	free(moved);
	free(out);
	free(want);
}

/* DESCRIBE: refused without a model; with a model, too small a buffer gets the size needed. */
static void describe_cases(struct hostile *h)
{
	TEEC_Operation op = { 0 };
	uint8_t desc[8];

	ta_link_unload(h->link);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = desc;
	op.params[0].tmpref.size = sizeof(desc);
	expect(h, "DESCRIBE without a model", TEEC_ERROR_BAD_STATE,
	       ta_link_call(h->link, TZI_CMD_DESCRIBE, &op));
	if (loaded(h, "DESCRIBE into 8 bytes"))
		return;
	op.params[0].tmpref.size = sizeof(desc);
	expect(h, "DESCRIBE into 8 bytes", TEEC_ERROR_SHORT_BUFFER,
	       ta_link_call(h->link, TZI_CMD_DESCRIBE, &op));
	/* One input and one output: the header, two records and two names with their NULs. */
	expect(h, "DESCRIBE asks for the size it needs", TEEC_SUCCESS,
	       op.params[0].tmpref.size > sizeof(struct tzi_describe_header) + 2 * sizeof(struct tzi_tensor_desc) ?
	       TEEC_SUCCESS : TEEC_ERROR_GENERIC);
	op.params[0].tmpref.buffer = NULL;
	op.params[0].tmpref.size = 0;
	expect(h, "DESCRIBE into no buffer (NULL)", TEEC_ERROR_SHORT_BUFFER,
	       ta_link_call(h->link, TZI_CMD_DESCRIBE, &op));
	ta_link_unload(h->link);
}

/* A whole allocated shared memory of `size` bytes as the upload chunk and as the RUN input:
 * the TA refuses both (too large), or OP-TEE's core already refuses to map it for the TA; each
 * result in want[0 .. n_want) is a right one. */
static void big_shm_cases(struct hostile *h, size_t size, const TEEC_Result *want, size_t n_want)
{
	TEEC_SharedMemory shm;
	TEEC_Operation op = { 0 };
	float out[64];
	char name[64];

	memset(&shm, 0, sizeof(shm));
	shm.size = size;
	shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	if (TEEC_AllocateSharedMemory(&h->link->ctx, &shm) != TEEC_SUCCESS) {
		broken(h, "big shared memory", "TEEC_AllocateSharedMemory", 0);
		return;
	}
	snprintf(name, sizeof(name), "CHUNK from a %zu MiB shm", size >> 20);
	if (!begun(h, name)) {
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_INPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].memref.parent = &shm;
		expect_one_of(h, name, want, n_want, ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op));
	}
	snprintf(name, sizeof(name), "RUN input from a %zu MiB shm", size >> 20);
	if (!loaded(h, name)) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = h->output_block;
		expect_one_of(h, name, want, n_want, ta_link_call(h->link, TZI_CMD_RUN, &op));
	}
	ta_link_unload(h->link);
	TEEC_ReleaseSharedMemory(&shm);
}

/* The largest shared memory the kernel gives us (OP-TEE cannot map it into the TA: out of
 * memory), and one twice the chunk limit (mapped, refused by the TA). */
static void huge_shm_cases(struct hostile *h)
{
	/*
	 * The core maps the huge one only when it can find page tables for it: not from a fixed
	 * cache (CFG_PGT_CACHE_ENTRIES: TEE_ERROR_OUT_OF_MEMORY), but when each TA owns its tables
	 * (CFG_CORE_PREALLOC_EL0_TBLS, on with concurrent TA entries): then the TA refuses it.
	 */
	static const TEEC_Result huge[] = { TEEC_ERROR_OUT_OF_MEMORY, TEEC_ERROR_BAD_PARAMETERS };
	static const TEEC_Result big = TEEC_ERROR_BAD_PARAMETERS;
	TEEC_SharedMemory shm;
	size_t size = HUGE_SHM_START;

	for (;;) {
		memset(&shm, 0, sizeof(shm));
		shm.size = size;
		shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
		if (TEEC_AllocateSharedMemory(&h->link->ctx, &shm) == TEEC_SUCCESS)
			break;
		if (size <= TZI_MAX_CHUNK_BYTES * 2u) {
			broken(h, "huge shared memory", "TEEC_AllocateSharedMemory", 0);
			return;
		}
		size /= 2;
	}
	TEEC_ReleaseSharedMemory(&shm);
	printf("huge shared memory: %zu bytes\n", size);
	big_shm_cases(h, size, huge, 2);
	big_shm_cases(h, TZI_MAX_CHUNK_BYTES * 2u, &big, 1);
}

/* A registered (not allocated) buffer that holds the model and 64 KiB more. */
static void registered_shm_cases(struct hostile *h)
{
	TEEC_SharedMemory shm;
	TEEC_Operation op = { 0 };
	size_t len = h->model_len + 64u * 1024u;
	uint8_t *buf = calloc(1, len);

	memset(&shm, 0, sizeof(shm));
	if (!buf) {
		broken(h, "registered shm", "allocation", 0);
		return;
	}
	memcpy(buf, h->model, h->model_len);
	shm.buffer = buf;
	shm.size = len;
	shm.flags = TEEC_MEM_INPUT;
	if (TEEC_RegisterSharedMemory(&h->link->ctx, &shm) != TEEC_SUCCESS) {
		broken(h, "registered shm", "TEEC_RegisterSharedMemory", 0);
		free(buf);
		return;
	}
	if (!begun(h, "registered shm larger than the model")) {
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_INPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].memref.parent = &shm;
		expect(h, "registered shm larger than the model", TEEC_ERROR_BAD_PARAMETERS,
		       ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op));
	}
	if (!begun(h, "partial memref past the shm's end")) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		op.params[0].memref.offset = len - 16;
		op.params[0].memref.size = 32;
		expect(h, "partial memref past the shm's end", TEEC_ERROR_BAD_PARAMETERS,
		       ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op));
	}
	/* The right part of the same buffer is accepted: the model loads from it. */
	if (!begun(h, "partial memref = exactly the model")) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		op.params[0].memref.size = h->model_len;
		expect(h, "partial memref = exactly the model", TEEC_SUCCESS,
		       ta_link_call(h->link, TZI_CMD_LOAD_CHUNK, &op));
		expect(h, "END after the registered upload", TEEC_SUCCESS, end(h, NULL, 0));
	}
	ta_link_unload(h->link);
	TEEC_ReleaseSharedMemory(&shm);
	free(buf);
}

/* A sealed package header (docs/sealed-format.md) for key_id before payload_len bytes. */
static void sealed_header(uint8_t *h, uint32_t key_id, uint32_t payload_len)
{
	memset(h, 0, TZI_SEALED_HEADER_BYTES);
	memcpy(h, TZI_SEALED_MAGIC, TZI_SEALED_MAGIC_BYTES);
	h[TZI_SEALED_FORMAT_OFF] = TZI_SEALED_FORMAT;
	h[TZI_SEALED_HEADER_SIZE_OFF] = TZI_SEALED_HEADER_BYTES;
	memcpy(h + TZI_SEALED_KEY_ID_OFF, &key_id, 4);  /* little-endian target */
	memcpy(h + TZI_SEALED_PAYLOAD_SIZE_OFF, &payload_len, 4);
}

/* Sealed headers that break the format, a package for a key nobody provisioned, and the
 * retired format v1: each refused before anything is decrypted. */
static void sealed_header_cases(struct hostile *h)
{
	size_t len = TZI_SEALED_HEADER_BYTES + h->model_len;
	uint8_t *buf = calloc(1, len);
	uint32_t v = 0;

	if (!buf) {
		broken(h, "sealed headers", "allocation", 0);
		return;
	}
	memcpy(buf + TZI_SEALED_HEADER_BYTES, h->model, h->model_len); /* "ciphertext" */
	sealed_header(buf, UNPROVISIONED_KEY_ID, (uint32_t)h->model_len);
	ta_link_unload(h->link);
	expect(h, "sealed for a key id nobody provisioned", TEEC_ERROR_ITEM_NOT_FOUND,
	       upload(h, buf, len));
	expect(h, "sealed header alone", TEEC_ERROR_BAD_FORMAT,
	       upload(h, buf, TZI_SEALED_HEADER_BYTES));
	expect(h, "sealed magic, 12 bytes", TEEC_ERROR_BAD_FORMAT, upload(h, buf, 12));
	expect(h, "sealed payload_size 1 short", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len - 1));
	buf[TZI_SEALED_FORMAT_OFF] = 3;
	expect(h, "sealed format_version 3", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len));
	buf[TZI_SEALED_FORMAT_OFF] = TZI_SEALED_FORMAT;
	buf[TZI_SEALED_HEADER_SIZE_OFF] = 128;
	expect(h, "sealed header_size 128", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len));
	buf[TZI_SEALED_HEADER_SIZE_OFF] = TZI_SEALED_HEADER_BYTES;
	buf[TZI_SEALED_FLAGS_OFF] = 2;
	expect(h, "sealed unknown flag 0x2", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len));
	buf[TZI_SEALED_FLAGS_OFF] = 0;
	buf[TZI_SEALED_RESERVED_OFF + 7] = 1;
	expect(h, "sealed reserved byte set", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len));
	buf[TZI_SEALED_RESERVED_OFF + 7] = 0;
	memcpy(buf + TZI_SEALED_KEY_ID_OFF, &v, 4);
	expect(h, "sealed for key id 0", TEEC_ERROR_BAD_FORMAT, upload(h, buf, len));
	/* Format v1: the .tzm header itself with the old ENCRYPTED flag. */
	memcpy(buf, h->model, h->model_len);
	buf[TZI_SEALED_V1_FLAGS_OFF] |= 1u;
	expect(h, "sealed format v1", TEEC_ERROR_NOT_SUPPORTED, upload(h, buf, h->model_len));
	free(buf);
}

/* Key management over a session without an identity (TEEC_LOGIN_PUBLIC): refused whoever the
 * caller is, before anything is stored or locked; malformed requests first get BAD_PARAMETERS. */
static void key_policy_cases(struct hostile *h)
{
	static const uint8_t key[TZI_MODEL_KEY_BYTES] = { 1 };
	TEEC_Operation op;

	if (h->link->login != TEEC_LOGIN_PUBLIC) {
		broken(h, "key management without identity", "a TEEC_LOGIN_PUBLIC session", 0);
		return;
	}
	ta_op_provision_key(&op, UNPROVISIONED_KEY_ID, key, sizeof(key), 0);
	expect(h, "PROVISION_KEY without identity", TEEC_ERROR_ACCESS_DENIED,
	       ta_link_call(h->link, TZI_CMD_PROVISION_KEY, &op));
	ta_op_provision_key(&op, UNPROVISIONED_KEY_ID, key, sizeof(key), TZI_KEY_REPLACE);
	expect(h, "PROVISION_KEY --replace without identity", TEEC_ERROR_ACCESS_DENIED,
	       ta_link_call(h->link, TZI_CMD_PROVISION_KEY, &op));
	ta_op_provision_key(&op, UNPROVISIONED_KEY_ID, key, sizeof(key), 2);
	expect(h, "PROVISION_KEY unknown flag 0x2", TEEC_ERROR_BAD_PARAMETERS,
	       ta_link_call(h->link, TZI_CMD_PROVISION_KEY, &op));
	ta_op_delete_key(&op, UNPROVISIONED_KEY_ID);
	expect(h, "DELETE_KEY without identity", TEEC_ERROR_ACCESS_DENIED,
	       ta_link_call(h->link, TZI_CMD_DELETE_KEY, &op));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	expect(h, "LOCK_KEYS without identity", TEEC_ERROR_ACCESS_DENIED,
	       ta_link_call(h->link, TZI_CMD_LOCK_KEYS, &op));
}

static TEEC_Result attest_call(struct hostile *h, size_t nonce_len, size_t report_len)
{
	static uint8_t nonce[TZI_NONCE_BYTES + 1], report[TZI_ATTEST_REPORT_BYTES];
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE,
					 TEEC_NONE);
	op.params[0].tmpref.buffer = nonce;
	op.params[0].tmpref.size = nonce_len;
	op.params[1].tmpref.buffer = report;
	op.params[1].tmpref.size = report_len;
	return ta_link_call(h->link, TZI_CMD_ATTEST, &op);
}

/* ATTEST needs an attested load and a successful RUN since; sizes are exact. */
static void attest_cases(struct hostile *h)
{
	float *out = calloc(1, h->output_block);
	TEEC_Operation op = { 0 };
	uint8_t key[TZI_DEVICE_KEY_BYTES];

	if (!out) {
		broken(h, "attestation", "allocation", 0);
		return;
	}
	ta_link_unload(h->link);
	expect(h, "ATTEST without a model", TEEC_ERROR_BAD_STATE,
	       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
	if (!loaded(h, "ATTEST of a model loaded without the flag")) {
		run(h, h->input, h->input_len, out, h->output_block);
		expect(h, "ATTEST of a model loaded without the flag", TEEC_ERROR_BAD_STATE,
		       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
	}
	ta_link_unload(h->link);
	if (ta_link_load_flags(h->link, h->model, h->model_len, TZI_MAX_CHUNK_BYTES,
			       TZI_LOAD_ATTEST, NULL) != TEEC_SUCCESS) {
		broken(h, "ATTEST before any RUN", "attested load", 0);
	} else {
		expect(h, "ATTEST before any RUN", TEEC_ERROR_BAD_STATE,
		       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
		expect(h, "RUN of an attested model", TEEC_SUCCESS,
		       run(h, h->input, h->input_len, out, h->output_block));
		expect(h, "ATTEST with a 31-byte nonce", TEEC_ERROR_BAD_PARAMETERS,
		       attest_call(h, TZI_NONCE_BYTES - 1, TZI_ATTEST_REPORT_BYTES));
		expect(h, "ATTEST with a 33-byte nonce", TEEC_ERROR_BAD_PARAMETERS,
		       attest_call(h, TZI_NONCE_BYTES + 1, TZI_ATTEST_REPORT_BYTES));
		expect(h, "ATTEST into a report 1 byte short", TEEC_ERROR_SHORT_BUFFER,
		       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES - 1));
		expect(h, "ATTEST after a RUN", TEEC_SUCCESS,
		       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
		expect(h, "RUN with a short input", TEEC_ERROR_BAD_PARAMETERS,
		       run(h, h->input, h->input_len - 4, out, h->output_block));
		expect(h, "ATTEST after a refused RUN", TEEC_SUCCESS,
		       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
	}
	ta_link_unload(h->link);
	expect(h, "ATTEST after UNLOAD", TEEC_ERROR_BAD_STATE,
	       attest_call(h, TZI_NONCE_BYTES, TZI_ATTEST_REPORT_BYTES));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = key;
	op.params[0].tmpref.size = sizeof(key) - 1;
	expect(h, "DEVICE_KEY into 64 bytes", TEEC_ERROR_SHORT_BUFFER,
	       ta_link_call(h->link, TZI_CMD_DEVICE_KEY, &op));
	free(out);
}

/* A second session next to one that holds its whole quota: the second still loads and runs,
 * and STATS shows each session only its own memory. */
static void quota_cases(struct hostile *h)
{
	struct ta_link other;
	struct ta_usage mine = { 0 }, theirs = { 0 };
	float *out = calloc(1, h->output_block);

	if (!out || ta_link_open(&other, &h->link->ta, TZI_TA_UUID_STR, TEEC_LOGIN_PUBLIC)) {
		broken(h, "quota", "second session", 0);
		free(out);
		return;
	}
	ta_link_unload(h->link);
	expect(h, "BEGIN of exactly the quota", TEEC_SUCCESS, begin(h, h->quota, 0));
	expect(h, "second session loads beside a full quota", TEEC_SUCCESS,
	       ta_link_load(&other, h->model, h->model_len, TZI_MAX_CHUNK_BYTES, NULL));
	expect(h, "second session runs beside a full quota", TEEC_SUCCESS,
	       ta_link_run(&other, h->input, h->input_len, out, h->output_block));
	ta_link_stats(h->link, &mine);
	ta_link_stats(&other, &theirs);
	printf("stats per session: this one holds %u bytes, the other %u (peak %u)\n", mine.in_use,
	       theirs.in_use, theirs.peak);
	expect(h, "STATS per session", TEEC_SUCCESS,
	       mine.in_use == h->quota && theirs.in_use && theirs.in_use < h->quota &&
	       theirs.peak == theirs.in_use ? TEEC_SUCCESS : TEEC_ERROR_GENERIC);
	ta_link_unload(h->link);
	ta_link_close(&other);
	free(out);
}

/* The types each command takes; slot 3 of LOAD_END and RUN may also be NONE. */
static const struct {
	uint32_t cmd;
	const char *name;
	uint32_t types[4];
	int reason_slot; /* slot 3 takes NONE or MEMREF_OUTPUT */
} commands[] = {
	{ TZI_CMD_LOAD_BEGIN, "LOAD_BEGIN", { TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_LOAD_CHUNK, "LOAD_CHUNK",
	  { TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_LOAD_END, "LOAD_END",
	  { TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE }, 1 },
	{ TZI_CMD_RUN, "RUN",
	  { TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_INOUT, TEEC_NONE }, 1 },
	{ TZI_CMD_STATS, "STATS",
	  { TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT }, 0 },
	{ TZI_CMD_UNLOAD, "UNLOAD", { TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_DESCRIBE, "DESCRIBE", { TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_PROVISION_KEY, "PROVISION_KEY",
	  { TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_DELETE_KEY, "DELETE_KEY", { TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_LOCK_KEYS, "LOCK_KEYS", { TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_ATTEST, "ATTEST",
	  { TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_DEVICE_KEY, "DEVICE_KEY",
	  { TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_TEAM_OPEN, "TEAM_OPEN", { TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_TEAM_JOIN, "TEAM_JOIN", { TEEC_VALUE_INPUT, TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_RUN_PREPARE, "RUN_PREPARE",
	  { TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_INPUT, TEEC_NONE }, 1 },
	{ TZI_CMD_RUN_WORK, "RUN_WORK", { TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE }, 0 },
	{ TZI_CMD_RUN_COLLECT, "RUN_COLLECT",
	  { TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE }, 1 },
};

static const struct {
	uint32_t type;
	const char *name;
} param_types[] = {
	{ TEEC_NONE, "NONE" },
	{ TEEC_VALUE_INPUT, "VALUE_INPUT" },
	{ TEEC_VALUE_OUTPUT, "VALUE_OUTPUT" },
	{ TEEC_VALUE_INOUT, "VALUE_INOUT" },
	{ TEEC_MEMREF_TEMP_INPUT, "MEMREF_INPUT" },
	{ TEEC_MEMREF_TEMP_OUTPUT, "MEMREF_OUTPUT" },
	{ TEEC_MEMREF_TEMP_INOUT, "MEMREF_INOUT" },
};

/* Every command with one parameter's type replaced by each type it does not take. */
static void param_type_cases(struct hostile *h)
{
	static uint8_t scratch[4][SMALL_BYTES];
	size_t c = 0, t = 0;
	int slot = 0;

	for (c = 0; c < COUNT(commands); c++) {
		for (slot = 0; slot < 4; slot++) {
			for (t = 0; t < COUNT(param_types); t++) {
				uint32_t types[4], want = param_types[t].type;
				TEEC_Operation op = { 0 };
				char name[64];
				int i = 0;

				memcpy(types, commands[c].types, sizeof(types));
				if (want == types[slot] || (slot == 3 && commands[c].reason_slot &&
							    want == TEEC_MEMREF_TEMP_OUTPUT))
					continue;
				types[slot] = want;
				op.paramTypes = TEEC_PARAM_TYPES(types[0], types[1], types[2], types[3]);
				for (i = 0; i < 4; i++) {
					op.params[i].tmpref.buffer = scratch[i];
					op.params[i].tmpref.size = SMALL_BYTES;
				}
				snprintf(name, sizeof(name), "%s param %d as %s", commands[c].name, slot,
					 param_types[t].name);
				ta_link_unload(h->link);
				expect(h, name, TEEC_ERROR_BAD_PARAMETERS,
				       ta_link_call(h->link, commands[c].cmd, &op));
			}
		}
	}
}

static void unknown_command_cases(struct hostile *h)
{
	static const uint32_t ids[] = { 0x100u, 0x7fffu, 0x7fffffffu, 0x80000000u, 0xffffffffu };
	size_t i = 0;

	for (i = 0; i < COUNT(ids); i++) {
		TEEC_Operation op = { 0 };
		char name[64];

		op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		snprintf(name, sizeof(name), "unknown command 0x%x", ids[i]);
		expect(h, name, TEEC_ERROR_NOT_SUPPORTED, ta_link_call(h->link, ids[i], &op));
	}
}

static void open_session_case(struct hostile *h)
{
	const TEEC_UUID uuid = TZI_TA_UUID;
	TEEC_Session session;
	TEEC_Operation op = { 0 };
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	res = TEEC_OpenSession(&h->link->ctx, &session, &uuid, TEEC_LOGIN_PUBLIC, NULL, &op, &origin);
	if (res == TEEC_SUCCESS)
		TEEC_CloseSession(&session);
	expect(h, "OpenSession with a parameter", TEEC_ERROR_BAD_PARAMETERS, res);
}

/* TEE_ERROR_ACCESS_DENIED, which libteec names no TEEC_ constant for. */
#define TEE_RESULT_ACCESS_DENIED 0xffff0001u

/* Team commands out of order, with a revoked or made-up token, and on a detached worker
 * (tzinfer_ta.h, TEAM_OPEN ... RUN_COLLECT). */
static void team_cases(struct hostile *h)
{
	const uint32_t made_up[4] = { 1, 2, 3, 4 };
	uint32_t old_token[4], token[4];
	struct ta_link worker;
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	ta_link_unload(h->link);
	ta_op_team_open(&op);
	expect(h, "TEAM_OPEN without a model", TEEC_ERROR_BAD_STATE,
	       ta_link_call(h->link, TZI_CMD_TEAM_OPEN, &op));
	ta_op_run_work(&op, 0);
	expect(h, "RUN_WORK outside a team", TEEC_ERROR_BAD_STATE,
	       ta_link_call(h->link, TZI_CMD_RUN_WORK, &op));
	ta_op_team_join(&op, made_up);
	expect(h, "TEAM_JOIN with a made-up token", TEE_RESULT_ACCESS_DENIED,
	       ta_link_call(h->link, TZI_CMD_TEAM_JOIN, &op));
	res = ta_link_load(h->link, h->model, h->model_len, TZI_MAX_CHUNK_BYTES, NULL);
	if (res != TEEC_SUCCESS ||
	    ta_link_open(&worker, &h->link->ta, TZI_TA_UUID_STR, TEEC_LOGIN_PUBLIC)) {
		broken(h, "team", "load or second session", res);
		return;
	}
	ta_op_team_open(&op);
	res = ta_link_call(h->link, TZI_CMD_TEAM_OPEN, &op);
	ta_op_token(&op, old_token);
	ta_op_team_open(&op);
	if (res == TEEC_SUCCESS)
		res = ta_link_call(h->link, TZI_CMD_TEAM_OPEN, &op);
	expect(h, "TEAM_OPEN twice", TEEC_SUCCESS, res);
	ta_op_token(&op, token);
	ta_op_team_join(&op, old_token);
	expect(h, "TEAM_JOIN with a revoked token", TEE_RESULT_ACCESS_DENIED,
	       ta_link_call(&worker, TZI_CMD_TEAM_JOIN, &op));
	ta_op_team_join(&op, token);
	expect(h, "TEAM_JOIN of the model session", TEEC_ERROR_BAD_STATE,
	       ta_link_call(h->link, TZI_CMD_TEAM_JOIN, &op));
	ta_op_run_work(&op, 0);
	expect(h, "RUN_WORK before RUN_PREPARE", TEEC_ERROR_BAD_STATE,
	       ta_link_call(h->link, TZI_CMD_RUN_WORK, &op));
	ta_op_team_join(&op, token);
	expect(h, "TEAM_JOIN", TEEC_SUCCESS, ta_link_call(&worker, TZI_CMD_TEAM_JOIN, &op));
	expect(h, "TEAM_JOIN twice", TEEC_ERROR_BAD_STATE, ta_link_call(&worker, TZI_CMD_TEAM_JOIN, &op));
	ta_op_load_begin(&op, (uint32_t)h->model_len, 0);
	expect(h, "LOAD_BEGIN on a worker", TEEC_ERROR_BAD_STATE, ta_link_call(&worker, TZI_CMD_LOAD_BEGIN, &op));
	ta_link_unload(h->link); /* detaches the worker */
	ta_op_run_work(&op, 0);
	expect(h, "RUN_WORK of a detached worker", TEEC_ERROR_BAD_STATE,
	       ta_link_call(&worker, TZI_CMD_RUN_WORK, &op));
	ta_link_close(&worker);
}

void hostile_run_builtin(struct hostile *h)
{
	order_cases(h);
	declared_size_cases(h);
	bad_file_cases(h);
	run_buffer_cases(h);
	io_block_cases(h);
	describe_cases(h);
	huge_shm_cases(h);
	registered_shm_cases(h);
	param_type_cases(h);
	unknown_command_cases(h);
	open_session_case(h);
	sealed_header_cases(h);
	key_policy_cases(h);
	attest_cases(h);
	quota_cases(h);
	team_cases(h);
	ta_link_unload(h->link);
}

void hostile_check_nothing_held(struct hostile *h, uint32_t in_use_before)
{
	struct ta_usage now = { 0 };
	TEEC_Result res = ta_link_stats(h->link, &now);

	printf("secure buffers held: %u bytes before the cases, %u after\n", in_use_before, now.in_use);
	expect(h, "nothing held after the cases", TEEC_SUCCESS,
	       res != TEEC_SUCCESS ? res : now.in_use == in_use_before ? TEEC_SUCCESS : TEEC_ERROR_GENERIC);
}

/* "a,b,c" (hex) into want; the number parsed, 0 if malformed. */
static size_t parse_results(const char *text, TEEC_Result *want, size_t max)
{
	size_t n = 0;
	char *end = NULL;

	while (n < max) {
		want[n++] = (TEEC_Result)strtoul(text, &end, 16);
		if (end == text)
			return 0;
		if (*end != ',')
			return *end ? 0 : n;
		text = end + 1;
	}
	return 0;
}

int hostile_run_corruptions(struct hostile *h, const char *path)
{
	FILE *f = fopen(path, "r");
	uint8_t *copy = malloc(h->model_len);
	char name[64], results[64];
	TEEC_Result want[4];
	size_t n_want = 0;
	unsigned long offset = 0, mask = 0;
	int fixup = 0, n = 0, line = 0;

	if (!f || !copy) {
		fprintf(stderr, "tzinfer-hostile: cannot read %s: give the corruption list the test "
			"writes\n", path);
		free(copy);
		if (f)
			fclose(f);
		return -1;
	}
	while ((n = fscanf(f, "%63s %lu %lx %d %63s", name, &offset, &mask, &fixup, results)) == 5) {
		line++;
		n_want = parse_results(results, want, COUNT(want));
		if (offset >= h->model_len || !mask || mask > 0xff || !n_want) {
			fprintf(stderr, "tzinfer-hostile: %s line %d: give offset < %zu, mask 1..ff and "
				"1..4 comma-separated hex results\n", path, line, h->model_len);
			n = 0;
			break;
		}
		memcpy(copy, h->model, h->model_len);
		copy[offset] ^= (uint8_t)mask;
		if (fixup)
			stl_sha256(copy + STL_HEADER_SIZE, h->model_len - STL_HEADER_SIZE,
				   copy + STL_HDR_BODY_SHA256);
		ta_link_unload(h->link);
		expect_one_of(h, name, want, n_want, upload(h, copy, h->model_len));
	}
	ta_link_unload(h->link);
	free(copy);
	fclose(f);
	if (n != EOF) {
		fprintf(stderr, "tzinfer-hostile: %s line %d is not \"name offset xor fixup "
			"result[,result...]\"\n", path, line + 1);
		return -1;
	}
	return 0;
}
