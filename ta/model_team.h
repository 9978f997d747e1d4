/*
 * Teams (docs/multicore.md §4.2, tzinfer_ta.h TEAM_OPEN ... RUN_COLLECT): a model session (the
 * owner) lends its loaded model to worker sessions of the same client, which join with the
 * 128-bit token TEAM_OPEN drew, so that their RUN_WORK entries compute its runs on other cores.
 *
 * Everything here but team_work runs in exclusive entries (OP-TEE admits no other entry of the
 * TA meanwhile), so the team's structure (the token, the list of open teams, an owner's workers,
 * the buffers) changes only while no worker computes. A worker holds no model: its RUN_WORK
 * reaches the owner's, through a pointer that closing or unloading the owner clears (the worker
 * is then detached: BAD_STATE). Its private scratch is charged to the owner's quota and wiped
 * when it leaves or the team ends.
 */
#ifndef TZI_MODEL_TEAM_H
#define TZI_MODEL_TEAM_H

#include <stdbool.h>
#include <stdint.h>
#include <tee_internal_api.h>

#include "run_team.h"
#include "secure_buffer.h"
#include "tzinfer_ta.h"
#include "user_ta_header_defines.h"

struct model_session;

/* A session's team as its owner. */
struct team_owner {
	bool open;
	uint8_t token[TZI_TEAM_TOKEN_BYTES];
	struct secure_buffer counters;   /* two per op (run_team.h) */
	struct model_session *workers[TZI_TA_WORKER_SLOTS]; /* [0 .. n_workers), at most slots - 1 */
	uint32_t n_workers;
	struct model_session *next_open; /* the list of open teams, which TEAM_JOIN searches */
	struct run_team run;
	char reason[TZI_REASON_BYTES];   /* RUN_COLLECT's reason for a stalled run */
};

/* A session's membership as a worker. */
struct team_member {
	bool joined;                 /* joined once: a worker stays one, detached or not */
	struct model_session *owner; /* NULL once detached */
	struct secure_buffer scratch;
	uint32_t in_work;            /* a RUN_WORK of this session is under way (atomic) */
};

/* TEAM_OPEN: close s's team if it has one, open a new one and give its token. */
TEE_Result team_open(struct model_session *s, uint8_t token[TZI_TEAM_TOKEN_BYTES]);

/* TEAM_JOIN: make w a worker of the open team with this token. */
TEE_Result team_join(struct model_session *w, const uint8_t token[TZI_TEAM_TOKEN_BYTES]);

/* Whether s is a worker (joined a team, detached or not): it may not load a model. */
bool team_is_worker(const struct model_session *s);

/* The owner's open team's participants: itself and its workers (0 without a team). */
uint32_t team_participants(const struct model_session *owner);

/* RUN_WORK on s, owner or worker, of the armed run run_id. */
TEE_Result team_work(struct model_session *s, uint32_t run_id);

/* Close the owner's team (revoke the token, detach and wipe its workers, free the counters);
 * a no-op without one. UNLOAD and session close. */
void team_close(struct model_session *owner);

/* A worker session goes (session close): its scratch is wiped and freed, its owner forgets it. */
void team_leave(struct model_session *w);

#endif
