//! Time zones: the session's `TimeZone` and the zones `AT TIME ZONE` and timestamp input name.
//!
//! A zone is a fixed offset (`UTC`, a POSIX string such as `+05` or `<+05>-05`, an abbreviation
//! such as `EST`) or an IANA zone read from the compiled TZif files under `/usr/share/zoneinfo`
//! (or `$TZDIR`), the files PostgreSQL on Debian reads too, so both agree on every offset.
//!
//! The TZif reader takes the version 2+ 64-bit section (RFC 8536): the transition instants, the
//! local time type of each, and the POSIX TZ footer rule that gives the transitions after the
//! last listed one (modern "slim" files list none after 2007 and rely on it). Parsed zones are
//! cached for the life of the process.
//!
//! Offsets are seconds east of UTC. Local times convert to UTC as PostgreSQL's
//! `DetermineTimeZoneOffset` does: a time in a spring-forward gap takes the offset before the
//! transition (02:30 becomes 03:30 daylight time), a time in a fall-back overlap the offset
//! after it (standard time).
//!
//! The session zone lives in a thread-local that the session sets before each statement (and
//! the wire layer around formatting rows), so casts and text output need no extra argument.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::datetime::{days_from_civil, days_in_month, is_leap, PG_EPOCH_DAYS};

/// Seconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_SECS: i64 = PG_EPOCH_DAYS * 86_400;

/// A time zone: its name as `SHOW TimeZone` prints it and its rule.
#[derive(Debug)]
pub struct Zone {
    name: String,
    rule: Rule,
}

#[derive(Debug)]
enum Rule {
    /// A constant offset east of UTC, in seconds.
    Fixed(i32),
    Tzif(Tzif),
    Posix(Posix),
}

/// The contents of a TZif file that vdb uses.
#[derive(Debug)]
struct Tzif {
    /// Transition instants (Unix seconds), ascending.
    transitions: Vec<i64>,
    /// The local time type each transition starts.
    type_of: Vec<usize>,
    /// (offset east of UTC, is daylight time)
    types: Vec<(i32, bool)>,
    /// Each type's abbreviation (`EST`), as `to_char`'s `TZ` prints it.
    abbreviations: Vec<String>,
    footer: Option<Posix>,
}

/// A POSIX TZ rule (`EST5EDT,M3.2.0,M11.1.0`), as the footer of a TZif file.
#[derive(Debug, Clone, PartialEq)]
struct Posix {
    /// Standard offset east of UTC (the POSIX text is west-positive).
    std: i32,
    std_name: String,
    dst: Option<PosixDst>,
}

