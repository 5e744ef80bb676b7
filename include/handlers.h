/*
 * handlers.h: every route handler, grouped by the file that holds it.
 * A handler returns IAM_OK after setting an answer, or the error that the
 * dispatcher turns into the error envelope.
 */
#ifndef IAM_HANDLERS_H
#define IAM_HANDLERS_H

#include "errors.h"

struct req;

/* h_ops.c: health, readiness, metrics. */
enum iam_err	ops_health(struct req *);
enum iam_err	ops_ready(struct req *);
enum iam_err	ops_metrics(struct req *);

#endif
