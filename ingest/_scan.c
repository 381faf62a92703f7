/* The epoch records of a training log, for pure-ASCII text: a compiled form of
 * `ingest.train_log._epoch_records` followed by `_columns`' conversion of values to floats, the
 * train accuracy to percent and the timestamps to microseconds, packed into the rows that
 * `ingest.records.EpochRows` describes (so that no Python object is made per value).
 *
 * Why: at full scale this loop runs 1.5 million times and was the largest share of an ingest's CPU.
 * The Python functions stay the reference: `epoch_rows` returns None whenever it meets anything
 * it does not handle exactly as they do (text that is not ASCII, a value that is not a plain decimal
 * number, a train accuracy whose percent it cannot round as Python does), and the caller then runs
 * the Python path. tests/test_epochs_compiled.py holds the two to byte-identical rows.
 *
 * Every pattern of the Python side (`_MARK`, `_STEP_TAIL`, `_EVAL`) is a fixed sequence of parts
 * with possessive optional tails, so it has exactly one way to match; below, each part is a small
 * function that advances a position or fails, bounded by the end of the epoch's piece of text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_VALUES 15 /* lr, train_loss, train_acc, val_loss, val_acc, 5 x PGD-20, 5 x CW-40 */
#define ROW_WORDS (3 + N_VALUES) /* a row of ingest.records.EpochRows: epoch, started_at, segment, values */
#define NULL_TIME INT64_MIN /* records.NULL_TIME: no valid timestamp */
#define NULL_VALUE_BITS 0x7FF80000DEADBEEFULL /* records.NULL_VALUE_BITS: no value (a NaN no parse makes) */
#define TRAIN_ACC 2 /* the value index of acc_avg, stored in percent */

static const char MARK[] = "====================Training Epoch ";
#define MARK_LEN (sizeof(MARK) - 1)
static const char STEP[] = "\tacc_avg=";
#define STEP_LEN (sizeof(STEP) - 1)
static const char EVAL[] = "Eval Epoch ";
#define EVAL_LEN (sizeof(EVAL) - 1)

typedef struct {
    long long epoch;
    Py_ssize_t index; /* position in the text, among the records */
    Py_ssize_t stamp; /* offset of the 23-character timestamp before the marker, or -1 */
    Py_ssize_t segment;
    Py_ssize_t token[N_VALUES][2]; /* [start, end) of each value's text; start -1 when absent */
} Record;

typedef struct {
    const char *s;
    Py_ssize_t end; /* the end of the current piece: nothing at or after it is read */
} Piece;

static Py_ssize_t find(const char *s, Py_ssize_t from, Py_ssize_t to, const char *needle, size_t len)
{
    if (from < 0 || to - from < (Py_ssize_t)len)
        return -1;
    const char *hit = memmem(s + from, (size_t)(to - from), needle, len);
    return hit ? hit - s : -1;
}

static Py_ssize_t rfind(const char *s, Py_ssize_t from, Py_ssize_t to, const char *needle, size_t len)
{
    for (Py_ssize_t i = to - (Py_ssize_t)len; i >= from; i--) {
        const char *hit = memrchr(s + from, needle[0], (size_t)(i - from + 1));
        if (!hit)
            return -1;
        i = hit - s;
        if (memcmp(hit, needle, len) == 0)
            return i;
    }
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

#define MAX_EPOCH 2147483647LL /* train_log.MAX_EPOCH */

/* The digits s[from:to] as an epoch number (`train_log._epoch_number`), -1 when above MAX_EPOCH */
static long long epoch_number(const char *s, Py_ssize_t from, Py_ssize_t to)
{
    while (from < to - 1 && s[from] == '0')
        from++;
    if (to - from > 10)
        return -1;
    long long number = 0;
    for (Py_ssize_t k = from; k < to; k++)
        number = number * 10 + (s[k] - '0');
    return number <= MAX_EPOCH ? number : -1;
}

/* `[-+.\w]`, for ASCII text */
static int is_value_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '+' || c == '.';
}

