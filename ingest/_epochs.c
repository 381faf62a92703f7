/* The epoch records of a training log, for pure-ASCII text: a compiled form of
 * `ingest.train_log._epoch_records` followed by `_columns`' conversion of values to floats.
 *
 * Why: at full scale this loop runs 1.5 million times and was the largest share of an ingest's CPU.
 * The Python functions stay the reference: `epoch_columns` returns None whenever it meets anything
 * it does not handle exactly as they do (text that is not ASCII, a value that is not a plain decimal
 * number, an epoch number of more than 18 digits), and the caller then runs the Python path.
 * tests/test_epochs_compiled.py holds the two to the same results.
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
    if (p->end - *pos < 24 || memchr(p->s + *pos, '\n', 23) != NULL || p->s[*pos + 23] != ' ')
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

/* `_EVAL` at `pos`: 1 and the section's epoch number, 0 when it does not match;
 * -1 when the number has too many digits to compare here */
static int eval_section(const Piece *p, Py_ssize_t pos, Record *r, long long *epoch)
{
    Py_ssize_t i = pos + (Py_ssize_t)EVAL_LEN, first = i;
    if (!digits(p, &i, 0))
        return 0;
    if (i - first > 18)
        return -1;
    long long number = 0;
    for (Py_ssize_t k = first; k < i; k++)
        number = number * 10 + (p->s[k] - '0');
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

/* A value as `float()` reads it, for `[+-]?digits[.digits]` (at least one digit); NULL with no
 * exception set for any other text. Up to 15 significant digits and 22 decimals, mantissa / 10^k is
 * exact in both operands and rounded once, so it equals the correctly rounded `float()`. */
static PyObject *number(const char *s, Py_ssize_t n)
{
    Py_ssize_t i = 0, ndigits = 0, decimals = -1;
    int negative = 0;
    uint64_t mantissa = 0;
    int significant = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (decimals >= 0)
                return NULL;
            decimals = 0;
            continue;
        }
        if (!is_digit(c))
            return NULL;
        ndigits++;
        if (decimals >= 0)
            decimals++;
        if (mantissa || c != '0')
            significant++;
        if (significant <= 18)
            mantissa = mantissa * 10 + (uint64_t)(c - '0');
    }
    if (ndigits == 0)
        return NULL;
    if (decimals < 0)
        decimals = 0;
    if (significant <= 15 && decimals <= 22) {
        double x = (double)mantissa / POW10[decimals];
        return PyFloat_FromDouble(negative ? -x : x);
    }
    PyObject *text = PyUnicode_FromStringAndSize(s, n);
    if (!text)
        return NULL;
    PyObject *x = PyFloat_FromString(text);
    Py_DECREF(text);
    return x;
}

static int by_epoch(const void *a, const void *b)
{
    const Record *x = a, *y = b;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Scan the text into records; 0 on success, 1 to fall back to Python, -1 on a memory error. */
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
            if (equals - start > 18) {
                free(records);
                return 1;
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
            r->epoch = 0;
            r->index = used - 1;
            for (Py_ssize_t k = start; k < equals; k++)
                r->epoch = r->epoch * 10 + (s[k] - '0');
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
                int matched = eval_section(&piece, section, &trial, &evaluated);
                if (matched < 0) {
                    free(records);
                    return 1;
                }
                if (matched && evaluated == r->epoch)
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

static PyObject *epoch_columns(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *header_list;
    if (!PyArg_ParseTuple(args, "UO!:epoch_columns", &text, &PyList_Type, &header_list))
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
    if (status > 0)
        Py_RETURN_NONE;

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

    PyObject *columns[3 + N_VALUES] = {NULL};
    PyObject *result = NULL;
    for (int c = 0; c < 3 + N_VALUES; c++)
        if (!(columns[c] = PyList_New(kept)))
            goto done;
    for (Py_ssize_t k = 0; k < kept; k++) {
        Record *r = &records[k];
        PyObject *item = PyLong_FromLongLong(r->epoch);
        if (!item)
            goto done;
        PyList_SET_ITEM(columns[0], k, item);
        if (r->stamp >= 0) {
            item = PyUnicode_FromStringAndSize(s + r->stamp, 23);
            if (!item)
                goto done;
        } else {
            item = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(columns[1], k, item);
        if (!(item = PyLong_FromSsize_t(r->segment)))
            goto done;
        PyList_SET_ITEM(columns[2], k, item);
        for (int v = 0; v < N_VALUES; v++) {
            if (r->token[v][0] < 0) {
                item = Py_NewRef(Py_None);
            } else {
                item = number(s + r->token[v][0], r->token[v][1] - r->token[v][0]);
                if (!item) {
                    if (!PyErr_Occurred()) /* not a plain number: the Python path decides */
                        result = Py_NewRef(Py_None);
                    goto done;
                }
            }
            PyList_SET_ITEM(columns[3 + v], k, item);
        }
    }
    result = PyTuple_New(3 + N_VALUES);
    if (result)
        for (int c = 0; c < 3 + N_VALUES; c++) {
            PyTuple_SET_ITEM(result, c, columns[c]);
            columns[c] = NULL;
        }
done:
    for (int c = 0; c < 3 + N_VALUES; c++)
        Py_XDECREF(columns[c]);
    free(records);
    return result;
}

static PyMethodDef methods[] = {
    {"epoch_columns", epoch_columns, METH_VARARGS,
     "epoch_columns(text, headers) -> 18 lists in EPOCH_COLUMNS order (values as floats; train_acc\n"
     "still a fraction), or None when the text needs the Python parser."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ingest._epochs",
                                    "Compiled epoch records of training logs (see ingest/train_log.py).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__epochs(void) { return PyModule_Create(&module); }
