/* The split plan of keepfaith.weblog.sqlparse, compiled: one pass over a chunk of log lines.
 *
 * scan(chunk, plan) cuts each line at quotes, then unquoted parts at spaces, checks every
 * piece against its token kind and copies the wanted fields into Arrow-shaped buffers
 * (int32 offsets + bytes). It gives the same verdicts and fields as the SQL split plan for
 * every line it decides; a line it cannot decide the same way for certain (a backslash, a
 * time outside the strict shape) is marked DEFER and goes through the SQL parser instead.
 *
 * The input is untrusted: every read is bounded by the line's end, every write by a buffer
 * sized from the chunk before the scan, and the scan runs without the GIL on buffers only
 * this call holds.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { K_LIT = 0, K_WORD, K_WORD0, K_STATUS, K_BYTES, K_DIGITS, K_TIME, K_QUOTED };
enum { P_OK = 0, P_FORMAT = 1, P_REQUEST = 2, P_DEFER = 3 };
#define MAX_SEGMENTS 64
#define MAX_PIECES 64
#define MAX_FIELDS 16

typedef struct {
    const char *p;
    Py_ssize_t n;
} span;

typedef struct {
    int kind;
    int field; /* index into the plan's fields, -1 for none */
    span prefix, suffix;
    /* A pair such as vhost:port: a second token after ``sep``, whose characters (digits,
       '-') never occur in ``sep``, so the split is at the last ``sep``. kind2 0: no pair. */
    int kind2, field2;
    span sep;
} piece;

typedef struct {
    int quoted;
    int npieces;
    piece pieces[MAX_PIECES];
} segment;

typedef struct {
    int nseg;
    segment segs[MAX_SEGMENTS];
    int nfields;
    int time_field, request_field, status_field, bytes_field;
    int wanted[MAX_FIELDS]; /* fields copied out as strings */
} plan_t;

typedef struct {
    PyObject *offsets; /* bytes: int32[n + 1] */
    PyObject *data;    /* bytes, capacity = chunk length, shrunk at the end */
    int32_t *off;
    char *buf;
    int32_t used;
} column;

