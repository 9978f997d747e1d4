/*
 * Build options of the TA (make variables of ta/Makefile, Yocto variables of the tzinfer-ta
 * recipe; docs/security.md says which to pick for a product):
 *
 *   TZI_SESSION_QUOTA=<bytes>  (TZINFER_SESSION_QUOTA) the most secure-buffer bytes one session
 *                              may hold: its upload or model, arena and attestation copies.
 *                              Default: half the TA heap, so that one session cannot starve
 *                              the others of the shared heap.
 *   TZI_SEALED_ONLY=y          (TZINFER_SEALED_ONLY = "1") refuse plaintext .tzm models: only
 *                              sealed packages load. Recommended for products.
 *   TZI_KEY_ADMIN_GID=<gid>    (TZINFER_KEY_ADMIN_GID) members of this group may manage keys
 *                              (TEEC_LOGIN_GROUP) besides root (key_admin.h).
 */
#ifndef TZI_TA_CONFIG_H
#define TZI_TA_CONFIG_H

#include <stdbool.h>

#include "user_ta_header_defines.h"

#ifndef TZI_SESSION_QUOTA
#define TZI_SESSION_QUOTA ((TA_DATA_SIZE) / 2)
#endif

#ifdef TZI_SEALED_ONLY
#define TZI_PLAINTEXT_MODELS_ALLOWED false
#else
#define TZI_PLAINTEXT_MODELS_ALLOWED true
#endif

#endif