/* a literal */
static int lit(const Piece *p, Py_ssize_t *pos, const char *text)
{
    size_t len = strlen(text);
    if (p->end - *pos < (Py_ssize_t)len || memcmp(p->s + *pos, text, len) != 0)
        return 0;
    *pos += (Py_ssize_t)len;
    return 1;
}

/* `[^\n]{23} `: a continuation record's timestamp */
static int line_start(const Piece *p, Py_ssize_t *pos)
{
    if (p->end - *pos < 24 || p->s[*pos + 23] != ' ' || memchr(p->s + *pos, '\n', 23) != NULL)
        return 0;
    *pos += 24;
    return 1;
}

/* `[ \t]*\n` */
static int line_end(const Piece *p, Py_ssize_t *pos)
{
    Py_ssize_t i = *pos;
    while (i < p->end && (p->s[i] == ' ' || p->s[i] == '\t'))
        i++;
    if (i >= p->end || p->s[i] != '\n')
        return 0;
    *pos = i + 1;
    return 1;
}

/* `[^\n]*\n` */
static int rest_of_line(const Piece *p, Py_ssize_t *pos)
{
    const char *nl = memchr(p->s + *pos, '\n', (size_t)(p->end - *pos));
    if (!nl)
        return 0;
    *pos = nl - p->s + 1;
    return 1;
}

/* `\d+` (with `dot`, `[\d.]+`) */
static int digits(const Piece *p, Py_ssize_t *pos, int dot)
{
    Py_ssize_t i = *pos;
    while (i < p->end && (is_digit(p->s[i]) || (dot && p->s[i] == '.')))
        i++;
    if (i == *pos)
        return 0;
    *pos = i;
    return 1;
}

/* `([-+.\w]+)`, its span into `token` */
static int value(const Piece *p, Py_ssize_t *pos, Py_ssize_t token[2])
{
    Py_ssize_t i = *pos;
    while (i < p->end && is_value_char(p->s[i]))
        i++;
    if (i == *pos)
        return 0;
    token[0] = *pos;
    token[1] = i;
    *pos = i;
    return 1;
}

/* `\d+/\d+` */
static int count(const Piece *p, Py_ssize_t *pos)
{
    return digits(p, pos, 0) && lit(p, pos, "/") && digits(p, pos, 0);
}

/* train_log._attack_block(name, best): five values into `out`, all or none */
static int attack_block(const Piece *p, Py_ssize_t *pos, const char *name, const char *best, Py_ssize_t out[5][2])
{
    Py_ssize_t i = *pos, t[5][2];
    if (!(line_start(p, &i) && lit(p, &i, "---- ") && lit(p, &i, name) && lit(p, &i, " attacking results ----") && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, "Natural Correct Count: ") && count(p, &i) && lit(p, &i, " Acc: ") && value(p, &i, t[0]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, name) && lit(p, &i, " Correct Count: ") && count(p, &i) && lit(p, &i, " Acc: ") && value(p, &i, t[1]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, name) && lit(p, &i, " with ") && digits(p, &i, 1) && lit(p, &i, " steps Loss Avg: ") && value(p, &i, t[2]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, "LIP Avg: ") && value(p, &i, t[3]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, "Stable Count: ") && count(p, &i) && lit(p, &i, " StableAcc: ") && value(p, &i, t[4]) && line_end(p, &i)))
        return 0;
    Py_ssize_t j = i; /* `(?:<line>Best <best> accuracy: [^\n]*\n)?+` */
    if (line_start(p, &j) && lit(p, &j, "Best ") && lit(p, &j, best) && lit(p, &j, " accuracy: ") && rest_of_line(p, &j))
        i = j;
    memcpy(out, t, sizeof(t));
    *pos = i;
    return 1;
}

