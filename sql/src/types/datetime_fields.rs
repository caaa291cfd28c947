//! PostgreSQL's general date and time input, for the forms the ISO fast path in
//! [`super::datetime`] does not read: `Feb 10 17:32:01 1997 PST`, `January 8, 99 BC`,
//! `19970210 173201 -0800`, `1999.008`, `J2451187`, `04:05 PM`, `allballs`, `08-Jan-99`.
//!
//! As PostgreSQL's `ParseDateTime` and `DecodeDateTime` do, the text is first split into
//! fields by their form (a number, a time with colons, a date with `-`, `/` or `.`, a word, a
//! signed zone offset), then each field is given a meaning from its form and from the fields
//! already settled: a number after a month name is a day or a year, six digits are a
//! `YYMMDD` date until there is one and then `HHMMSS`, two numbers take the session's
//! DateStyle order. A field settling something already settled is a syntax error (22007); a
//! value out of its field's range is `Range` (22008); an unknown zone name is `UnknownZone`.

use super::datetime::{pg_days, DateOrder, ParseError, WrittenZone};
use super::tz;

type Parsed<T> = Result<T, ParseError>;

/// What a text settled: a civil date (astronomical year, so 1 BC is 0), a time of day in
/// microseconds, and a written zone.
#[derive(Default)]
pub struct Fields {
    pub date: Option<(i64, i64, i64)>,
    pub time: Option<i64>,
    pub zone: Option<WrittenZone>,
}

/// A field's form, as the splitter saw it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    Number,
    Time,
    Date,
    Word,
    /// `+05:30`, `-0800`.
    Zone,
    /// `-infinity` and the like.
    Special,
}

const YEAR: u32 = 1;
const MONTH: u32 = 1 << 1;
const DAY: u32 = 1 << 2;
const DOY: u32 = 1 << 3;
const TIME: u32 = 1 << 4;
const ZONE: u32 = 1 << 5;
const MERIDIEM: u32 = 1 << 6;
const ERA: u32 = 1 << 7;
const WEEKDAY: u32 = 1 << 8;
const DATE: u32 = YEAR | MONTH | DAY;

/// What a word means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Month(i64),
    Weekday,
    Am,
    Pm,
    Ad,
    Bc,
    /// `t`: the next field is an ISO time.
    IsoTime,
    /// `j` / `julian`: the next number is a Julian day.
    Julian,
    /// `allballs`, `zulu`: midnight UTC.
    Midnight,
    /// `at`, `on`: filler.
    Ignored,
}

/// The words of PostgreSQL's core token table that date input reads.
fn word(text: &str) -> Option<Word> {
    const MONTHS: [(&str, i64); 24] = [
        ("jan", 1),
        ("january", 1),
        ("feb", 2),
        ("february", 2),
        ("mar", 3),
        ("march", 3),
        ("apr", 4),
        ("april", 4),
        ("may", 5),
        ("jun", 6),
        ("june", 6),
        ("jul", 7),
        ("july", 7),
        ("aug", 8),
        ("august", 8),
        ("sep", 9),
        ("sept", 9),
        ("september", 9),
        ("oct", 10),
        ("october", 10),
        ("nov", 11),
        ("november", 11),
        ("dec", 12),
        ("december", 12),
    ];
    const WEEKDAYS: [&str; 18] = [
        "sun",
        "sunday",
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "weds",
    ];
    let text = text.trim_end_matches('.');
    if let Some((_, m)) = MONTHS.iter().find(|(name, _)| *name == text) {
        return Some(Word::Month(*m));
    }
    if WEEKDAYS.contains(&text) {
        return Some(Word::Weekday);
    }
    Some(match text {
        "am" | "a.m" => Word::Am,
        "pm" | "p.m" => Word::Pm,
        "ad" => Word::Ad,
        "bc" => Word::Bc,
        "t" => Word::IsoTime,
        "j" | "julian" => Word::Julian,
        "allballs" | "zulu" => Word::Midnight,
        "at" | "on" => Word::Ignored,
        _ => return None,
    })
}

