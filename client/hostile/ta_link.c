#include "ta_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_block.h"
#include "tzinfer_ta.h"

static TEEC_Result open_session(struct ta_link *l)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_OpenSession(&l->ctx, &l->session, &l->ta, l->login, NULL, NULL,
					   &origin);

	l->session_open = res == TEEC_SUCCESS;
	return res;
}

int ta_link_open(struct ta_link *l, const TEEC_UUID *ta, const char *ta_name, uint32_t login)
{
	TEEC_Result res = TEEC_SUCCESS;

	memset(l, 0, sizeof(*l));
	l->ta = *ta;
	l->login = login;
	res = TEEC_InitializeContext(NULL, &l->ctx);
	if (res != TEEC_SUCCESS) {
		fprintf(stderr, "tzinfer-hostile: cannot open the TEE (TEEC 0x%08x): load the "
			"optee driver and start tee-supplicant\n", res);
		return -1;
	}
	res = open_session(l);
	if (res != TEEC_SUCCESS) {
		fprintf(stderr, "tzinfer-hostile: cannot open a session with TA %s (TEEC 0x%08x): "
			"install the TA and start tee-supplicant\n", ta_name, res);
		TEEC_FinalizeContext(&l->ctx);
		return -1;
	}
	return 0;
}

void ta_link_close(struct ta_link *l)
{
	if (l->session_open)
		TEEC_CloseSession(&l->session);
	TEEC_FinalizeContext(&l->ctx);
}

TEEC_Result ta_link_call(struct ta_link *l, uint32_t cmd, TEEC_Operation *op)
{
	TEEC_Result res = TEEC_SUCCESS;

	l->origin = TEEC_ORIGIN_API;
	if (!l->session_open && open_session(l) != TEEC_SUCCESS)
		return TEEC_ERROR_COMMUNICATION;
	res = TEEC_InvokeCommand(&l->session, cmd, op, &l->origin);
	if (res == TEEC_ERROR_TARGET_DEAD) {
		TEEC_CloseSession(&l->session);
		l->session_open = 0;
		l->reopens++;
	}
	return res;
}

TEEC_Result ta_link_unload(struct ta_link *l)
{
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	return ta_link_call(l, TZI_CMD_UNLOAD, &op);
}

TEEC_Result ta_link_load(struct ta_link *l, const uint8_t *file, size_t len, size_t chunk,
			 uint32_t *output_block)
{
	return ta_link_load_flags(l, file, len, chunk, 0, output_block);
}

TEEC_Result ta_link_load_flags(struct ta_link *l, const uint8_t *file, size_t len, size_t chunk,
			       uint32_t flags, uint32_t *output_block)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;
	size_t off = 0;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = (uint32_t)len;
	op.params[0].value.b = flags;
	res = ta_link_call(l, TZI_CMD_LOAD_BEGIN, &op);
	for (off = 0; res == TEEC_SUCCESS && off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].tmpref.buffer = (void *)(file + off);
		op.params[0].tmpref.size = n;
		op.params[1].value.a = (uint32_t)off;
		res = ta_link_call(l, TZI_CMD_LOAD_CHUNK, &op);
	}
	if (res != TEEC_SUCCESS)
		return res;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE);
	res = ta_link_call(l, TZI_CMD_LOAD_END, &op);
	if (res == TEEC_SUCCESS && output_block)
		*output_block = op.params[0].value.b;
	return res;
}

TEEC_Result ta_link_run_block(struct ta_link *l, const void *block, size_t len, void *out,
			      size_t out_len)
{
	TEEC_Operation op = { 0 };

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_OUTPUT, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)block;
	op.params[0].tmpref.size = len;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = out_len;
	return ta_link_call(l, TZI_CMD_RUN, &op);
}

TEEC_Result ta_link_run(struct ta_link *l, const void *in, size_t in_len, void *out, size_t out_len)
{
	size_t len = io_block_bytes(&in_len, 1);
	uint8_t *block = in ? malloc(len) : NULL;
	TEEC_Result res = TEEC_SUCCESS;

	if (in && !block)
		return TEEC_ERROR_OUT_OF_MEMORY;
	if (block)
		io_block_write(block, &in, &in_len, 1);
	res = ta_link_run_block(l, block, block ? len : 0, out, out_len);
	free(block);
	return res;
}

TEEC_Result ta_link_stats(struct ta_link *l, struct ta_usage *u)
{
	TEEC_Operation op = { 0 };
	TEEC_Result res = TEEC_SUCCESS;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_VALUE_OUTPUT);
	res = ta_link_call(l, TZI_CMD_STATS, &op);
	u->in_use = op.params[2].value.a;
	u->peak = op.params[2].value.b;
	u->quota = op.params[3].value.a;
	return res;
}