/* `_STEP_TAIL` at `pos`: acc_avg, loss_avg and lr into tokens 2, 1 and 0 */
static void step_tail(const Piece *p, Py_ssize_t pos, Record *r)
{
    Py_ssize_t i = pos + (Py_ssize_t)STEP_LEN, t[3][2];
    if (!value(p, &i, t[0]) || !lit(p, &i, "\tloss="))
        return;
    while (i < p->end && p->s[i] != '\t' && p->s[i] != '\n')
        i++;
    if (lit(p, &i, "\tloss_avg=") && value(p, &i, t[1]) && lit(p, &i, "\tlr=") && value(p, &i, t[2]) && lit(p, &i, "\t|gn|=")) {
        memcpy(r->token[0], t[2], sizeof(t[2]));
        memcpy(r->token[1], t[1], sizeof(t[1]));
        memcpy(r->token[2], t[0], sizeof(t[0]));
    }
}

/* `_EVAL` at `pos`: 1 and the section's epoch number (-1 when larger than MAX_EPOCH), 0 when it
 * does not match */
static int eval_section(const Piece *p, Py_ssize_t pos, Record *r, long long *epoch)
{
    Py_ssize_t i = pos + (Py_ssize_t)EVAL_LEN, first = i;
    if (!digits(p, &i, 0))
        return 0;
    long long number = epoch_number(p->s, first, i);
    for (int k = 0; k < 20; k++)
        if (!lit(p, &i, "="))
            return 0;
    if (!line_end(p, &i))
        return 0;
    *epoch = number;
    for (;;) { /* `(?:<line>epoch=[^\n]*\n)*+` */
        Py_ssize_t j = i;
        if (!(line_start(p, &j) && lit(p, &j, "epoch=") && rest_of_line(p, &j)))
            break;
        i = j;
    }
    Py_ssize_t t[2][2];
    if (!(line_start(p, &i) && lit(p, &i, "Eval Loss:") && value(p, &i, t[0]) && lit(p, &i, "\tEval acc: ") && value(p, &i, t[1]) && line_end(p, &i)))
        return 1;
    memcpy(r->token[3], t, sizeof(t));
    if (attack_block(p, &i, "PGD", "PGD-20", r->token + 5))
        attack_block(p, &i, "PGD-CW", "PGDCW-40", r->token + 10);
    return 1;
}

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* `[+-]?digits[.digits]` (at least one digit) split into sign, significant digits and decimals;
 * 0 for any other text */
typedef struct {
    int negative;
    int significant; /* digits from the first non-zero one */
    Py_ssize_t decimals;
    uint64_t mantissa; /* the first 18 significant digits */
} Decimal;

static int decimal(const char *s, Py_ssize_t n, Decimal *d)
{
    Py_ssize_t i = 0, ndigits = 0;
    d->negative = 0;
    d->significant = 0;
    d->decimals = -1;
    d->mantissa = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->negative = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (d->decimals >= 0)
                return 0;
            d->decimals = 0;
            continue;
        }
        if (!is_digit(c))
            return 0;
        ndigits++;
        if (d->decimals >= 0)
            d->decimals++;
        if (d->mantissa || c != '0')
            d->significant++;
        if (d->significant <= 18)
            d->mantissa = d->mantissa * 10 + (uint64_t)(c - '0');
    }
    if (d->decimals < 0)
        d->decimals = 0;
    return ndigits > 0;
}

/* A value as `float()` reads it: 1 with `*out` set, 0 when the text is not a plain decimal number
 * (the Python path decides), -1 with an exception set. Up to 15 significant digits and 22 decimals,
 * mantissa / 10^k is exact in both operands and rounded once, so it equals the correctly rounded
 * `float()`; longer numbers go through Python's own conversion. Needs the GIL. */
static int number(const char *s, Py_ssize_t n, double *out)
{
    Decimal d;
    if (!decimal(s, n, &d))
        return 0;
    if (d.significant <= 15 && d.decimals <= 22) {
        double x = (double)d.mantissa / POW10[d.decimals];
        *out = d.negative ? -x : x;
        return 1;
    }
    char *text = PyMem_Malloc((size_t)n + 1);
    if (!text) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(text, s, (size_t)n);
    text[n] = '\0';
    double x = PyOS_string_to_double(text, NULL, NULL);
    PyMem_Free(text);
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    *out = x;
    return 1;
}

