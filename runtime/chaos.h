/* SPDX-License-Identifier: MIT */
/*
 * chaos.h - chaos points (private; tests/README.md "Chaos build").
 *
 * WEFT_CHAOS_POINT() marks a synchronisation point: between a load and the
 * CAS that validates it, between announcing sleep and re-checking, before a
 * futex wait. In a build with the CMake option WEFT_CHAOS=ON each point may
 * call sched_yield() or sleep a few microseconds, to widen race windows for
 * the stress tests. Otherwise it expands to nothing and the code is the
 * same as without it. A point never changes what the code does, only when.
 */
#ifndef WEFT_CHAOS_H
#define WEFT_CHAOS_H

#ifdef WEFT_CHAOS
void weft__chaos_point(void);
#    define WEFT_CHAOS_POINT() weft__chaos_point()
#else
#    define WEFT_CHAOS_POINT() ((void)0)
#endif

#endif /* WEFT_CHAOS_H */
