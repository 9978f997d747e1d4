/*
 * Model keys in OP-TEE secure storage (TEE_STORAGE_PRIVATE: only this TA can open them), and the
 * lock that ends key management on a device.
 *
 * A key is stored as a persistent AES-256 key object whose usage is restricted to DECRYPT, so
 * not even this TA can read its bytes back (TEE_GetObjectBufferAttribute needs EXTRACTABLE), and
 * no command returns key material. The object id is "tzinfer-model-key-" + key_id in hex. Who
 * may call the managing functions is key_admin.h's decision, made before them.
 */
#ifndef TZI_KEY_STORE_H
#define TZI_KEY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

#include "tzinfer_ta.h"

/* Store the key for key_id. BAD_PARAMETERS unless len is 32 bytes; ACCESS_CONFLICT when key_id
 * has a key already and replace is false. */
TEE_Result key_store_provision(uint32_t key_id, const void *key, size_t len, bool replace);

/* Delete the key for key_id; ITEM_NOT_FOUND when there is none. */
TEE_Result key_store_delete(uint32_t key_id);

/* Open the key for key_id for use with TEE_SetOperationKey; ITEM_NOT_FOUND when there is none.
 * Close it with TEE_CloseObject. */
TEE_Result key_store_open(uint32_t key_id, TEE_ObjectHandle *key);

/* Lock key management for good (a marker object in secure storage). */
TEE_Result key_store_lock(void);

/* TEE_SUCCESS while key management is open; BAD_STATE once key_store_lock() ran; a storage
 * error when the marker cannot be looked up (then nothing may change either). */
TEE_Result key_store_check_unlocked(void);

#endif