/// Splits `text` into fields by form (PostgreSQL's `ParseDateTime`), lowercasing words.
fn split(text: &str) -> Parsed<Vec<(Form, String)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let alpha = |i: usize| chars.get(i).is_some_and(char::is_ascii_alphabetic);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let mut field = String::new();
        let form;
        if c.is_ascii_digit() {
            while digit(i) {
                field.push(chars[i]);
                i += 1;
            }
            if at(i) == ':' {
                form = Form::Time;
                while digit(i) || matches!(at(i), ':' | '.') {
                    field.push(chars[i]);
                    i += 1;
                }
            } else if matches!(at(i), '-' | '/' | '.') {
                let delim = chars[i];
                field.push(delim);
                i += 1;
                if digit(i) {
                    while digit(i) {
                        field.push(chars[i]);
                        i += 1;
                    }
                    if at(i) == delim {
                        form = Form::Date;
                        while digit(i) || at(i) == delim {
                            field.push(chars[i]);
                            i += 1;
                        }
                    } else {
                        form = if delim == '.' {
                            Form::Number
                        } else {
                            Form::Date
                        };
                    }
                } else {
                    form = Form::Date;
                    while chars.get(i).is_some_and(char::is_ascii_alphanumeric) || at(i) == delim {
                        field.push(chars[i].to_ascii_lowercase());
                        i += 1;
                    }
                }
            } else {
                form = Form::Number;
            }
        } else if c == '.' {
            field.push(c);
            i += 1;
            while digit(i) {
                field.push(chars[i]);
                i += 1;
            }
            form = Form::Number;
        } else if c.is_ascii_alphabetic() {
            while alpha(i) {
                field.push(chars[i].to_ascii_lowercase());
                i += 1;
            }
            // A word runs on into a date (`jan-08-99`) or a zone name (`america/new_york`,
            // `etc/gmt+5`), unless it is a keyword followed by a number (`j2451187`).
            let is_date = matches!(at(i), '-' | '/' | '.')
                || ((at(i) == '+' || digit(i)) && word(&field).is_none());
            if is_date {
                form = Form::Date;
                while chars.get(i).is_some_and(char::is_ascii_alphanumeric)
                    || matches!(at(i), '+' | '-' | '/' | '_' | '.' | ':')
                {
                    field.push(chars[i].to_ascii_lowercase());
                    i += 1;
                }
            } else {
                form = Form::Word;
            }
        } else if c == '+' || c == '-' {
            field.push(c);
            i += 1;
            while chars.get(i).is_some_and(|c| c.is_whitespace()) {
                i += 1;
            }
            if digit(i) {
                form = Form::Zone;
                while digit(i) || matches!(at(i), ':' | '.' | '-') {
                    field.push(chars[i]);
                    i += 1;
                }
            } else if alpha(i) {
                form = Form::Special;
                while alpha(i) {
                    field.push(chars[i].to_ascii_lowercase());
                    i += 1;
                }
            } else {
                return Err(ParseError::Syntax);
            }
        } else if c.is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return Err(ParseError::Syntax);
        }
        fields.push((form, field));
    }
    Ok(fields)
}

/// The settled parts as PostgreSQL's `struct pg_tm` holds them while decoding.
#[derive(Default)]
struct Decoding {
    mask: u32,
    year: i64,
    month: i64,
    day: i64,
    doy: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    /// The year came from a field of one or two digits (so 99 is 1999).
    two_digit_year: bool,
    julian: bool,
    text_month: bool,
    zone: Option<WrittenZone>,
}

fn number(s: &str) -> Parsed<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    s.parse().map_err(|_| ParseError::Syntax)
}

