/* SPDX-License-Identifier: MIT */
/*
 * mutate.h - mutation points: each re-introduces one classic concurrency
 * bug, so that tests/mutation.sh can show a test catches it.
 *
 * A point reads `if (WEFT_MUTANT(n)) { the bug } else { the code }`.
 * - WEFT_MUTATE=0 (the default, every normal build): WEFT_MUTANT(n) is the
 *   constant 0, so the compiler drops the bug; the library is unchanged.
 * - WEFT_MUTATE=n (CMake -DWEFT_MUTATE=n): mutant n, compiled in.
 * - WEFT_MUTATE=select (CMake; the macro is then -1): the mutation build of
 *   tests/mutation.sh. Every mutant is compiled in and the environment
 *   variable WEFT_MUTANT picks one at start-up (tests/mutation/select.c);
 *   unset or 0 is the unmutated control, the same binary.
 *
 * Mutants, numbered per structure (tests/README.md has the catchers):
 *   1  deque.h  [D1] push: release store of bottom -> relaxed
 *   2  deque.h  [D4] pop: last-element CAS skipped
 *   3  deque.h  [D2] pop: seq_cst fence dropped
 *   4  weft/pool.h  [D1] in weft_spawn_inline(): release store -> relaxed
 *   5  weft/pool.h  [D2] in weft_sync_inline(): fence dropped
 *      (the public header cannot use WEFT_MUTANT: WEFT_INLINE_MUTANT there)
 *  11  queue.c  [Q4] task_done: CAS -> load + store (lost update)
 *  12  queue.c  [E2] put: the blocked consumer is never woken
 *  13  queue_lanes.c [Q6] lane lock revoker: no fence, no wait for owner
 *  21  map.c    [M4] byte-map node freed without a grace period
 *  22  map.c    [M4] intrusive node_free without a grace period
 *  23  map.c    [M10] in-place compute writes over any version, not its
 *               snapshot's (lost update)
 *  31  counter.c [C1] id returned to the free stack without id_lock
 *  41  future.c [F1] claim: CAS -> load + store (run twice / run+cancel)
 *  42  future.c [F2] completion RMW (CAS or add): acq_rel -> relaxed
 *  43  future.c [F3] claim drops the CBS bit (a callback pushed while
 *               pending is never run)
 *  44  future.c [F3] weft__future_new_node() leaves CBS clear (the
 *               pre-registered waitset callback is never run, [W8])
 *  51  park.c   [P1] the re-check for work before sleeping dropped
 *  52  park.c   [P3] spinner -> sleeper by a plain store, not the CAS
 *  61  waitset.c [W1] completion push CAS: seq_cst -> relaxed
 *  62  waitset.c [W4]/[W6] a DEAD callback never gives its entry back
 *               (one entry leaked per completion after destroy)
 *  71  lane.c   [L3] new lane published with relaxed stores
 *  81  typed.c  [Y3] shrink: CAS -> load + store (a slot run twice)
 *  82  typed.c  [Y1] publish: release RMW of split -> relaxed
 */
#ifndef WEFT_MUTATE_H
#define WEFT_MUTATE_H

#ifndef WEFT_MUTATE
#    define WEFT_MUTATE 0
#endif

#if WEFT_MUTATE < 0
/* Set once before main() (tests/mutation/select.c); read-only after. */
extern int weft__mutant;
#    define WEFT_MUTANT(n) __builtin_expect(weft__mutant == (n), 0)
#else
#    define WEFT_MUTANT(n) (WEFT_MUTATE == (n))
#endif

#endif /* WEFT_MUTATE_H */
