/*
 * Encrypted model packages (docs/model-format.md, "Encrypted packages"): header flag bit 0
 * ENCRYPTED, AES-256-GCM over the body with the 128-byte header (tag field zeroed) as AAD.
 *
 * The package is decrypted in place in the secure buffer it was uploaded into, so the
 * plaintext only ever exists in TA memory. Afterwards the header is turned back into a
 * plaintext v1 header (flag, nonce, tag and key_id zeroed), which is exactly the .tzm that was
 * sealed; the engine then verifies it as usual, including body_sha256 over the plaintext body.
 */
#ifndef TZI_MODEL_CRYPTO_H
#define TZI_MODEL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

/* Is the uploaded file an encrypted package (header long enough and flag bit 0 set)? */
bool model_crypto_is_sealed(const uint8_t *file, size_t len);

/*
 * Decrypt the package in place. Errors:
 *   TEE_ERROR_ITEM_NOT_FOUND  no key is provisioned under the header's key_id;
 *   TEE_ERROR_MAC_INVALID     wrong key, or the header or body was changed;
 *   TEE_ERROR_BAD_FORMAT      the header is shorter than 128 bytes.
 * On error the caller must wipe the buffer: GCM may have written unauthenticated plaintext.
 */
TEE_Result model_crypto_unseal(uint8_t *file, size_t len);

#endif