/// A fraction of a second (`.5`) in microseconds, rounded as PostgreSQL rounds it.
fn fraction(s: &str) -> Parsed<i64> {
    if s.len() < 2 || !s[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    let f: f64 = format!("0{s}").parse().map_err(|_| ParseError::Syntax)?;
    #[allow(clippy::cast_possible_truncation)]
    Ok((f * 1e6).round_ties_even() as i64)
}

impl Decoding {
    /// Settles the parts in `mask`, a syntax error if one was settled already.
    fn settle(&mut self, mask: u32) -> Parsed<()> {
        if self.mask & mask != 0 {
            return Err(ParseError::Syntax);
        }
        self.mask |= mask;
        Ok(())
    }

    /// A run-together number (PostgreSQL's `DecodeNumberField`): `YYYYMMDD` or `YYMMDD`
    /// while the date is open, then `HHMMSS` or `HHMM`, with an optional fraction.
    fn number_field(&mut self, text: &str, mask: u32) -> Parsed<u32> {
        let (digits, frac) = match text.find('.') {
            Some(at) => (&text[..at], Some(fraction(&text[at..])?)),
            None => (text, None),
        };
        let len = digits.len();
        if frac.is_none() && mask & DATE != DATE && len >= 6 {
            self.day = number(&digits[len - 2..])?;
            self.month = number(&digits[len - 4..len - 2])?;
            self.year = number(&digits[..len - 4])?;
            self.two_digit_year = len - 4 == 2;
            return Ok(DATE);
        }
        if mask & TIME == 0 && (len == 6 || len == 4) {
            self.hour = number(&digits[..2])?;
            self.minute = number(&digits[2..4])?;
            self.second = if len == 6 { number(&digits[4..])? } else { 0 };
            self.micros = frac.unwrap_or(0);
            return Ok(TIME);
        }
        Err(ParseError::Syntax)
    }

    /// One number of a date (PostgreSQL's `DecodeNumber`): which field it fills depends on
    /// the fields filled so far, on a month written as a word, and on DateStyle's order.
    fn number(&mut self, text: &str, mask: u32, order: DateOrder) -> Parsed<u32> {
        let (digits, frac) = match text.find('.') {
            Some(at) => (&text[..at], Some(&text[at..])),
            None => (text, None),
        };
        if let Some(frac) = frac {
            if digits.len() > 2 {
                return self.number_field(text, mask | DATE);
            }
            self.micros = fraction(frac)?;
        }
        let flen = digits.len();
        let val = number(digits)?;
        if flen == 3 && mask & DATE == YEAR && (1..=366).contains(&val) {
            self.doy = val;
            return Ok(DOY | MONTH | DAY);
        }
        let settled = match mask & DATE {
            0 if flen >= 3 || order == DateOrder::Ymd => {
                self.year = val;
                YEAR
            }
            0 if order == DateOrder::Dmy => {
                self.day = val;
                DAY
            }
            0 => {
                self.month = val;
                MONTH
            }
            YEAR => {
                self.month = val;
                MONTH
            }
            MONTH if self.text_month && (flen >= 3 || order == DateOrder::Ymd) => {
                self.year = val;
                YEAR
            }
            MONTH => {
                self.day = val;
                DAY
            }
            m if m == YEAR | MONTH && self.text_month && flen >= 3 && self.two_digit_year => {
                // DD-MON-YYYY: the number taken for a year was the day.
                self.day = self.year;
                self.year = val;
                self.two_digit_year = false;
                return Ok(DAY);
            }
            m if m == YEAR | MONTH => {
                self.day = val;
                DAY
            }
            DAY => {
                self.month = val;
                MONTH
            }
            m if m == MONTH | DAY => {
                self.year = val;
                YEAR
            }
            DATE => return self.number_field(text, mask),
            _ => return Err(ParseError::Syntax),
        };
        if settled == YEAR {
            self.two_digit_year = flen <= 2;
        }
        Ok(settled)
    }

    /// A date field (PostgreSQL's `DecodeDate`): `1999-01-08`, `1/8/1999`, `jan-08-99`,
    /// `1999.008`; a month name in it is read first.
    fn date(&mut self, text: &str, order: DateOrder) -> Parsed<()> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            rest = rest.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
            if rest.is_empty() {
                return Err(ParseError::Syntax);
            }
            let end = if rest.starts_with(|c: char| c.is_ascii_digit()) {
                rest.find(|c: char| !c.is_ascii_digit())
            } else {
                rest.find(|c: char| !c.is_ascii_alphabetic())
            }
            .unwrap_or(rest.len());
            parts.push(&rest[..end]);
            rest = &rest[end..];
            // One separator ends the part.
            let mut chars = rest.chars();
            if chars.next().is_some() {
                rest = chars.as_str();
            }
        }
        let mut numbers = Vec::new();
        let mut text_month = false;
        for part in parts {
            if part.starts_with(|c: char| c.is_ascii_alphabetic()) {
                match word(part) {
                    Some(Word::Ignored) => {}
                    Some(Word::Month(m)) => {
                        self.settle(MONTH)?;
                        self.month = m;
                        text_month = true;
                    }
                    _ => return Err(ParseError::Syntax),
                }
            } else {
                numbers.push(part);
            }
        }
        let saved = std::mem::replace(&mut self.text_month, text_month);
        for part in numbers {
            let settled = self.number(part, self.mask, order)?;
            self.settle(settled)?;
        }
        self.text_month = saved || text_month;
        if self.mask & DATE != DATE {
            return Err(ParseError::Syntax);
        }
        Ok(())
    }

    /// `HH:MM[:SS[.ffffff]]`, or `MM:SS.fff`.
    fn time(&mut self, text: &str) -> Parsed<()> {
        let parts: Vec<&str> = text.split(':').collect();
        let (h, m, s) = match parts.as_slice() {
            [h, m] if m.contains('.') => {
                let (m, frac) = m.split_at(m.find('.').unwrap_or(m.len()));
                self.micros = fraction(frac)?;
                ("0", *h, m)
            }
            [h, m] => (*h, *m, "0"),
            [h, m, s] => match s.find('.') {
                Some(at) => {
                    self.micros = fraction(&s[at..])?;
                    (*h, *m, &s[..at])
                }
                None => (*h, *m, *s),
            },
            _ => return Err(ParseError::Syntax),
        };
        self.hour = number(h)?;
        self.minute = number(m)?;
        self.second = number(s)?;
        if self.minute > 59 || self.second > 60 || self.micros > 1_000_000 {
            return Err(ParseError::Range);
        }
        Ok(())
    }
}

