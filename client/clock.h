/* The monotonic clock every timing of tzinfer-run is taken with. */
#ifndef TZI_CLOCK_H
#define TZI_CLOCK_H

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double clock_ms(void);

#endif
