#include <string.h>

#include "ta_ops.h"

TEEC_Result ta_upload(ta_invoke_fn invoke, void *ctx, TEEC_SharedMemory *window, size_t chunk,
		      const uint8_t *file, size_t len, uint32_t flags, uint32_t *failed_cmd,
		      uint32_t *origin)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	*failed_cmd = TZI_CMD_LOAD_BEGIN;
	ta_op_load_begin(&op, (uint32_t)len, flags);
	res = invoke(ctx, TZI_CMD_LOAD_BEGIN, &op, origin);
	if (res != TEEC_SUCCESS)
		return res;
	*failed_cmd = TZI_CMD_LOAD_CHUNK;
	for (size_t off = 0; res == TEEC_SUCCESS && off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		if (window) {
			memset(&op, 0, sizeof(op));
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_INPUT,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].memref.parent = window;
			op.params[0].memref.size = n;
			op.params[1].value.a = (uint32_t)off;
			memcpy(window->buffer, file + off, n);
		} else {
			ta_op_load_chunk(&op, file + off, n, (uint32_t)off);
		}
		res = invoke(ctx, TZI_CMD_LOAD_CHUNK, &op, origin);
	}
	return res;
}