static int all_digits(span s) {
    if (s.n <= 0) return 0;
    for (Py_ssize_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9') return 0;
    return 1;
}

static int kind_ok(int kind, span m) {
    switch (kind) {
    case K_WORD: return m.n > 0;
    case K_STATUS: return m.n == 3 && all_digits(m);
    case K_BYTES: return all_digits(m) || (m.n == 1 && m.p[0] == '-');
    case K_DIGITS: return all_digits(m);
    default: return 1; /* WORD0, QUOTED */
    }
}

static int starts(span v, span pre) { return v.n >= pre.n && memcmp(v.p, pre.p, (size_t)pre.n) == 0; }
static int ends(span v, span suf) {
    return v.n >= suf.n && memcmp(v.p + v.n - suf.n, suf.p, (size_t)suf.n) == 0;
}
static int has(span v, char c) { return v.n > 0 && memchr(v.p, c, (size_t)v.n) != NULL; }

/* Where ``sep`` last occurs in ``v``, or NULL. */
static const char *last_of(span v, span sep) {
    for (Py_ssize_t at = v.n - sep.n; at >= 0; at--)
        if (memcmp(v.p + at, sep.p, (size_t)sep.n) == 0) return v.p + at;
    return NULL;
}

/* A piece without a time token: the checks of sqlparse._piece_sql (and of a pair). */
static int piece_ok(const piece *pc, span v, span *fields) {
    if (pc->kind == K_LIT) return v.n == pc->prefix.n && memcmp(v.p, pc->prefix.p, (size_t)v.n) == 0;
    Py_ssize_t inner = pc->prefix.n + pc->suffix.n;
    if (v.n < inner || !starts(v, pc->prefix) || !ends(v, pc->suffix)) return 0;
    span m = {v.p + pc->prefix.n, v.n - inner};
    if (pc->kind2) {
        const char *at = last_of(m, pc->sep);
        if (!at) return 0;
        span second = {at + pc->sep.n, m.p + m.n - (at + pc->sep.n)};
        m.n = at - m.p;
        if (!kind_ok(pc->kind2, second)) return 0;
        if (pc->field2 >= 0) fields[pc->field2] = second;
    }
    if (!kind_ok(pc->kind, m)) return 0;
    if (pc->field >= 0) fields[pc->field] = m;
    return 1;
}

static int64_t days_from_civil(int64_t y, int m, int d) { /* Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int num(const char *p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* "DD/Mon/YYYY:HH:MM:SS +HHMM" only, in ranges every strptime reads alike; else 0 (defer). */
static int time_fast(span t, int64_t *micros) {
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = t.p;
    if (t.n != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' ||
        p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
        return 0;
    int day = num(p, 2), year = num(p + 7, 4), hh = num(p + 12, 2), mi = num(p + 15, 2),
        ss = num(p + 18, 2), oh = num(p + 22, 2), om = num(p + 24, 2), month = 0;
    for (int i = 0; i < 12; i++)
        if (memcmp(p + 3, months + 3 * i, 3) == 0) month = i + 1;
    if (month == 0 || day < 1 || year < 1000 || hh < 0 || hh > 23 || mi < 0 || mi > 59 ||
        ss < 0 || ss > 59 || oh < 0 || oh > 14 || om < 0 || om > 59 || day > mdays[month - 1])
        return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) return 0;
    int64_t offset = (int64_t)(oh * 3600 + om * 60) * (p[21] == '-' ? -1 : 1);
    int64_t secs = days_from_civil(year, month, day) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    *micros = secs * 1000000;
    return 1;
}

/* One line: its verdict and fields. Quotes cut segments, spaces cut unquoted segments. */
static int line_scan(const plan_t *plan, span line, span *fields) {
    if (has(line, '\\')) return P_DEFER; /* the SQL parser runs the regex on these */
    const char *end = line.p + line.n;
    const char *cur = line.p;
    for (int s = 0; s < plan->nseg; s++) {
        const segment *seg = &plan->segs[s];
        const char *q = memchr(cur, '"', (size_t)(end - cur));
        const char *seg_end = q ? q : end;
        int last = s == plan->nseg - 1;
        if (!q && !last) return P_FORMAT; /* fewer quoted parts than the format has */
        span v = {cur, seg_end - cur};
        if (seg->quoted) {
            if (!piece_ok(&seg->pieces[0], v, fields)) return P_FORMAT;
        } else {
            const char *u = cur;
            int more = 1; /* a piece starts at u */
            for (int i = 0; i < seg->npieces; i++) {
                const piece *pc = &seg->pieces[i];
                int halves = pc->kind == K_TIME ? 2 : 1;
                span h[2];
                for (int k = 0; k < halves; k++) {
                    if (!more) return P_FORMAT;
                    const char *sp = memchr(u, ' ', (size_t)(seg_end - u));
                    h[k].p = u;
                    h[k].n = (sp ? sp : seg_end) - u;
                    more = sp != NULL;
                    u = sp ? sp + 1 : seg_end;
                }
                if (pc->kind == K_TIME) {
                    if (h[0].n <= pc->prefix.n || h[1].n <= pc->suffix.n || !starts(h[0], pc->prefix) ||
                        !ends(h[1], pc->suffix))
                        return P_FORMAT;
                    span head = {h[0].p + pc->prefix.n, h[0].n - pc->prefix.n};
                    span tail = {h[1].p, h[1].n - pc->suffix.n};
                    if (has(head, ']') || has(tail, ']')) return P_FORMAT;
                    if (pc->field >= 0) fields[pc->field] = (span){head.p, tail.p + tail.n - head.p};
                } else if (!piece_ok(pc, h[0], fields)) {
                    return P_FORMAT;
                }
            }
            /* Same piece count as the format; the last part may go on after a space only. */
            int line_goes_on = q != NULL;
            if (!last && more) return P_FORMAT;
            if (last && line_goes_on && !more) return P_FORMAT;
        }
        cur = q ? q + 1 : end;
    }
    return P_OK;
}

static int plan_read(PyObject *obj, plan_t *plan) {
    /* (segments, nfields, time, request, status, bytes, wanted); segment = (quoted, pieces);
       piece = (kind, field, prefix bytes, suffix bytes). The bytes stay alive in ``obj``. */
    PyObject *segs;
    PyObject *wanted;
    memset(plan, 0, sizeof(*plan));
    if (!PyArg_ParseTuple(obj, "O!iiiiiO!", &PyTuple_Type, &segs, &plan->nfields, &plan->time_field,
                          &plan->request_field, &plan->status_field, &plan->bytes_field,
                          &PyTuple_Type, &wanted))
        return 0;
    plan->nseg = (int)PyTuple_GET_SIZE(segs);
    if (plan->nseg < 1 || plan->nseg > MAX_SEGMENTS || plan->nfields > MAX_FIELDS ||
        PyTuple_GET_SIZE(wanted) != plan->nfields) {
        PyErr_SetString(PyExc_ValueError, "plan too large");
        return 0;
    }
    for (int f = 0; f < plan->nfields; f++) plan->wanted[f] = PyObject_IsTrue(PyTuple_GET_ITEM(wanted, f));
    for (int s = 0; s < plan->nseg; s++) {
        PyObject *pieces;
        segment *seg = &plan->segs[s];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(segs, s), "pO!", &seg->quoted, &PyTuple_Type, &pieces))
            return 0;
        seg->npieces = (int)PyTuple_GET_SIZE(pieces);
        if (seg->npieces < 1 || seg->npieces > MAX_PIECES || (seg->quoted && seg->npieces != 1)) {
            PyErr_SetString(PyExc_ValueError, "bad segment");
            return 0;
        }
        for (int i = 0; i < seg->npieces; i++) {
            piece *pc = &seg->pieces[i];
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(pieces, i), "iiy#y#iiy#", &pc->kind, &pc->field,
                                  &pc->prefix.p, &pc->prefix.n, &pc->suffix.p, &pc->suffix.n,
                                  &pc->kind2, &pc->field2, &pc->sep.p, &pc->sep.n))
                return 0;
            int pair_ok = pc->kind2 == 0 ||
                          (pc->sep.n > 0 && pc->kind != K_TIME && pc->kind != K_LIT &&
                           (pc->kind2 == K_STATUS || pc->kind2 == K_BYTES || pc->kind2 == K_DIGITS) &&
                           pc->field2 >= -1 && pc->field2 < plan->nfields);
            if (pc->kind < K_LIT || pc->kind > K_QUOTED || pc->field < -1 || pc->field >= plan->nfields ||
                (pc->kind == K_TIME && seg->quoted) || !pair_ok) {
                PyErr_SetString(PyExc_ValueError, "bad piece");
                return 0;
            }
        }
    }
    return 1;
}