#[derive(Debug, Clone, PartialEq)]
struct PosixDst {
    offset: i32,
    name: String,
    start: (RuleDate, i32),
    end: (RuleDate, i32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RuleDate {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(i64),
    /// `n`: day 0..=365 counting February 29.
    Julian0(i64),
    /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
    MonthWeek(i64, i64, i64),
}

/// Why a zone could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneError {
    Unknown,
    /// The tz database directory itself is missing.
    NoDatabase(String),
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            rule: Rule::Fixed(0),
        }
    }

    /// A fixed offset east of UTC, named `name`.
    pub fn fixed(name: &str, offset: i32) -> Zone {
        Zone {
            name: name.into(),
            rule: Rule::Fixed(offset),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset east of UTC in effect at Unix second `t`, and whether it is daylight time.
    fn offset_at_unix(&self, t: i64) -> (i32, bool) {
        match &self.rule {
            Rule::Fixed(off) => (*off, false),
            Rule::Posix(p) => p.offset_at(t),
            Rule::Tzif(z) => z.offset_at(t),
        }
    }

    /// The abbreviation in use at a UTC timestamp (`EST`, `CEST`, `+0530`), as `to_char`'s
    /// `TZ` prints it; a fixed offset prints as its `SHOW` name.
    pub fn abbreviation_at_utc(&self, ts: i64) -> String {
        let t = ts.div_euclid(1_000_000) + PG_EPOCH_SECS;
        match &self.rule {
            Rule::Fixed(_) => self.name.clone(),
            Rule::Posix(p) => p.name_at(t),
            Rule::Tzif(z) => z.abbreviation_at(t),
        }
    }

    /// The offset east of UTC (seconds) at a UTC timestamp (microseconds since 2000-01-01).
    pub fn offset_at_utc(&self, ts: i64) -> i32 {
        self.offset_at_unix(ts.div_euclid(1_000_000) + PG_EPOCH_SECS)
            .0
    }

    /// The UTC timestamp of a local (wall-clock) timestamp, both microseconds since 2000-01-01.
    pub fn local_to_utc(&self, local: i64) -> i64 {
        let secs = local.div_euclid(1_000_000) + PG_EPOCH_SECS;
        local.saturating_sub(i64::from(self.local_offset(secs)) * 1_000_000)
    }

    /// The local timestamp of a UTC one.
    pub fn utc_to_local(&self, ts: i64) -> i64 {
        ts.saturating_add(i64::from(self.offset_at_utc(ts)) * 1_000_000)
    }

    /// The offset that applies to local Unix-second `t` (PostgreSQL's `DetermineTimeZoneOffset`).
    fn local_offset(&self, t: i64) -> i32 {
        // Zones move their offsets less than a day, and transitions are days apart, so the
        // first boundary after `t - 1 day` is the one that matters.
        let prec = t - 86_400;
        let Some((before, boundary, after)) = self.next_boundary(prec) else {
            return self.offset_at_unix(prec).0;
        };
        let before_time = t - i64::from(before);
        let after_time = t - i64::from(after);
        if before_time < boundary && after_time < boundary {
            before
        } else if before_time > boundary && after_time >= boundary {
            after
        } else if before_time > after_time {
            // A gap (spring forward): the offset before the transition.
            before
        } else {
            // An overlap (fall back): the offset after it.
            after
        }
    }

    /// The first transition after Unix second `t`: (offset before, instant, offset after).
    fn next_boundary(&self, t: i64) -> Option<(i32, i64, i32)> {
        match &self.rule {
            Rule::Fixed(_) => None,
            Rule::Posix(p) => p.next_boundary(t),
            Rule::Tzif(z) => z.next_boundary(t),
        }
    }
}

impl Tzif {
    fn offset_at(&self, t: i64) -> (i32, bool) {
        match self.transitions.last() {
            Some(last) if t >= *last => {
                if let Some(footer) = &self.footer {
                    return footer.offset_at(t);
                }
            }
            None => {
                if let Some(footer) = &self.footer {
                    return footer.offset_at(t);
                }
            }
            _ => {}
        }
        let i = self.transitions.partition_point(|&at| at <= t);
        if i == 0 {
            return self.types.first().copied().unwrap_or((0, false));
        }
        self.types[self.type_of[i - 1]]
    }

    fn abbreviation_at(&self, t: i64) -> String {
        let past_last = self.transitions.last().is_none_or(|last| t >= *last);
        if let (true, Some(footer)) = (past_last, &self.footer) {
            return footer.name_at(t);
        }
        let i = self.transitions.partition_point(|&at| at <= t);
        let ty = if i == 0 { 0 } else { self.type_of[i - 1] };
        self.abbreviations.get(ty).cloned().unwrap_or_default()
    }

    fn next_boundary(&self, t: i64) -> Option<(i32, i64, i32)> {
        let i = self.transitions.partition_point(|&at| at <= t);
        if i == self.transitions.len() {
            return self.footer.as_ref()?.next_boundary(t);
        }
        let before = self.offset_at(t).0;
        let after = self.types[self.type_of[i]].0;
        Some((before, self.transitions[i], after))
    }
}

impl Posix {
    /// The two transitions of `year` from the rule: (instant, offset, is dst), in time order.
    fn year_transitions(&self, dst: &PosixDst, year: i64) -> [(i64, i32, bool); 2] {
        let at = |(date, time): (RuleDate, i32), offset: i32| {
            rule_day(date, year) * 86_400 + i64::from(time) - i64::from(offset)
        };
        let start = (at(dst.start, self.std), dst.offset, true);
        let end = (at(dst.end, dst.offset), self.std, false);
        if start.0 <= end.0 {
            [start, end]
        } else {
            [end, start]
        }
    }

    fn offset_at(&self, t: i64) -> (i32, bool) {
        let Some(dst) = &self.dst else {
            return (self.std, false);
        };
        let year = year_of(t + i64::from(self.std));
        let mut current = None;
        for y in [year - 1, year, year + 1] {
            for (at, off, is_dst) in self.year_transitions(dst, y) {
                if at <= t {
                    current = Some((off, is_dst));
                }
            }
        }
        current.unwrap_or((self.std, false))
    }

    fn name_at(&self, t: i64) -> String {
        match (&self.dst, self.offset_at(t)) {
            (Some(dst), (_, true)) => dst.name.clone(),
            _ => self.std_name.clone(),
        }
    }

    fn next_boundary(&self, t: i64) -> Option<(i32, i64, i32)> {
        let dst = self.dst.as_ref()?;
        let year = year_of(t + i64::from(self.std));
        let before = self.offset_at(t).0;
        [year, year + 1]
            .iter()
            .flat_map(|y| self.year_transitions(dst, *y))
            .find(|(at, _, _)| *at > t)
            .map(|(at, off, _)| (before, at, off))
    }
}

/// The civil year of Unix second `t`.
fn year_of(t: i64) -> i64 {
    super::datetime::civil_from_days(t.div_euclid(86_400)).0
}

/// Days since 1970-01-01 of a rule's date in `year`.
fn rule_day(date: RuleDate, year: i64) -> i64 {
    let jan1 = days_from_civil(year, 1, 1);
    match date {
        RuleDate::Julian1(n) => jan1 + n - 1 + i64::from(is_leap(year) && n >= 60),
        RuleDate::Julian0(n) => jan1 + n,
        RuleDate::MonthWeek(m, w, d) => {
            let first = days_from_civil(year, m, 1);
            // 1970-01-01 was a Thursday (4).
            let first_wday = (first + 4).rem_euclid(7);
            let mut day = 1 + (d - first_wday).rem_euclid(7) + (w - 1) * 7;
            while day > days_in_month(year, m) {
                day -= 7;
            }
            first + day - 1
        }
    }
}

// ---- POSIX TZ strings -------------------------------------------------------------------

/// Parses a POSIX TZ string (`EST5EDT,M3.2.0,M11.1.0`, `<+0530>-5:30`, `UTC0`).
fn parse_posix(s: &str) -> Option<Posix> {
    let mut p = Cursor {
        s: s.as_bytes(),
        i: 0,
    };
    let std_name = p.name()?;
    let std = -p.offset()?;
    if p.done() {
        return Some(Posix {
            std,
            std_name,
            dst: None,
        });
    }
    let name = p.name()?;
    let offset = if p.peek().is_some_and(|c| c != b',') {
        -p.offset()?
    } else {
        std + 3600
    };
    if p.done() {
        // No rule: PostgreSQL then uses the US rules of its `posixrules` default.
        return Some(Posix {
            std,
            std_name,
            dst: Some(PosixDst {
                offset,
                name,
                start: (RuleDate::MonthWeek(3, 2, 0), 7200),
                end: (RuleDate::MonthWeek(11, 1, 0), 7200),
            }),
        });
    }
    p.eat(b',')?;
    let start = p.rule()?;
    p.eat(b',')?;
    let end = p.rule()?;
    p.done().then_some(Posix {
        std,
        std_name,
        dst: Some(PosixDst {
            offset,
            name,
            start,
            end,
        }),
    })
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// A zone abbreviation: none, three or more letters, or anything within `<...>`.
    fn name(&mut self) -> Option<String> {
        let text = |c: &Cursor<'_>, from: usize, to: usize| {
            String::from_utf8_lossy(&c.s[from..to]).into_owned()
        };
        if self.eat(b'<').is_some() {
            let start = self.i;
            while self.peek()? != b'>' {
                self.i += 1;
            }
            self.i += 1;
            return Some(text(self, start, self.i - 1));
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        // PostgreSQL, unlike IANA, allows an empty name ('+05').
        (self.i - start != 1 && self.i - start != 2).then(|| text(self, start, self.i))
    }

    fn number(&mut self) -> Option<i64> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn offset(&mut self) -> Option<i32> {
        let sign = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                -1
            }
            Some(b'+') => {
                self.i += 1;
                1
            }
            _ => 1,
        };
        let h = self.number()?;
        let mut secs = h * 3600;
        if self.eat(b':').is_some() {
            secs += self.number()? * 60;
            if self.eat(b':').is_some() {
                secs += self.number()?;
            }
        }
        if h > 167 {
            return None;
        }
        i32::try_from(sign * secs).ok()
    }

    /// `date[/time]` of a DST rule.
    fn rule(&mut self) -> Option<(RuleDate, i32)> {
        let date = match self.peek()? {
            b'J' => {
                self.i += 1;
                RuleDate::Julian1(self.number().filter(|n| (1..=365).contains(n))?)
            }
            b'M' => {
                self.i += 1;
                let m = self.number().filter(|m| (1..=12).contains(m))?;
                self.eat(b'.')?;
                let w = self.number().filter(|w| (1..=5).contains(w))?;
                self.eat(b'.')?;
                let d = self.number().filter(|d| (0..=6).contains(d))?;
                RuleDate::MonthWeek(m, w, d)
            }
            _ => RuleDate::Julian0(self.number().filter(|n| (0..=365).contains(n))?),
        };
        let time = if self.eat(b'/').is_some() {
            self.offset()?
        } else {
            7200
        };
        Some((date, time))
    }
}

