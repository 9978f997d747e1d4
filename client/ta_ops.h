/*
 * TEEC operations for the key commands of the S-Tinylib TA (ta/include/tzinfer_ta.h), built in
 * one place for tzinfer-run and the test tools.
 */
#ifndef TZI_TA_OPS_H
#define TZI_TA_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <tee_client_api.h>

/* PROVISION_KEY: a temporary reference, so the key crosses shared memory once, straight into
 * the TA; flags: TZI_KEY_REPLACE or 0. */
static inline void ta_op_provision_key(TEEC_Operation *op, uint32_t key_id, const uint8_t *key,
				       size_t len, uint32_t flags)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE,
					  TEEC_NONE);
	op->params[0].value.a = key_id;
	op->params[0].value.b = flags;
	op->params[1].tmpref.buffer = (void *)key;
	op->params[1].tmpref.size = len;
}

/* DELETE_KEY. */
static inline void ta_op_delete_key(TEEC_Operation *op, uint32_t key_id)
{
	memset(op, 0, sizeof(*op));
	op->paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op->params[0].value.a = key_id;
}

#endif
