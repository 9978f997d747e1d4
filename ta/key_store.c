#include "key_store.h"

#include <string.h>

#define OBJECT_ID_PREFIX "tzinfer-model-key-"
#define OBJECT_ID_BYTES (sizeof(OBJECT_ID_PREFIX) - 1 + 8)

/* The storage id of key_id's object: the prefix and key_id as 8 hex digits (no NUL). */
static void object_id(uint32_t key_id, char id[OBJECT_ID_BYTES])
{
	static const char hex[] = "0123456789abcdef";
	size_t prefix = sizeof(OBJECT_ID_PREFIX) - 1;
	size_t i = 0;

	memcpy(id, OBJECT_ID_PREFIX, prefix);
	for (i = 0; i < 8; i++)
		id[prefix + i] = hex[(key_id >> (28 - 4 * i)) & 0xfu];
}

TEE_Result key_store_provision(uint32_t key_id, const void *key, size_t len)
{
	char id[OBJECT_ID_BYTES];
	TEE_ObjectHandle transient = TEE_HANDLE_NULL;
	TEE_ObjectHandle stored = TEE_HANDLE_NULL;
	TEE_Attribute attr;
	TEE_Result res = TEE_SUCCESS;

	if (len != TZI_MODEL_KEY_BYTES)
		return TEE_ERROR_BAD_PARAMETERS;
	res = TEE_AllocateTransientObject(TEE_TYPE_AES, TZI_MODEL_KEY_BYTES * 8, &transient);
	if (res != TEE_SUCCESS)
		return res;
	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, (void *)key, len);
	res = TEE_PopulateTransientObject(transient, &attr, 1);
	if (res != TEE_SUCCESS)
		goto out;
	/* Decrypt only: without TEE_USAGE_EXTRACTABLE the key bytes can never be read back. */
	res = TEE_RestrictObjectUsage1(transient, TEE_USAGE_DECRYPT);
	if (res != TEE_SUCCESS)
		goto out;
	object_id(key_id, id);
	res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, sizeof(id),
					 TEE_DATA_FLAG_ACCESS_WRITE_META | TEE_DATA_FLAG_OVERWRITE,
					 transient, NULL, 0, &stored);
	if (res == TEE_SUCCESS)
		TEE_CloseObject(stored);
out:
	TEE_FreeTransientObject(transient); /* the core wipes the key attribute it held */
	return res;
}

TEE_Result key_store_delete(uint32_t key_id)
{
	char id[OBJECT_ID_BYTES];
	TEE_ObjectHandle stored = TEE_HANDLE_NULL;
	TEE_Result res = TEE_SUCCESS;

	object_id(key_id, id);
	res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, sizeof(id),
				       TEE_DATA_FLAG_ACCESS_WRITE_META, &stored);
	if (res != TEE_SUCCESS)
		return res;
	return TEE_CloseAndDeletePersistentObject1(stored);
}

TEE_Result key_store_open(uint32_t key_id, TEE_ObjectHandle *key)
{
	char id[OBJECT_ID_BYTES];

	object_id(key_id, id);
	return TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, sizeof(id),
					TEE_DATA_FLAG_ACCESS_READ, key);
}