// ---- TZif files ---------------------------------------------------------------------------

/// Reads a big-endian integer of `N` bytes at `at`.
fn be<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at + N)?.try_into().ok()
}

fn be_u32(data: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_be_bytes(be::<4>(data, at)?)).ok()
}

/// Parses a TZif file (RFC 8536). Layout, after the 44-byte header `TZif`, version, 15
/// reserved bytes and six big-endian u32 counts (isutcnt, isstdcnt, leapcnt, timecnt,
/// typecnt, charcnt): timecnt transition times, timecnt type indexes (u8), typecnt records
/// of (i32 utoff, u8 isdst, u8 abbreviation index), charcnt abbreviation bytes, leapcnt leap
/// records, isstdcnt and isutcnt indicator bytes. Version 1 data uses 4-byte times and leap
/// records of 8 bytes; versions 2+ repeat header and data with 8-byte times (leap records of
/// 12 bytes) and end with `\n<POSIX TZ>\n`.
fn parse_tzif(data: &[u8]) -> Option<Tzif> {
    let counts = |at: usize| -> Option<[usize; 6]> {
        if data.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let mut c = [0; 6];
        for (k, slot) in c.iter_mut().enumerate() {
            *slot = be_u32(data, at + 20 + 4 * k)?;
        }
        Some(c)
    };
    let [isut, isstd, leap, time, typ, chr] = counts(0)?;
    let version = *data.get(4)?;
    if version < b'2' {
        return read_block(data, 44, [isut, isstd, leap, time, typ, chr], 4).map(|(z, _)| z);
    }
    let v1_len = time * 4 + time + typ * 6 + chr + leap * 8 + isstd + isut;
    let second = 44 + v1_len;
    let c = counts(second)?;
    let (mut zone, end) = read_block(data, second + 44, c, 8)?;
    let footer = data.get(end..)?;
    let footer = std::str::from_utf8(footer).ok()?.trim_matches('\n');
    if !footer.is_empty() {
        zone.footer = Some(parse_posix(footer)?);
    }
    Some(zone)
}

