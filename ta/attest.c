#include "attest.h"

#include <string.h>

#include "storage_object.h"

#define DEVICE_KEY_NAME "tzinfer-device-key"
#define P256_BITS 256u
#define P256_BYTES 32u

static const char report_magic[8] = { 'T', 'Z', 'A', 'T', 'T', 'E', 'S', 'T' };

TEE_Result attest_sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t out_len = SHA256_BYTES;
	TEE_Result res = TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);

	if (res != TEE_SUCCESS)
		return res;
	res = TEE_DigestDoFinal(op, data, len, out, &out_len);
	TEE_FreeOperation(op);
	return res;
}

/* A fresh key pair, stored; the transient copy is freed (and wiped by the core). */
static TEE_Result generate_device_key(const struct storage_id *id)
{
	TEE_ObjectHandle pair = TEE_HANDLE_NULL;
	TEE_ObjectHandle stored = TEE_HANDLE_NULL;
	TEE_Attribute curve;
	TEE_Result res = TEE_AllocateTransientObject(TEE_TYPE_ECDSA_KEYPAIR, P256_BITS, &pair);

	if (res != TEE_SUCCESS)
		return res;
	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	res = TEE_GenerateKey(pair, P256_BITS, &curve, 1);
	/* Sign only: without EXTRACTABLE the private value can never be read back. */
	if (res == TEE_SUCCESS)
		res = TEE_RestrictObjectUsage1(pair, TEE_USAGE_SIGN);
	if (res == TEE_SUCCESS)
		res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id->bytes, id->len,
						 TEE_DATA_FLAG_ACCESS_READ, pair, NULL, 0, &stored);
	if (res == TEE_SUCCESS)
		TEE_CloseObject(stored);
	TEE_FreeTransientObject(pair);
	return res;
}

/* The stored device key, generated first when there is none. */
static TEE_Result open_device_key(TEE_ObjectHandle *key)
{
	struct storage_id id = storage_id_named(DEVICE_KEY_NAME);
	TEE_Result res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id.bytes, id.len,
						  TEE_DATA_FLAG_ACCESS_READ, key);

	if (res != TEE_ERROR_ITEM_NOT_FOUND)
		return res;
	res = generate_device_key(&id);
	if (res != TEE_SUCCESS)
		return res;
	return TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id.bytes, id.len,
					TEE_DATA_FLAG_ACCESS_READ, key);
}

/* One coordinate of the public point, left-padded to 32 bytes. */
static TEE_Result coordinate(TEE_ObjectHandle key, uint32_t attr, uint8_t out[P256_BYTES])
{
	uint8_t buf[P256_BYTES];
	size_t len = sizeof(buf);
	TEE_Result res = TEE_GetObjectBufferAttribute(key, attr, buf, &len);

	if (res != TEE_SUCCESS)
		return res;
	if (len > P256_BYTES)
		return TEE_ERROR_GENERIC;
	memset(out, 0, P256_BYTES - len);
	memcpy(out + P256_BYTES - len, buf, len);
	return TEE_SUCCESS;
}

TEE_Result attest_device_key(uint8_t out[TZI_DEVICE_KEY_BYTES])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_Result res = open_device_key(&key);

	if (res != TEE_SUCCESS)
		return res;
	out[0] = 0x04; /* SEC1: uncompressed point */
	res = coordinate(key, TEE_ATTR_ECC_PUBLIC_VALUE_X, out + 1);
	if (res == TEE_SUCCESS)
		res = coordinate(key, TEE_ATTR_ECC_PUBLIC_VALUE_Y, out + 1 + P256_BYTES);
	TEE_CloseObject(key);
	return res;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static TEE_Result sign(uint8_t report[TZI_ATTEST_REPORT_BYTES])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t digest[SHA256_BYTES];
	size_t sig_len = TZI_ATTEST_REPORT_BYTES - TZI_ATTEST_SIGNED_BYTES;
	TEE_Result res = attest_sha256(report, TZI_ATTEST_SIGNED_BYTES, digest);

	if (res == TEE_SUCCESS)
		res = open_device_key(&key);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_AllocateOperation(&op, TEE_ALG_ECDSA_SHA256, TEE_MODE_SIGN, P256_BITS);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, key);
	if (res == TEE_SUCCESS)
		res = TEE_AsymmetricSignDigest(op, NULL, 0, digest, sizeof(digest),
					       report + TZI_ATTEST_SIGNED_BYTES, &sig_len);
	if (res == TEE_SUCCESS && sig_len != 2 * P256_BYTES)
		res = TEE_ERROR_GENERIC;
	if (op != TEE_HANDLE_NULL)
		TEE_FreeOperation(op);
	TEE_CloseObject(key);
	return res;
}

TEE_Result attest_report(const struct attestation *a, uint32_t key_id, uint32_t model_version,
			 const uint8_t nonce[TZI_NONCE_BYTES],
			 uint8_t report[TZI_ATTEST_REPORT_BYTES])
{
	if (!a->enabled || !a->have_run)
		return TEE_ERROR_BAD_STATE;
	memset(report, 0, TZI_ATTEST_REPORT_BYTES);
	memcpy(report, report_magic, sizeof(report_magic));
	wr32(report + 8, TZI_ATTEST_REPORT_VERSION);
	wr32(report + 12, key_id);
	wr32(report + 16, model_version);
	memcpy(report + 24, a->model_sha256, SHA256_BYTES);
	memcpy(report + 56, a->input_sha256, SHA256_BYTES);
	memcpy(report + 88, a->output_sha256, SHA256_BYTES);
	memcpy(report + 120, nonce, TZI_NONCE_BYTES);
	return sign(report);
}

void attest_reset(struct attestation *a)
{
	secure_buffer_release(&a->input);
	secure_buffer_release(&a->output);
	secure_wipe(a, sizeof(*a));
}
