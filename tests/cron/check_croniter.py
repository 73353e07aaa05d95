#!/usr/bin/env python3
"""Reference test of flowsync's cron schedules (CronSchedule::Next).

Generates random schedules and random instants in 2000-2040 with a fixed seed,
runs them through the cron_probe binary (argv[1]) and compares every answer
with two references:

1. croniter (Debian python3-croniter 1.3.5), an independent cron
   implementation, for every case whose syntax and semantics both share (see
   "Excluded from the croniter comparison" below);
2. a small Python model of robfig/cron v3's search (the rule documented in
   include/flowsync/cron.h) running on Python's own zoneinfo, for every case,
   DST changes included. It shares the algorithm with the C++ code but none of
   the time-zone machinery (TZif reading, POSIX footer rules, Go's time.Date
   choice for skipped and repeated wall times), which it checks.

Excluded from the croniter comparison, because croniter and robfig/cron v3
(which flowlord uses and flowsync follows) genuinely differ there:
- Instants where the UTC offset changes between the start (less three
  hours) and the later of the two answers: croniter steps through wall-clock datetimes and then
  applies its own DST correction; robfig skips wall times in a spring-forward
  gap and fires twice in a fall-back overlap. These cases are checked against
  the model only (and in src/cron/cron_test.cc against robfig's own cases).
- Zones that change their offset at midnight (Casablanca, Gaza), when such
  a change falls between the 1st of the start's month and the answer:
  robfig's month search steps from 00:00 on the 1st from month to month
  keeping the clock time, and where a 1st has no midnight it continues from
  01:00 (documented in cron.h). Model only.
- Day fields that list every value without '*' ("1-31", "0-6", "*/1" is not
  generated): croniter treats them as '*' (AND with the other day field),
  robfig as restricted (OR).
- Day-of-week "a/n" steps: croniter reads them as a-7/n (7 = Sunday), robfig
  as a-6/n; generated only when both give the same days.
- Syntax croniter does not have or reads differently is not generated: the
  seconds field goes first for flowsync and last for croniter (mapped here),
  '?', '*' inside lists, "*-n", empty list items, day of week 7 (robfig
  rejects it), names with steps, @every (model only). The unit tests cover
  these.
- Day-of-month lists holding a day February lacks (30 or 31, or 29 in a
  common year) when the search passes through a February: croniter 1.3.5
  jumps "31 - today" days from late February and lands past the early March
  days it should have found ("0 0 1,31 * *" from 2006-02-26 gives 03-31,
  not 03-01); a croniter bug, not a semantic difference.
- Both day fields restricted (OR) with a day of month that none of the
  months has ("0 0 31 6 0"): croniter searches each half on its own and
  raises "failed to find next date" for the impossible half instead of
  taking the other (June's Sundays here); another croniter bug.
- Schedules that can never fire (e.g. day 31 in April only): robfig stops
  after five years, croniter after fifty; not generated.
"""

import bisect
import datetime
import os
import random
import subprocess
import sys
import time
import zoneinfo

try:
    from croniter import croniter, CroniterBadDateError
except ImportError:
    # Debian's package installs for Debian's interpreter; another python3
    # first on PATH (a pyenv one, say) does not see it.
    debian_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(debian_python) and \
            os.path.exists(debian_python):
        os.execv(debian_python, [debian_python] + sys.argv)
    sys.exit("check_croniter.py: python3-croniter is not installed")

SEED = 20261122
CASES = 20000
ZONES = ["UTC", "Asia/Kolkata", "Asia/Tokyo", "America/New_York", "Europe/Berlin",
         "Australia/Adelaide", "America/Sao_Paulo", "Australia/Lord_Howe", "Europe/London",
         "Pacific/Apia", "Pacific/Chatham", "Asia/Kathmandu", "America/St_Johns",
         "Africa/Casablanca", "Antarctica/Troll"]
START = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
END = int(datetime.datetime(2041, 1, 1, tzinfo=datetime.timezone.utc).timestamp())

# (name, min, max, names)
FIELDS = {
    "second": (0, 59, None),
    "minute": (0, 59, None),
    "hour": (0, 23, None),
    "dom": (1, 31, None),
    "month": (1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                      "nov", "dec"]),
    "dow": (0, 6, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
}
MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # Feb 29 exists every 4 years


# ------------------------------------------------------------------ generator

