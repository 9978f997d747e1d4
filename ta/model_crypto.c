#include "model_crypto.h"

#include <string.h>

#include "key_store.h"

/* Header layout (docs/model-format.md). */
#define HEADER_BYTES 128u
#define FLAGS_OFF 12u
#define NONCE_OFF 88u
#define NONCE_BYTES 12u
#define TAG_OFF 100u
#define TAG_BYTES 16u
#define KEY_ID_OFF 116u
#define FLAG_ENCRYPTED 1u

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool model_crypto_is_sealed(const uint8_t *file, size_t len)
{
	return len >= HEADER_BYTES && (rd32(file + FLAGS_OFF) & FLAG_ENCRYPTED);
}

TEE_Result model_crypto_unseal(uint8_t *file, size_t len)
{
	uint8_t aad[HEADER_BYTES];
	uint8_t tag[TAG_BYTES];
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t out_len = len - HEADER_BYTES;
	TEE_Result res = TEE_SUCCESS;

	if (len < HEADER_BYTES)
		return TEE_ERROR_BAD_FORMAT;
	res = key_store_open(rd32(file + KEY_ID_OFF), &key);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_AllocateOperation(&op, TEE_ALG_AES_GCM, TEE_MODE_DECRYPT, TZI_MODEL_KEY_BYTES * 8);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_SetOperationKey(op, key);
	if (res != TEE_SUCCESS)
		goto out;
	/* The AAD is the header as sealed, with the tag (computed over it) still zero. */
	memcpy(aad, file, HEADER_BYTES);
	memcpy(tag, aad + TAG_OFF, TAG_BYTES);
	memset(aad + TAG_OFF, 0, TAG_BYTES);
	res = TEE_AEInit(op, file + NONCE_OFF, NONCE_BYTES, TAG_BYTES * 8, HEADER_BYTES, out_len);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_AEUpdateAAD(op, aad, HEADER_BYTES);
	/* In place: GCM is a stream cipher, every output byte depends on its input byte only. */
	res = TEE_AEDecryptFinal(op, file + HEADER_BYTES, len - HEADER_BYTES, file + HEADER_BYTES,
				 &out_len, tag, TAG_BYTES);
	if (res != TEE_SUCCESS)
		goto out;
	/* Back to the plaintext v1 header that was sealed. */
	memset(file + FLAGS_OFF, 0, 4);
	memset(file + NONCE_OFF, 0, KEY_ID_OFF + 4 - NONCE_OFF);
out:
	if (op != TEE_HANDLE_NULL)
		TEE_FreeOperation(op);
	TEE_CloseObject(key);
	return res;
}
