#include "model_team.h"

#include <string.h>

#include "model_session.h"

/* The owners with an open team, newest first: the only sessions a token can name. */
static struct model_session *open_teams;

/* Compare tokens in constant time: how far a guess matched must not show in the timing. */
static bool same_token(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;
	uint32_t i = 0;

	for (i = 0; i < TZI_TEAM_TOKEN_BYTES; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bool team_is_worker(const struct model_session *s)
{
	return s->member.joined;
}

uint32_t team_participants(const struct model_session *owner)
{
	return owner->team.open ? 1u + owner->team.n_workers : 0u;
}

static void unlink_open_team(struct model_session *owner)
{
	struct model_session **p = &open_teams;

	while (*p && *p != owner)
		p = &(*p)->team.next_open;
	if (*p)
		*p = owner->team.next_open;
	owner->team.next_open = NULL;
}

void team_close(struct model_session *owner)
{
	struct team_owner *t = &owner->team;
	uint32_t i = 0;

	if (!t->open)
		return;
	for (i = 0; i < t->n_workers; i++) {
		secure_buffer_release(&t->workers[i]->member.scratch); /* charged to this owner */
		t->workers[i]->member.owner = NULL;
		t->workers[i] = NULL;
	}
	t->n_workers = 0;
	unlink_open_team(owner);
	secure_buffer_release(&t->counters);
	secure_wipe(t->token, sizeof(t->token));
	memset(&t->run, 0, sizeof(t->run));
	t->open = false;
}

void team_leave(struct model_session *w)
{
	struct model_session *owner = w->member.owner;
	uint32_t i = 0;

	secure_buffer_release(&w->member.scratch);
	w->member.owner = NULL;
	if (!owner)
		return;
	for (i = 0; i < owner->team.n_workers && owner->team.workers[i] != w; i++)
		;
	if (i == owner->team.n_workers)
		return;
	owner->team.workers[i] = owner->team.workers[--owner->team.n_workers];
	owner->team.workers[owner->team.n_workers] = NULL;
}

TEE_Result team_open(struct model_session *s, uint8_t token[TZI_TEAM_TOKEN_BYTES])
{
	struct team_owner *t = &s->team;
	uint32_t bytes = 0;
	TEE_Result res = TEE_SUCCESS;

	if (!model_session_loaded(s) || team_is_worker(s))
		return TEE_ERROR_BAD_STATE;
	team_close(s); /* a new token revokes the old one, and its workers go */
	bytes = stl_team_counter_bytes(&s->model);
	res = secure_buffer_alloc(&t->counters, bytes ? bytes : 16u, &s->account);
	if (res != TEE_SUCCESS)
		return res;
	memset(t->counters.ptr, 0, t->counters.len);
	TEE_GenerateRandom(t->token, sizeof(t->token));
	memcpy(token, t->token, sizeof(t->token));
	t->open = true;
	t->next_open = open_teams;
	open_teams = s;
	return TEE_SUCCESS;
}

TEE_Result team_join(struct model_session *w, const uint8_t token[TZI_TEAM_TOKEN_BYTES])
{
	struct model_session *owner = open_teams;
	uint32_t bytes = 0;
	TEE_Result res = TEE_SUCCESS;

	if (model_session_busy(w) || team_is_worker(w) || w->team.open)
		return TEE_ERROR_BAD_STATE;
	while (owner && !same_token(owner->team.token, token))
		owner = owner->team.next_open;
	if (!owner)
		return TEE_ERROR_ACCESS_DENIED;
	if (owner->team.n_workers + 1u >= TZI_TA_WORKER_SLOTS)
		return TEE_ERROR_OVERFLOW;
	/* At least one quantum, so that a worker never passes NULL (the owner's arena scratch). */
	bytes = stl_chunk_scratch_bytes(&owner->model);
	res = secure_buffer_alloc(&w->member.scratch, bytes ? bytes : 16u, &owner->account);
	if (res != TEE_SUCCESS)
		return res;
	w->member.joined = true;
	w->member.owner = owner;
	owner->team.workers[owner->team.n_workers++] = w;
	return TEE_SUCCESS;
}

TEE_Result team_work(struct model_session *s, uint32_t run_id)
{
	struct model_session *owner = team_is_worker(s) ? s->member.owner : s;
	void *scratch = team_is_worker(s) ? s->member.scratch.ptr : NULL;
	struct run_team *r = NULL;
	bool was_masked = false;
	TEE_Result res = TEE_SUCCESS;

	if (!owner || !owner->team.open)
		return TEE_ERROR_BAD_STATE;
	r = &owner->team.run;
	if (!r->armed || r->run_id != run_id)
		return TEE_ERROR_BAD_STATE;
	/* One RUN_WORK per session at a time: the owner's entries would share the arena's scratch,
	 * a worker's its own. */
	if (__atomic_exchange_n(&s->member.in_work, 1u, __ATOMIC_ACQUIRE))
		return TEE_ERROR_BUSY;
	was_masked = TEE_UnmaskCancellation();
	res = run_team_work(r, scratch);
	if (was_masked)
		TEE_MaskCancellation();
	__atomic_store_n(&s->member.in_work, 0u, __ATOMIC_RELEASE);
	return res;
}