/// Reads one data block at `at` with `width`-byte times; returns the zone and the end offset.
fn read_block(data: &[u8], at: usize, counts: [usize; 6], width: usize) -> Option<(Tzif, usize)> {
    let [isut, isstd, leap, time, typ, chr] = counts;
    let mut transitions = Vec::with_capacity(time);
    for k in 0..time {
        let t = if width == 8 {
            i64::from_be_bytes(be::<8>(data, at + 8 * k)?)
        } else {
            i64::from(i32::from_be_bytes(be::<4>(data, at + 4 * k)?))
        };
        transitions.push(t);
    }
    let idx_at = at + width * time;
    let type_of: Vec<usize> = data
        .get(idx_at..idx_at + time)?
        .iter()
        .map(|b| usize::from(*b))
        .collect();
    let types_at = idx_at + time;
    let mut types = Vec::with_capacity(typ);
    let mut abbreviations = Vec::with_capacity(typ);
    let chars_at = types_at + 6 * typ;
    let chars = data.get(chars_at..chars_at + chr)?;
    for k in 0..typ {
        let rec = types_at + 6 * k;
        let off = i32::from_be_bytes(be::<4>(data, rec)?);
        types.push((off, *data.get(rec + 4)? != 0));
        let from = usize::from(*data.get(rec + 5)?).min(chars.len());
        let len = chars[from..].iter().position(|b| *b == 0).unwrap_or(0);
        abbreviations.push(String::from_utf8_lossy(&chars[from..from + len]).into_owned());
    }
    if typ == 0 || type_of.iter().any(|t| *t >= typ) {
        return None;
    }
    let end = types_at + 6 * typ + chr + leap * (width + 4) + isstd + isut;
    if end > data.len() {
        return None;
    }
    let zone = Tzif {
        transitions,
        type_of,
        types,
        abbreviations,
        footer: None,
    };
    Some((zone, end))
}

