/*
 * Sealed packages, format v2 (include/tzinfer_sealed.h, docs/sealed-format.md): a 64-byte
 * header and the AES-256-GCM ciphertext of a whole .tzm, header bytes 0 ... 47 as AAD.
 *
 * The package is decrypted in place in the secure buffer it was uploaded into, so the plaintext
 * only ever exists in TA memory; the .tzm then starts TZI_SEALED_HEADER_BYTES into the buffer,
 * 16-byte aligned, and the engine verifies it as any plaintext model.
 */
#ifndef TZI_MODEL_CRYPTO_H
#define TZI_MODEL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stinylib.h>
#include <tee_internal_api.h>

enum model_kind {
	MODEL_PLAIN,     /* anything else: a .tzm for the engine to judge */
	MODEL_SEALED,    /* a sealed package of format v2 ("TZSEALED") */
	MODEL_SEALED_V1, /* a .tzm header with the v1 ENCRYPTED flag: refused since v2 */
};

/* What the uploaded file claims to be (by its first bytes only). */
enum model_kind model_crypto_kind(const uint8_t *file, size_t len);

/* The authenticated header fields of a package that unsealed. */
struct sealed_info {
	uint32_t key_id, model_version, flags;
};

/* Why a sealed header was refused (TEE_ERROR_BAD_FORMAT). */
struct sealed_refusal {
	enum stl_status status;
	const char *reason;
};

/*
 * Check the header of a MODEL_SEALED file and decrypt its payload in place. Errors:
 *   TEE_ERROR_BAD_FORMAT      the header breaks docs/sealed-format.md (*why says how);
 *   TEE_ERROR_ITEM_NOT_FOUND  no key is provisioned under the header's key_id;
 *   TEE_ERROR_MAC_INVALID     wrong key, or the header or payload was changed.
 * On error the caller must wipe the buffer: GCM may have written unauthenticated plaintext.
 */
TEE_Result model_crypto_unseal(uint8_t *file, size_t len, struct sealed_info *info,
			       struct sealed_refusal *why);

#endif