def value_text(rng, kind, v):
    lo, _, names = FIELDS[kind]
    if names and rng.random() < 0.3:
        name = names[v - lo]
        return rng.choice([name, name.upper(), name.capitalize()])
    return str(v)


def gen_element(rng, kind):
    """One list element without '*': (text, set of values)."""
    lo, hi, _ = FIELDS[kind]
    form = rng.random()
    if form < 0.35:
        v = rng.randint(lo, hi)
        return value_text(rng, kind, v), {v}
    if form < 0.6:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        return f"{value_text(rng, kind, a)}-{value_text(rng, kind, b)}", set(range(a, b + 1))
    if form < 0.8:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        n = rng.randint(1, max(1, (hi - lo) // 2))
        return f"{a}-{b}/{n}", set(range(a, b + 1, n))
    a = rng.randint(lo, hi)
    n = rng.randint(1, max(1, (hi - lo) // 2))
    if kind == "dow" and (7 - a) % n == 0:
        return None  # croniter would add Sunday (a-7/n); see the docstring
    return f"{a}/{n}", set(range(a, hi + 1, n))


def gen_field(rng, kind, star_chance):
    """(text, values, star) of one field."""
    lo, hi, _ = FIELDS[kind]
    while True:
        r = rng.random()
        if r < star_chance:
            return "*", set(range(lo, hi + 1)), True
        if r < star_chance + 0.15:
            n = rng.randint(2, max(2, (hi - lo + 1) // 2))
            text, values = f"*/{n}", set(range(lo, hi + 1, n))
        else:
            parts = [gen_element(rng, kind) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
            if None in parts:
                continue
            text = ",".join(p[0] for p in parts)
            values = set().union(*(p[1] for p in parts))
        if kind in ("dom", "dow") and values == set(range(lo, hi + 1)):
            continue  # croniter reads a full day field as '*'; see the docstring
        return text, values, False


def can_fire(f):
    dom_star, dow_star = f["dom"][2], f["dow"][2]
    if dom_star or not dow_star:
        return True  # dom '*', or both restricted (OR)
    return any(min(f["dom"][1]) <= MONTH_DAYS[m - 1] for m in f["month"][1])


DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def gen_schedule(rng):
    """A dict with the spec (without zone), the croniter form and field sets."""
    r = rng.random()
    if r < 0.04:
        name = rng.choice(sorted(DESCRIPTORS))
        sched = gen_from_text(DESCRIPTORS[name])
        sched["spec"] = name
        return sched
    if r < 0.07:
        h, m, s = rng.randint(0, 30), rng.randint(0, 59), rng.randint(0, 59)
        text = "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v) or "0s"
        return {"spec": f"@every {text}", "every": max(1, h * 3600 + m * 60 + s), "cron": None}
    while True:
        with_seconds = rng.random() < 0.3
        f = {
            "second": gen_field(rng, "second", 0.3) if with_seconds else ("0", {0}, False),
            "minute": gen_field(rng, "minute", 0.2),
            "hour": gen_field(rng, "hour", 0.4),
            "dom": gen_field(rng, "dom", 0.6),
            "month": gen_field(rng, "month", 0.6),
            "dow": gen_field(rng, "dow", 0.6),
        }
        if can_fire(f):
            break
    order = ["minute", "hour", "dom", "month", "dow"]
    five = " ".join(f[k][0] for k in order)
    spec = (f["second"][0] + " " + five) if with_seconds else five
    cron = (five + " " + f["second"][0]) if with_seconds else five
    return {"spec": spec, "cron": cron, "fields": f}


def gen_from_text(five):
    parts = five.split()
    f = {"second": ("0", {0}, False)}
    for kind, text in zip(["minute", "hour", "dom", "month", "dow"], parts):
        lo, hi, _ = FIELDS[kind]
        f[kind] = (text, set(range(lo, hi + 1)), True) if text == "*" else (text, {int(text)}, False)
    return {"cron": five, "fields": f}


# ---------------------------------------------------------------- the model

EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


class Zoned:
    """An instant and its wall clock in a zone (Go's time.Time)."""
    __slots__ = ("tz", "unix", "year", "month", "day", "hour", "minute", "second", "weekday")

    def __init__(self, tz, unix):
        self.tz = tz
        self.set(unix)

    def set(self, unix):
        self.unix = unix
        dt = datetime.datetime.fromtimestamp(unix, self.tz)
        self.year, self.month, self.day = dt.year, dt.month, dt.day
        self.hour, self.minute, self.second = dt.hour, dt.minute, dt.second
        self.weekday = (dt.weekday() + 1) % 7  # Sunday = 0

    def offset(self, unix):
        return int(datetime.datetime.fromtimestamp(unix, self.tz).utcoffset().total_seconds())

    def add_date(self, months, days):
        """Go's AddDate, moving on past dates that do not exist (cron.cc)."""
        before = self.unix
        fields = (self.year, self.month, self.day, self.hour, self.minute, self.second)
        extra = 0
        while self.unix <= before:
            self.set_date(fields[0], fields[1] + months, fields[2] + days + extra, *fields[3:])
            extra += 1

    def set_date(self, year, month, day, hour, minute, second):
        """Go's time.Date: local - off(local - off(local))."""
        year += (month - 1) // 12
        month = (month - 1) % 12 + 1
        days = datetime.date(year, month, 1).toordinal() - EPOCH_ORDINAL + day - 1
        local = days * 86400 + hour * 3600 + minute * 60 + second
        self.set(local - self.offset(local - self.offset(local)))


def model_next(f, tz, after):
    """robfig/cron v3 SpecSchedule.Next, as documented in cron.h."""
    sec, minute, hour = f["second"][1], f["minute"][1], f["hour"][1]
    dom, month, dow = f["dom"][1], f["month"][1], f["dow"][1]
    day_and = f["dom"][2] or f["dow"][2]

    def day_matches(t):
        a, b = t.day in dom, t.weekday in dow
        return (a and b) if day_and else (a or b)

    t = Zoned(tz, after + 1)
    added = False
    year_limit = t.year + 5
    while True:
        if t.year > year_limit:
            return None
        wrapped = False
        while t.month not in month:
            if not added:
                added = True
                t.set_date(t.year, t.month, 1, 0, 0, 0)
            t.add_date(1, 0)
            if t.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not day_matches(t):
            if not added:
                added = True
                t.set_date(t.year, t.month, t.day, 0, 0, 0)
            t.add_date(0, 1)
            if t.hour != 0:
                t.set(t.unix + ((24 - t.hour) if t.hour > 12 else -t.hour) * 3600)
            if t.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while t.hour not in hour:
            if not added:
                added = True
                t.set_date(t.year, t.month, t.day, t.hour, 0, 0)
            t.set(t.unix + 3600)
            if t.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while t.minute not in minute:
            if not added:
                added = True
                t.set(t.unix // 60 * 60)
            t.set(t.unix + 60)
            if t.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while t.second not in sec:
            added = True
            t.set(t.unix + 1)
            if t.second == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t.unix


# ------------------------------------------------------------ transitions

def transitions(tz):
    """Instants in 1999-2047 where the zone's UTC offset changes."""
    out = []

    def off(u):
        return datetime.datetime.fromtimestamp(u, tz).utcoffset()

    step = 86400  # offsets never change twice within a day in these zones
    u = int(datetime.datetime(1999, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
    stop = int(datetime.datetime(2047, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
    prev = off(u)
    while u < stop:
        cur = off(u + step)
        if cur != prev:
            lo, hi = u, u + step  # off(lo) == prev, off(hi) == cur
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if off(mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = cur
        u += step
    return out


def or_with_impossible_day(sched):
    """Both day fields restricted and no listed month has any listed day."""
    f = sched["fields"]
    if f["dom"][2] or f["dow"][2]:
        return False
    return not any(min(f["dom"][1]) <= MONTH_DAYS[m - 1] for m in f["month"][1])


def february_bug(sched, tz, after, until):
    """Whether croniter's late-February day-of-month bug can apply."""
    f = sched["fields"]
    if f["dom"][2] or max(f["dom"][1]) < 29:
        return False
    a = datetime.datetime.fromtimestamp(after, tz)
    b = datetime.datetime.fromtimestamp(until, tz)
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        if m == 2 and max(f["dom"][1]) > (29 if y % 4 == 0 else 28):
            return True
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return False


def midnight_changes(tz, trans):
    """The changes whose wall clock reads 00:00 before or after them."""
    out = []
    for t in trans:
        before = datetime.datetime.fromtimestamp(t - 1, tz).utcoffset().total_seconds()
        after = datetime.datetime.fromtimestamp(t, tz).utcoffset().total_seconds()
        if (t + before) % 86400 == 0 or (t + after) % 86400 == 0:
            out.append(t)
    return out


def month_start(tz, after):
    """A day before 00:00 on the 1st of the local month of `after`."""
    a = datetime.datetime.fromtimestamp(after, tz)
    first = datetime.datetime(a.year, a.month, 1, tzinfo=tz)
    return int(first.timestamp()) - 86400


def crosses(trans, a, b):
    """Whether an offset change lies in (a, b]."""
    i = bisect.bisect_right(trans, a)
    return i < len(trans) and trans[i] <= b


# -------------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_croniter.py PATH_TO_cron_probe")
    began = time.monotonic()
    rng = random.Random(SEED)
    tzs = {name: zoneinfo.ZoneInfo(name) for name in ZONES}
    trans = {name: transitions(tz) for name, tz in tzs.items()}
    midnights = {name: midnight_changes(tzs[name], trans[name]) for name in ZONES}

    near = {name: [t for t in trans[name] if START <= t < END] for name in ZONES}
    cases = []
    for _ in range(CASES):
        sched = gen_schedule(rng)
        zone = rng.choice(ZONES)
        if near[zone] and rng.random() < 0.3:
            # Close to a DST change, where the rules matter.
            after = rng.choice(near[zone]) + rng.randint(-36 * 3600, 36 * 3600)
        else:
            after = rng.randrange(START, END)
        # Half in the process's local zone ($TZ), half with a prefix (and
        # some other zone as $TZ, which the prefix must override).
        if rng.random() < 0.5:
            line_spec, local = sched["spec"], zone
        else:
            prefix = rng.choice(["TZ=", "CRON_TZ="])
            line_spec, local = f"{prefix}{zone} {sched['spec']}", rng.choice(ZONES)
        cases.append((sched, zone, after, line_spec, local))

    probe_input = "".join(f"{c[3]}\t{c[2]}\t{c[4]}\n" for c in cases)
    out = subprocess.run([sys.argv[1]], input=probe_input, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    if len(out) != len(cases):
        sys.exit(f"probe answered {len(out)} lines for {len(cases)} cases")

    failures = []
    compared_croniter = compared_model = 0
    excluded_dst = excluded_february = excluded_or = 0
    for (sched, zone, after, line_spec, _), got_text in zip(cases, out):
        if got_text.startswith("error"):
            failures.append(f"{line_spec!r} after {after}: probe {got_text}")
            continue
        got = None if got_text == "none" else int(got_text)
        tz = tzs[zone]

        if "every" in sched:
            want_model = after + sched["every"]
        else:
            want_model = model_next(sched["fields"], tz, after)
        compared_model += 1
        if got != want_model:
            failures.append(f"{line_spec!r} in {zone} after {after}: probe {got}, "
                            f"model {want_model}")
            continue

        if sched.get("cron") is None:
            continue
        if or_with_impossible_day(sched):
            excluded_or += 1
            continue
        start = datetime.datetime.fromtimestamp(after, tz)
        try:
            want = int(croniter(sched["cron"], start).get_next(float))
        except CroniterBadDateError:
            failures.append(f"{line_spec!r} (croniter {sched['cron']!r}) in {zone} after "
                            f"{after} ({start.isoformat()}): probe {got}, croniter found none")
            continue
        until = max(want, got if got is not None else want)
        # Also a change shortly before the start (or before croniter's
        # answer): croniter reads wall-clock times there, and in a repeated
        # hour it can even answer a time before the start.
        if crosses(trans[zone], min(after, want) - 3 * 3600, until):
            excluded_dst += 1
            continue
        if crosses(midnights[zone], month_start(tz, after), until):
            excluded_dst += 1
            continue
        if february_bug(sched, tz, after, until):
            excluded_february += 1
            continue
        compared_croniter += 1
        if got != want:
            failures.append(f"{line_spec!r} (croniter {sched['cron']!r}) in {zone} after "
                            f"{after} ({start.isoformat()}): probe {got}, croniter {want}")

    elapsed = time.monotonic() - began
    print(f"{len(cases)} cases in {len(ZONES)} zones: {compared_model} compared with the model, "
          f"{compared_croniter} with croniter, {excluded_dst} left to the model only because "
          f"of a UTC offset change (see above), {excluded_february} because of croniter's "
          f"February day-of-month bug, {excluded_or} because of its OR bug; {elapsed:.1f} s")
    for line in failures[:30]:
        print("MISMATCH", line)
    if failures:
        print(f"{len(failures)} mismatches")
        return 1
    if compared_croniter < CASES * 3 // 4:
        print("too few cases compared with croniter")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
