/*
 * hcommon.c: glue shared by the handler files.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "parse.h"
#include "perm.h"

#include "admin.h"
#include "hcommon.h"

void
hc_actx(struct actx *x, struct req *r)
{
	memset(x, 0, sizeof(*x));
	x->w = r->w;
	x->a = r->a;
	x->ip = r->ip;
	x->ua = r->user_agent;
	x->user_id = r->user_id;
	x->org_id = r->org_id;
	x->sid = r->sid;
	x->perms = r->perms;
	x->email = r->email;
}

enum iam_err
hc_fail(struct req *r, const struct actx *x, enum iam_err e)
{
	json_object	*d, *o;
	char		 v[24];

	if (e == IAM_E_TOO_MANY_ATTEMPTS) {
		snprintf(v, sizeof(v), "%lld", (long long)(x->retry_after > 0 ?
		    x->retry_after : 1));
		resp_header(r, "Retry-After", v);
		d = json_object_new_array();
		o = json_object_new_object();
		json_object_object_add(o, "retryAfter",
		    json_object_new_int64(x->retry_after > 0 ?
		    x->retry_after : 1));
		json_object_array_add(d, o);
		resp_error(r, e, NULL, d);
	} else if (x->field != NULL)
		resp_field_error(r, e, x->field, x->message ? x->message :
		    iam_err_message(e));
	else
		resp_error(r, e, x->message, NULL);
	return e;
}

enum iam_err
hc_empty(struct req *r, enum iam_err (*fn)(struct actx *))
{
	struct actx	x;
	enum iam_err	e;

	hc_actx(&x, r);
	if ((e = fn(&x)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}

const char *
hc_query(struct req *r, const char *name)
{
	const char	*v = kv_get(&r->query, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

enum iam_err
hc_page(struct req *r, struct page *pg)
{
	const char	*v;

	pg->page = 1;
	pg->limit = 50;
	if ((v = kv_get(&r->query, "page")) != NULL &&
	    parse_int(v, 1, 1000000, &pg->page) == -1) {
		resp_field_error(r, IAM_E_VALIDATION, "page",
		    "page must be a whole number from 1");
		return IAM_E_VALIDATION;
	}
	if ((v = kv_get(&r->query, "limit")) != NULL &&
	    parse_int(v, 1, 100, &pg->limit) == -1) {
		resp_field_error(r, IAM_E_VALIDATION, "limit",
		    "limit must be a whole number from 1 to 100");
		return IAM_E_VALIDATION;
	}
	return IAM_OK;
}

void
hc_list(struct req *r, const struct page *pg, const char *items,
    int64_t total)
{
	struct buf	b;

	buf_init(&b, r->a);
	buf_puts(&b, "{\"success\":true,\"data\":");
	buf_puts(&b, items);
	buf_printf(&b, ",\"meta\":{\"page\":%lld,\"limit\":%lld,"
	    "\"total\":%lld,\"pages\":%lld}}", (long long)pg->page,
	    (long long)pg->limit, (long long)total,
	    (long long)((total + pg->limit - 1) / pg->limit));
	if (b.oom) {
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
		return;
	}
	resp_text(r, 200, "application/json; charset=utf-8", b.data, b.len);
}

const char *
hc_uuid(struct req *r, const char *name)
{
	const char	*v = kv_get(&r->params, name);

	return v != NULL && uuid_valid(v) ? v : NULL;
}

enum iam_err
hc_data(struct req *r, int status, json_object *data)
{
	resp_data(r, status, json_object_get(data));
	return IAM_OK;
}

enum iam_err
hc_nonempty(struct req *r, json_object *v, const char *name)
{
	if (v == NULL || json_object_get_string_len(v) > 0)
		return IAM_OK;
	resp_field_error(r, IAM_E_VALIDATION, name, arena_printf(r->a,
	    "%s must not be empty", name));
	return IAM_E_VALIDATION;
}

enum iam_err
hc_answer(struct req *r, struct actx *x, enum iam_err e, json_object **o,
    int status)
{
	if (e != IAM_OK)
		return hc_fail(r, x, e);
	return hc_data(r, status, *o);
}

enum iam_err
hc_id_action(struct req *r, enum iam_err (*fn)(struct actx *, const char *))
{
	const char	*id = hc_uuid(r, "id");
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	if ((e = fn(&x, id)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}

enum iam_err
hc_listq(struct req *r, struct page *pg, struct listq *lq)
{
	enum iam_err	e;

	if ((e = hc_page(r, pg)) != IAM_OK)
		return e;
	lq->limit = pg->limit;
	lq->offset = (pg->page - 1) * pg->limit;
	lq->items = NULL;
	lq->total = 0;
	return IAM_OK;
}
