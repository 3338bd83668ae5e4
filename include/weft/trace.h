/* SPDX-License-Identifier: MIT */
/*
 * weft/trace.h - scheduling traces that Perfetto and chrome://tracing open.
 *
 * While tracing, every worker records its events (task start and end,
 * spawn, steal with its victim, park and unpark, submit, jobs taken from
 * outside threads' lanes) into its own bounded ring (ck_ring; no locks on
 * the hot path; a full ring drops events and counts them). A drainer
 * thread writes them as Chrome Trace Event JSON: one track per worker, one
 * event per line. Setting WEFT_TRACE=path.json in the environment traces
 * every pool from creation to destruction (the second pool of a process
 * writes path.json.2, and so on). tools/weft-trace summarises a trace and
 * draws its timeline as SVG. With tracing off, each hook is one load and
 * one untaken branch.
 *
 * Thread safety: start and stop of the same pool must not run concurrently
 * (nor from its workers); any other weft call may run alongside them.
 */
#ifndef WEFT_TRACE_H
#define WEFT_TRACE_H

#include <stdint.h>

#include <weft/common.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * weft_pool_trace_start() - start writing pool's trace to path
 * (truncated).
 * Return: 0; -EINVAL (NULL pool or path); -EBUSY (already tracing);
 * -ENOMEM; -errno from opening the file; -EAGAIN (no drainer thread).
 * Ownership: path is only read during the call.
 * Context: any thread but the pool's workers; not concurrently with
 * weft_pool_trace_stop() on the same pool.
 */
WEFT_API int weft_pool_trace_start(weft_pool_t *pool, const char *path);

/*
 * weft_pool_trace_stop() - stop tracing, write out what was recorded and
 * close the file. *dropped (may be NULL) receives the number of events
 * lost to full rings.
 * Return: 0; -EINVAL (NULL pool); -ENOENT (not tracing); -EIO (the file
 * could not be written completely).
 * Context: any thread but the pool's workers; blocks until the drainer
 * thread has written everything and exited.
 */
WEFT_API int weft_pool_trace_stop(weft_pool_t *pool, uint64_t *dropped);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_TRACE_H */