/* `acc_avg` in percent as `round(float(text) * 100.0, 10)` gives it: 1 with `*out` set, 0 to decline.
 * For |value| < 100 with up to 15 significant digits and 12 decimals, float(text) * 100 lies within
 * 3e-12 of the decimal D = text shifted two places, and D has at most 10 decimals, so rounding to 10
 * decimals gives D back and `round` returns the double nearest D: what mantissa / 10^(decimals - 2)
 * (or mantissa * 10^(2 - decimals)) computes with one rounding. */
static int percent(const char *s, Py_ssize_t n, double *out)
{
    Decimal d;
    if (!decimal(s, n, &d) || d.significant > 15 || d.decimals > 12)
        return 0;
    double x = d.decimals >= 2 ? (double)d.mantissa / POW10[d.decimals - 2] : (double)d.mantissa * POW10[2 - d.decimals];
    if (!(x < 1e4))
        return 0;
    *out = d.negative ? -x : x;
    return 1;
}

/* `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}` (logrecords.TS) at t, for ASCII text */
static int is_timestamp(const char *t)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd,ddd";
    for (int k = 0; k < 23; k++)
        if (shape[k] == 'd' ? !is_digit(t[k]) : t[k] != shape[k])
            return 0;
    return 1;
}

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* `YYYY-MM-DD HH:MM:SS,mmm` as microseconds since 1970, or NULL_TIME when it is not a valid
 * date and time (what `logrecords.timestamp_us` decides in Python) */
static long long stamp_us(const char *t)
{
    if (!is_timestamp(t))
        return NULL_TIME;
#define NUM2(k) ((t[k] - '0') * 10 + (t[k + 1] - '0'))
    long year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + NUM2(2);
    long month = NUM2(5), day = NUM2(8), hour = NUM2(11), minute = NUM2(14), second = NUM2(17);
    long milli = (t[20] - '0') * 100 + NUM2(21);
#undef NUM2
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
        return NULL_TIME;
    if (day > days_in[month - 1] + (month == 2 && leap(year)))
        return NULL_TIME;
    long long days = days_from_civil(year, month, day);
    return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000 + milli) * 1000LL;
}

static int by_epoch(const void *a, const void *b)
{
    const Record *x = a, *y = b;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Scan the text into records; 0 on success, -1 on a memory error. */
static int scan(const char *s, Py_ssize_t n, const Py_ssize_t *headers, Py_ssize_t n_headers,
                Record **out, Py_ssize_t *n_out)
{
    Py_ssize_t cap = 128, used = 0, previous_start = 0;
    Record *records = malloc(sizeof(Record) * (size_t)cap);
    if (!records)
        return -1;
    Py_ssize_t marker = find(s, 0, n, MARK, MARK_LEN);
    while (marker >= 0) {
        Py_ssize_t start = marker + (Py_ssize_t)MARK_LEN;
        Py_ssize_t following = find(s, start, n, MARK, MARK_LEN);
        Py_ssize_t end = following >= 0 ? following : n;
        const char *eq = memchr(s + start, '=', (size_t)(end - start));
        Py_ssize_t equals = eq ? eq - s : -1;
        int ok = equals > start;
        for (Py_ssize_t k = start; ok && k < equals; k++)
            ok = is_digit(s[k]);
        if (ok) {
            long long epoch = epoch_number(s, start, equals);
            if (epoch < 0) { /* too large: not a marker */
                previous_start = start;
                marker = following;
                continue;
            }
            if (used == cap) {
                Record *bigger = realloc(records, sizeof(Record) * (size_t)(cap *= 2));
                if (!bigger) {
                    free(records);
                    return -1;
                }
                records = bigger;
            }
            Record *r = &records[used++];
            r->epoch = epoch;
            r->index = used - 1;
            r->stamp = -1;
            if (marker - 24 >= previous_start) {
                const char *t = s + marker - 24;
                if (t[4] == '-' && t[19] == ',' && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]))
                    r->stamp = marker - 24;
            }
            Py_ssize_t after = 0; /* bisect_right(headers, start) */
            while (after < n_headers && headers[after] <= start)
                after++;
            r->segment = after > 0 ? after - 1 : 0;
            for (int k = 0; k < N_VALUES; k++)
                r->token[k][0] = -1;
            Piece piece = {s, end};
            Py_ssize_t step = rfind(s, start, end, STEP, STEP_LEN);
            if (step >= 0)
                step_tail(&piece, step, r);
            Py_ssize_t section = find(s, start, end, EVAL, EVAL_LEN);
            if (section >= 0) {
                Record trial = *r;
                long long evaluated = -1;
                if (eval_section(&piece, section, &trial, &evaluated) && evaluated == r->epoch)
                    *r = trial;
            }
        }
        previous_start = start;
        marker = following;
    }
    *out = records;
    *n_out = used;
    return 0;
}