/// A numeric zone, `+HH`, `-HHMM`, `+HH:MM[:SS]`, in seconds east of UTC.
fn zone_offset(text: &str) -> Parsed<i64> {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let body = &text[1..];
    let parts: Vec<&str> = body.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [hm] if hm.len() > 2 => {
            let v = number(hm)?;
            (v / 100, v % 100, 0)
        }
        [h] => (number(h)?, 0, 0),
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return Err(ParseError::Syntax),
    };
    if h > 15 || m > 59 || s > 59 {
        return Err(ParseError::Range);
    }
    Ok(sign * (h * 3600 + m * 60 + s))
}

/// A zone written as a word or a name: an abbreviation (`PST`), else a tz name.
fn named_zone(text: &str) -> Parsed<WrittenZone> {
    if let Some(offset) = tz::abbreviation(text) {
        return Ok(WrittenZone::Offset(i64::from(offset)));
    }
    tz::zone(text)
        .map(WrittenZone::Named)
        .map_err(|_| ParseError::UnknownZone)
}

/// Decodes `text` in DateStyle order `order`. `time_only`: the text is a `time`, so a run of
/// six digits is `HHMMSS` even with no date (PostgreSQL's `DecodeTimeOnly`).
pub fn decode(text: &str, order: DateOrder, time_only: bool) -> Parsed<Fields> {
    let fields = split(text)?;
    if fields.is_empty() {
        return Err(ParseError::Syntax);
    }
    let mut d = Decoding::default();
    let (mut am, mut pm, mut bc) = (false, false, false);
    // The word before a number that says what it is (`j`, `t`).
    let mut prefix: Option<Word> = None;
    for (k, (form, text)) in fields.iter().enumerate() {
        let settled = match form {
            Form::Date if prefix == Some(Word::Julian) => return Err(ParseError::Syntax),
            Form::Date if prefix.is_some() || d.mask & (MONTH | DAY) == MONTH | DAY => {
                // With the date settled, a "date" is a zone name (`america/new_york`) or a
                // run-together time with an offset (`173201-0800`).
                if text.starts_with(|c: char| c.is_ascii_digit()) {
                    if d.mask & TIME != 0 {
                        return Err(ParseError::Syntax);
                    }
                    let at = text.find('-').ok_or(ParseError::Syntax)?;
                    d.zone = Some(WrittenZone::Offset(zone_offset(&text[at..])?));
                    prefix = None;
                    d.number_field(&text[..at], d.mask)? | ZONE
                } else {
                    d.zone = Some(named_zone(text)?);
                    ZONE
                }
            }
            Form::Date => {
                d.date(text, order)?;
                0
            }
            Form::Time => {
                if prefix.take().is_some_and(|p| p != Word::IsoTime) {
                    return Err(ParseError::Syntax);
                }
                d.time(text)?;
                TIME
            }
            Form::Zone => {
                d.zone = Some(WrittenZone::Offset(zone_offset(text)?));
                ZONE
            }
            Form::Number => match prefix.take() {
                Some(Word::Julian) => {
                    let day = number(text)?;
                    let (y, m, dd) = super::datetime::pg_civil(day - 2_451_545);
                    (d.year, d.month, d.day) = (y, m, dd);
                    d.julian = true;
                    DATE
                }
                Some(_) => d.number_field(text, d.mask | DATE)?,
                None => {
                    let flen = text.len();
                    let dot = text.find('.');
                    let mask = if time_only { d.mask | DATE } else { d.mask };
                    if dot.is_some() && mask & DATE == 0 {
                        d.date(text, order)?;
                        0
                    } else if dot.is_some_and(|at| at > 2)
                        || (flen >= 6 && (mask & DATE == 0 || mask & TIME == 0))
                    {
                        // A run of digits: a date while the date is open, else a time.
                        d.number_field(text, mask)?
                    } else {
                        d.number(text, mask, order)?
                    }
                }
            },
            Form::Word | Form::Special => {
                if let Some(offset) = tz::abbreviation(text) {
                    d.zone = Some(WrittenZone::Offset(i64::from(offset)));
                    d.settle(ZONE)?;
                    continue;
                }
                match word(text) {
                    Some(Word::Ignored) => continue,
                    Some(Word::Month(m)) => {
                        let mut settled = MONTH;
                        if d.mask & MONTH != 0
                            && !d.text_month
                            && d.mask & DAY == 0
                            && (1..=31).contains(&d.month)
                        {
                            // `1 Jan`: the number read as a month was the day.
                            d.day = d.month;
                            d.mask &= !MONTH;
                            settled |= DAY;
                        }
                        d.text_month = true;
                        d.month = m;
                        settled
                    }
                    Some(Word::Weekday) => WEEKDAY,
                    Some(Word::Am) => {
                        am = true;
                        MERIDIEM
                    }
                    Some(Word::Pm) => {
                        pm = true;
                        MERIDIEM
                    }
                    Some(Word::Ad) => ERA,
                    Some(Word::Bc) => {
                        bc = true;
                        ERA
                    }
                    Some(Word::Midnight) => {
                        (d.hour, d.minute, d.second, d.micros) = (0, 0, 0, 0);
                        d.zone = Some(WrittenZone::Offset(0));
                        TIME | ZONE
                    }
                    Some(w @ Word::IsoTime) => {
                        let next = fields.get(k + 1).map(|(f, _)| *f);
                        let ok = (d.mask & DATE == DATE || time_only)
                            && matches!(next, Some(Form::Number | Form::Time | Form::Date));
                        if !ok || prefix.is_some() {
                            return Err(ParseError::Syntax);
                        }
                        prefix = Some(w);
                        continue;
                    }
                    Some(w @ Word::Julian) => {
                        if prefix.is_some() {
                            return Err(ParseError::Syntax);
                        }
                        prefix = Some(w);
                        continue;
                    }
                    None if *form == Form::Word => {
                        d.zone = Some(named_zone(text).map_err(|_| ParseError::Syntax)?);
                        ZONE
                    }
                    None => return Err(ParseError::Syntax),
                }
            }
        };
        d.settle(settled)?;
    }
    if prefix.is_some() {
        return Err(ParseError::Syntax);
    }
    finish(d, am, pm, bc)
}

