/* The compiled readers of the benchmark's logs: `ingest._scan`.
 *
 * `scan_training_log(data)` reads the per-epoch part of a training log (ingest/train_log.py reads the
 * header through `header_records`). It is the one production reader of epochs; tests/train_oracle.py
 * states the same rules in plain Python, and tests/test_scan.py holds the two to identical rows on the
 * samples, the history logs, the demo corpus, hand-made edge cases and random damage.
 *
 * `corruption_results(data)` reads the result lines of a corruption evaluation into its rows
 * (ingest/corruption_log.py); tests/corruption_oracle.py states its rule as a regular expression.
 *
 * `argument_starts(data)` and `argument_start(data, line)` find where the runs of an evaluation log start
 * (ingest/appended.py); tests/eval_oracle.py states their rule in plain Python.
 *
 * `training_format_lines(data, header, end, finished)` finds the lines that show a training log's code
 * format, `line_message(data, at)` gives a record's message as every code format keeps it
 * (ingest/log_format.py); tests/format_oracle.py states both in plain Python.
 *
 * `eval_results(data, results, wants)` and `checkpoint_values(data)` read an evaluation's result lines and
 * its printed checkpoint dict (ingest/eval_log.py, ingest/eval_header.py); tests/eval_oracle.py states
 * their rules as regular expressions.
 *
 * `column_buffers(words, null_word, as_int32)` turns one column of packed epoch rows into the buffers of
 * an Arrow array (ingest/records.py `epoch_table`), so that parser processes never import
 * pyarrow.compute (~80 ms in each of them, more than parsing the changed logs of a re-ingest takes).
 *
 * `find(data, needle, start, end)` answers what `bytes.find` answers, by memmem: the
 * evaluation parsers search most of each log several times (see "substring searches" below).
 *
 * `walk_files(root, row)` lists the files of a log repository for every ingest (ingest/discover.py);
 * tests/test_discover.py holds it to a plain-Python walk of the same rules. It is at the end of this file.
 *
 * Why compiled: at full scale (15,625 logs, 1.5 million epochs, 3.6 GB) a Python loop over the lines
 * was the largest share of an ingest's CPU. The scan works on bytes, never declines a text (NaN,
 * inf, non-ASCII bytes, garbled values all have a defined result) and does not hold the GIL.
 *
 * The rules (SPEC section 3 and the history of the training code, SPEC section 8):
 * - a header starts at each `Namespace(` whose record begins 24 bytes before it with a timestamp.
 * - `====================Training Epoch <e>=` starts an epoch; the text up to the next such marker is
 *   its piece. A later piece for the same epoch (a resumed run) replaces the earlier one whole.
 * - step lines (`<timestamp> epoch=...`, tab-separated `key=value` fields, one of them `acc_avg`)
 *   before the piece's `Eval Epoch` marker: the last one gives lr, train_loss (loss_avg) and
 *   train_acc (acc_avg, a fraction, stored x100); all of them give step_lines, the median and
 *   maximum of the finite `|gn|` values, how many were inf or nan, and the median `time=<x>it/s`.
 * - the `Eval Epoch <e>` section: `Eval Loss:<v>\tEval acc: <v>`, then up to two attack blocks. A
 *   block is an optional `---- <name> attacking results ----` title, five result lines whose attack
 *   label may be anything (`PGD`, `PGD-CW`, `['PGD', 'PGD-CW']`), and an optional
 *   `Best <name> accuracy: <v>` line. It is PGD-20 or CW-40 by its title, else by its Best line
 *   (`PGDCW...` is CW), else by its position (first PGD, second CW). A block is read whole or not at all.
 * - a value is a decimal number (`[+-]digits[.digits][e[+-]digits]`, `.5`), or nan / inf / infinity
 *   in any case with an optional sign; anything else is no value (NULL).
 * - the run: the median of all finite `|gn|` and `it/s` values of the kept epochs, their step lines
 *   and non-finite `|gn|` values in all.
 */
#define PY_SSIZE_T_CLEAN
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <Python.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* the row layout of ingest.records.EpochRows: integer words first, then float words */
enum { I_EPOCH, I_STARTED_AT, I_SEGMENT, I_STEP_LINES, I_GN_NONFINITE, N_INT };
enum {
    F_LR, F_TRAIN_LOSS, F_TRAIN_ACC, F_VAL_LOSS, F_VAL_ACC,
    F_PGD, /* natural, acc, loss, lip, stable */
    F_CW = F_PGD + 5,
    F_GN_MEDIAN = F_CW + 5, F_GN_MAX, F_STEPS_PER_SECOND, N_FLOAT
};
#define N_TOKENS F_GN_MEDIAN /* the values read as text spans */
#define ROW_WORDS (N_INT + N_FLOAT)
#define INT_NULL INT64_MIN                 /* records.INT_NULL */
#define NULL_VALUE_BITS 0x7FF80000DEADBEEFULL /* records.NULL_VALUE_BITS: no value (a NaN no parse makes) */
#define MAX_EPOCH 2147483647LL             /* the largest epoch number epochs.epoch (INTEGER) holds */

static const char MARK[] = "====================Training Epoch ";
#define MARK_LEN ((Py_ssize_t)sizeof(MARK) - 1)
static const char EVAL[] = "Eval Epoch ";
#define EVAL_LEN ((Py_ssize_t)sizeof(EVAL) - 1)

/* ------------------------------------------------------------------ growable buffers */

typedef struct {
    double *v;
    Py_ssize_t n, cap;
} Doubles;