static PyObject *epoch_rows(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *header_list;
    if (!PyArg_ParseTuple(args, "UO!:epoch_rows", &text, &PyList_Type, &header_list))
        return NULL;
    if (!PyUnicode_IS_ASCII(text))
        Py_RETURN_NONE;
    const char *s = (const char *)PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    Py_ssize_t n_headers = PyList_GET_SIZE(header_list);
    Py_ssize_t *headers = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n_headers + 1));
    if (!headers)
        return PyErr_NoMemory();
    for (Py_ssize_t k = 0; k < n_headers; k++) {
        headers[k] = PyLong_AsSsize_t(PyList_GET_ITEM(header_list, k));
        if (headers[k] == -1 && PyErr_Occurred()) {
            PyMem_Free(headers);
            return NULL;
        }
    }
    if (n_headers == 1)
        headers[0] = -1; /* one segment: every epoch is in segment 0 */

    Record *records = NULL;
    Py_ssize_t used = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = scan(s, n, headers, n_headers, &records, &used);
    Py_END_ALLOW_THREADS
    PyMem_Free(headers);
    if (status < 0)
        return PyErr_NoMemory();

    /* by epoch; an epoch logged twice (a resumed run) keeps its later record */
    int in_order = 1;
    for (Py_ssize_t k = 1; k < used && in_order; k++)
        in_order = records[k].epoch > records[k - 1].epoch;
    Py_ssize_t kept = used;
    if (!in_order) {
        qsort(records, (size_t)used, sizeof(Record), by_epoch);
        kept = 0;
        for (Py_ssize_t k = 0; k < used; k++) {
            if (k + 1 < used && records[k + 1].epoch == records[k].epoch)
                continue;
            records[kept++] = records[k];
        }
    }

    PyObject *result = NULL;
    PyObject *data = PyBytes_FromStringAndSize(NULL, kept * ROW_WORDS * 8);
    if (!data)
        goto done;
    char *out = PyBytes_AS_STRING(data);
    const uint64_t null_bits = NULL_VALUE_BITS;
    for (Py_ssize_t k = 0; k < kept; k++, out += ROW_WORDS * 8) {
        Record *r = &records[k];
        int64_t words[3] = {r->epoch, r->stamp >= 0 ? stamp_us(s + r->stamp) : NULL_TIME, r->segment};
        memcpy(out, words, sizeof(words));
        for (int v = 0; v < N_VALUES; v++) {
            char *slot = out + (3 + v) * 8;
            if (r->token[v][0] < 0) {
                memcpy(slot, &null_bits, 8);
                continue;
            }
            const char *token = s + r->token[v][0];
            Py_ssize_t length = r->token[v][1] - r->token[v][0];
            double x;
            int got = v == TRAIN_ACC ? percent(token, length, &x) : number(token, length, &x);
            if (got <= 0) { /* 0: not a form handled here, the Python path decides */
                Py_CLEAR(data);
                if (got == 0)
                    result = Py_NewRef(Py_None);
                goto done;
            }
            memcpy(slot, &x, 8);
        }
    }
    result = Py_BuildValue("(nN)", kept, data);
done:
    free(records);
    return result;
}

/* `train_log._header_starts` for ASCII text: offsets of the `Namespace(` records (a timestamp and a
 * space before). Found by `memchr` for `(`, which a training log has only in its headers: a scan at
 * memory speed instead of a substring search through every epoch. None for text that is not ASCII. */