/// PostgreSQL's `ValidateDate` and the AM/PM adjustment, then the parts as [`Fields`].
fn finish(mut d: Decoding, am: bool, pm: bool, bc: bool) -> Parsed<Fields> {
    if d.mask & YEAR != 0 && !d.julian {
        if bc {
            if d.year <= 0 {
                return Err(ParseError::Range);
            }
            d.year = 1 - d.year;
        } else if d.two_digit_year {
            if d.year < 70 {
                d.year += 2000;
            } else if d.year < 100 {
                d.year += 1900;
            }
        } else if d.year <= 0 {
            return Err(ParseError::Range);
        }
    }
    if d.mask & DOY != 0 {
        let jan1 = pg_days(d.year, 1, 1)?;
        let (y, m, day) = super::datetime::pg_civil(jan1 + d.doy - 1);
        (d.year, d.month, d.day) = (y, m, day);
    }
    if d.mask & MONTH != 0 && !(1..=12).contains(&d.month) {
        return Err(ParseError::Range);
    }
    if d.mask & DAY != 0 && !(1..=31).contains(&d.day) {
        return Err(ParseError::Range);
    }
    let date = match d.mask & DATE {
        DATE => {
            pg_days(d.year, d.month, d.day)?;
            Some((d.year, d.month, d.day))
        }
        0 => None,
        _ => return Err(ParseError::Syntax),
    };
    let time = if d.mask & TIME != 0 {
        if (am || pm) && d.hour > 12 {
            return Err(ParseError::Range);
        }
        if am && d.hour == 12 {
            d.hour = 0;
        } else if pm && d.hour != 12 {
            d.hour += 12;
        }
        let micros = ((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.micros;
        if d.hour > 24 || micros > 86_400_000_000 {
            return Err(ParseError::Range);
        }
        Some(micros)
    } else if am || pm {
        return Err(ParseError::Syntax);
    } else {
        None
    };
    Ok(Fields {
        date,
        time,
        zone: d.zone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(text: &str, order: DateOrder) -> Parsed<(i64, i64, i64)> {
        decode(text, order, false).and_then(|f| f.date.ok_or(ParseError::Syntax))
    }

    #[test]
    fn dates_take_their_fields_from_form_and_date_order() {
        use DateOrder::{Dmy, Mdy, Ymd};
        assert_eq!(ymd("January 8, 1999", Mdy), Ok((1999, 1, 8)));
        assert_eq!(ymd("1/8/1999", Mdy), Ok((1999, 1, 8)));
        assert_eq!(ymd("1/8/1999", Dmy), Ok((1999, 8, 1)));
        assert_eq!(ymd("1/8/1999", Ymd), Err(ParseError::Range));
        assert_eq!(ymd("01/02/03", Ymd), Ok((2001, 2, 3)));
        assert_eq!(ymd("990108", Ymd), Ok((1999, 1, 8)));
        assert_eq!(ymd("1999.008", Mdy), Ok((1999, 1, 8)));
        assert_eq!(ymd("J2451187", Mdy), Ok((1999, 1, 8)));
        assert_eq!(ymd("99-Jan-08", Ymd), Ok((1999, 1, 8)));
        assert_eq!(ymd("08-Jan-99", Mdy), Ok((1999, 1, 8)));
        assert_eq!(ymd("08-Jan-99", Ymd), Err(ParseError::Range));
        assert_eq!(ymd("Jan-08-99", Dmy), Ok((1999, 1, 8)));
        assert_eq!(ymd("1999-08-Jan", Ymd), Err(ParseError::Syntax));
        assert_eq!(ymd("January 8, 99 BC", Mdy), Ok((-98, 1, 8)));
        assert_eq!(ymd("January 8, 99 BC", Ymd), Err(ParseError::Range));
        assert_eq!(ymd("Feb 29 1997", Mdy), Err(ParseError::Range));
    }

    #[test]
    fn timestamps_read_words_times_and_zones() {
        let f = decode("Mon Feb 10 17:32:01.5 1997 PST", DateOrder::Mdy, false).unwrap();
        assert_eq!(f.date, Some((1997, 2, 10)));
        assert_eq!(
            f.time,
            Some(((17 * 60 + 32) * 60 + 1) * 1_000_000 + 500_000)
        );
        assert!(matches!(f.zone, Some(WrittenZone::Offset(-28_800))));
        let f = decode("19970210 173201 -0800", DateOrder::Mdy, false).unwrap();
        assert_eq!(f.date, Some((1997, 2, 10)));
        assert_eq!(f.time, Some(((17 * 60 + 32) * 60 + 1) * 1_000_000));
        assert!(matches!(f.zone, Some(WrittenZone::Offset(-28_800))));
        let f = decode("Feb 10 5:32PM 1997", DateOrder::Mdy, false).unwrap();
        assert_eq!(f.time, Some((17 * 60 + 32) * 60 * 1_000_000));
        assert_eq!(
            decode("Feb 10 13:32 PM 1997", DateOrder::Mdy, false).err(),
            Some(ParseError::Range)
        );
        assert_eq!(
            decode("Feb 10 17:32 1997 Mars/Olympus", DateOrder::Mdy, false).err(),
            Some(ParseError::UnknownZone)
        );
    }

    #[test]
    fn times_alone() {
        let time = |t: &str| decode(t, DateOrder::Mdy, true).map(|f| f.time);
        assert_eq!(time("04:05 PM"), Ok(Some((16 * 60 + 5) * 60 * 1_000_000)));
        assert_eq!(time("12:00 am"), Ok(Some(0)));
        assert_eq!(
            time("040506"),
            Ok(Some((4 * 3600 + 5 * 60 + 6) * 1_000_000))
        );
        assert_eq!(time("allballs"), Ok(Some(0)));
        assert_eq!(time("11:59:59.99 PM"), Ok(Some(86_399_990_000)));
    }
}
