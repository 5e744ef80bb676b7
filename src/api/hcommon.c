/*
 * hcommon.c: glue shared by the handler files.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "parse.h"
#include "validate.h"
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

enum iam_err
hc_page(struct req *r, const struct fspec *q, json_object **v,
    struct page *pg)
{
	enum iam_err	e;

	/* Every list's query shape starts with page and limit. */
	if ((e = req_query(r, q, v)) != IAM_OK)
		return e;
	pg->page = v[0] != NULL ? json_object_get_int64(v[0]) : 1;
	pg->limit = v[1] != NULL ? json_object_get_int64(v[1]) : 50;
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
hc_listq(struct req *r, const struct fspec *q, json_object **v,
    struct page *pg, struct listq *lq)
{
	enum iam_err	e;

	if ((e = hc_page(r, q, v, pg)) != IAM_OK)
		return e;
	lq->limit = pg->limit;
	lq->offset = (pg->page - 1) * pg->limit;
	lq->items = NULL;
	lq->total = 0;
	return IAM_OK;
}

struct strlist *
hc_strlist(struct req *r, json_object *v, enum iam_err *e)
{
	struct strlist	*l;
	const char	**s;
	size_t		 i, n;

	*e = IAM_OK;
	if (v == NULL)
		return NULL;
	n = json_object_array_length(v);
	if ((l = arena_alloc(r->a, sizeof(*l))) == NULL ||
	    (s = arena_alloc(r->a, (n + 1) * sizeof(*s))) == NULL) {
		*e = IAM_E_INTERNAL;
		return NULL;
	}
	for (i = 0; i < n; i++)
		s[i] = json_object_get_string(json_object_array_get_idx(v, i));
	l->v = s;
	l->n = n;
	return l;
}

void
hc_profile(json_object *const *v, struct profile_in *p)
{
	p->first = fstr(v[0]);
	p->last = fstr(v[1]);
	p->phone = fstr(v[2]);
	p->preferences = v[3];
	p->addresses = v[4];
}

enum iam_err
hc_paged(struct req *r, enum iam_err (*fn)(struct actx *, struct listq *))
{
	struct page	 pg;
	struct listq	 lq;
	struct actx	 x;
	json_object	*v[FS_MAX];
	enum iam_err	 e;

	if ((e = hc_listq(r, &fs_page_query, v, &pg, &lq)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = fn(&x, &lq)) != IAM_OK)
		return hc_fail(r, &x, e);
	hc_list(r, &pg, lq.items, lq.total);
	return IAM_OK;
}