static PyObject *header_starts(PyObject *module, PyObject *arg)
{
    (void)module;
    static const char NAMESPACE[] = "Namespace";
    const Py_ssize_t name_len = (Py_ssize_t)sizeof(NAMESPACE) - 1;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "header_starts() needs a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(arg))
        Py_RETURN_NONE;
    const char *s = (const char *)PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    PyObject *starts = PyList_New(0);
    if (!starts)
        return NULL;
    const char *at = s;
    while ((at = memchr(at, '(', (size_t)(s + n - at))) != NULL) {
        Py_ssize_t pos = at - s - name_len; /* where `Namespace(` would start */
        at++;
        if (pos < 24 || memcmp(s + pos, NAMESPACE, (size_t)name_len) != 0 || !is_timestamp(s + pos - 24))
            continue;
        PyObject *offset = PyLong_FromSsize_t(pos);
        if (!offset || PyList_Append(starts, offset) < 0) {
            Py_XDECREF(offset);
            Py_DECREF(starts);
            return NULL;
        }
        Py_DECREF(offset);
    }
    return starts;
}

/* Python's str.isspace() for an ASCII character: what `str.rstrip()` removes */
static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

static int is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

/* `logrecords.header_values` over text[start:stop] for ASCII text: each record
 * `^<timestamp> (<key>)(?:: | = )(<value>)` (key `[A-Za-z_][\w ]*?`, value the rest of the line) whose
 * value does not start with `Config(` is added to `values` with setdefault and its value rstripped.
 * Returns True, or False (nothing added) when the text is not ASCII and the regex must decide. */
static PyObject *header_values(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *values;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "UnnO!:header_values", &text, &start, &stop, &PyDict_Type, &values))
        return NULL;
    if (!PyUnicode_IS_ASCII(text))
        Py_RETURN_FALSE;
    const char *s = (const char *)PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (stop > n)
        stop = n;
    if (start < 0)
        start = 0;
    /* `^` with re.M: the start of the text or just after a newline (not merely `start`) */
    Py_ssize_t line = start;
    if (line > 0 && s[line - 1] != '\n') {
        const char *nl = memchr(s + line, '\n', (size_t)(stop > line ? stop - line : 0));
        line = nl ? nl - s + 1 : stop;
    }
    while (line < stop) {
        const char *nl = memchr(s + line, '\n', (size_t)(stop - line));
        Py_ssize_t end = nl ? nl - s : stop; /* the value runs to here */
        Py_ssize_t next = nl ? end + 1 : stop;
        if (end - line < 26)
            goto next_line;
        Py_ssize_t key = line + 24, i = key + 1, sep = -1, value = -1;
        if (!is_timestamp(s + line) || s[line + 23] != ' ' || !(s[key] == '_' || (s[key] >= 'a' && s[key] <= 'z') || (s[key] >= 'A' && s[key] <= 'Z')))
            goto next_line;
        for (; i < end; i++) { /* the shortest key followed by `: ` or ` = ` */
            if (i + 1 < end && s[i] == ':' && s[i + 1] == ' ') {
                sep = i;
                value = i + 2;
                break;
            }
            if (i + 2 < end && s[i] == ' ' && s[i + 1] == '=' && s[i + 2] == ' ') {
                sep = i;
                value = i + 3;
                break;
            }
            if (!(is_word(s[i]) || s[i] == ' '))
                break;
        }
        if (sep < 0)
            goto next_line;
        if (end - value >= 7 && memcmp(s + value, "Config(", 7) == 0)
            goto next_line;
        Py_ssize_t value_end = end;
        while (value_end > value && is_space(s[value_end - 1]))
            value_end--;
        PyObject *k = PyUnicode_FromStringAndSize(s + key, sep - key);
        if (!k)
            return NULL;
        int has = PyDict_Contains(values, k);
        if (has == 0) {
            PyObject *v = PyUnicode_FromStringAndSize(s + value, value_end - value);
            if (!v || PyDict_SetItem(values, k, v) < 0) {
                Py_XDECREF(v);
                Py_DECREF(k);
                return NULL;
            }
            Py_DECREF(v);
        }
        Py_DECREF(k);
        if (has < 0)
            return NULL;
    next_line:
        line = next;
    }
    Py_RETURN_TRUE;
}

