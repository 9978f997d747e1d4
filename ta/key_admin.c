#include "key_admin.h"

#include <stdbool.h>
#include <string.h>


/* The TEE client UUID name space of Linux's TEE driver (tee_client_uuid_ns), as bytes. */
static const uint8_t client_namespace[16] = {
	0x58, 0xac, 0x9c, 0xa0, 0x20, 0x86, 0x46, 0x83,
	0xa1, 0xb8, 0xec, 0x4b, 0xc0, 0x8e, 0x01, 0xb6,
};

#define SHA1_BYTES 20u

/* "<kind>=<id in lower-case hex, no leading zeros>", as the driver's snprintf("%x") writes it. */
static size_t login_name(const char *kind, uint32_t id, char name[16])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int shift = 28;

	memcpy(name, kind, 3);
	name[3] = '=';
	n = 4;
	while (shift > 0 && !((id >> shift) & 0xfu))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		name[n++] = hex[(id >> shift) & 0xfu];
	return n;
}

/* UUID version 5 (RFC 4122: SHA-1 of name space and name) of name, as OP-TEE stores a UUID
 * it received as octets (tee_uuid_from_octets: big-endian fields). */
static TEE_Result client_uuid(const char *kind, uint32_t id, TEE_UUID *uuid)
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t digest[SHA1_BYTES] = { 0 };
	size_t digest_len = sizeof(digest);
	char name[16];
	size_t name_len = login_name(kind, id, name);
	TEE_Result res = TEE_AllocateOperation(&op, TEE_ALG_SHA1, TEE_MODE_DIGEST, 0);

	if (res != TEE_SUCCESS)
		return res;
	TEE_DigestUpdate(op, client_namespace, sizeof(client_namespace));
	res = TEE_DigestDoFinal(op, name, name_len, digest, &digest_len);
	TEE_FreeOperation(op);
	if (res != TEE_SUCCESS)
		return res;
	digest[6] = (digest[6] & 0x0fu) | 0x50u; /* version 5 */
	digest[8] = (digest[8] & 0x3fu) | 0x80u; /* RFC 4122 variant */
	uuid->timeLow = (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
			(uint32_t)digest[2] << 8 | digest[3];
	uuid->timeMid = (uint16_t)(digest[4] << 8 | digest[5]);
	uuid->timeHiAndVersion = (uint16_t)(digest[6] << 8 | digest[7]);
	memcpy(uuid->clockSeqAndNode, digest + 8, sizeof(uuid->clockSeqAndNode));
	return TEE_SUCCESS;
}

static bool is_client(const TEE_Identity *who, uint32_t login, const char *kind, uint32_t id)
{
	TEE_UUID expected;

	if (who->login != login || client_uuid(kind, id, &expected) != TEE_SUCCESS)
		return false;
	return !memcmp(&expected, &who->uuid, sizeof(expected));
}

TEE_Result key_admin_check_client(void)
{
	TEE_Identity who;

	memset(&who, 0, sizeof(who));
	if (TEE_GetPropertyAsIdentity(TEE_PROPSET_CURRENT_CLIENT, "gpd.client.identity",
				      &who) != TEE_SUCCESS)
		return TEE_ERROR_ACCESS_DENIED;
	if (is_client(&who, TEE_LOGIN_USER, "uid", 0))
		return TEE_SUCCESS;
#ifdef TZI_KEY_ADMIN_GID
	if (is_client(&who, TEE_LOGIN_GROUP, "gid", TZI_KEY_ADMIN_GID))
		return TEE_SUCCESS;
#endif
	return TEE_ERROR_ACCESS_DENIED;
}
