/*
 * html.c: the escaping writer, and the page templates it is the only
 * way out of (html.h says the syntax).  A template is compiled once, at
 * load, into a flat list of nodes where a section knows where it ends;
 * rendering walks the list against a chain of scopes.  Nothing here
 * prints a value without html_puts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "html.h"

void
html_puts(struct buf *b, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_add(b, s, (size_t)(p - s));
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_add(b, s, (size_t)(p - s));
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_add(b, s, (size_t)(p - s));
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_add(b, s, (size_t)(p - s));
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_add(b, s, (size_t)(p - s));
			buf_puts(b, "&#39;");
			break;
		default:
			continue;
		}
		s = p + 1;
	}
	buf_add(b, s, (size_t)(p - s));
}

/* Scopes: a short list of names, each a string or a list of scopes. */
struct tval {
	const char	*name;
	const char	*str;
	struct tscope	*first, *last;	/* list items */
	struct tval	*next;
};

struct tscope {
	struct arena		*a;
	const struct tscope	*up;
	struct tval		*vals;
	struct tscope		*next;	/* the following item of its list */
};

struct tscope *
ts_new(struct arena *a, const struct tscope *up)
{
	struct tscope	*s;

	if ((s = arena_alloc(a, sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->a = a;
	s->up = up;
	return s;
}

static struct tval *
ts_slot(struct tscope *s, const char *name)
{
	struct tval	*v;

	for (v = s->vals; v != NULL; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	if ((v = arena_alloc(s->a, sizeof(*v))) == NULL ||
	    (v->name = arena_strdup(s->a, name)) == NULL)
		return NULL;
	v->str = NULL;
	v->first = v->last = NULL;
	v->next = s->vals;
	s->vals = v;
	return v;
}

void
ts_set(struct tscope *s, const char *name, const char *v)
{
	struct tval	*t;

	if (s == NULL || v == NULL || (t = ts_slot(s, name)) == NULL)
		return;
	t->str = arena_strdup(s->a, v);
}

struct tscope *
ts_item(struct tscope *s, const char *name)
{
	struct tval	*t;
	struct tscope	*i;

	if (s == NULL || (t = ts_slot(s, name)) == NULL ||
	    (i = ts_new(s->a, s)) == NULL)
		return NULL;
	if (t->last != NULL)
		t->last->next = i;
	else
		t->first = i;
	t->last = i;
	return i;
}

static const struct tval *
lookup(const struct tscope *s, const char *name, size_t len)
{
	const struct tval	*v;

	for (; s != NULL; s = s->up)
		for (v = s->vals; v != NULL; v = v->next)
			if (strlen(v->name) == len &&
			    memcmp(v->name, name, len) == 0)
				return v;
	return NULL;
}

/* Templates. */
enum tkind { N_TEXT, N_VAR, N_SECTION, N_INVERT, N_PARTIAL };

struct tnode {
	enum tkind	 kind;
	const char	*s;	/* text, or the name */
	size_t		 len;
	size_t		 end;	/* sections: the index after their close */
};

struct tmpl {
	const char	*name;
	char		*src;
	struct tnode	*n;
	size_t		 nn;
};

/* The pages the handlers render, the layout around them, and the one
 * stylesheet (not a template: served as it is). */
static const char *const names[] = { "layout", "login", "logout",
	"account", "forgot", "reset", "verify", "invite", "message" };
#define NT	(sizeof(names) / sizeof(names[0]))

struct tset {
	struct tmpl	 t[NT];
	char		*css;
	size_t		 csslen;
	char		 cssv[17];
};

static struct tset	*cur;

static int
tindex(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < NT; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return (int)i;
	return -1;
}

static int
name_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > 40)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Compiles t->src into nodes.  0, or -1 with why (and the line). */
static int
compile(struct tmpl *t, int layout, char *why, size_t whylen)
{
	const char	*p = t->src, *o, *c, *nm;
	size_t		 cap = 0, open[16], depth = 0, len, line;
	struct tnode	*n;
	char		 k;

	t->n = NULL;
	t->nn = 0;
	for (;;) {
		if (t->nn + 2 > cap) {
			cap = cap ? cap * 2 : 64;
			if ((n = realloc(t->n, cap * sizeof(*n))) == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			t->n = n;
		}
		o = strstr(p, "{{");
		len = o != NULL ? (size_t)(o - p) : strlen(p);
		if (len > 0)
			t->n[t->nn++] = (struct tnode){ N_TEXT, p, len, 0 };
		if (o == NULL)
			break;
		for (line = 1, c = t->src; c < o; c++)
			line += *c == '\n';
		if ((c = strstr(o + 2, "}}")) == NULL) {
			snprintf(why, whylen, "line %zu: {{ without }}", line);
			return -1;
		}
		p = c + 2;
		k = o[2];
		if (k == '!')
			continue;
		nm = strchr("#^/>", k) != NULL ? o + 3 : o + 2;
		len = (size_t)(c - nm);
		if (!name_ok(nm, len)) {
			snprintf(why, whylen, "line %zu: bad tag {{%.*s}} (names "
			    "are letters, digits, _; no raw output)", line,
			    (int)(c - o - 2) > 40 ? 40 : (int)(c - o - 2),
			    o + 2);
			return -1;
		}
		if (k == '/') {
			if (depth == 0 || t->n[open[depth - 1]].len != len ||
			    memcmp(t->n[open[depth - 1]].s, nm, len) != 0) {
				snprintf(why, whylen, "line %zu: {{/%.*s}} closes "
				    "nothing open", line, (int)len, nm);
				return -1;
			}
			t->n[open[--depth]].end = t->nn;
			continue;
		}
		if (k == '>' && !(layout && len == 7 &&
		    memcmp(nm, "content", 7) == 0) && tindex(nm, len) < 0) {
			snprintf(why, whylen, "line %zu: {{>%.*s}} names no "
			    "template", line, (int)len, nm);
			return -1;
		}
		if (k == '#' || k == '^') {
			if (depth == sizeof(open) / sizeof(open[0])) {
				snprintf(why, whylen, "line %zu: sections nested "
				    "too deep", line);
				return -1;
			}
			open[depth++] = t->nn;
		}
		t->n[t->nn++] = (struct tnode){ k == '#' ? N_SECTION :
		    k == '^' ? N_INVERT : k == '>' ? N_PARTIAL : N_VAR, nm, len,
		    0 };
	}
	if (depth > 0) {
		snprintf(why, whylen, "{{#%.*s}} is never closed",
		    (int)t->n[open[depth - 1]].len, t->n[open[depth - 1]].s);
		return -1;
	}
	return 0;
}

/* Reads dir/name (over/name first); NULL with why on error. */
static char *
slurp(const char *dir, const char *over, const char *name, size_t *len,
    char *path, size_t pathlen, char *why, size_t whylen)
{
	struct stat	 st;
	char		*s;
	ssize_t		 n;
	int		 fd = -1;

	if (over != NULL && *over != '\0') {
		snprintf(path, pathlen, "%s/%s", over, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd == -1 && errno != ENOENT) {
			snprintf(why, whylen, "%s", strerror(errno));
			return NULL;
		}
	}
	if (fd == -1) {
		snprintf(path, pathlen, "%s/%s", dir, name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(why, whylen, "%s", strerror(errno));
			return NULL;
		}
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > 256 * 1024 ||
	    (s = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(why, whylen, "not a regular file of at most 256 KiB");
		close(fd);
		return NULL;
	}
	n = read(fd, s, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size || memchr(s, '\0', (size_t)n) != NULL) {
		snprintf(why, whylen, "short read or a NUL byte");
		free(s);
		return NULL;
	}
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

static void
tset_free(struct tset *set)
{
	size_t	i;

	if (set == NULL)
		return;
	for (i = 0; i < NT; i++) {
		free(set->t[i].src);
		free(set->t[i].n);
	}
	free(set->css);
	free(set);
}

int
tmpl_load(const char *dir, const char *over, char *err, size_t errlen)
{
	struct tset	*set;
	char		 path[1024], why[160], file[64];
	size_t		 i, len;

	if ((set = calloc(1, sizeof(*set))) == NULL) {
		snprintf(err, errlen, "templates: out of memory");
		return -1;
	}
	for (i = 0; i < NT; i++) {
		snprintf(file, sizeof(file), "%s.html", names[i]);
		set->t[i].name = names[i];
		if ((set->t[i].src = slurp(dir, over, file, &len, path,
		    sizeof(path), why, sizeof(why))) == NULL ||
		    compile(&set->t[i], i == 0, why, sizeof(why)) == -1)
			goto fail;
	}
	if ((set->css = slurp(dir, over, "iam.css", &set->csslen, path,
	    sizeof(path), why, sizeof(why))) == NULL)
		goto fail;
	/* FNV-1a of the stylesheet: its version in the URL */
	{
		uint64_t	h = 14695981039346656037ULL;

		for (i = 0; i < set->csslen; i++)
			h = (h ^ (unsigned char)set->css[i]) * 1099511628211ULL;
		snprintf(set->cssv, sizeof(set->cssv), "%016llx",
		    (unsigned long long)h);
	}
	tset_free(cur);
	cur = set;
	return 0;
fail:
	snprintf(err, errlen, "template %s: %s", path, why);
	tset_free(set);
	return -1;
}

void
tmpl_free(void)
{
	tset_free(cur);
	cur = NULL;
}

const char *
tmpl_css(size_t *len)
{
	if (cur == NULL)
		return NULL;
	*len = cur->csslen;
	return cur->css;
}

const char *
tmpl_css_version(void)
{
	return cur != NULL ? cur->cssv : "";
}

static void render(struct buf *, const struct tmpl *, size_t, size_t,
    const struct tscope *, const struct tmpl *, int);

static void
render(struct buf *b, const struct tmpl *t, size_t from, size_t to,
    const struct tscope *s, const struct tmpl *page, int depth)
{
	const struct tnode	*n;
	const struct tval	*v;
	const struct tscope	*i;
	size_t			 k;
	int			 ti, on;

	for (k = from; k < to; k++) {
		n = &t->n[k];
		switch (n->kind) {
		case N_TEXT:
			buf_add(b, n->s, n->len);
			break;
		case N_VAR:
			if ((v = lookup(s, n->s, n->len)) != NULL &&
			    v->str != NULL)
				html_puts(b, v->str);
			break;
		case N_PARTIAL:
			if (depth > 4)
				break;
			ti = tindex(n->s, n->len);
			if (ti < 0)		/* {{>content}} */
				render(b, page, 0, page->nn, s, page, depth + 1);
			else
				render(b, &cur->t[ti], 0, cur->t[ti].nn, s,
				    page, depth + 1);
			break;
		case N_SECTION:
		case N_INVERT:
			v = lookup(s, n->s, n->len);
			on = v != NULL && ((v->str != NULL && *v->str != '\0') ||
			    v->first != NULL);
			if (n->kind == N_INVERT) {
				if (!on)
					render(b, t, k + 1, n->end, s, page, depth);
			} else if (on && v->first != NULL) {
				for (i = v->first; i != NULL; i = i->next)
					render(b, t, k + 1, n->end, i, page,
					    depth);
			} else if (on)
				render(b, t, k + 1, n->end, s, page, depth);
			k = n->end - 1;
			break;
		}
	}
}

int
tmpl_render(struct buf *b, const char *page, const struct tscope *s)
{
	int	i;

	if (cur == NULL || (i = tindex(page, strlen(page))) <= 0)
		return -1;
	render(b, &cur->t[0], 0, cur->t[0].nn, s, &cur->t[i], 0);
	return b->oom ? -1 : 0;
}
