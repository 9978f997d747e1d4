/*
 * The sealed package, format v2 (docs/sealed-format.md): a container around a whole plaintext
 * .tzm, whose inner layout it does not know or touch. Shared verbatim by ta/, libtzinfer/ and
 * client/; tzinfer/seal.py reads its `#define TZI_SEALED_...` lines (tzinfer.sources.c_defines).
 *
 *   off size field
 *     0    8 magic "TZSEALED"
 *     8    2 format_version, 2
 *    10    2 header_size, 64
 *    12    4 flags: bit 0 KEEP_FLOOR (a successful load leaves the key id's minimum version
 *            as it is); every other bit 0
 *    16    4 key_id, 1 ... 2^32-1: the provisioned key it is sealed for
 *    20    4 model_version, 0 ... 2^32-1: refused below the key id's minimum version
 *    24    4 payload_size: bytes after the header = the size of the sealed .tzm
 *    28   12 nonce: the GCM nonce, random per package
 *    40    8 reserved, 0
 *    48   16 tag: the GCM tag
 *    64    . payload: AES-256-GCM ciphertext of the whole .tzm (its header included)
 *
 * AAD: header bytes 0 ... 47 (everything but the tag), so every header field is
 * authenticated. No plaintext digest appears anywhere outside the ciphertext.
 * The header is a multiple of 16 bytes: the .tzm decrypted in place after it keeps the
 * 16-byte alignment the engine requires.
 */
#ifndef TZINFER_SEALED_H
#define TZINFER_SEALED_H

#include "tzm_format.h"

#define TZI_SEALED_MAGIC "TZSEALED"
#define TZI_SEALED_MAGIC_BYTES 8u
#define TZI_SEALED_FORMAT 2u
#define TZI_SEALED_HEADER_BYTES 64u

#define TZI_SEALED_FORMAT_OFF 8u
#define TZI_SEALED_HEADER_SIZE_OFF 10u
#define TZI_SEALED_FLAGS_OFF 12u
#define TZI_SEALED_KEY_ID_OFF 16u
#define TZI_SEALED_VERSION_OFF 20u
#define TZI_SEALED_PAYLOAD_SIZE_OFF 24u
#define TZI_SEALED_NONCE_OFF 28u
#define TZI_SEALED_NONCE_BYTES 12u
#define TZI_SEALED_RESERVED_OFF 40u
#define TZI_SEALED_RESERVED_BYTES 8u
#define TZI_SEALED_TAG_OFF 48u
#define TZI_SEALED_TAG_BYTES 16u
#define TZI_SEALED_AAD_BYTES TZI_SEALED_TAG_OFF

#define TZI_SEALED_KEEP_FLOOR 1u

/* Format v1 (refused since v2): a .tzm header (stinylib/include/tzm_format.h) with flags bit 0
 * set, the key id in its key_id field. */
#define TZI_SEALED_V1_MAGIC STL_MAGIC
#define TZI_SEALED_V1_FLAGS_OFF STL_HDR_FLAGS
#define TZI_SEALED_V1_KEY_ID_OFF STL_HDR_KEY_ID
#define TZI_SEALED_V1_HEADER_BYTES STL_HEADER_SIZE

#endif