static int column_new(column *c, Py_ssize_t nlines, Py_ssize_t cap) {
    c->offsets = PyBytes_FromStringAndSize(NULL, (nlines + 1) * (Py_ssize_t)sizeof(int32_t));
    c->data = PyBytes_FromStringAndSize(NULL, cap > 0 ? cap : 1);
    if (!c->offsets || !c->data) return 0;
    c->off = (int32_t *)PyBytes_AS_STRING(c->offsets);
    c->buf = PyBytes_AS_STRING(c->data);
    c->off[0] = 0;
    c->used = 0;
    return 1;
}

static void column_put(column *c, Py_ssize_t row, span v) {
    if (v.n > 0) memcpy(c->buf + c->used, v.p, (size_t)v.n);
    c->used += (int32_t)v.n;
    c->off[row + 1] = c->used;
}

static int64_t digits_value(span v, int64_t limit, int *ok) {
    int64_t x = 0;
    *ok = all_digits(v);
    for (Py_ssize_t i = 0; *ok && i < v.n; i++) {
        int d = v.p[i] - '0';
        if (x > (limit - d) / 10) *ok = 0;
        else x = x * 10 + d;
    }
    return *ok ? x : 0;
}

#define SET_BIT(bits, i) ((bits)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer chunk;
    PyObject *plan_obj;
    plan_t plan;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*O!", &chunk, &PyTuple_Type, &plan_obj)) return NULL;
    PyObject *result = NULL, *columns = NULL;
    PyObject *problems = NULL, *lines = NULL, *ts = NULL, *ok_bits = NULL, *status = NULL,
             *sizes = NULL, *size_bits = NULL;
    column cols[MAX_FIELDS + 2];
    int ncols = 0;
    memset(cols, 0, sizeof(cols));
    const char *data = chunk.buf;
    Py_ssize_t len = chunk.len;
    if (len >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "chunk too large for 32-bit offsets");
        goto done;
    }
    if (!plan_read(plan_obj, &plan)) goto done;
    Py_ssize_t n = 0;
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + len - p))) != NULL; p++) n++;
    Py_ssize_t nbits = (n + 7) / 8;
    problems = PyBytes_FromStringAndSize(NULL, n > 0 ? n : 1);
    lines = PyBytes_FromStringAndSize(NULL, (n + 1) * (Py_ssize_t)sizeof(int32_t));
    ts = PyBytes_FromStringAndSize(NULL, (n > 0 ? n : 1) * (Py_ssize_t)sizeof(int64_t));
    ok_bits = PyBytes_FromStringAndSize(NULL, nbits > 0 ? nbits : 1);
    status = PyBytes_FromStringAndSize(NULL, (n > 0 ? n : 1) * (Py_ssize_t)sizeof(int16_t));
    sizes = PyBytes_FromStringAndSize(NULL, (n > 0 ? n : 1) * (Py_ssize_t)sizeof(int64_t));
    size_bits = PyBytes_FromStringAndSize(NULL, nbits > 0 ? nbits : 1);
    if (!problems || !lines || !ts || !ok_bits || !status || !sizes || !size_bits) goto done;
    /* Columns: the wanted fields in plan order, then method and target. */
    int col_of[MAX_FIELDS];
    for (int f = 0; f < plan.nfields; f++) {
        col_of[f] = -1;
        if (plan.wanted[f]) {
            if (!column_new(&cols[ncols], n, len)) goto done;
            col_of[f] = ncols++;
        }
    }
    int method_col = ncols, target_col = ncols + 1;
    for (int k = 0; k < 2; k++)
        if (!column_new(&cols[ncols++], n, plan.request_field >= 0 ? len : 0)) goto done;
    uint8_t *prob = (uint8_t *)PyBytes_AS_STRING(problems);
    int32_t *starts_at = (int32_t *)PyBytes_AS_STRING(lines);
    int64_t *tsv = (int64_t *)PyBytes_AS_STRING(ts);
    uint8_t *okb = (uint8_t *)PyBytes_AS_STRING(ok_bits);
    int16_t *stv = (int16_t *)PyBytes_AS_STRING(status);
    int64_t *szv = (int64_t *)PyBytes_AS_STRING(sizes);
    uint8_t *szb = (uint8_t *)PyBytes_AS_STRING(size_bits);
    memset(okb, 0, (size_t)(nbits > 0 ? nbits : 1));
    memset(szb, 0, (size_t)(nbits > 0 ? nbits : 1));
    Py_BEGIN_ALLOW_THREADS
    const char *p = data;
    span fields[MAX_FIELDS];
    static const span empty = {"", 0};
    for (Py_ssize_t row = 0; row < n; row++) {
        const char *nl = memchr(p, '\n', (size_t)(data + len - p));
        span line = {p, nl - p};
        starts_at[row] = (int32_t)(p - data);
        for (int f = 0; f < plan.nfields; f++) fields[f] = empty;
        int verdict = line_scan(&plan, line, fields);
        span method = empty, target = empty;
        tsv[row] = 0;
        stv[row] = 0;
        szv[row] = 0;
        if (verdict == P_OK && !time_fast(fields[plan.time_field], &tsv[row])) verdict = P_DEFER;
        if (verdict == P_OK) {
            span req = fields[plan.request_field];
            const char *sp1 = memchr(req.p, ' ', (size_t)req.n);
            method = (span){req.p, (sp1 ? sp1 : req.p + req.n) - req.p};
            if (sp1) {
                const char *rest = sp1 + 1, *req_end = req.p + req.n;
                const char *sp2 = memchr(rest, ' ', (size_t)(req_end - rest));
                target = (span){rest, (sp2 ? sp2 : req_end) - rest};
            }
            int letters = method.n > 0;
            for (Py_ssize_t i = 0; letters && i < method.n; i++) {
                char c = method.p[i];
                letters = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            }
            if (target.n == 0 || !letters) verdict = P_REQUEST;
        }
        prob[row] = (uint8_t)verdict;
        if (verdict == P_OK) {
            int ok;
            SET_BIT(okb, row);
            stv[row] = (int16_t)digits_value(fields[plan.status_field], INT16_MAX, &ok);
            if (plan.bytes_field >= 0) {
                szv[row] = digits_value(fields[plan.bytes_field], INT64_MAX, &ok);
                if (ok) SET_BIT(szb, row);
            }
        } else {
            method = target = empty;
            for (int f = 0; f < plan.nfields; f++) fields[f] = empty;
        }
        for (int f = 0; f < plan.nfields; f++)
            if (col_of[f] >= 0) column_put(&cols[col_of[f]], row, fields[f]);
        column_put(&cols[method_col], row, method);
        column_put(&cols[target_col], row, target);
        p = nl + 1;
    }
    starts_at[n] = (int32_t)len;
    Py_END_ALLOW_THREADS
    columns = PyList_New(ncols);
    if (!columns) goto done;
    for (int c = 0; c < ncols; c++) {
        if (_PyBytes_Resize(&cols[c].data, cols[c].used) < 0) goto done;
        PyList_SET_ITEM(columns, c, Py_BuildValue("(OO)", cols[c].offsets, cols[c].data));
        if (!PyList_GET_ITEM(columns, c)) goto done;
    }
    result = Py_BuildValue("(nOOOOOOOO)", n, problems, lines, ts, ok_bits, status, sizes, size_bits,
                           columns);
