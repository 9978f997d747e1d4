#include "storage_object.h"

#include <string.h>

static struct storage_id with_prefix(const char *prefix)
{
	struct storage_id id = { { 0 }, 0 };

	id.len = strlen(prefix);
	if (id.len > STORAGE_ID_MAX - 8)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS); /* a programming error, caught by any test */
	memcpy(id.bytes, prefix, id.len);
	return id;
}

struct storage_id storage_id_for(const char *prefix, uint32_t key_id)
{
	static const char hex[] = "0123456789abcdef";
	struct storage_id id = with_prefix(prefix);
	size_t i = 0;

	for (i = 0; i < 8; i++)
		id.bytes[id.len++] = hex[(key_id >> (28 - 4 * i)) & 0xfu];
	return id;
}

struct storage_id storage_id_named(const char *name)
{
	return with_prefix(name);
}

TEE_Result storage_read_u32(const struct storage_id *id, uint32_t *value)
{
	TEE_ObjectHandle obj = TEE_HANDLE_NULL;
	uint8_t le[4] = { 0 };
	size_t n = 0;
	TEE_Result res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id->bytes, id->len,
						  TEE_DATA_FLAG_ACCESS_READ, &obj);

	if (res != TEE_SUCCESS)
		return res;
	n = sizeof(le);
	res = TEE_ReadObjectData(obj, le, sizeof(le), &n);
	TEE_CloseObject(obj);
	if (res == TEE_SUCCESS && n != sizeof(le))
		res = TEE_ERROR_CORRUPT_OBJECT;
	*value = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
		 (uint32_t)le[3] << 24;
	return res;
}

TEE_Result storage_write_u32(const struct storage_id *id, uint32_t value)
{
	TEE_ObjectHandle obj = TEE_HANDLE_NULL;
	const uint8_t le[4] = { (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
				(uint8_t)(value >> 24) };
	TEE_Result res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id->bytes, id->len,
						    TEE_DATA_FLAG_ACCESS_WRITE_META |
						    TEE_DATA_FLAG_OVERWRITE, TEE_HANDLE_NULL,
						    le, sizeof(le), &obj);

	if (res == TEE_SUCCESS)
		TEE_CloseObject(obj);
	return res;
}