static int push(Doubles *d, double x)
{
    if (d->n == d->cap) {
        Py_ssize_t cap = d->cap ? d->cap * 2 : 256;
        double *bigger = realloc(d->v, sizeof(double) * (size_t)cap);
        if (!bigger)
            return -1;
        d->v = bigger;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the k-th smallest of v[0:n] (reordered in place: Hoare's selection, linear on average) */
static double select_kth(double *v, Py_ssize_t n, Py_ssize_t k)
{
    Py_ssize_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        Py_ssize_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* median of v[0:n] (sorted in place): the middle value, or the mean of the two middle ones */
static double median(double *v, Py_ssize_t n)
{
    if (n <= 24) { /* an epoch's few step lines: insertion sort, no calls */
        for (Py_ssize_t i = 1; i < n; i++) {
            double x = v[i];
            Py_ssize_t j = i;
            for (; j > 0 && v[j - 1] > x; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    } else {
        qsort(v, (size_t)n, sizeof(double), by_value);
    }
    return (v[(n - 1) / 2] + v[n / 2]) / 2.0;
}

/* ------------------------------------------------------------------ text matching */

typedef struct {
    const char *s;
    Py_ssize_t end; /* the end of the current piece: nothing at or after it is read */
} Piece;

/* first occurrence of needle in s[from:to], or -1 */
static Py_ssize_t find(const char *s, Py_ssize_t from, Py_ssize_t to, const char *needle, Py_ssize_t len)
{
    if (from < 0 || to - from < len)
        return -1;
#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__)
    const char *hit = memmem(s + from, (size_t)(to - from), needle, (size_t)len);
    return hit ? hit - s : -1;
#else
    for (const char *at = s + from, *last = s + to - len; at <= last; at++) {
        at = memchr(at, needle[0], (size_t)(last - at + 1));
        if (!at)
            return -1;
        if (memcmp(at, needle, (size_t)len) == 0)
            return at - s;
    }
    return -1;
#endif
}

/* first occurrence in s[from:to] of a needle that starts with a space: the spaces of a short line
 * are tried in turn (cheaper than memmem's set-up for the few spaces of a result line) */
static Py_ssize_t find_spaced(const char *s, Py_ssize_t from, Py_ssize_t to, const char *needle, Py_ssize_t len)
{
    while (from < to) {
        const char *space = memchr(s + from, ' ', (size_t)(to - from));
        if (!space)
            return -1;
        Py_ssize_t at = space - s;
        if (to - at < len)
            return -1;
        if (memcmp(space, needle, (size_t)len) == 0)
            return at;
        from = at + 1;
    }
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* `[-+.\w]` over ASCII: the characters of a logged value */
static int is_value_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '+' || c == '.';
}

/* a literal */
static int lit(const Piece *p, Py_ssize_t *pos, const char *text)
{
    Py_ssize_t len = (Py_ssize_t)strlen(text);
    if (p->end - *pos < len || memcmp(p->s + *pos, text, (size_t)len) != 0)
        return 0;
    *pos += len;
    return 1;
}

/* the 24-character `YYYY-MM-DD HH:MM:SS,mmm ` of a record (shape only: 23 characters without a
 * newline, then a space) */
static int line_start(const Piece *p, Py_ssize_t *pos)
{
    if (p->end - *pos < 24 || p->s[*pos + 23] != ' ' || memchr(p->s + *pos, '\n', 23) != NULL)
        return 0;
    *pos += 24;
    return 1;
}

/* the end of the line holding pos (its newline, or the piece's end) */
static Py_ssize_t end_of_line(const Piece *p, Py_ssize_t pos)
{
    const char *nl = memchr(p->s + pos, '\n', (size_t)(p->end - pos));
    return nl ? nl - p->s : p->end;
}

/* `[ \t\r]*\n` */
static int line_end(const Piece *p, Py_ssize_t *pos)
{
    Py_ssize_t i = *pos;
    while (i < p->end && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\r'))
        i++;
    if (i >= p->end || p->s[i] != '\n')
        return 0;
    *pos = i + 1;
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

/* a value's text (`[-+.\w]+`), its span into `token` */
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

/* ------------------------------------------------------------------ numbers */

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int same_word(const char *s, Py_ssize_t n, const char *word)
{
    Py_ssize_t len = (Py_ssize_t)strlen(word);
    if (n != len)
        return 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[k])
            return 0;
    }
    return 1;
}

/* The value of a token times 10^shift (the train accuracy, a fraction, is read in percent with
 * shift 2): 1 with *out set, 0 when the token is not a number.
 *
 * The result is the double nearest to the decimal value: up to 15 significant digits and a
 * power-of-ten scale within 10^22, mantissa / 10^k (or x 10^k) is exact in both operands and rounded
 * once; anything longer goes through strtod (correctly rounded) on a copy with the exponent adjusted. */
static int number(const char *s, Py_ssize_t n, int shift, double *out)
{
    Py_ssize_t i = 0;
    int negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    if (i < n && !is_digit(s[i]) && s[i] != '.') { /* nan, inf, infinity (any case), or no number */
        if (same_word(s + i, n - i, "nan")) {
            *out = NAN;
            return 1;
        }
        if (same_word(s + i, n - i, "inf") || same_word(s + i, n - i, "infinity")) {
            *out = negative ? -INFINITY : INFINITY;
            return 1;
        }
        return 0;
    }
    uint64_t mantissa = 0;
    int significant = 0, ndigits = 0;
    long long scale = 0; /* value = mantissa x 10^scale */
    int seen_dot = 0;
    for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.') {
            if (seen_dot)
                return 0;
            seen_dot = 1;
            continue;
        }
        ndigits++;
        if (mantissa || s[i] != '0')
            significant++;
        if (significant <= 18)
            mantissa = mantissa * 10 + (uint64_t)(s[i] - '0');
        else if (!seen_dot)
            scale++; /* digits beyond 18 before the point: dropped here, strtod decides below */
        if (seen_dot && significant <= 18)
            scale--;
    }
    if (!ndigits)
        return 0;
    long long exponent = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int exp_negative = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            exp_negative = s[i++] == '-';
        if (i >= n || !is_digit(s[i]))
            return 0;
        for (; i < n && is_digit(s[i]); i++)
            if (exponent < 100000)
                exponent = exponent * 10 + (s[i] - '0');
        if (exp_negative)
            exponent = -exponent;
    }
    if (i != n)
        return 0;
    long long k = scale + exponent + shift;
    double x;
    if (significant <= 15 && k >= -22 && k <= 22) {
        x = k < 0 ? (double)mantissa / POW10[-k] : (double)mantissa * POW10[k];
    } else { /* long or large: the exact decimal through strtod, with the shift in the exponent */
        char buffer[96];
        char *text = n + 32 <= (Py_ssize_t)sizeof(buffer) ? buffer : malloc((size_t)n + 32);
        if (!text)
            return 0;
        Py_ssize_t m = 0;
        for (Py_ssize_t j = 0; j < n && s[j] != 'e' && s[j] != 'E'; j++)
            text[m++] = s[j];
        snprintf(text + m, 32, "e%lld", exponent + shift);
        x = strtod(text, NULL);
        if (text != buffer)
            free(text);
        *out = x; /* strtod read the sign */
        return 1;
    }
    *out = negative ? -x : x;
    return 1;
}

/* ------------------------------------------------------------------ timestamps */

/* `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}` at t (t has 23 readable bytes) */
static int is_timestamp(const char *t)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd,ddd";
    for (int k = 0; k < 23; k++)
        if (shape[k] == 'd' ? !is_digit(t[k]) : t[k] != shape[k])
            return 0;
    return 1;
}

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* `YYYY-MM-DD HH:MM:SS,mmm` as microseconds since 1970, INT_NULL when not a valid date and time */
static long long stamp_us(const char *t)
{
    if (!is_timestamp(t))
        return INT_NULL;
#define NUM2(k) ((t[k] - '0') * 10 + (t[k + 1] - '0'))
    long year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + NUM2(2);
    long month = NUM2(5), day = NUM2(8), hour = NUM2(11), minute = NUM2(14), second = NUM2(17);
    long milli = (t[20] - '0') * 100 + NUM2(21);
#undef NUM2
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
        return INT_NULL;
    if (day > days_in[month - 1] + (month == 2 && leap(year)))
        return INT_NULL;
    long long days = days_from_civil(year, month, day);
    return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000 + milli) * 1000LL;
}

/* ------------------------------------------------------------------ records */

typedef struct {
    long long epoch;
    Py_ssize_t index;               /* order in the text */
    Py_ssize_t stamp;               /* offset of the marker's timestamp, or -1 */
    Py_ssize_t segment;
    Py_ssize_t token[N_TOKENS][2];  /* spans of the values read as text; start -1 when absent */
    long long steps, nonfinite;     /* step lines; |gn| values that were inf or nan */
    Py_ssize_t gn_first, gn_count;  /* finite |gn| values: a slice of the scan's `norms` */
    Py_ssize_t rate_first, rate_count; /* it/s values: a slice of the scan's `rates` */
    double gn_max;
} Record;

typedef struct {
    Record *records;
    Py_ssize_t n, cap;
    Doubles norms, rates;
    int last_step_only; /* the benchmark's measure of what the step-line columns cost: read only the
                         * last step line of each epoch (its lr, loss, accuracy), as an ingest without
                         * those columns would; no counts, |gn| or it/s */
} Scan;

/* the digits s[from:to] as an epoch number, -1 when above MAX_EPOCH */
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

/* A step line's fields: the message after `epoch=` split at tabs, each `<key>=<value>` (the value
 * without trailing spaces and carriage returns); the first field of each key counts. */
typedef struct {
    Py_ssize_t acc[2], loss[2], lr[2], gn[2], rate[2]; /* value spans; start -1 when absent */
} StepFields;

static void step_fields(const char *s, Py_ssize_t from, Py_ssize_t eol, StepFields *f)
{
    f->acc[0] = f->loss[0] = f->lr[0] = f->gn[0] = f->rate[0] = -1;
    Py_ssize_t at = from;
    while (at < eol) {
        const char *tab = memchr(s + at, '\t', (size_t)(eol - at));
        Py_ssize_t end = tab ? tab - s : eol;
        const char *eq = memchr(s + at, '=', (size_t)(end - at));
        if (eq) {
            Py_ssize_t key_end = eq - s, value = key_end + 1, stop = end;
            while (stop > value && (s[stop - 1] == ' ' || s[stop - 1] == '\r'))
                stop--;
            Py_ssize_t *slot = NULL;
            const char *k = s + at;
            switch (key_end - at) { /* by length first: this runs for every field of every step line */
            case 2:
                slot = memcmp(k, "lr", 2) == 0 ? f->lr : NULL;
                break;
            case 4:
                slot = memcmp(k, "|gn|", 4) == 0 ? f->gn : memcmp(k, "time", 4) == 0 ? f->rate : NULL;
                break;
            case 7:
                slot = memcmp(k, "acc_avg", 7) == 0 ? f->acc : NULL;
                break;
            case 8:
                slot = memcmp(k, "loss_avg", 8) == 0 ? f->loss : NULL;
                break;
            }
            if (slot && slot[0] < 0) {
                slot[0] = value;
                slot[1] = stop;
            }
        }
        at = end + 1;
    }
}

/* a field's value as a token: every character a value character (`[-+.\w]`), at least one */
static int token_of(const char *s, const Py_ssize_t span[2], Py_ssize_t token[2])
{
    if (span[0] < 0 || span[1] <= span[0])
        return 0;
    for (Py_ssize_t k = span[0]; k < span[1]; k++)
        if (!is_value_char(s[k]))
            return 0;
    token[0] = span[0];
    token[1] = span[1];
    return 1;
}

/* Whether s[line:eol] is a step line (`... epoch=` with an accuracy value); its fields in *f. */
static int step_line(const char *s, Py_ssize_t line, Py_ssize_t eol, StepFields *f)
{
    Py_ssize_t i = line, t[2];
    Piece bounded = {s, eol};
    if (!line_start(&bounded, &i) || !lit(&bounded, &i, "epoch="))
        return 0;
    step_fields(s, i, eol, f);
    return token_of(s, f->acc, t);
}

/* The lr, loss and accuracy of an epoch's last step line. */
static void take_last(const char *s, const StepFields *f, Record *r)
{
    token_of(s, f->lr, r->token[F_LR]);
    token_of(s, f->loss, r->token[F_TRAIN_LOSS]);
    token_of(s, f->acc, r->token[F_TRAIN_ACC]);
}

/* The last step line of [from, to), found from the end: its lr, loss and accuracy only. */
static void last_step_line(const char *s, Py_ssize_t from, Py_ssize_t to, Record *r)
{
    Py_ssize_t eol = to;
    while (eol > from) {
        Py_ssize_t line = eol;
        while (line > from && s[line - 1] != '\n')
            line--;
        StepFields f;
        if (step_line(s, line, eol, &f)) {
            take_last(s, &f, r);
            return;
        }
        eol = line - 1; /* the newline before this line; below `from` ends the loop */
    }
}

/* Every step line in [from, to): counts, |gn| and it/s values; the last one's lr, loss and accuracy. */
static int step_lines(const Piece *p, Py_ssize_t from, Py_ssize_t to, Record *r, Scan *scan)
{
    r->gn_first = scan->norms.n;
    r->rate_first = scan->rates.n;
    const char *s = p->s;
    StepFields last;
    int have_last = 0;
    if (scan->last_step_only) {
        last_step_line(s, from, to, r);
        return 0;
    }
    Py_ssize_t line = from;
    while (line < to) {
        const char *nl = memchr(s + line, '\n', (size_t)(to - line));
        Py_ssize_t eol = nl ? nl - s : to;
        StepFields f;
        if (step_line(s, line, eol, &f)) {
            Py_ssize_t t[2];
            r->steps++;
            last = f;
            have_last = 1;
            double x;
            if (token_of(s, f.gn, t) && number(s + t[0], t[1] - t[0], 0, &x)) {
                if (isfinite(x)) {
                    if (push(&scan->norms, x) < 0)
                        return -1;
                    if (r->gn_count == 0 || x > r->gn_max)
                        r->gn_max = x;
                    r->gn_count++;
                } else {
                    r->nonfinite++;
                }
            }
            Py_ssize_t unit = f.rate[1] - 4; /* `<number>it/s` */
            if (f.rate[0] >= 0 && unit > f.rate[0] && memcmp(s + unit, "it/s", 4) == 0
                && number(s + f.rate[0], unit - f.rate[0], 0, &x) && isfinite(x)) {
                if (push(&scan->rates, x) < 0)
                    return -1;
                r->rate_count++;
            }
        }
        line = eol + 1;
    }
    if (have_last)
        take_last(s, &last, r);
    return 0;
}

enum { KIND_NONE = -1, KIND_PGD = 0, KIND_CW = 1 };

/* the attack named s[from:to]: `PGD` or `PGD-CW` in a title; in a Best line `PGDCW...` is CW-40 and
 * any other `PGD...` PGD-20 */
static int title_kind(const char *s, Py_ssize_t from, Py_ssize_t to)
{
    if (to - from == 3 && memcmp(s + from, "PGD", 3) == 0)
        return KIND_PGD;
    if (to - from == 6 && memcmp(s + from, "PGD-CW", 6) == 0)
        return KIND_CW;
    return KIND_NONE;
}

static int best_kind(const char *s, Py_ssize_t from, Py_ssize_t to)
{
    if (to - from >= 5 && memcmp(s + from, "PGDCW", 5) == 0)
        return KIND_CW;
    if (to - from >= 3 && memcmp(s + from, "PGD", 3) == 0)
        return KIND_PGD;
    return KIND_NONE;
}

/* One attack block at pos: its five values (natural, acc, loss, lip, stable) into out and its kind,
 * all or nothing. */
static int attack_block(const Piece *p, Py_ssize_t *pos, int *kind, Py_ssize_t out[5][2])
{
    Py_ssize_t i = *pos, t[5][2];
    int titled = KIND_NONE, best = KIND_NONE;
    Py_ssize_t j = i;
    if (line_start(p, &j) && lit(p, &j, "---- ")) { /* `---- <name> attacking results ----` */
        Py_ssize_t eol = end_of_line(p, j);
        Py_ssize_t tail = find_spaced(p->s, j, eol, " attacking results ----", 23);
        if (tail < 0)
            return 0;
        titled = title_kind(p->s, j, tail);
        j = tail + 23;
        if (!line_end(p, &j))
            return 0;
        i = j;
    }
    if (!(line_start(p, &i) && lit(p, &i, "Natural Correct Count: ") && count(p, &i) && lit(p, &i, " Acc: ")
          && value(p, &i, t[0]) && line_end(p, &i)))
        return 0;
    /* `<label> Correct Count: a/b Acc: v` */
    if (!line_start(p, &i))
        return 0;
    Py_ssize_t eol = end_of_line(p, i);
    Py_ssize_t at = find_spaced(p->s, i, eol, " Correct Count: ", 16);
    if (at <= i)
        return 0;
    i = at + 16;
    if (!(count(p, &i) && lit(p, &i, " Acc: ") && value(p, &i, t[1]) && line_end(p, &i)))
        return 0;
    /* `<label> with <n> steps Loss Avg: v` */
    if (!line_start(p, &i))
        return 0;
    eol = end_of_line(p, i);
    at = find_spaced(p->s, i, eol, " steps Loss Avg: ", 17);
    if (at <= i)
        return 0;
    Py_ssize_t with = at; /* ` with <n>` just before */
    while (with > i && (is_digit(p->s[with - 1]) || p->s[with - 1] == '.'))
        with--;
    if (with == at || with - i < 6 || memcmp(p->s + with - 6, " with ", 6) != 0)
        return 0;
    i = at + 17;
    if (!(value(p, &i, t[2]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, "LIP Avg: ") && value(p, &i, t[3]) && line_end(p, &i)))
        return 0;
    if (!(line_start(p, &i) && lit(p, &i, "Stable Count: ") && count(p, &i) && lit(p, &i, " StableAcc: ")
          && value(p, &i, t[4]) && line_end(p, &i)))
        return 0;
    j = i; /* optional `Best <name> accuracy: ...` */
    if (line_start(p, &j) && lit(p, &j, "Best ")) {
        Py_ssize_t line_stop = end_of_line(p, j);
        Py_ssize_t name_end = find_spaced(p->s, j, line_stop, " accuracy: ", 11);
        if (name_end > j && line_stop < p->end) {
            best = best_kind(p->s, j, name_end);
            i = line_stop + 1;
        }
    }
    *kind = titled != KIND_NONE ? titled : best;
    memcpy(out, t, sizeof(t));
    *pos = i;
    return 1;
}

/* The `Eval Epoch` section at pos: 1 and its epoch number (-1 when above MAX_EPOCH), 0 when it
 * does not start one. Fills the validation tokens of r. */
static int eval_section(const Piece *p, Py_ssize_t pos, Record *r, long long *epoch)
{
    Py_ssize_t i = pos + EVAL_LEN, first = i;
    if (!digits(p, &i, 0))
        return 0;
    long long number = epoch_number(p->s, first, i);
    for (int k = 0; k < 20; k++)
        if (!lit(p, &i, "="))
            return 0;
    if (!line_end(p, &i))
        return 0;
    *epoch = number;
    for (;;) { /* validation step lines */
        Py_ssize_t j = i;
        if (!(line_start(p, &j) && lit(p, &j, "epoch=")))
            break;
        Py_ssize_t eol = end_of_line(p, j);
        if (eol >= p->end)
            break;
        i = eol + 1;
    }
    Py_ssize_t t[2][2];
    if (!(line_start(p, &i) && lit(p, &i, "Eval Loss:") && value(p, &i, t[0]) && lit(p, &i, "\tEval acc: ")
          && value(p, &i, t[1]) && line_end(p, &i)))
        return 1;
    memcpy(r->token[F_VAL_LOSS], t, sizeof(t));
    int filled[2] = {0, 0};
    for (int position = 0; position < 2; position++) {
        Py_ssize_t block[5][2];
        int kind = KIND_NONE;
        if (!attack_block(p, &i, &kind, block))
            break;
        if (kind == KIND_NONE)
            kind = position == 0 ? KIND_PGD : KIND_CW;
        if (filled[kind])
            continue;
        filled[kind] = 1;
        memcpy(r->token[kind == KIND_PGD ? F_PGD : F_CW], block, sizeof(block));
    }
    return 1;
}

/* Scan the text into records; 0 on success, -1 on a memory error. */
static int scan_text(const char *s, Py_ssize_t n, const Py_ssize_t *headers, Py_ssize_t n_headers, Scan *scan)
{
    Py_ssize_t previous_start = 0;
    Py_ssize_t marker = find(s, 0, n, MARK, MARK_LEN);
    while (marker >= 0) {
        Py_ssize_t start = marker + MARK_LEN;
        Py_ssize_t following = find(s, start, n, MARK, MARK_LEN);
        Py_ssize_t end = following >= 0 ? following : n;
        const char *eq = memchr(s + start, '=', (size_t)(end - start));
        Py_ssize_t equals = eq ? eq - s : -1;
        int ok = equals > start;
        for (Py_ssize_t k = start; ok && k < equals; k++)
            ok = is_digit(s[k]);
        long long epoch = ok ? epoch_number(s, start, equals) : -1;
        if (epoch >= 0) {
            if (scan->n == scan->cap) {
                Py_ssize_t cap = scan->cap ? scan->cap * 2 : 128;
                Record *bigger = realloc(scan->records, sizeof(Record) * (size_t)cap);
                if (!bigger)
                    return -1;
                scan->records = bigger;
                scan->cap = cap;
            }
            Record *r = &scan->records[scan->n];
            memset(r, 0, sizeof(*r));
            r->epoch = epoch;
            r->index = scan->n++;
            r->stamp = -1;
            if (marker - 24 >= previous_start && is_timestamp(s + marker - 24) && s[marker - 1] == ' ')
                r->stamp = marker - 24;
            Py_ssize_t after = 0; /* how many headers start at or before the marker */
            while (after < n_headers && headers[after] <= start)
                after++;
            r->segment = after > 0 ? after - 1 : 0;
            for (int k = 0; k < N_TOKENS; k++)
                r->token[k][0] = -1;
            Piece piece = {s, end};
            Py_ssize_t section = find(s, start, end, EVAL, EVAL_LEN);
            if (step_lines(&piece, start, section >= 0 ? section : end, r, scan) < 0)
                return -1;
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
    return 0;
}

static int by_epoch(const void *a, const void *b)
{
    const Record *x = a, *y = b;
    if (x->epoch != y->epoch)
        return x->epoch < y->epoch ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Sort by epoch, keeping the later record of an epoch logged twice; returns the count kept. */
static Py_ssize_t keep_latest(Record *records, Py_ssize_t n)
{
    int in_order = 1;
    for (Py_ssize_t k = 1; k < n && in_order; k++)
        in_order = records[k].epoch > records[k - 1].epoch;
    if (in_order)
        return n;
    qsort(records, (size_t)n, sizeof(Record), by_epoch);
    Py_ssize_t kept = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (k + 1 < n && records[k + 1].epoch == records[k].epoch)
            continue;
        records[kept++] = records[k];
    }
    return kept;
}

static void put_int(char *row, int column, long long x) { memcpy(row + column * 8, &x, 8); }

static void put_float(char *row, int column, double x) { memcpy(row + (N_INT + column) * 8, &x, 8); }

static void put_null(char *row, int column)
{
    static const uint64_t bits = NULL_VALUE_BITS;
    memcpy(row + (N_INT + column) * 8, &bits, 8);
}

/* Pack the kept records into rows; returns 1 when some metric value is NaN. The median of a
 * record's values sorts its slice of `values` in place. */
static int pack(const char *s, Record *records, Py_ssize_t kept, Scan *scan, char *out)
{
    int has_nan = 0;
    for (Py_ssize_t k = 0; k < kept; k++, out += ROW_WORDS * 8) {
        Record *r = &records[k];
        put_int(out, I_EPOCH, r->epoch);
        put_int(out, I_STARTED_AT, r->stamp >= 0 ? stamp_us(s + r->stamp) : INT_NULL);
        put_int(out, I_SEGMENT, r->segment);
        put_int(out, I_STEP_LINES, r->steps);
        put_int(out, I_GN_NONFINITE, r->steps ? r->nonfinite : INT_NULL);
        for (int v = 0; v < N_TOKENS; v++) {
            double x;
            if (r->token[v][0] < 0 || !number(s + r->token[v][0], r->token[v][1] - r->token[v][0], v == F_TRAIN_ACC ? 2 : 0, &x)) {
                put_null(out, v);
                continue;
            }
            has_nan |= isnan(x);
            put_float(out, v, x);
        }
        if (r->gn_count) {
            put_float(out, F_GN_MEDIAN, median(scan->norms.v + r->gn_first, r->gn_count));
            put_float(out, F_GN_MAX, r->gn_max);
        } else {
            put_null(out, F_GN_MEDIAN);
            put_null(out, F_GN_MAX);
        }
        if (r->rate_count)
            put_float(out, F_STEPS_PER_SECOND, median(scan->rates.v + r->rate_first, r->rate_count));
        else
            put_null(out, F_STEPS_PER_SECOND);
    }
    return has_nan;
}

/* the median of the kept records' slices of `values` (gathered into a new buffer), or NAN when empty */
static double run_median(Record *records, Py_ssize_t kept, const Doubles *values, int norms, int *failed)
{
    Py_ssize_t total = 0;
    for (Py_ssize_t k = 0; k < kept; k++)
        total += norms ? records[k].gn_count : records[k].rate_count;
    if (!total)
        return NAN;
    double *all = malloc(sizeof(double) * (size_t)total), *at = all;
    if (!all) {
        *failed = 1;
        return NAN;
    }
    for (Py_ssize_t k = 0; k < kept; k++) {
        Py_ssize_t first = norms ? records[k].gn_first : records[k].rate_first;
        Py_ssize_t n = norms ? records[k].gn_count : records[k].rate_count;
        memcpy(at, values->v + first, sizeof(double) * (size_t)n);
        at += n;
    }
    /* the two middle values by selection: a run has hundreds of step lines, no need to sort them */
    double high = select_kth(all, total, total / 2);
    double low = total % 2 ? high : select_kth(all, total / 2, (total - 1) / 2);
    free(all);
    return (low + high) / 2.0;
}

static PyObject *optional_float(double x) { return isnan(x) ? Py_NewRef(Py_None) : PyFloat_FromDouble(x); }

/* Offsets of the `Namespace(` records that start a header (one per run segment): a `Namespace(`
 * whose record starts 24 characters before it with a timestamp. Found by memchr for `(`, which a
 * training log has only in its headers. */
static int header_starts(const char *s, Py_ssize_t n, Py_ssize_t **out, Py_ssize_t *count)
{
    static const char NAMESPACE[] = "Namespace";
    const Py_ssize_t name_len = (Py_ssize_t)sizeof(NAMESPACE) - 1;
    Py_ssize_t cap = 4, used = 0;
    Py_ssize_t *starts = malloc(sizeof(Py_ssize_t) * (size_t)cap);
    if (!starts)
        return -1;
    const char *at = s;
    while ((at = memchr(at, '(', (size_t)(s + n - at))) != NULL) {
        Py_ssize_t pos = at - s - name_len; /* where `Namespace(` would start */
        at++;
        if (pos < 24 || memcmp(s + pos, NAMESPACE, (size_t)name_len) != 0 || !is_timestamp(s + pos - 24))
            continue;
        if (used == cap) {
            Py_ssize_t *bigger = realloc(starts, sizeof(Py_ssize_t) * (size_t)(cap *= 2));
            if (!bigger) {
                free(starts);
                return -1;
            }
            starts = bigger;
        }
        starts[used++] = pos;
    }
    *out = starts;
    *count = used;
    return 0;
}

static PyObject *offsets_list(const Py_ssize_t *values, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    for (Py_ssize_t k = 0; list && k < n; k++) {
        PyObject *item = PyLong_FromSsize_t(values[k]);
        if (!item) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, k, item);
    }
    return list;
}

static PyObject *scan_training_log(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    int last_step_only = 0;
    if (!PyArg_ParseTuple(args, "y*|p:scan_training_log", &text, &last_step_only))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    Scan scan = {0};
    scan.last_step_only = last_step_only;
    PyObject *result = NULL, *data = NULL, *headers_list = NULL;
    int status, has_nan = 0, failed = 0;
    Py_ssize_t kept = 0, steps = 0, nonfinite = 0, n_headers = 0;
    Py_ssize_t *headers = NULL;
    double norm_median = NAN, rate_median = NAN;
    char *rows = NULL;
    Py_BEGIN_ALLOW_THREADS
    status = header_starts(s, n, &headers, &n_headers);
    if (status == 0) {
        Py_ssize_t first = n_headers ? headers[0] : 0;
        if (n_headers == 1)
            headers[0] = -1; /* one segment: every epoch is in segment 0 */
        status = scan_text(s, n, headers, n_headers, &scan);
        if (n_headers == 1)
            headers[0] = first;
    }
    if (status == 0) {
        kept = keep_latest(scan.records, scan.n);
        for (Py_ssize_t k = 0; k < kept; k++) {
            steps += scan.records[k].steps;
            nonfinite += scan.records[k].nonfinite;
        }
        /* the run medians first: pack sorts each record's slice in place, which keeps the multiset */
        norm_median = run_median(scan.records, kept, &scan.norms, 1, &failed);
        rate_median = run_median(scan.records, kept, &scan.rates, 0, &failed);
        rows = failed ? NULL : malloc((size_t)(kept ? kept : 1) * ROW_WORDS * 8);
        if (rows)
            has_nan = pack(s, scan.records, kept, &scan, rows);
        else
            status = -1;
    }
    Py_END_ALLOW_THREADS
    if (status == 0) {
        headers_list = offsets_list(headers, n_headers);
        data = headers_list ? PyBytes_FromStringAndSize(rows, kept * ROW_WORDS * 8) : NULL;
        if (data)
            result = Py_BuildValue("(NnNONNnn)", headers_list, kept, data, has_nan ? Py_True : Py_False,
                                   optional_float(norm_median), optional_float(rate_median), steps, nonfinite);
        else
            Py_XDECREF(headers_list);
    } else {
        PyErr_NoMemory();
    }
    free(headers);
    free(rows);
    free(scan.records);
    free(scan.norms.v);
    free(scan.rates.v);
    PyBuffer_Release(&text);
    return result;
}

/* Python's str.isspace() for an ASCII character: what `str.rstrip()` removes */
static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

static int is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static PyObject *text_of(const char *s, Py_ssize_t n) { return PyUnicode_DecodeUTF8(s, n, "replace"); }

/* Append `item` (a new reference, or NULL after a failed call) to *list and drop the reference; on a
 * failure *list is released and set to NULL (the caller returns it: NULL with the exception set). */
static void append_new(PyObject **list, PyObject *item)
{
    if (*list && (!item || PyList_Append(*list, item) < 0))
        Py_CLEAR(*list);
    Py_XDECREF(item);
}

/* The `key: value` and `key = value` records of data[start:stop]: each line of the span (from the
 * first line that starts in it) that is `<timestamp> <key>: <value>` or `<timestamp> <key> = <value>`,
 * the key a letter or `_` followed by letters, digits, `_` and spaces, the shortest one that is
 * followed by `: ` or ` = `; the value is the rest of the line without trailing whitespace. */
typedef struct {
    Py_ssize_t line, key, key_end, value, value_end; /* offsets of its line, key and value */
} HeaderRecord;

/* the first line that starts in s[start:stop] */
static Py_ssize_t first_line(const char *s, Py_ssize_t start, Py_ssize_t stop)
{
    if (start > 0 && start < stop && s[start - 1] != '\n') {
        const char *nl = memchr(s + start, '\n', (size_t)(stop - start));
        return nl ? nl - s + 1 : stop;
    }
    return start;
}

/* The next record from the line at *line on (before stop): 1 with *r set and *line moved past it, 0
 * when there is none. */
static int next_record(const char *s, Py_ssize_t *line, Py_ssize_t stop, HeaderRecord *r)
{
    while (*line < stop) {
        const char *nl = memchr(s + *line, '\n', (size_t)(stop - *line));
        Py_ssize_t at = *line, end = nl ? nl - s : stop; /* the value runs to end */
        Py_ssize_t key = at + 24, sep = -1, value = -1;
        *line = nl ? end + 1 : stop;
        if (end - at < 26 || !is_timestamp(s + at) || s[at + 23] != ' '
            || !(s[key] == '_' || (s[key] >= 'a' && s[key] <= 'z') || (s[key] >= 'A' && s[key] <= 'Z')))
            continue;
        for (Py_ssize_t i = key + 1; i < end; i++) { /* the shortest key followed by `: ` or ` = ` */
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
            continue;
        Py_ssize_t value_end = end;
        while (value_end > value && is_space(s[value_end - 1]))
            value_end--;
        *r = (HeaderRecord){at, key, sep, value, value_end};
        return 1;
    }
    return 0;
}

static PyObject *header_records(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "y*nn:header_records", &text, &start, &stop))
        return NULL;
    const char *s = text.buf;
    if (stop > text.len)
        stop = text.len;
    if (start < 0)
        start = 0;
    PyObject *records = PyList_New(0);
    Py_ssize_t line = first_line(s, start, stop);
    HeaderRecord r;
    while (records && next_record(s, &line, stop, &r)) {
        append_new(&records, Py_BuildValue("(nNN)", r.line, text_of(s + r.key, r.key_end - r.key),
                                           text_of(s + r.value, r.value_end - r.value)));
    }
    PyBuffer_Release(&text);
    return records;
}

/* What the parsers take from a header's records (ingest/header.py `header_fields`; tests/header_oracle.py
 * states it on the records of `header_records`):
 * - values: key -> value of the records of data[:stop], the first of each key, a value starting
 *   `Config(` left out (evaluation logs print `model: arch_2` and `model: Config([...])`);
 * - names: the argument lines' keys, the consecutive records after the line at `after` whose key is
 *   an identifier (no space in it), from the first such record to one that is not or whose key is
 *   `num_classes` (the first key of the config lines);
 * - configs: (key, value) of each `<key>: Config([...])` found in data[config_start:stop], the key the
 *   last space-separated word before it, the value the rest of its line. */
static PyObject *header_fields(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t stop, after, config_start;
    if (!PyArg_ParseTuple(args, "y*nnn:header_fields", &text, &stop, &after, &config_start))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    if (stop > n)
        stop = n;
    PyObject *values = PyDict_New(), *names = PyList_New(0), *configs = PyList_New(0), *out = NULL;
    if (!values || !names || !configs)
        goto done;
    Py_ssize_t line = 0;
    int names_ended = 0;
    HeaderRecord r;
    while (next_record(s, &line, stop, &r)) {
        Py_ssize_t key_len = r.key_end - r.key, value_len = r.value_end - r.value;
        int config = value_len >= 7 && memcmp(s + r.value, "Config(", 7) == 0;
        int argument = !names_ended && r.line > after;
        if (config && !argument)
            continue;
        PyObject *key = text_of(s + r.key, key_len);
        if (!key)
            goto done;
        int failed = 0;
        if (!config) {
            int known = PyDict_Contains(values, key);
            PyObject *value = known ? NULL : text_of(s + r.value, value_len);
            failed = known < 0 || (!known && (!value || PyDict_SetItem(values, key, value) < 0));
            Py_XDECREF(value);
        }
        if (!failed && argument) {
            int identifier = memchr(s + r.key, ' ', (size_t)key_len) == NULL;
            if (!identifier || (key_len == 11 && memcmp(s + r.key, "num_classes", 11) == 0))
                names_ended = PyList_GET_SIZE(names) > 0;
            else
                failed = PyList_Append(names, key) < 0;
        }
        Py_DECREF(key);
        if (failed)
            goto done;
    }
    static const char MARK_CONFIG[] = ": Config([";
    for (Py_ssize_t at = find(s, config_start, stop, MARK_CONFIG, 10); at >= 0; at = find(s, at + 1, stop, MARK_CONFIG, 10)) {
        Py_ssize_t word = at;
        while (word > 0 && s[word - 1] != '\n' && s[word - 1] != ' ')
            word--;
        const char *nl = memchr(s + at, '\n', (size_t)(n - at));
        Py_ssize_t end = nl ? nl - s : n;
        PyObject *item = Py_BuildValue("(NN)", text_of(s + word, at - word), text_of(s + at + 2, end - at - 2));
        if (!item || PyList_Append(configs, item) < 0) {
            Py_XDECREF(item);
            goto done;
        }
        Py_DECREF(item);
    }
    out = PyTuple_Pack(3, values, names, configs);
done:
    Py_XDECREF(values);
    Py_XDECREF(names);
    Py_XDECREF(configs);
    PyBuffer_Release(&text);
    return out;
}


/* ---- the result lines of a corruption evaluation ----
 *
 * ingest/corruption_log.py reads the 95 `<name> (level=<n>): Loss: <x>, Acc: <y>` lines of each
 * corruption evaluation through `corruption_results`; tests/corruption_oracle.py states the same rule as
 * a regular expression and plain Python, and tests/test_scan.py holds the two to the same rows. Matched
 * from Python, one line at a time, these lines took ~10% of the parsers' CPU at full scale (4,900 logs,
 * 465,000 lines); their rows built in Python (a dict, a sort, two float() calls a line) still took
 * ~90 us of a log's ~180 us.
 *
 * A line is found by its ` (level=`. Its record starts at the run of `[a-z_]` bytes before that (at least
 * one), which must follow a space at byte 24 or later. Then come `\d+`, `): Loss: `, a number, `, Acc: `,
 * a number and `[ \t\r]*\n`. A number is what ingest.numbers.NUM matches, taken whole (no backtracking):
 * an optional sign, then the first of `\d+(\.\d*)?([eE][-+]?\d+)?`, `\.\d+`, `nan`, `inf` that matches.
 * Of the lines of one (name, level), the last in the log gives the row (a repeated evaluation's). */

/* the end of the number that starts at s[i] (before n), or -1 when none starts there */
static Py_ssize_t number_end(const char *s, Py_ssize_t i, Py_ssize_t n)
{
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i < n && is_digit(s[i])) {
        while (i < n && is_digit(s[i]))
            i++;
        if (i < n && s[i] == '.')
            for (i++; i < n && is_digit(s[i]); i++)
                ;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) { /* an exponent only when digits follow */
            Py_ssize_t j = i + 1;
            if (j < n && (s[j] == '-' || s[j] == '+'))
                j++;
            if (j < n && is_digit(s[j])) {
                while (j < n && is_digit(s[j]))
                    j++;
                i = j;
            }
        }
        return i;
    }
    if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        for (i += 2; i < n && is_digit(s[i]); i++)
            ;
        return i;
    }
    if (n - i >= 3 && (memcmp(s + i, "nan", 3) == 0 || memcmp(s + i, "inf", 3) == 0))
        return i + 3;
    return -1;
}

