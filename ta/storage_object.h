/*
 * Names and small values in OP-TEE secure storage (TEE_STORAGE_PRIVATE: only this TA, by its
 * UUID, can open them). The objects this TA keeps there, and what erases them all (the factory
 * reset), are listed in docs/security.md, "What lives in secure storage".
 */
#ifndef TZI_STORAGE_OBJECT_H
#define TZI_STORAGE_OBJECT_H

#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

/* Longest object id this TA uses: a prefix of at most 24 characters and 8 hex digits. */
#define STORAGE_ID_MAX 32u

struct storage_id {
	char bytes[STORAGE_ID_MAX];
	size_t len;
};

/* The id prefix followed by key_id as 8 hex digits, e.g. "tzinfer-model-key-00000007". */
struct storage_id storage_id_for(const char *prefix, uint32_t key_id);

/* The id prefix alone (an object that exists once per device). */
struct storage_id storage_id_named(const char *name);

/* A 32-bit value stored in object id; ITEM_NOT_FOUND when there is none. */
TEE_Result storage_read_u32(const struct storage_id *id, uint32_t *value);

/* Create or overwrite object id holding value. */
TEE_Result storage_write_u32(const struct storage_id *id, uint32_t value);

#endif
