/* SPDX-License-Identifier: MIT */
/*
 * job.h - what a deque slot or a lane slot points to: a fork-join task
 * record (task.c) or a future (future.c). Whoever takes a job from a queue
 * calls its exec() exactly once; exec() decides (by its own state machine)
 * whether the work still has to run.
 */
#ifndef WEFT_JOB_H
#define WEFT_JOB_H

struct weft__worker;
struct weft__job;

typedef void (*weft__exec_fn)(struct weft__job *job, struct weft__worker *self);

struct weft__job {
    weft__exec_fn exec;
};

#endif /* WEFT_JOB_H */