/* `literal` at s[i]: the position after it, or -1 */
static Py_ssize_t after_literal(const char *s, Py_ssize_t i, Py_ssize_t n, const char *literal)
{
    Py_ssize_t len = (Py_ssize_t)strlen(literal);
    return i >= 0 && n - i >= len && memcmp(s + i, literal, (size_t)len) == 0 ? i + len : -1;
}

static int is_name_byte(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

/* one result line: where its name, level (without leading zeros), loss and acc are, and its place */
typedef struct {
    Py_ssize_t name, name_len, level, level_len, loss, loss_len, acc, acc_len, order;
    const char *s;
} LevelLine;

/* by name, then by level as a number */
static int by_key(const LevelLine *x, const LevelLine *y)
{
    Py_ssize_t common = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->s + x->name, y->s + y->name, (size_t)common);
    if (c || x->name_len != y->name_len)
        return c ? c : (x->name_len < y->name_len ? -1 : 1);
    if (x->level_len != y->level_len)
        return x->level_len < y->level_len ? -1 : 1;
    return memcmp(x->s + x->level, y->s + y->level, (size_t)x->level_len);
}

/* by key, then by place in the log */
static int by_key_then_order(const void *a, const void *b)
{
    const LevelLine *x = a, *y = b;
    int c = by_key(x, y);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

/* what Python's float() gives for a number token (ingest.numbers.NUM: no underscores, no spaces):
 * `number`'s value (the double nearest to the decimal, as float()'s), or float()'s own parser for
 * nan and inf (it keeps the sign of `-nan`) */
static PyObject *float_of(const char *s, Py_ssize_t len)
{
    double x;
    Py_ssize_t i = len > 0 && (s[0] == '-' || s[0] == '+');
    if (i < len && (is_digit(s[i]) || s[i] == '.') && number(s, len, 0, &x))
        return PyFloat_FromDouble(x);
    char small[64], *buf = len < (Py_ssize_t)sizeof small ? small : PyMem_Malloc((size_t)len + 1);
    if (!buf)
        return PyErr_NoMemory();
    memcpy(buf, s, (size_t)len);
    buf[len] = '\0';
    char *end;
    x = PyOS_string_to_double(buf, &end, NULL); /* overflow gives +-inf, as float() does */
    int whole = end == buf + len;
    if (buf != small)
        PyMem_Free(buf);
    if (x == -1.0 && PyErr_Occurred())
        return NULL;
    if (!whole)
        return PyErr_Format(PyExc_ValueError, "not a whole number token");
    return PyFloat_FromDouble(x);
}

/* the level's digits (leading zeros stripped; none left: 0) as an int, as Python's int() gives */
static PyObject *level_of(const char *s, Py_ssize_t len)
{
    if (len == 0)
        return PyLong_FromLong(0);
    if (len <= 18) {
        long long v = 0;
        for (Py_ssize_t i = 0; i < len; i++)
            v = v * 10 + (s[i] - '0');
        return PyLong_FromLongLong(v);
    }
    PyObject *text = PyUnicode_FromStringAndSize(s, len);
    PyObject *out = text ? PyLong_FromUnicodeObject(text, 10) : NULL;
    Py_XDECREF(text);
    return out;
}

static PyObject *corruption_results(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    if (!PyArg_ParseTuple(args, "y*:corruption_results", &text))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len, first = -1, count = 0, room = 128;
    static const char LEVEL[] = " (level=";
    LevelLine *found = PyMem_Malloc(sizeof *found * (size_t)room);
    PyObject *rows = NULL, *out = NULL;
    if (!found) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t at = find(s, 0, n, LEVEL, 8); at >= 0; at = find(s, at + 1, n, LEVEL, 8)) {
        Py_ssize_t start = at;
        while (start > 0 && is_name_byte(s[start - 1]))
            start--;
        if (start == at || start < 24 || s[start - 1] != ' ')
            continue;
        Py_ssize_t level = at + 8, i = level;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == level)
            continue;
        Py_ssize_t level_end = i, loss = after_literal(s, i, n, "): Loss: ");
        Py_ssize_t loss_end = loss < 0 ? -1 : number_end(s, loss, n);
        Py_ssize_t acc = after_literal(s, loss_end, n, ", Acc: ");
        Py_ssize_t acc_end = acc < 0 ? -1 : number_end(s, acc, n);
        if (acc_end < 0)
            continue;
        for (i = acc_end; i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'); i++)
            ;
        if (i >= n || s[i] != '\n')
            continue;
        if (first < 0)
            first = start - 24;
        while (level < level_end && s[level] == '0')
            level++;
        if (count == room) {
            LevelLine *more = PyMem_Realloc(found, sizeof *found * (size_t)(room *= 2));
            if (!more) {
                PyErr_NoMemory();
                goto done;
            }
            found = more;
        }
        found[count] = (LevelLine){start, at - start, level, level_end - level, loss, loss_end - loss,
                                   acc, acc_end - acc, count, s};
        count++;
    }
    qsort(found, (size_t)count, sizeof *found, by_key_then_order);
    rows = PyList_New(0);
    for (Py_ssize_t i = 0; rows && i < count; i++) {
        const LevelLine *line = &found[i];
        if (i + 1 < count && by_key(line, &found[i + 1]) == 0)
            continue; /* the same (name, level) again later in the log: the later line counts */
        PyObject *row = PyTuple_New(4);
        if (row) {
            PyTuple_SET_ITEM(row, 0, PyUnicode_DecodeASCII(s + line->name, line->name_len, NULL));
            PyTuple_SET_ITEM(row, 1, level_of(s + line->level, line->level_len));
            PyTuple_SET_ITEM(row, 2, float_of(s + line->acc, line->acc_len));
            PyTuple_SET_ITEM(row, 3, float_of(s + line->loss, line->loss_len));
        }
        if (row && (!PyTuple_GET_ITEM(row, 0) || !PyTuple_GET_ITEM(row, 1) || !PyTuple_GET_ITEM(row, 2)
                    || !PyTuple_GET_ITEM(row, 3)))
            Py_CLEAR(row);
        append_new(&rows, row);
    }
    if (rows)
        out = first < 0 ? Py_BuildValue("(OO)", rows, Py_None) : Py_BuildValue("(On)", rows, first);
done:
    Py_XDECREF(rows);
    PyMem_Free(found);
    PyBuffer_Release(&text);
    return out;
}