// ---- finding zones --------------------------------------------------------------------------

fn tz_dir() -> PathBuf {
    std::env::var_os("TZDIR").map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from)
}

/// The file of zone `name`, matched case-insensitively as PostgreSQL does, with the name
/// spelled as the file is.
fn find_file(dir: &Path, name: &str) -> Option<(PathBuf, String)> {
    let mut path = dir.to_path_buf();
    let mut canonical = Vec::new();
    for part in name.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return None;
        }
        let exact = path.join(part);
        let found = if exact.exists() {
            part.to_string()
        } else {
            std::fs::read_dir(&path)
                .ok()?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|f| f.eq_ignore_ascii_case(part))?
        };
        path.push(&found);
        canonical.push(found);
    }
    path.is_file().then(|| (path, canonical.join("/")))
}

fn load(name: &str) -> Result<Zone, ZoneError> {
    let dir = tz_dir();
    if let Some((path, canonical)) = find_file(&dir, name) {
        let data = std::fs::read(path).map_err(|_| ZoneError::Unknown)?;
        let tzif = parse_tzif(&data).ok_or(ZoneError::Unknown)?;
        return Ok(Zone {
            name: canonical,
            rule: Rule::Tzif(tzif),
        });
    }
    if let Some(posix) = parse_posix(name) {
        return Ok(Zone {
            name: name.to_string(),
            rule: Rule::Posix(posix),
        });
    }
    if !dir.is_dir() {
        return Err(ZoneError::NoDatabase(format!(
            "time zone database {} is missing (install the tzdata package)",
            dir.display()
        )));
    }
    Err(ZoneError::Unknown)
}

