/*
 * Anti-rollback for sealed packages: per key id, the lowest model_version that may still load,
 * kept in OP-TEE secure storage ("tzinfer-min-version-" + key_id in hex). A successful load of
 * a sealed package raises it to the package's model_version (unless the package carries
 * KEEP_FLOOR); nothing lowers it. DELETE_KEY leaves it in place, so a key re-provisioned under
 * the same id does not bring old packages back; only a factory reset (erasing secure storage)
 * clears it. Without RPMB the storage itself can be rolled back by root: docs/security.md.
 */
#ifndef TZI_VERSION_FLOOR_H
#define TZI_VERSION_FLOOR_H

#include <stdint.h>
#include <tee_internal_api.h>

/* key_id's minimum version: 0 when none was ever recorded. */
TEE_Result version_floor_get(uint32_t key_id, uint32_t *floor);

/* Raise key_id's minimum version to version; nothing happens when it is already that high. */
TEE_Result version_floor_raise(uint32_t key_id, uint32_t version);

#endif