/* ---- the result lines of an evaluation, and what its checkpoint dict says ----
 *
 * ingest/eval_log.py reads a Base, AutoAttack or re-evaluation log's results through `eval_results`,
 * ingest/eval_header.py the printed checkpoint dict through `checkpoint_values`; tests/eval_oracle.py
 * states the same rules as the regular expressions they were first written as, and tests/test_scan.py
 * holds the two to the same answers. Matched from Python, these few lines took a third of the ~160 us an
 * evaluation log cost to parse (28,650 of them at full scale): each rule was a search, a match and a
 * handful of calls; compiled, ~5 us.
 *
 * Each result line is looked for at the last occurrence of its leading literal in the whole log and
 * matched there only (a number is what ingest.numbers.NUM matches, taken whole; END is `[ \t\r]*\n`):
 *   Natural Correct Count: \d+/\d+, Acc: NUM( Test Loss: NUM)? END
 *   FGSM with \d+ steps? Correct Count: \d+/\d+, Acc: NUM, Stable: NUM END
 *   PGD with \d+ steps Correct Count: \d+/\d+, Acc: NUM, Stable: NUM( LIP: NUM)? END   (and `CW with`)
 *   -AA Acc(uracy)?: NUM END
 * An optional part is taken when it matches whole, else skipped (the expressions' possessive `?+`). */

