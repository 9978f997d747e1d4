/*
 * Attested results (docs/security.md, "Attested results"): what a RUN computed, signed with a
 * device key that only this TA holds.
 *
 * A model loaded with TZI_LOAD_ATTEST gets a SHA-256 of its file exactly as uploaded (for a
 * sealed package the ciphertext container: it names the model without revealing a plaintext
 * digest), and each RUN hashes the input it ran on and the output it produced, both from secure
 * copies so that the normal world cannot change them between the run and the hash. ATTEST then
 * signs those three digests with the verifier's nonce (report layout: tzinfer_ta.h).
 *
 * The device key is an ECDSA P-256 key pair generated inside the TA on first use and kept in
 * secure storage ("tzinfer-device-key", usage SIGN only: the private half cannot be read back).
 * Verifiers need only its public half (DEVICE_KEY).
 */
#ifndef TZI_ATTEST_H
#define TZI_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tee_internal_api.h>

#include "secure_buffer.h"
#include "tzinfer_ta.h"

#define SHA256_BYTES 32u

/* The attestation state of one session's model. */
struct attestation {
	bool enabled;  /* LOAD_BEGIN asked for it */
	bool have_run; /* the last RUN succeeded, and the digests below are its */
	uint8_t model_sha256[SHA256_BYTES];
	uint8_t input_sha256[SHA256_BYTES];
	uint8_t output_sha256[SHA256_BYTES];
	struct secure_buffer input, output; /* secure copies of what RUN read and wrote */
};

/* SHA-256 of len bytes at data into out. */
TEE_Result attest_sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES]);

/* The public half of the device key, generated (and stored) on first use. */
TEE_Result attest_device_key(uint8_t out[TZI_DEVICE_KEY_BYTES]);

/* The signed report over a's last RUN, the sealed package's key_id and model_version (0 for a
 * plaintext model) and nonce (layout: tzinfer_ta.h, ATTEST), built in report, which must be TA
 * memory: the TA signs what it reads there. BAD_STATE without an attested model or a
 * successful RUN since its load. */
TEE_Result attest_report(const struct attestation *a, uint32_t key_id, uint32_t model_version,
			 const uint8_t nonce[TZI_NONCE_BYTES],
			 uint8_t report[TZI_ATTEST_REPORT_BYTES]);

/* Wipe and free the copies and forget everything. */
void attest_reset(struct attestation *a);

#endif