done:
    for (int c = 0; c < MAX_FIELDS + 2; c++) {
        Py_XDECREF(cols[c].offsets);
        Py_XDECREF(cols[c].data);
    }
    Py_XDECREF(columns);
    Py_XDECREF(problems);
    Py_XDECREF(lines);
    Py_XDECREF(ts);
    Py_XDECREF(ok_bits);
    Py_XDECREF(status);
    Py_XDECREF(sizes);
    Py_XDECREF(size_bits);
    PyBuffer_Release(&chunk);
    return result;
}

/* Visitor pseudonyms: HMAC-SHA256 (RFC 2104 over FIPS 180-4), first 8 bytes, big-endian.
 *
 * pseudonyms(keys, which, offsets, data) computes, for each message i (data[offsets[i] :
 * offsets[i + 1]], Arrow binary layout: int32 offsets), the HMAC under keys[which[i]]. The
 * inputs are checked before the work; the work runs without the GIL, so the ingest's workers
 * use every core. keepfaith.weblog.privacy.visitor_pseudonym (Python's hmac) is the reference
 * it is tested against. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

typedef struct {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t used;
} sha256;

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6],
                    k = h[7];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] +
                      w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_init(sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->bytes = 0;
    s->used = 0;
}

static void sha256_update(sha256 *s, const uint8_t *p, size_t n) {
    s->bytes += n;
    if (s->used) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->buf + s->used, p, take);
        s->used += take, p += take, n -= take;
        if (s->used < 64) return;
        sha256_block(s->h, s->buf);
        s->used = 0;
    }
    for (; n >= 64; p += 64, n -= 64) sha256_block(s->h, p);
    memcpy(s->buf, p, n);
    s->used = n;
}

static void sha256_final(sha256 *s, uint8_t out[32]) {
    uint64_t bits = s->bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t padn = (s->used < 56 ? 56 : 120) - s->used;
    for (int i = 0; i < 8; i++) pad[padn + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, pad, padn + 8);
    for (int i = 0; i < 8; i++)
        out[4 * i] = (uint8_t)(s->h[i] >> 24), out[4 * i + 1] = (uint8_t)(s->h[i] >> 16),
                out[4 * i + 2] = (uint8_t)(s->h[i] >> 8), out[4 * i + 3] = (uint8_t)s->h[i];
}

typedef struct {
    sha256 inner, outer; /* the states after the key's padded block */
} hmac_key;