/* last occurrence of needle in s[from:to], or -1: the candidates are the occurrences of its byte at
 * `anchor`, looked for from the end (memrchr); an anchor rare in the logs (`{` of ` {'`) makes it
 * read the text once at memory speed */
static Py_ssize_t rfind(const char *s, Py_ssize_t from, Py_ssize_t to, const char *needle, Py_ssize_t len, Py_ssize_t anchor)
{
    if (from < 0)
        from = 0;
    if (len <= 0 || to - from < len)
        return -1;
    const char byte = needle[anchor];
    const char *first = s + from + anchor; /* the anchor's first and (after) last possible places */
    const char *stop = s + to - len + anchor + 1;
    while (stop > first) {
#if defined(__GLIBC__)
        const char *hit = memrchr(first, byte, (size_t)(stop - first));
#else
        const char *hit = stop - 1;
        while (hit >= first && *hit != byte)
            hit--;
        if (hit < first)
            hit = NULL;
#endif
        if (!hit)
            return -1;
        if (memcmp(hit - anchor, needle, (size_t)len) == 0)
            return hit - anchor - s;
        stop = hit;
    }
    return -1;
}

/* the end of the `\d+` at s[i], or -1 */
static Py_ssize_t digits_end(const char *s, Py_ssize_t i, Py_ssize_t n)
{
    Py_ssize_t j = i;
    while (j >= 0 && j < n && is_digit(s[j]))
        j++;
    return j > i && i >= 0 ? j : -1;
}

/* the end of the number at s[i] (ingest.numbers.NUM), or -1; i may be -1 (no match before it) */
static Py_ssize_t num_end(const char *s, Py_ssize_t i, Py_ssize_t n) { return i < 0 ? -1 : number_end(s, i, n); }

/* the position after `[ \t\r]*\n` at s[i], or -1 */
static Py_ssize_t after_line_end(const char *s, Py_ssize_t i, Py_ssize_t n)
{
    if (i < 0)
        return -1;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i < n && s[i] == '\n' ? i + 1 : -1;
}

typedef struct {
    Py_ssize_t at, end; /* at -1: no such group */
} Group;

/* `\d+/\d+, Acc: NUM` at s[i]: the three groups; the position after it, or -1 */
static Py_ssize_t counted_acc(const char *s, Py_ssize_t i, Py_ssize_t n, Group g[3])
{
    g[0].at = i;
    i = g[0].end = digits_end(s, i, n);
    g[1].at = i = after_literal(s, i, n, "/");
    i = g[1].end = digits_end(s, i, n);
    g[2].at = i = after_literal(s, i, n, ", Acc: ");
    return g[2].end = num_end(s, i, n);
}

/* ` <label>NUM` at s[i] when it is there whole: its group set and the position after it; else i */
static Py_ssize_t optional_number(const char *s, Py_ssize_t i, Py_ssize_t n, const char *label, Group *g)
{
    g->at = -1;
    Py_ssize_t at = after_literal(s, i, n, label), end = num_end(s, at, n);
    if (end < 0)
        return i;
    g->at = at;
    g->end = end;
    return end;
}

/* The groups of a result line (what follows its literal up to the line end) as a tuple of bytes and
 * None, or None when it does not match. */
static PyObject *groups_of(const char *s, const Group *g, int count, Py_ssize_t matched_end)
{
    if (matched_end < 0)
        return Py_NewRef(Py_None);
    PyObject *tuple = PyTuple_New(count);
    for (int k = 0; tuple && k < count; k++) {
        PyObject *item = g[k].at < 0 ? Py_NewRef(Py_None) : PyBytes_FromStringAndSize(s + g[k].at, g[k].end - g[k].at);
        if (!item)
            Py_CLEAR(tuple);
        else
            PyTuple_SET_ITEM(tuple, k, item);
    }
    return tuple;
}

enum { NATURAL, FGSM, PGD, CW, AUTOATTACK, COST, N_LITERALS };
static const char *const RESULT_LITERALS[N_LITERALS] = {"Natural Correct Count: ", "FGSM with ", "PGD with ", "CW with ",
                                                         "-AA Acc", "Running Cost "};
static const Py_ssize_t ANCHORS[N_LITERALS] = {0, 1, 0, 1, 1, 0}; /* N, G, P, W, A, R: capitals, rare in a log */
#define MESSAGE_LIMIT 400 /* bytes of a message kept: a result line is well under, a damaged one may be huge */

/* The result line at `at` (an occurrence of RESULT_LITERALS[which]) matched: its groups, or None. */
static PyObject *result_line(const char *s, Py_ssize_t n, int which, Py_ssize_t at)
{
    Group g[6];
    Py_ssize_t i = at < 0 ? -1 : at + (Py_ssize_t)strlen(RESULT_LITERALS[which]);
    switch (which) {
    case NATURAL:
        i = counted_acc(s, i, n, g);
        if (i >= 0)
            i = optional_number(s, i, n, " Test Loss: ", &g[3]);
        return groups_of(s, g, 4, after_line_end(s, i, n));
    case FGSM:
    case PGD:
    case CW:
        i = after_literal(s, digits_end(s, i, n), n, " step");
        if (which == FGSM) {
            if (i >= 0 && i < n && s[i] == 's')
                i++;
        } else {
            i = after_literal(s, i, n, "s");
        }
        i = counted_acc(s, after_literal(s, i, n, " Correct Count: "), n, g);
        g[3].at = i = after_literal(s, i, n, ", Stable: ");
        i = g[3].end = num_end(s, i, n);
        if (which == FGSM)
            return groups_of(s, g, 4, after_line_end(s, i, n));
        if (i >= 0)
            i = optional_number(s, i, n, " LIP: ", &g[4]);
        return groups_of(s, g, 5, after_line_end(s, i, n));
    default: /* AUTOATTACK */
        if (i >= 0 && n - i >= 5 && memcmp(s + i, "uracy", 5) == 0)
            i += 5;
        g[0].at = i = after_literal(s, i, n, ": ");
        i = g[0].end = num_end(s, i, n);
        return groups_of(s, g, 1, after_line_end(s, i, n));
    }
}