/* `str.find`, `str.rfind` and `str.count` with glibc's memmem (memrchr for rfind), 2-4x faster than CPython's own search on these
 * logs (measured on 30 KB evaluation logs); anything but ASCII text and a non-empty needle within
 * the text's bounds is handed to CPython's own functions, so the answers are always str's. */
static int plain_range(PyObject *text, PyObject *needle, Py_ssize_t *start, Py_ssize_t *end)
{
    if (!PyUnicode_IS_ASCII(text) || !PyUnicode_IS_ASCII(needle) || PyUnicode_GET_LENGTH(needle) == 0 || *start < 0 || *end < 0)
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (*end > n)
        *end = n;
    return 1;
}

/* find (direction 1) or rfind (-1), as the str methods answer */
static PyObject *search_text(PyObject *args, int direction, const char *format)
{
    PyObject *text, *needle;
    Py_ssize_t start = 0, end = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, format, &text, &needle, &start, &end))
        return NULL;
    if (!plain_range(text, needle, &start, &end))
        return PyLong_FromSsize_t(PyUnicode_Find(text, needle, start, end, direction));
    const char *s = (const char *)PyUnicode_DATA(text), *t = (const char *)PyUnicode_DATA(needle);
    size_t len = (size_t)PyUnicode_GET_LENGTH(needle);
    return PyLong_FromSsize_t(direction > 0 ? find(s, start, end, t, len) : rfind(s, start, end, t, len));
}

static PyObject *find_text(PyObject *module, PyObject *args)
{
    (void)module;
    return search_text(args, 1, "UU|nn:find");
}

static PyObject *rfind_text(PyObject *module, PyObject *args)
{
    (void)module;
    return search_text(args, -1, "UU|nn:rfind");
}

static PyObject *count_text(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *needle;
    Py_ssize_t start = 0, end = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "UU|nn:count", &text, &needle, &start, &end))
        return NULL;
    if (!plain_range(text, needle, &start, &end))
        return PyLong_FromSsize_t(PyUnicode_Count(text, needle, start, end));
    const char *s = (const char *)PyUnicode_DATA(text), *t = (const char *)PyUnicode_DATA(needle);
    size_t len = (size_t)PyUnicode_GET_LENGTH(needle);
    Py_ssize_t found = 0, at = find(s, start, end, t, len);
    while (at >= 0) { /* non-overlapping, as str.count */
        found++;
        at = find(s, at + (Py_ssize_t)len, end, t, len);
    }
    return PyLong_FromSsize_t(found);
}

static PyMethodDef methods[] = {
    {"find", find_text, METH_VARARGS,
     "find(text, needle, start=0, end=len) -> what text.find(needle, start, end) returns, faster."},
    {"rfind", rfind_text, METH_VARARGS,
     "rfind(text, needle, start=0, end=len) -> what text.rfind(needle, start, end) returns, faster."},
    {"count", count_text, METH_VARARGS,
     "count(text, needle, start=0, end=len) -> what text.count(needle, start, end) returns, faster."},
    {"header_values", header_values, METH_VARARGS,
     "header_values(text, start, stop, values) -> True after adding the header records of text[start:stop]\n"
     "to values (first of each key wins), or False when the text is not ASCII (the regex decides)."},
    {"header_starts", header_starts, METH_O,
     "header_starts(text) -> offsets of the Namespace( records that start a header, or None when the\n"
     "text is not ASCII (train_log._header_starts decides)."},
    {"epoch_rows", epoch_rows, METH_VARARGS,
     "epoch_rows(text, headers) -> (n, data): the epoch records packed as ingest.records.EpochRows lays\n"
     "them out, or None when the text needs the Python parser."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ingest._scan",
                                    "Compiled scanners of the benchmark's logs (see ingest/_scan.c).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