static void hmac_key_set(hmac_key *k, const uint8_t *key, size_t n) {
    uint8_t block[64] = {0}, ipad[64], opad[64];
    if (n > 64) {
        sha256 s;
        sha256_init(&s);
        sha256_update(&s, key, n);
        sha256_final(&s, block);
    } else {
        memcpy(block, key, n);
    }
    for (int i = 0; i < 64; i++) ipad[i] = block[i] ^ 0x36, opad[i] = block[i] ^ 0x5c;
    sha256_init(&k->inner);
    sha256_update(&k->inner, ipad, 64);
    sha256_init(&k->outer);
    sha256_update(&k->outer, opad, 64);
}

static PyObject *pseudonyms(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *keys, *result = NULL;
    Py_buffer which = {0}, offsets = {0}, data = {0};
    hmac_key *ks = NULL;
    if (!PyArg_ParseTuple(args, "O!y*y*y*", &PyTuple_Type, &keys, &which, &offsets, &data))
        return NULL;
    Py_ssize_t nkeys = PyTuple_GET_SIZE(keys), n = which.len / 4;
    if (which.len % 4 || offsets.len < 4 * (n + 1)) {
        PyErr_SetString(PyExc_ValueError, "pseudonyms: one key index per message and n + 1 offsets");
        goto done;
    }
    if ((size_t)nkeys > SIZE_MAX / sizeof(hmac_key) - 1) {
        PyErr_NoMemory();
        goto done;
    }
    ks = PyMem_Malloc(sizeof(hmac_key) * (size_t)(nkeys ? nkeys : 1));
    if (!ks) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < nkeys; k++) {
        PyObject *key = PyTuple_GET_ITEM(keys, k);
        if (!PyBytes_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "pseudonyms: each key is bytes");
            goto done;
        }
        hmac_key_set(&ks[k], (const uint8_t *)PyBytes_AS_STRING(key),
                     (size_t)PyBytes_GET_SIZE(key));
    }
    result = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!result) goto done;
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(result);
    const uint8_t *wb = which.buf, *ob = offsets.buf, *bytes = data.buf;
    Py_ssize_t bad = -1;
    /* Each index and offset is read once into a local and checked there, inside the loop: a
       writable buffer changed by another thread meanwhile can give a wrong answer (refused
       below), never a read outside the keys or the data. memcpy: no alignment assumed. */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t w, from, to;
        memcpy(&w, wb + 4 * i, 4);
        memcpy(&from, ob + 4 * i, 4);
        memcpy(&to, ob + 4 * (i + 1), 4);
        if (w < 0 || w >= nkeys || from < 0 || from > to || to > data.len) {
            bad = i;
            break;
        }
        uint8_t digest[32];
        sha256 s = ks[w].inner;
        sha256_update(&s, bytes + from, (size_t)(to - from));
        sha256_final(&s, digest);
        sha256 o = ks[w].outer;
        sha256_update(&o, digest, 32);
        sha256_final(&o, digest);
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) v = v << 8 | digest[b];
        out[i] = v;
    }
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "pseudonyms: message %zd: key index or offset out of range",
                     bad);
        Py_CLEAR(result);
    }
done:
    PyMem_Free(ks);
    PyBuffer_Release(&which);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "scan(chunk, plan) -> (n, problems, line starts, ts, ...)"},
    {"pseudonyms", pseudonyms, METH_VARARGS,
     "pseudonyms(keys, which, offsets, data) -> uint64[n]: HMAC-SHA256 under keys[which[i]]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_linescan", .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC PyInit__linescan(void) { return PyModule_Create(&module); }