/* the start of the line holding s[at] */
static Py_ssize_t line_start_of(const char *s, Py_ssize_t at)
{
    while (at > 0 && s[at - 1] != '\n')
        at--;
    return at;
}

/* The message of the record on the line holding `at`: the line after its 24-byte timestamp prefix, at
 * most MESSAGE_LIMIT bytes, without trailing `\r`, decoded (bad UTF-8 replaced). The one rule of the
 * sample lines of every code format (ingest/log_format.py), exposed as `line_message`. */
static PyObject *message_at(const char *s, Py_ssize_t n, Py_ssize_t at)
{
    Py_ssize_t line = line_start_of(s, at);
    const char *nl = memchr(s + line, '\n', (size_t)(n - line));
    Py_ssize_t end = nl ? nl - s : n, from = line + 24;
    if (end > from + MESSAGE_LIMIT)
        end = from + MESSAGE_LIMIT;
    while (end > from && s[end - 1] == '\r')
        end--;
    return text_of(s + from, end > from ? end - from : 0);
}

static PyObject *line_message(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t at;
    if (!PyArg_ParseTuple(args, "y*n:line_message", &text, &at))
        return NULL;
    PyObject *out = at >= 0 && at <= text.len ? message_at(text.buf, text.len, at)
                                               : PyErr_Format(PyExc_IndexError, "offset %zd outside the data", at);
    PyBuffer_Release(&text);
    return out;
}

/* ---- the code format of a training log (ingest/log_format.py `training_format`) ----
 *
 * Which lines of a training log show its code version, as tests/format_oracle.py states them in plain
 * Python: the first ` ### Start to evaluate from ` record before the first header (and how many there
 * are), the first `Eval Loss:` record of the first segment, then the attack blocks of that first
 * validated epoch (at most two): each an optional `---- ` title line just before its `Natural Correct
 * Count: ` line, that line and the four after it, and an optional `Best ` line; a second block follows
 * the first directly, starting with its title or its Natural line. */

/* whether `literal` is at s[at] (`after_literal`, as a test) */
static int starts_at(const char *s, Py_ssize_t n, Py_ssize_t at, const char *literal)
{
    return after_literal(s, at, n, literal) >= 0;
}

/* the start of the line after the one starting at `line`, or -1 when it is the last */
static Py_ssize_t next_line_start(const char *s, Py_ssize_t n, Py_ssize_t line)
{
    const char *nl = line < n ? memchr(s + line, '\n', (size_t)(n - line)) : NULL;
    return nl ? nl - s + 1 : -1;
}

#define MAX_FORMAT_LINES (2 + 2 * 7) /* a start line, an Eval Loss line, two blocks of a title, five lines and a Best line */

static PyObject *training_format_lines(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t header, end;
    int finished;
    if (!PyArg_ParseTuple(args, "y*nnp:training_format_lines", &text, &header, &end, &finished))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    if (header < 0 || header > n)
        header = header < 0 ? 0 : n;
    if (end > n)
        end = n;
    static const char START[] = " ### Start to evaluate from ", NATURAL_COUNT[] = "Natural Correct Count: ";
    Py_ssize_t start_lines = 0, lines[MAX_FORMAT_LINES], n_lines = 0, block_start[3] = {0, 0, 0}, n_blocks = 0;
    Py_ssize_t start = find(s, 0, header, START, (Py_ssize_t)strlen(START));
    for (Py_ssize_t at = start; at >= 0; at = find(s, at + (Py_ssize_t)strlen(START), header, START, (Py_ssize_t)strlen(START)))
        start_lines++;
    if (start >= 0)
        lines[n_lines++] = line_start_of(s, start);
    Py_ssize_t eval_loss = find(s, header, end, "Eval Loss:", 10);
    if (eval_loss >= 0) {
        lines[n_lines++] = line_start_of(s, eval_loss);
        Py_ssize_t at = find(s, eval_loss, end, NATURAL_COUNT, (Py_ssize_t)strlen(NATURAL_COUNT));
        while (at >= 0 && n_blocks < 2) {
            block_start[n_blocks] = n_lines;
            Py_ssize_t line = line_start_of(s, at);
            Py_ssize_t previous = line > 0 ? line_start_of(s, line - 1) : -1;
            if (previous >= 0 && starts_at(s, n, previous + 24, "---- "))
                lines[n_lines++] = previous;
            Py_ssize_t pos = line;
            for (int k = 0; k < 5 && pos >= 0; k++) {
                lines[n_lines++] = pos;
                pos = next_line_start(s, n, pos);
            }
            if (pos >= 0 && starts_at(s, n, pos + 24, "Best ")) {
                lines[n_lines++] = pos;
                pos = next_line_start(s, n, pos);
            }
            n_blocks++;
            if (pos < 0 || (!starts_at(s, n, pos + 24, NATURAL_COUNT) && !starts_at(s, n, pos + 24, "---- ")))
                break; /* the epoch had one block */
            at = find(s, pos, end, NATURAL_COUNT, (Py_ssize_t)strlen(NATURAL_COUNT));
        }
    }
    block_start[n_blocks] = n_lines;
    int titled = n_blocks > 0 && starts_at(s, n, lines[block_start[0]] + 24, "---- ");
    Py_ssize_t cost = finished ? rfind(s, 0, n, "Running Cost ", 13, 0) : -1;
    PyObject *messages = PyList_New(0), *blocks = PyList_New(0), *out = NULL;
    for (Py_ssize_t i = 0; messages && i < n_lines; i++)
        append_new(&messages, message_at(s, n, lines[i]));
    for (Py_ssize_t b = 0; messages && blocks && b < n_blocks; b++)
        append_new(&blocks, PyList_GetSlice(messages, block_start[b], block_start[b + 1]));
    if (messages && blocks && cost >= 0)
        append_new(&messages, message_at(s, n, cost));
    if (messages && blocks)
        out = Py_BuildValue("(nOOO)", start_lines, titled ? Py_True : Py_False, messages, blocks);
    Py_XDECREF(messages);
    Py_XDECREF(blocks);
    PyBuffer_Release(&text);
    return out;
}

/* whether s[at] starts a record's message: a line starting with a timestamp and a space 24 bytes before
 * (ingest/logtext.py message_starts_record) */
static int starts_message(const char *s, Py_ssize_t n, Py_ssize_t at)
{
    Py_ssize_t line = at - 24;
    return line >= 0 && (line == 0 || s[line - 1] == '\n') && line + 23 < n && s[line + 23] == ' ' && is_timestamp(s + line);
}

/* ---- where the runs of an evaluation log start (ingest/appended.py) ----
 *
 * The evaluation scripts' logger appends, so one file may hold several runs. Each run logs `GPU List:
 * [...]` (on a GPU), then its argument lines, `seed: <n>` and `model: arch_<id>` first: those two
 * records in a row start a run, at the `GPU List:` record right before them when there is one. The
 * config lines after the arguments print `seed` too, but never right before a `model:` that is not a
 * `Config(`. tests/eval_oracle.py states the rule in plain Python. */

/* where the run whose argument lines start at `line` starts, or -1 when they do not start there */
static Py_ssize_t run_start_at(const char *s, Py_ssize_t n, Py_ssize_t line)
{
    Py_ssize_t seed = line + 24;
    if (line < 0 || !starts_at(s, n, seed, "seed: ") || !starts_message(s, n, seed))
        return -1;
    const char *nl = memchr(s + seed, '\n', (size_t)(n - seed));
    if (!nl)
        return -1;
    Py_ssize_t model = nl - s + 1 + 24;
    if (!starts_at(s, n, model, "model: ") || !starts_message(s, n, model) || starts_at(s, n, model + 7, "Config("))
        return -1;
    Py_ssize_t previous = line > 0 ? line_start_of(s, line - 1) : 0;
    if (previous < line && starts_at(s, n, previous + 24, "GPU List: ") && starts_message(s, n, previous + 24))
        return previous;
    return line;
}

static PyObject *argument_start(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t line;
    if (!PyArg_ParseTuple(args, "y*n:argument_start", &text, &line))
        return NULL;
    Py_ssize_t start = line <= text.len ? run_start_at(text.buf, text.len, line) : -1;
    PyBuffer_Release(&text);
    return start < 0 ? Py_NewRef(Py_None) : PyLong_FromSsize_t(start);
}

static PyObject *argument_starts(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    if (!PyArg_ParseTuple(args, "y*:argument_starts", &text))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    PyObject *starts = PyList_New(0);
    for (Py_ssize_t at = find(s, 24, n, "seed: ", 6); starts && at >= 0; at = find(s, at + 1, n, "seed: ", 6)) {
        Py_ssize_t start = run_start_at(s, n, at - 24);
        if (start > 0) /* (0 is the first run's) */
            append_new(&starts, PyLong_FromSsize_t(start));
    }
    PyBuffer_Release(&text);
    return starts;
}

enum { WANT_AA_CLEAN = 1, WANT_TEST_LOSS = 2 };

static PyObject *eval_results(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    Py_ssize_t results;
    int wants;
    if (!PyArg_ParseTuple(args, "y*ni:eval_results", &text, &results, &wants))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    if (results < 0)
        results = 0;
    if (results > n)
        results = n;
    PyObject *out = PyTuple_New(9), *messages = PyTuple_New(N_LITERALS);
    if (!out || !messages)
        goto fail;
    for (int which = 0; which < N_LITERALS; which++) {
        const char *literal = RESULT_LITERALS[which];
        Py_ssize_t at = rfind(s, 0, n, literal, (Py_ssize_t)strlen(literal), ANCHORS[which]);
        PyObject *message = at >= results && at >= 0 ? message_at(s, n, at) : Py_NewRef(Py_None);
        if (!message)
            goto fail;
        PyTuple_SET_ITEM(messages, which, message);
        if (which == COST)
            continue;
        PyObject *line = result_line(s, n, which, at);
        if (!line)
            goto fail;
        PyTuple_SET_ITEM(out, which, line);
    }
    PyObject *clean = NULL, *test_loss = NULL;
    if (wants & WANT_AA_CLEAN) { /* AutoAttack's first report: the clean accuracy of its test subset */
        Py_ssize_t at = find(s, 0, n, "initial accuracy: ", 18), end = num_end(s, at < 0 ? -1 : at + 18, n);
        if (end >= 0 && end < n && s[end] == '%' && !(clean = PyBytes_FromStringAndSize(s + at + 18, end - at - 18)))
            goto fail;
    }
    PyTuple_SET_ITEM(out, 5, clean ? clean : Py_NewRef(Py_None));
    if (wants & WANT_TEST_LOSS) { /* the first re-evaluation script's `Test Loss: <x>` record */
        Py_ssize_t at = rfind(s, 0, n, "Test Loss: ", 11, 5);
        Py_ssize_t end = at >= 0 && starts_message(s, n, at) ? num_end(s, at + 11, n) : -1;
        if (after_line_end(s, end, n) >= 0 && !(test_loss = PyBytes_FromStringAndSize(s + at + 11, end - at - 11)))
            goto fail;
    }
    PyTuple_SET_ITEM(out, 6, test_loss ? test_loss : Py_NewRef(Py_None));
    Py_ssize_t batches = 0; /* the progress lines after the results start (none before: one of its markers);
                               * memchr for their `N` and a comparison cost a third of memmem's set-up per line */
    for (const char *at = memchr(s + results, 'N', (size_t)(n - results)); at && n - (at - s) >= 12;
         at = memchr(at, 'N', (size_t)(n - (at - s)))) {
        if (memcmp(at, "Nature Acc: ", 12) == 0) {
            batches++;
            at += 12;
        } else {
            at++;
        }
    }
    PyTuple_SET_ITEM(out, 7, PyLong_FromSsize_t(batches));
    PyTuple_SET_ITEM(out, 8, messages);
    messages = NULL;
    if (!PyTuple_GET_ITEM(out, 7))
        goto fail;
    PyBuffer_Release(&text);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(messages);
    PyBuffer_Release(&text);
    return NULL;
}

