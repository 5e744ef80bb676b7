/*
 * html.h: the escaping writer and the page templates (http/html.c).
 *
 * Every value a page prints goes through html_puts, which escapes
 * & < > " ' (kcgi's khtml_putc): templates have no way to print a value
 * raw, so an operator who rebrands them cannot forget to escape.
 *
 * Templates are a small subset of mustache: {{name}} prints a value
 * escaped, {{#name}}...{{/name}} repeats for each item of a list or
 * shows once when the value is a non-empty string, {{^name}}...{{/name}}
 * shows when it is absent or empty, {{>name}} includes another
 * template ({{>content}} in layout.html: the page's own), {{! ...}} is
 * a comment.  Names are [A-Za-z0-9_].  The set is loaded once, before the
 * workers fork, from TEMPLATES_DIR with TEMPLATE_OVERRIDE_DIR's files
 * in place of the shipped ones of the same name, and again on SIGHUP;
 * a broken template stops the load with one line naming it.
 */
#ifndef IAM_HTML_H
#define IAM_HTML_H

#include <stddef.h>

struct arena;
struct buf;

/* Appends s with & < > " ' escaped. */
void	 html_puts(struct buf *, const char *s);

/* A scope of values a template reads; lookups fall back to up. */
struct tscope;

struct tscope	*ts_new(struct arena *, const struct tscope *up);
/* Sets name to v (copied; NULL: left absent). */
void		 ts_set(struct tscope *, const char *name, const char *v);
/* Appends an item to the list name and returns its scope (up: s). */
struct tscope	*ts_item(struct tscope *s, const char *name);

/*
 * Loads every template (and the stylesheet) from dir, each replaced by
 * the file of the same name in over when over is set and has it.  On
 * success the new set replaces the old one (0); on failure the old one
 * stays and err says which file and why (-1).
 */
int	 tmpl_load(const char *dir, const char *over, char *err,
	    size_t errlen);
/* Frees the set in force (at exit). */
void	 tmpl_free(void);
/* Renders page (e.g. "login") inside layout.html into b; 0 or -1. */
int	 tmpl_render(struct buf *, const char *page, const struct tscope *);
/* The stylesheet as loaded (NULL before a load), and its length. */
const char	*tmpl_css(size_t *len);
/* A short digest of the stylesheet, for its URL (?v=). */
const char	*tmpl_css_version(void);

#endif
