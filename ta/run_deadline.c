#include "run_deadline.h"

#include <tee_internal_api.h>

uint32_t run_clock_ms(void)
{
	TEE_Time t = { 0 };

	TEE_GetSystemTime(&t);
	return t.seconds * 1000u + t.millis;
}

void run_deadline_start(struct run_deadline *d, uint32_t limit_ms)
{
	d->start_ms = run_clock_ms();
	d->limit_ms = limit_ms;
}

bool run_deadline_passed(const struct run_deadline *d)
{
	return d->limit_ms && run_clock_ms() - d->start_ms >= d->limit_ms;
}