/* The four scalars picked from the checkpoint dict printed after the results (ingest/eval_header.py
 * checkpoint_fields): on the line of the last ` {'`, the first `'best_pgdcw_acc': `, `'best_pgd_acc': `
 * and `'global_step': ` each followed by a number, optionally wrapped as `np.<word>(`; and the number of
 * `(` in the first `'pgdcw_eval_history': [...]`. */
static PyObject *checkpoint_values(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer text;
    if (!PyArg_ParseTuple(args, "y*:checkpoint_values", &text))
        return NULL;
    const char *s = text.buf;
    Py_ssize_t n = text.len;
    static const char *const KEYS[3] = {"'best_pgdcw_acc': ", "'best_pgd_acc': ", "'global_step': "};
    PyObject *out = PyTuple_New(4);
    for (int k = 0; k < 4 && out; k++)
        PyTuple_SET_ITEM(out, k, Py_NewRef(Py_None));
    Py_ssize_t start = out ? rfind(s, 0, n, " {'", 3, 1) : -1;
    if (start >= 0) {
        const char *nl = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t end = nl ? nl - s : n;
        for (int k = 0; k < 3 && out; k++) {
            Py_ssize_t len = (Py_ssize_t)strlen(KEYS[k]), at = find(s, start, end, KEYS[k], len);
            Py_ssize_t i = at < 0 ? -1 : at + len;
            if (i >= 0 && end - i >= 3 && memcmp(s + i, "np.", 3) == 0) { /* `np.float64(` taken whole or not at all */
                Py_ssize_t j = i + 3;
                while (j < end && is_word(s[j]))
                    j++;
                if (j > i + 3 && j < end && s[j] == '(')
                    i = j + 1;
            }
            Py_ssize_t stop = num_end(s, i, end);
            if (stop >= 0) {
                PyObject *value = PyBytes_FromStringAndSize(s + i, stop - i);
                if (!value) {
                    Py_CLEAR(out);
                } else {
                    Py_DECREF(PyTuple_GET_ITEM(out, k));
                    PyTuple_SET_ITEM(out, k, value);
                }
            }
        }
        static const char HISTORY[] = "'pgdcw_eval_history': [";
        Py_ssize_t at = find(s, start, end, HISTORY, (Py_ssize_t)sizeof(HISTORY) - 1);
        const char *close = at < 0 ? NULL : memchr(s + at + sizeof(HISTORY) - 1, ']', (size_t)(end - at - (Py_ssize_t)sizeof(HISTORY) + 1));
        if (out && close) {
            Py_ssize_t opened = 0;
            for (const char *c = s + at + sizeof(HISTORY) - 1; c < close; c++)
                opened += *c == '(';
            PyObject *value = PyLong_FromSsize_t(opened);
            if (!value) {
                Py_CLEAR(out);
            } else {
                Py_DECREF(PyTuple_GET_ITEM(out, 3));
                PyTuple_SET_ITEM(out, 3, value);
            }
        }
    }
    PyBuffer_Release(&text);
    return out;
}

/* ---- the walk of a log repository: regular files below a folder, with size and mtime ----
 *
 * ingest/discover.py `discover` finds every file of the roots on every ingest, a no-op re-ingest too:
 * at full scale 53,834 files, where os.scandir and a stat_result per file took ~0.9 s and this ~0.2 s.
 * It does what the walk in Python did: entries listed with their type (a stat when the listing has
 * none), symbolic links not followed, `.git` folders not entered, a folder or file that cannot be
 * listed or stat'ed passed over, names decoded as os.fsdecode does (undecodable bytes as surrogates).
 * It makes the FoundFile tuples itself and gives them in the order of their paths' bytes (each
 * folder's entries sorted, a folder's name as if followed by '/'), so that discover's sort by path is
 * one pass; a folder is listed and its files stat'ed without the GIL.
 */

#ifdef __APPLE__
#define MTIME_NS(st) ((long long)(st)->st_mtimespec.tv_sec * 1000000000LL + (long long)(st)->st_mtimespec.tv_nsec)
#else
#define MTIME_NS(st) ((long long)(st)->st_mtim.tv_sec * 1000000000LL + (long long)(st)->st_mtim.tv_nsec)
#endif

typedef struct {
    char *bytes;
    size_t length, room;
} Path;

static int path_extend(Path *path, const char *part, size_t n)
{
    if (path->length + n + 1 > path->room) {
        size_t room = (path->length + n + 1) * 2;
        char *grown = PyMem_Realloc(path->bytes, room);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        path->bytes = grown;
        path->room = room;
    }
    memcpy(path->bytes + path->length, part, n);
    path->length += n;
    path->bytes[path->length] = '\0';
    return 0;
}

/* Why an entry that is neither a folder nor a regular file is not read (FoundFile.skip). */
#define NOT_FOLLOWED "a symbolic link: not followed (it may point anywhere); ingest what it points to"
#define NOT_A_FILE "not a regular file (a FIFO, socket or device): not read"
enum { REGULAR = 0, LINK = 1, SPECIAL = 2 };

/* One file: an instance of `type` (a tuple type of 9 items: ingest/discover.py FoundFile) holding
 * (path, root, rel_path, name, size, mtime_ns, "", None, skip), skip None for a REGULAR file, else
 * why it is not read; `rel_start` is where the path below the root begins, `name_start` where the
 * file's name does. */
static int add_file(PyObject *out, PyTypeObject *type, PyObject *root, const Path *path, size_t rel_start,
                    size_t name_start, long long size, long long mtime_ns, int special)
{
    PyObject *items[9] = {
        PyUnicode_DecodeFSDefaultAndSize(path->bytes, (Py_ssize_t)path->length), Py_NewRef(root),
        PyUnicode_DecodeFSDefaultAndSize(path->bytes + rel_start, (Py_ssize_t)(path->length - rel_start)),
        PyUnicode_DecodeFSDefaultAndSize(path->bytes + name_start, (Py_ssize_t)(path->length - name_start)),
        PyLong_FromLongLong(size), PyLong_FromLongLong(mtime_ns), PyUnicode_FromStringAndSize("", 0),
        Py_NewRef(Py_None),
        special == LINK ? PyUnicode_FromString(NOT_FOLLOWED)
                        : special == SPECIAL ? PyUnicode_FromString(NOT_A_FILE) : Py_NewRef(Py_None)};
    PyObject *row = NULL;
    int complete = 1;
    for (int i = 0; i < 9; i++)
        complete = complete && items[i] != NULL;
    if (complete)
        row = type->tp_alloc(type, 9);
    if (row == NULL) {
        for (int i = 0; i < 9; i++)
            Py_XDECREF(items[i]);
        return -1;
    }
    for (int i = 0; i < 9; i++)
        PyTuple_SET_ITEM(row, i, items[i]);
    int failed = PyList_Append(out, row);
    Py_DECREF(row);
    return failed;
}

/* An entry of a folder listed without the GIL: its name (in the folder's name buffer), whether it is a
 * folder, and a file's size and mtime. */
typedef struct {
    const char *name;
    size_t name_at, length;
    int is_folder, special;
    long long size, mtime_ns;
} Entry;

/* The byte of an entry's path at `i` past the folder: a folder's name goes on with '/'; -1 past the end. */
static int entry_byte(const Entry *e, size_t i)
{
    if (i < e->length)
        return (unsigned char)e->name[i];
    return i == e->length && e->is_folder ? '/' : -1;
}

/* Entries in the order of their paths' bytes: a folder's files sort as its name followed by '/'. */
static int compare_entries(const void *x, const void *y)
{
    const Entry *a = x, *b = y;
    size_t n = a->length < b->length ? a->length : b->length;
    int c = memcmp(a->name, b->name, n);
    for (size_t i = n; c == 0; i++) {
        int ca = entry_byte(a, i), cb = entry_byte(b, i);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            break;
    }
    return c;
}

/* The entries of the folder at `path` (its files stat'ed; links and other kinds as they are, not
 * followed: `special`; `.git` folders left out), sorted; called without the GIL (raw allocations
 * only). Returns the count, -1 for no memory; a folder that cannot be listed has none. `*names` holds
 * the names, each ending in '\0'. */
