#include "model_crypto.h"

#include <string.h>

#include "key_store.h"
#include "tzinfer_sealed.h"
#include "tzinfer_ta.h"

enum model_kind model_crypto_kind(const uint8_t *file, size_t len)
{
	if (len >= TZI_SEALED_MAGIC_BYTES &&
	    !memcmp(file, TZI_SEALED_MAGIC, TZI_SEALED_MAGIC_BYTES))
		return MODEL_SEALED;
	if (len >= TZI_SEALED_V1_HEADER_BYTES &&
	    !memcmp(file, TZI_SEALED_V1_MAGIC, sizeof(TZI_SEALED_V1_MAGIC)) &&
	    (stl_le32(file + TZI_SEALED_V1_FLAGS_OFF) & 1u))
		return MODEL_SEALED_V1;
	return MODEL_PLAIN;
}

static TEE_Result refuse(struct sealed_refusal *why, enum stl_status status, const char *reason)
{
	why->status = status;
	why->reason = reason;
	return TEE_ERROR_BAD_FORMAT;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *p++;
	return !acc;
}

static TEE_Result check_header(const uint8_t *h, size_t len, struct sealed_info *info,
			       struct sealed_refusal *why)
{
	if (len <= TZI_SEALED_HEADER_BYTES)
		return refuse(why, STL_E_TRUNCATED, "sealed package: shorter than its 64-byte header "
			      "and a payload");
	if (stl_le16(h + TZI_SEALED_FORMAT_OFF) != TZI_SEALED_FORMAT ||
	    stl_le16(h + TZI_SEALED_HEADER_SIZE_OFF) != TZI_SEALED_HEADER_BYTES)
		return refuse(why, STL_E_VERSION, "sealed package: format_version is not 2 or "
			      "header_size not 64");
	info->flags = stl_le32(h + TZI_SEALED_FLAGS_OFF);
	if (info->flags & ~TZI_SEALED_KEEP_FLOOR)
		return refuse(why, STL_E_FLAGS, "sealed package: unknown flag bits set");
	if (stl_le32(h + TZI_SEALED_PAYLOAD_SIZE_OFF) != len - TZI_SEALED_HEADER_BYTES)
		return refuse(why, STL_E_TRUNCATED, "sealed package: payload_size is not the bytes "
			      "after the header (truncated or padded file)");
	if (!all_zero(h + TZI_SEALED_RESERVED_OFF, TZI_SEALED_RESERVED_BYTES))
		return refuse(why, STL_E_RESERVED, "sealed package: reserved header bytes not zero");
	info->key_id = stl_le32(h + TZI_SEALED_KEY_ID_OFF);
	info->model_version = stl_le32(h + TZI_SEALED_VERSION_OFF);
	if (!info->key_id)
		return refuse(why, STL_E_RESERVED, "sealed package: key_id 0 names no key");
	return TEE_SUCCESS;
}

TEE_Result model_crypto_unseal(uint8_t *file, size_t len, struct sealed_info *info,
			       struct sealed_refusal *why)
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t *payload = file + TZI_SEALED_HEADER_BYTES;
	size_t payload_len = len - TZI_SEALED_HEADER_BYTES;
	size_t out_len = payload_len;
	TEE_Result res = check_header(file, len, info, why);

	if (res != TEE_SUCCESS)
		return res;
	res = key_store_open(info->key_id, &key);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_AllocateOperation(&op, TEE_ALG_AES_GCM, TEE_MODE_DECRYPT, TZI_MODEL_KEY_BYTES * 8);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_SetOperationKey(op, key);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_AEInit(op, file + TZI_SEALED_NONCE_OFF, TZI_SEALED_NONCE_BYTES,
			 TZI_SEALED_TAG_BYTES * 8, TZI_SEALED_AAD_BYTES, payload_len);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_AEUpdateAAD(op, file, TZI_SEALED_AAD_BYTES);
	/* In place: GCM is a stream cipher, every output byte depends on its input byte only. */
	res = TEE_AEDecryptFinal(op, payload, payload_len, payload, &out_len,
				 file + TZI_SEALED_TAG_OFF, TZI_SEALED_TAG_BYTES);
out:
	if (op != TEE_HANDLE_NULL)
		TEE_FreeOperation(op);
	TEE_CloseObject(key);
	return res;
}
