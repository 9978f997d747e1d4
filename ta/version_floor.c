#include "version_floor.h"

#include "storage_object.h"

#define FLOOR_PREFIX "tzinfer-min-version-"

TEE_Result version_floor_get(uint32_t key_id, uint32_t *floor)
{
	struct storage_id id = storage_id_for(FLOOR_PREFIX, key_id);
	TEE_Result res = storage_read_u32(&id, floor);

	if (res == TEE_ERROR_ITEM_NOT_FOUND) {
		*floor = 0;
		return TEE_SUCCESS;
	}
	return res;
}

TEE_Result version_floor_raise(uint32_t key_id, uint32_t version)
{
	struct storage_id id = storage_id_for(FLOOR_PREFIX, key_id);
	uint32_t floor = 0;
	TEE_Result res = version_floor_get(key_id, &floor);

	if (res != TEE_SUCCESS || version <= floor)
		return res;
	return storage_write_u32(&id, version);
}