static Py_ssize_t list_folder(const char *path, Entry **entries_out, char **names_out)
{
    DIR *dir = opendir(path);
    *entries_out = NULL;
    *names_out = NULL;
    if (dir == NULL)
        return 0;
    Entry *entries = NULL;
    char *names = NULL;
    size_t n = 0, room = 0, names_length = 0, names_room = 0;
    int no_memory = 0;
    struct dirent *entry;
    while (!no_memory && (entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        struct stat st;
        int is_folder = entry->d_type == DT_DIR;
        if (is_folder && strcmp(name, ".git") == 0)
            continue;
        if (!is_folder && fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;  /* (gone since it was listed) */
        if (entry->d_type == DT_UNKNOWN && S_ISDIR(st.st_mode)) {
            is_folder = 1;
            if (strcmp(name, ".git") == 0)
                continue;
        }
        int special = is_folder || S_ISREG(st.st_mode) ? REGULAR : S_ISLNK(st.st_mode) ? LINK : SPECIAL;
        size_t length = strlen(name);
        if (n == room) {
            room = room ? room * 2 : 64;
            Entry *grown = PyMem_RawRealloc(entries, room * sizeof(Entry));
            no_memory = grown == NULL;
            if (!no_memory)
                entries = grown;
        }
        if (!no_memory && names_length + length + 1 > names_room) {
            names_room = (names_length + length + 1) * 2;
            char *grown = PyMem_RawRealloc(names, names_room);
            no_memory = grown == NULL;
            if (!no_memory)
                names = grown;
        }
        if (no_memory)
            break;
        memcpy(names + names_length, name, length + 1);
        entries[n] = (Entry){NULL, names_length, length, is_folder, special, is_folder ? 0 : (long long)st.st_size,
                             is_folder ? 0 : MTIME_NS(&st)};
        names_length += length + 1;
        n++;
    }
    closedir(dir);
    if (no_memory) {
        PyMem_RawFree(entries);
        PyMem_RawFree(names);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        entries[i].name = names + entries[i].name_at;
    qsort(entries, n, sizeof(Entry), compare_entries);
    *entries_out = entries;
    *names_out = names;
    return (Py_ssize_t)n;
}

/* The folder at `path` (its text ends with '/'): its files and the files below its folders added to
 * `out` in the order of their paths' bytes. The folder is listed and its files stat'ed without the
 * GIL: a thread of the ingest plans meanwhile. */
static int walk_folder(PyObject *out, PyTypeObject *type, PyObject *root, Path *path, size_t rel_start)
{
    Entry *entries;
    char *names;
    Py_ssize_t n;
    Py_BEGIN_ALLOW_THREADS
    n = list_folder(path->bytes, &entries, &names);
    Py_END_ALLOW_THREADS
    if (n < 0) {
        PyErr_NoMemory();
        return -1;
    }
    size_t folder_length = path->length;
    int failed = 0;
    for (Py_ssize_t i = 0; !failed && i < n; i++) {
        const Entry *e = &entries[i];
        if (e->is_folder)
            failed = path_extend(path, e->name, e->length) != 0 || path_extend(path, "/", 1) != 0 ||
                     walk_folder(out, type, root, path, rel_start) != 0;
        else
            failed = path_extend(path, e->name, e->length) != 0 ||
                     add_file(out, type, root, path, rel_start, folder_length, e->size, e->mtime_ns, e->special) != 0;
        path->length = folder_length;
        path->bytes[folder_length] = '\0';
    }
    PyMem_RawFree(entries);
    PyMem_RawFree(names);
    return failed ? -1 : 0;
}

static PyObject *walk_files(PyObject *module, PyObject *args)
{
    PyObject *root, *encoded;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "UO!:walk_files", &root, &PyType_Type, &type))
        return NULL;
    if (!PyType_IsSubtype(type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "walk_files: the row type must be a tuple type");
        return NULL;
    }
    if (!PyUnicode_FSConverter(root, &encoded))
        return NULL;
    Path path = {NULL, 0, 0};
    PyObject *out = PyList_New(0);
    const char *bytes = PyBytes_AS_STRING(encoded);
    size_t n = (size_t)PyBytes_GET_SIZE(encoded);
    int failed = out == NULL || path_extend(&path, bytes, n) != 0 ||
                 ((n == 0 || bytes[n - 1] != '/') && path_extend(&path, "/", 1) != 0);
    if (!failed)
        failed = walk_folder(out, type, root, &path, path.length) != 0;
    Py_DECREF(encoded);
    PyMem_Free(path.bytes);
    if (failed) {
        Py_XDECREF(out);
        return NULL;
    }
    return out;
}

/* One column of packed epoch rows -> (validity, values). `words` holds n rows of `stride` little-endian
 * int64 words (a float's bits for a float column); the column is word `column` of each row. The
 * Arrow validity bitmap has bit i set when row i's word is not `null_word` (None when every word is
 * a value); the values are the words themselves or, with `as_int32`, each narrowed to int32 (0 under
 * a null). A value too wide for int32 raises OverflowError, as Arrow's cast does. Read in place: a
 * strided copy per column in Python (memoryview slicing) cost ~25 ns a value. */
static PyObject *column_buffers(PyObject *module, PyObject *args)
{
    Py_buffer words;
    long long null_word;
    int as_int32;
    Py_ssize_t column = 0, stride = 1;
    if (!PyArg_ParseTuple(args, "y*Lp|nn:column_buffers", &words, &null_word, &as_int32, &column, &stride))
        return NULL;
    if (stride < 1 || column < 0 || column >= stride) {
        PyBuffer_Release(&words);
        return PyErr_Format(PyExc_ValueError, "column %zd is not a word of a %zd-word row", column, stride);
    }
    Py_ssize_t n = words.len / 8 / stride;
    const unsigned char *in = (const unsigned char *)words.buf + column * 8;
    PyObject *values = PyBytes_FromStringAndSize(NULL, as_int32 ? n * 4 : n * 8);
    PyObject *validity = PyBytes_FromStringAndSize(NULL, (n + 7) / 8);
    if (values == NULL || validity == NULL) {
        PyBuffer_Release(&words);
        Py_XDECREF(values);
        Py_XDECREF(validity);
        return NULL;
    }
    unsigned char *bits = (unsigned char *)PyBytes_AS_STRING(validity);
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(values);
    memset(bits, 0, (size_t)((n + 7) / 8));
    Py_ssize_t nulls = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t word;
        memcpy(&word, in + i * stride * 8, 8);
        int is_null = word == (int64_t)null_word;
        nulls += is_null;
        if (!is_null)
            bits[i / 8] |= (unsigned char)(1u << (i % 8));
        if (!as_int32) {
            memcpy(out + i * 8, &word, 8);
            continue;
        }
        if (!is_null && (word < INT32_MIN || word > INT32_MAX)) {
            PyBuffer_Release(&words);
            Py_DECREF(values);
            Py_DECREF(validity);
            return PyErr_Format(PyExc_OverflowError, "integer value %lld does not fit int32", (long long)word);
        }
        int32_t narrow = is_null ? 0 : (int32_t)word;
        memcpy(out + i * 4, &narrow, 4);
    }
    PyBuffer_Release(&words);
    if (nulls == 0) {
        Py_DECREF(validity);
        validity = Py_NewRef(Py_None);
    }
    return Py_BuildValue("(NN)", validity, values);
}

/* ------------------------------------------------------------------ substring searches
 *
 * `find` answers exactly what `bytes.find` answers, for non-negative start and end (an end past the
 * text is its length). CPython's own forward search runs at ~2 GB/s on these logs, memmem at ~7 GB/s:
 * a search that finds nothing in a 34 KB evaluation log took 16.4 us against 4.5 us. The evaluation
 * parsers search each log several times over most of its length (tests/test_scan.py holds it to the
 * bytes method). The reverse searches of `eval_results` are its own `rfind`, anchored on a byte rare in
 * the logs: anchored on a needle's last byte, a `memrchr` loop lost to `bytes.rfind` on needles ending
 * in a space (21 against 2.7 us over 20 KB for `Running Cost `). */

/* the arguments of a search: (data: bytes, needle: bytes, start=0, end=len(data)); 0 on success */
static int search_args(PyObject *const *args, Py_ssize_t nargs, const char *name, const char **s, Py_ssize_t *n,
                       const char **needle, Py_ssize_t *len, Py_ssize_t *from, Py_ssize_t *to)
{
    if (nargs < 2 || nargs > 4) {
        PyErr_Format(PyExc_TypeError, "%s() takes from 2 to 4 arguments (%zd given)", name, nargs);
        return -1;
    }
    if (!PyBytes_Check(args[0]) || !PyBytes_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "%s() searches bytes for bytes", name);
        return -1;
    }
    *s = PyBytes_AS_STRING(args[0]);
    *n = PyBytes_GET_SIZE(args[0]);
    *needle = PyBytes_AS_STRING(args[1]);
    *len = PyBytes_GET_SIZE(args[1]);
    *from = 0;
    *to = *n;
    if (nargs > 2 && (*from = PyLong_AsSsize_t(args[2])) == -1 && PyErr_Occurred())
        return -1;
    if (nargs > 3 && (*to = PyLong_AsSsize_t(args[3])) == -1 && PyErr_Occurred())
        return -1;
    if (*from < 0 || *to < 0) {
        PyErr_Format(PyExc_ValueError, "%s(): start and end must not be negative", name);
        return -1;
    }
    if (*to > *n)
        *to = *n;
    return 0;
}

static PyObject *find_bytes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    const char *s, *needle;
    Py_ssize_t n, len, from, to;
    if (search_args(args, nargs, "find", &s, &n, &needle, &len, &from, &to) < 0)
        return NULL;
    if (from > n)
        return PyLong_FromLong(-1);
    return PyLong_FromSsize_t(len == 0 ? (from <= to ? from : -1) : find(s, from, to, needle, len));
}

static PyMethodDef methods[] = {
    {"scan_training_log", scan_training_log, METH_VARARGS,
     "scan_training_log(data: bytes, last_step_only=False) -> (headers, n, rows, has_nan, grad_norm_median,\n"
     "steps_per_second, step_lines, grad_norm_nonfinite): the byte offsets of the Namespace( records, the epoch\n"
     "records packed as ingest.records.EpochRows lays them out, and the run's step-line figures.\n"
     "last_step_only (the benchmark's measure of the step-line columns) reads only each epoch's last step line."},
    {"header_records", header_records, METH_VARARGS,
     "header_records(data: bytes, start, stop) -> [(offset, key, value)]: the `key: value` and `key = value`\n"
     "records of data[start:stop], in order (values without trailing whitespace, text decoded as UTF-8)."},
    {"header_fields", header_fields, METH_VARARGS,
     "header_fields(data: bytes, stop, after, config_start) -> (values, names, configs): key -> value of the records\n"
     "of data[:stop] (first of each key, no `Config(` values), the argument names after the line at `after`, and\n"
     "(key, rest of the line) of each `<key>: Config([` in data[config_start:stop]."},
    {"corruption_results", corruption_results, METH_VARARGS,
     "corruption_results(data: bytes) -> ([(name, level, acc, loss)], first): the rows of a corruption evaluation's\n"
     "result lines, one per (name, level) from the last such line, sorted by (name, level): name str, level int,\n"
     "acc and loss float as Python's int() and float() read the logged text; and the offset of the first result\n"
     "line's record (None when there is none)."},
    {"eval_results", eval_results, METH_VARARGS,
     "eval_results(data: bytes, results: int, wants: int) -> (natural, fgsm, pgd, cw, aa, aa_clean, test_loss,\n"
     "n_batches, messages): the last result line of each kind as a tuple of its groups (bytes or None; None when\n"
     "it does not match), AutoAttack's `initial accuracy` (wants & 1) and a `Test Loss:` record (wants & 2) as\n"
     "bytes, the `Nature Acc: ` lines from `results` on, and the message of the last line of each result kind and\n"
     "of `Running Cost` from `results` on (str or None)."},
    {"argument_start", argument_start, METH_VARARGS,
     "argument_start(data: bytes, line) -> int | None: where the evaluation run whose argument lines start at\n"
     "`line` starts (its `GPU List:` record, or `line`); None when no `seed:` record followed by a `model:`\n"
     "record that is no `Config(` starts there."},
    {"argument_starts", argument_starts, METH_VARARGS,
     "argument_starts(data: bytes) -> list[int]: where each evaluation run after the first starts its argument\n"
     "lines (argument_start of every `seed: ` record), in file order."},
    {"line_message", line_message, METH_VARARGS,
     "line_message(data: bytes, at) -> str: the message of the record on the line holding data[at] (after its\n"
     "24-byte timestamp, at most 400 bytes, trailing \\r removed, bad UTF-8 replaced)."},
    {"training_format_lines", training_format_lines, METH_VARARGS,
     "training_format_lines(data: bytes, header, end, finished) -> (start_lines, titled, messages, blocks): of a\n"
     "training log whose first header starts at `header` and whose first segment ends at `end`, the messages of\n"
     "the lines that show its code format (a `Running Cost` line's last when `finished`), the same messages\n"
     "grouped by attack block, how many ` ### Start to evaluate from ` lines precede the header and whether\n"
     "the blocks have titles."},
    {"checkpoint_values", checkpoint_values, METH_VARARGS,
     "checkpoint_values(data: bytes) -> (best_pgdcw_acc, best_pgd_acc, global_step, epochs): the scalars of the\n"
     "checkpoint dict printed last (bytes or None) and the entries of its pgdcw_eval_history (int or None)."},
    {"column_buffers", column_buffers, METH_VARARGS,
     "column_buffers(words: bytes, null_word: int, as_int32: bool, column=0, stride=1) -> (validity: bytes | None,\n"
     "values: bytes): word `column` of each row of `stride` words of packed epoch rows, as the buffers of an Arrow\n"
     "array (validity None: no nulls); as_int32 narrows each value (0 under a null) and raises OverflowError for one\n"
     "too wide."},
    {"walk_files", walk_files, METH_VARARGS,
     "walk_files(root: str, row: type) -> [row(path, root, rel_path, name, size, mtime_ns, '', None, skip)]: the\n"
     "files below the folder root in the order of their paths' bytes (.git folders not entered, what cannot be listed\n"
     "passed over); a symbolic link or a FIFO, socket or device is listed as it is, not followed or read, with skip\n"
     "saying why (None for a regular file); row is a tuple type of 9 items (ingest/discover.py FoundFile)."},
    {"find", (PyCFunction)(void (*)(void))find_bytes, METH_FASTCALL,
     "find(data: bytes, needle: bytes, start=0, end=len(data)) -> data.find(needle, start, end), by memmem\n"
     "(start and end not negative)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ingest._scan",
                                    "The compiled readers of the benchmark's logs and walk of its folders (see ingest/_scan.c).", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