/// The zone called `name` (an IANA name, case-insensitive, or a POSIX TZ string), cached.
pub fn zone(name: &str) -> Result<Arc<Zone>, ZoneError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Zone>>>> = OnceLock::new();
    let key = name.to_ascii_lowercase();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(z) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(z.clone());
    }
    let z = if key == "utc" {
        Arc::new(Zone::utc())
    } else {
        Arc::new(load(name)?)
    };
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, z.clone());
    Ok(z)
}

/// The fixed offsets (east of UTC, seconds) of the abbreviations of PostgreSQL's `Default`
/// `timezone_abbreviations` set that vdb knows, for timestamp input and `AT TIME ZONE`.
pub fn abbreviation(name: &str) -> Option<i32> {
    const H: i32 = 3600;
    Some(match name.to_ascii_lowercase().as_str() {
        "utc" | "gmt" | "z" | "ut" | "zulu" | "wet" => 0,
        "est" | "cdt" => -5 * H,
        "edt" | "ast" => -4 * H,
        "cst" | "mdt" => -6 * H,
        "mst" | "pdt" => -7 * H,
        "pst" | "akdt" => -8 * H,
        "akst" => -9 * H,
        "hst" => -10 * H,
        "adt" => -3 * H,
        "nst" => -(3 * H + 1800),
        "ndt" => -(2 * H + 1800),
        "cet" | "west" | "bst" | "met" => H,
        "cest" | "eet" | "mest" | "sast" | "ist" => 2 * H,
        "eest" | "msk" => 3 * H,
        "awst" => 8 * H,
        "jst" | "kst" => 9 * H,
        "acst" => 9 * H + 1800,
        "aest" => 10 * H,
        "acdt" => 10 * H + 1800,
        "aedt" => 11 * H,
        "nzst" => 12 * H,
        "nzdt" => 13 * H,
        _ => return None,
    })
}

/// A zone written in a timestamp or `AT TIME ZONE`: an abbreviation first, then a zone name or
/// POSIX string, as PostgreSQL looks them up.
pub fn zone_or_abbreviation(name: &str) -> Result<Arc<Zone>, ZoneError> {
    if let Some(off) = abbreviation(name) {
        return Ok(Arc::new(Zone::fixed(name, off)));
    }
    zone(name)
}

// ---- the session zone ---------------------------------------------------------------------

thread_local! {
    static SESSION: RefCell<Option<Arc<Zone>>> = const { RefCell::new(None) };
}

/// Makes `zone` the session zone of statements on this thread.
pub fn set_session_zone(zone: Arc<Zone>) {
    SESSION.with(|s| *s.borrow_mut() = Some(zone));
}

/// The session zone of this thread (UTC when none was set).
pub fn session_zone() -> Arc<Zone> {
    SESSION
        .with(|s| s.borrow().clone())
        .unwrap_or_else(|| Arc::new(Zone::utc()))
}

/// Runs `f` with `zone` as this thread's session zone, restoring the previous one afterwards.
pub fn with_session_zone<T>(zone: &Arc<Zone>, f: impl FnOnce() -> T) -> T {
    let saved = SESSION.with(|s| s.borrow_mut().replace(zone.clone()));
    let result = f();
    SESSION.with(|s| *s.borrow_mut() = saved);
    result
}

/// The zone a `TimeZone` setting names (`UTC` if it names none, which `SET` rejects first).
pub fn setting_zone(value: &str) -> Arc<Zone> {
    zone(value).unwrap_or_else(|_| Arc::new(Zone::utc()))
}

