/* SPDX-License-Identifier: MIT */
/* weft.h - the umbrella header: everything public in one include. */
#ifndef WEFT_H
#define WEFT_H

#include <weft/bgworker.h>
#include <weft/common.h>
#include <weft/context.h>
#include <weft/counter.h>
#include <weft/future.h>
#include <weft/map.h>
#include <weft/pool.h>
#include <weft/queue.h>
#include <weft/ratelimit.h>
#include <weft/stats.h>
#include <weft/sync.h>
#include <weft/thread.h>
#include <weft/timer.h>
#include <weft/trace.h>
#include <weft/wait.h>
#include <weft/waitset.h>

#endif /* WEFT_H */
