/* policy/review — see review.h. */
#include "policy/review.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "k8s/jsonparse.h"

__attribute__((format(printf, 2, 3))) static int bad(mg_error *err, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mg_error_set(err, MG_EINVAL, "%s", msg);
    if (err) {
        err->http_status = 400;
        snprintf(err->reason, sizeof(err->reason), "BadRequest");
    }
    return MG_EINVAL;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

int mg_admission_review_parse(const char *body, size_t len, mg_admission_request *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    if (!body || len == 0) return bad(err, "empty body: expected an AdmissionReview");
    if (len > MG_ADMISSION_BODY_MAX) return bad(err, "body too large: the API server sends at most 3 MiB");
    json_error_t jerr;
    /* no JSON_REJECT_DUPLICATES: it costs ~20% of the parse and the API server never repeats keys */
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        char msg[200];
        snprintf(msg, sizeof(msg), "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        bad(err, "body is not valid JSON: %s", msg);
        if (err) err->code = MG_EPARSE;
        return MG_EPARSE;
    }
    return mg_admission_review_from_json(root, out, err);
}

int mg_admission_review_from_json(json_t *root, mg_admission_request *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    out->root = root;
    if (!json_is_object(root)) return bad(err, "body is not a JSON object");
    const json_t *req = json_object_get(root, "request");
    /* read the uid first so even a malformed review can be traced */
    if (json_is_object(req)) out->uid = json_string_value(json_object_get(req, "uid"));
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *apiv = json_string_value(json_object_get(root, "apiVersion"));
    if (!kind || strcmp(kind, "AdmissionReview") != 0)
        return bad(err, "kind is '%s', expected AdmissionReview", kind ? kind : "(missing)");
    if (!apiv || strcmp(apiv, MG_ADMISSION_API_VERSION) != 0)
        return bad(err, "apiVersion is '%s', expected admission.k8s.io/v1", apiv ? apiv : "(missing)");
    if (!json_is_object(req)) return bad(err, "request is missing or not an object");
    if (!out->uid || !*out->uid) return bad(err, "request.uid is missing");
    const json_t *k = json_object_get(req, "kind"), *r = json_object_get(req, "resource");
    if (!json_is_object(k) || !json_string_value(json_object_get(k, "kind")))
        return bad(err, "request.kind.kind is missing");
    if (!json_is_object(r) || !json_string_value(json_object_get(r, "resource")))
        return bad(err, "request.resource.resource is missing");
    out->kind_group = str_or(k, "group", "");
    out->kind_version = str_or(k, "version", "");
    out->kind = str_or(k, "kind", "");
    out->group = str_or(r, "group", "");
    out->version = str_or(r, "version", "");
    out->resource = str_or(r, "resource", "");
    out->subresource = str_or(req, "subResource", "");
    out->name = str_or(req, "name", "");
    out->namespace_ = str_or(req, "namespace", "");
    out->operation = str_or(req, "operation", "");
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    int op = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(out->operation, ops[i]) == 0) op = i;
    if (op < 0)
        return bad(err, "request.operation '%s' is not CREATE, UPDATE, DELETE or CONNECT", out->operation);
    out->op = (mg_admission_op)op;
    const json_t *ui = json_object_get(req, "userInfo");
    if (ui && !json_is_object(ui)) return bad(err, "request.userInfo is not an object");
    out->username = str_or(ui, "username", "");
    out->groups = json_is_array(json_object_get(ui, "groups")) ? json_object_get(ui, "groups") : NULL;
    const json_t *o = json_object_get(req, "object"), *oo = json_object_get(req, "oldObject");
    if (o && !json_is_object(o) && !json_is_null(o)) return bad(err, "request.object is not an object");
    if (oo && !json_is_object(oo) && !json_is_null(oo)) return bad(err, "request.oldObject is not an object");
    out->object = json_is_object(o) ? o : NULL;
    out->old_object = json_is_object(oo) ? oo : NULL;
    if ((out->op == MG_OP_CREATE || out->op == MG_OP_UPDATE) && !out->object)
        return bad(err, "request.object is missing for %s", out->operation);
    const json_t *dr = json_object_get(req, "dryRun");
    if (dr && !json_is_boolean(dr)) return bad(err, "request.dryRun is not a boolean");
    out->dry_run = json_is_true(dr);
    return 0;
}

