#include "key_store.h"

#include "storage_object.h"

#define KEY_PREFIX "tzinfer-model-key-"
#define LOCK_NAME "tzinfer-keys-locked"

TEE_Result key_store_provision(uint32_t key_id, const void *key, size_t len, bool replace)
{
	struct storage_id id = storage_id_for(KEY_PREFIX, key_id);
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
	/* Without OVERWRITE an existing object makes this fail with ACCESS_CONFLICT. */
	res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id.bytes, id.len,
					 TEE_DATA_FLAG_ACCESS_WRITE_META |
					 (replace ? TEE_DATA_FLAG_OVERWRITE : 0),
					 transient, NULL, 0, &stored);
	if (res == TEE_SUCCESS)
		TEE_CloseObject(stored);
out:
	TEE_FreeTransientObject(transient); /* the core wipes the key attribute it held */
	return res;
}

TEE_Result key_store_delete(uint32_t key_id)
{
	struct storage_id id = storage_id_for(KEY_PREFIX, key_id);
	TEE_ObjectHandle stored = TEE_HANDLE_NULL;
	TEE_Result res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id.bytes, id.len,
						  TEE_DATA_FLAG_ACCESS_WRITE_META, &stored);

	if (res != TEE_SUCCESS)
		return res;
	return TEE_CloseAndDeletePersistentObject1(stored);
}

TEE_Result key_store_open(uint32_t key_id, TEE_ObjectHandle *key)
{
	struct storage_id id = storage_id_for(KEY_PREFIX, key_id);

	return TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id.bytes, id.len,
					TEE_DATA_FLAG_ACCESS_READ, key);
}

TEE_Result key_store_lock(void)
{
	struct storage_id id = storage_id_named(LOCK_NAME);

	return storage_write_u32(&id, 1);
}

TEE_Result key_store_check_unlocked(void)
{
	struct storage_id id = storage_id_named(LOCK_NAME);
	uint32_t marker = 0;
	TEE_Result res = storage_read_u32(&id, &marker);

	if (res == TEE_ERROR_ITEM_NOT_FOUND)
		return TEE_SUCCESS;
	return res == TEE_SUCCESS ? TEE_ERROR_BAD_STATE : res;
}