/// An offset as PostgreSQL prints it after a timestamp: `+00`, `-05`, `+05:30`, `-04:56:02`.
pub fn format_offset(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h:02}"),
        (_, 0) => format!("{sign}{h:02}:{m:02}"),
        _ => format!("{sign}{h:02}:{m:02}:{s:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(y: i64, mo: i64, d: i64, h: i64, mi: i64) -> i64 {
        ((days_from_civil(y, mo, d) - PG_EPOCH_DAYS) * 86_400 + h * 3600 + mi * 60) * 1_000_000
    }

    fn zone_or_skip(name: &str) -> Option<Arc<Zone>> {
        zone(name).ok()
    }

    #[test]
    fn posix_rules_parse() {
        let p = parse_posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(p.std, -5 * 3600);
        assert_eq!(p.dst.as_ref().unwrap().offset, -4 * 3600);
        let p = parse_posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0").unwrap();
        assert_eq!(p.std, 10 * 3600 + 1800);
        assert_eq!(parse_posix("<+05>-05").unwrap().std, 5 * 3600);
        assert_eq!(parse_posix("+05").map(|p| p.std), Some(-5 * 3600));
        assert!(parse_posix("x").is_none());
    }

    #[test]
    fn posix_rule_transitions() {
        let ny = Zone {
            name: "x".into(),
            rule: Rule::Posix(parse_posix("EST5EDT,M3.2.0,M11.1.0").unwrap()),
        };
        // 2024-03-10 07:00 UTC is 02:00 EST: daylight time starts then.
        assert_eq!(ny.offset_at_utc(local(2024, 3, 10, 6, 59)), -5 * 3600);
        assert_eq!(ny.offset_at_utc(local(2024, 3, 10, 7, 0)), -4 * 3600);
        assert_eq!(ny.offset_at_utc(local(2024, 11, 3, 5, 59)), -4 * 3600);
        assert_eq!(ny.offset_at_utc(local(2024, 11, 3, 6, 0)), -5 * 3600);
    }

    #[test]
    fn gaps_and_overlaps_resolve_as_postgresql() {
        let Some(ny) = zone_or_skip("America/New_York") else {
            return;
        };
        // 02:30 on 2024-03-10 does not exist: read with the offset before (-05), 07:30 UTC.
        assert_eq!(
            ny.local_to_utc(local(2024, 3, 10, 2, 30)),
            local(2024, 3, 10, 7, 30)
        );
        // 01:30 on 2024-11-03 happens twice: the later (standard, -05) one is taken.
        assert_eq!(
            ny.local_to_utc(local(2024, 11, 3, 1, 30)),
            local(2024, 11, 3, 6, 30)
        );
        // Far future: the footer rule.
        assert_eq!(ny.offset_at_utc(local(2100, 7, 1, 0, 0)), -4 * 3600);
        // Before 1883: local mean time.
        assert_eq!(
            ny.offset_at_utc(local(1800, 1, 1, 0, 0)),
            -(4 * 3600 + 56 * 60 + 2)
        );
    }

    #[test]
    fn names_match_case_insensitively() {
        let Some(z) = zone_or_skip("america/new_york") else {
            return;
        };
        assert_eq!(z.name(), "America/New_York");
        assert_eq!(zone("Nowhere/Bogus").unwrap_err(), ZoneError::Unknown);
        assert!(zone("../etc/passwd").is_err());
    }

    #[test]
    fn offsets_print_as_postgresql() {
        assert_eq!(format_offset(0), "+00");
        assert_eq!(format_offset(-5 * 3600), "-05");
        assert_eq!(format_offset(5 * 3600 + 1800), "+05:30");
        assert_eq!(format_offset(-(4 * 3600 + 56 * 60 + 2)), "-04:56:02");
    }

    #[test]
    fn malformed_files_are_rejected() {
        assert!(parse_tzif(b"").is_none());
        assert!(parse_tzif(b"TZif2").is_none());
        let mut bogus = b"TZif2".to_vec();
        bogus.resize(44, 0);
        bogus[35] = 200; // timecnt without data
        assert!(parse_tzif(&bogus).is_none());
    }
}
