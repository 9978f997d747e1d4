/*
 * Who may manage model keys (PROVISION_KEY, DELETE_KEY, LOCK_KEYS): the client identity OP-TEE
 * reports for the session, gpd.client.identity.
 *
 * Linux's TEE driver does not pass uids or gids: for TEEC_LOGIN_USER and TEEC_LOGIN_GROUP it
 * passes a version 5 UUID of "uid=<euid in hex>" or "gid=<gid in hex>" in the TEE client name
 * space 58ac9ca0-2086-4683-a1b8-ec4bc08e01b6 (drivers/tee/tee_core.c,
 * tee_session_calc_client_uuid), and refuses TEEC_LOGIN_GROUP for a group the caller is not in.
 * This module computes the same UUIDs for uid 0 and for the administrators' group and compares.
 *
 * Allowed: TEEC_LOGIN_USER as uid 0, and, when the TA is built with TZI_KEY_ADMIN_GID=<gid>
 * (Yocto: TZINFER_KEY_ADMIN_GID), TEEC_LOGIN_GROUP for that gid. TEEC_LOGIN_PUBLIC (no identity)
 * and every other login method are refused.
 */
#ifndef TZI_KEY_ADMIN_H
#define TZI_KEY_ADMIN_H

#include <tee_internal_api.h>

/* TEE_SUCCESS when the current session's client may manage keys, TEE_ERROR_ACCESS_DENIED when
 * it may not (or its identity cannot be read). */
TEE_Result key_admin_check_client(void);

#endif