void mg_admission_request_free(mg_admission_request *req) {
    if (!req) return;
    json_decref(req->root);
    memset(req, 0, sizeof(*req));
}

bool mg_admission_user_in_group(const mg_admission_request *req, const char *group) {
    size_t i;
    const json_t *g;
    if (!group) return false;
    json_array_foreach(req->groups, i, g) {
        const char *s = json_string_value(g);
        if (s && strcmp(s, group) == 0) return true;
    }
    return false;
}

void mg_admission_decision_init(mg_admission_decision *d) {
    memset(d, 0, sizeof(*d));
    d->allowed = true;
    d->rule = "default-allow";
}

void mg_admission_decision_free(mg_admission_decision *d) {
    if (!d) return;
    free(d->message);
    d->message = NULL;
    mg_strlist_free(&d->warnings);
    json_decref(d->patch);
    d->patch = NULL;
}

/* The base64 of a JSON value's compact text, as response.patch carries it. */
static json_t *base64_json(const json_t *v) {
    char *text = json_dumps(v, JSON_COMPACT);
    char *enc = mg_base64_encode(text, strlen(text));
    json_t *out = json_string(enc);
    free(enc);
    free(text);
    return out;
}

void mg_admission_decision_warn(mg_admission_decision *d, const char *fmt, ...) {
    char buf[MG_ADMISSION_WARNING_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mg_utf8_trim(buf); /* jansson refuses a cut character: the warning would vanish */
    if (d->warnings.len < MG_ADMISSION_MAX_WARNINGS) mg_strlist_push(&d->warnings, buf);
}

char *mg_admission_response_json(const char *uid, const mg_admission_decision *d) {
    json_t *resp = json_pack("{s:s, s:b}", "uid", uid ? uid : "", "allowed", d->allowed ? 1 : 0);
    if (!d->allowed || d->message) {
        json_t *st = json_object();
        if (!d->allowed) {
            json_object_set_new(st, "code", json_integer(d->code ? d->code : 403));
            json_object_set_new(st, "reason", json_string(d->reason[0] ? d->reason : "Forbidden"));
            json_object_set_new(st, "status", json_string("Failure"));
        }
        mg_json_set_str(st, "message", d->message);
        json_object_set_new(resp, "status", st);
    }
    if (d->allowed && json_array_size(d->patch) > 0) {
        json_object_set_new(resp, "patchType", json_string("JSONPatch"));
        json_object_set_new(resp, "patch", base64_json(d->patch));
    }
    if (d->warnings.len) {
        json_t *w = json_array();
        for (size_t i = 0; i < d->warnings.len && i < MG_ADMISSION_MAX_WARNINGS; i++)
            json_array_append_new(w, mg_json_bytes(d->warnings.items[i], strlen(d->warnings.items[i])));
        json_object_set_new(resp, "warnings", w);
    }
    json_t *root = json_pack("{s:s, s:s, s:o}", "apiVersion", MG_ADMISSION_API_VERSION, "kind",
                             "AdmissionReview", "response", resp);
    /* k8s/jsonparse's serializer: same compact JSON, several times faster than json_dumps on
     * the webhook's hot path. */
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED);
    char *s;
    if (mg_k8s_json_dump(root, &b) == 0) {
        s = mg_buf_steal(&b);
    } else {
        mg_buf_free(&b);
        s = json_dumps(root, JSON_COMPACT);
    }
    json_decref(root);
    return s;
}
