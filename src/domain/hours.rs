//! Business hours in Europe/Berlin time: a weekly schedule, closed on public holidays
//! (of a Bundesland), local holidays and company closures. Answers "open now?", "open
//! again when?" and "closed since when?" for a moment — nothing here reads a clock.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::Timestamp;
use super::holidays::{self, Bundesland};

/// Minutes since local midnight: `from` inclusive, `to` exclusive (1440 = midnight).
pub type Span = (u16, u16);

/// How far ahead (and back) a search for an opening looks: a firm closed for more
/// than a year is treated as closed.
const SEARCH_DAYS: i64 = 400;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hours {
    /// Monday first.
    pub week: [Vec<Span>; 7],
    pub land: Option<Bundesland>,
    pub extra_holidays: Vec<NaiveDate>,
    /// Inclusive date ranges.
    pub closures: Vec<(NaiveDate, NaiveDate)>,
}

/// Why a day is closed although the week would have it open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Holiday(&'static str),
    Local,
    Closure,
}

impl Hours {
    /// No opening time in the week: the office has not configured its hours.
    pub fn is_set(&self) -> bool {
        self.week.iter().any(|d| !d.is_empty())
    }

    /// Why `date` is closed although its weekday is a working day (or not).
    pub fn closed_on(&self, date: NaiveDate) -> Option<Closed> {
        if self.closures.iter().any(|(a, b)| (*a..=*b).contains(&date)) {
            return Some(Closed::Closure);
        }
        if self.extra_holidays.contains(&date) {
            return Some(Closed::Local);
        }
        holidays::holiday(date, self.land).map(Closed::Holiday)
    }

    /// The opening spans of one local date.
    pub fn spans(&self, date: NaiveDate) -> &[Span] {
        if self.closed_on(date).is_some() {
            return &[];
        }
        &self.week[date.weekday().num_days_from_monday() as usize]
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = to_berlin(at);
        let minute = minute_of(local);
        self.spans(local.date())
            .iter()
            .any(|&(a, b)| (a..b).contains(&minute))
    }

    /// `at` itself when open, else the next opening; `None` when nothing opens within
    /// a year (or no hours are set).
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        let local = to_berlin(at);
        let minute = minute_of(local);
        for n in 0..SEARCH_DAYS {
            let date = local.date() + Duration::days(n);
            for &(a, b) in self.spans(date) {
                if n == 0 && (a..b).contains(&minute) {
                    return Some(at);
                }
                if n > 0 || a > minute {
                    return Some(from_berlin(at_minute(date, a)));
                }
            }
        }
        None
    }

    /// When the current closed period began (the last closing before `at`); `None`
    /// when open or when nothing was open within a year.
    pub fn closed_since(&self, at: Timestamp) -> Option<Timestamp> {
        let local = to_berlin(at);
        let minute = minute_of(local);
        for n in 0..SEARCH_DAYS {
            let date = local.date() - Duration::days(n);
            for &(a, b) in self.spans(date).iter().rev() {
                if n == 0 && (a..b).contains(&minute) {
                    return None;
                }
                if n > 0 || b <= minute {
                    return Some(from_berlin(at_minute(date, b)));
                }
            }
        }
        None
    }
}

/// The default away text (German: customers are written to in German).
pub const DEFAULT_AWAY_TEXT: &str = "Vielen Dank für Ihre Nachricht. Unser Büro ist gerade nicht besetzt; \
wir melden uns ab {oeffnet}.";

/// Placeholders an away text may use.
pub const PLACEHOLDERS: [&str; 2] = ["{oeffnet}", "{naechster_werktag}"];

/// What customers who write while the office is closed are told, once per closed
/// period.
#[derive(Debug, Clone, PartialEq)]
pub struct AwayReplies {
    pub hours: Hours,
    pub text: String,
    /// For a message marked urgent; `None`: `text`.
    pub urgent_text: Option<String>,
}

impl AwayReplies {
    /// The text for a message at `at`, with the next opening filled in; `None` while
    /// the office is open.
    pub fn text_at(&self, at: Timestamp, urgent: bool) -> Option<String> {
        if self.hours.is_open(at) {
            return None;
        }
        let text = match (&self.urgent_text, urgent) {
            (Some(t), true) => t,
            _ => &self.text,
        };
        let (opens, day) = match self.hours.next_open(at) {
            Some(t) => (long_moment(t), long_date(t)),
            None => ("weiteres".to_string(), "weiteres".to_string()),
        };
        Some(
            text.replace("{oeffnet}", &opens)
                .replace("{naechster_werktag}", &day),
        )
    }
}

/// Every `{…}` in `text` is a known placeholder.
pub fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i..];
        let end = tail.find('}').map_or(tail.len(), |e| e + 1);
        let name = &tail[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder `{name}`; known: {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &tail[end..];
    }
    Ok(())
}

fn minute_of(local: NaiveDateTime) -> u16 {
    use chrono::Timelike;
    (local.hour() * 60 + local.minute()) as u16
}

fn at_minute(date: NaiveDate, minute: u16) -> NaiveDateTime {
    if minute >= 1440 {
        return (date + Duration::days(1)).and_time(NaiveTime::MIN);
    }
    let t = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
        .unwrap_or(NaiveTime::MIN);
    date.and_time(t)
}

/// The moment (UTC) summer time begins in `year`: the last Sunday of March, 01:00 UTC;
/// and ends: the last Sunday of October, 01:00 UTC (EU rule, in force since 1996).
fn summer_time(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
        while d.weekday() != chrono::Weekday::Sun {
            d -= Duration::days(1);
        }
        d.and_hms_opt(1, 0, 0).unwrap_or_default()
    };
    (last_sunday(3), last_sunday(10))
}

/// Europe/Berlin's offset from UTC at a UTC moment: +1 h, +2 h in summer time.
fn offset_at(utc: NaiveDateTime) -> Duration {
    let (begin, end) = summer_time(utc.year());
    if (begin..end).contains(&utc) {
        Duration::hours(2)
    } else {
        Duration::hours(1)
    }
}

/// The wall-clock time in Germany at `at`.
pub fn to_berlin(at: Timestamp) -> NaiveDateTime {
    let utc = Utc
        .timestamp_millis_opt(at.0)
        .single()
        .unwrap_or_default()
        .naive_utc();
    utc + offset_at(utc)
}

/// The moment a German wall-clock time names. In the autumn hour that happens twice,
/// the first; a time the spring change skips (02:30) counts as an hour later.
pub fn from_berlin(local: NaiveDateTime) -> Timestamp {
    let summer = local - Duration::hours(2);
    let winter = local - Duration::hours(1);
    let utc = if offset_at(summer) == Duration::hours(2) {
        summer
    } else {
        winter
    };
    Timestamp(utc.and_utc().timestamp_millis())
}

/// Parses a day's opening times: `"07:00-12:00, 13:00-16:30"`; empty = closed.
pub fn parse_spans(text: &str) -> Result<Vec<Span>, String> {
    let mut spans: Vec<Span> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| format!("`{part}`: expected from-to, e.g. \"07:00-16:30\""))?;
        let (a, b) = (clock(a.trim())?, clock(b.trim())?);
        if a >= b {
            return Err(format!(
                "`{part}`: the end must come after the start (no spans across midnight)"
            ));
        }
        if spans.last().is_some_and(|&(_, end)| a < end) {
            return Err(format!(
                "`{part}`: overlaps or comes before the span before it"
            ));
        }
        spans.push((a, b));
    }
    Ok(spans)
}

/// `"7:00"`, `"07:30"`, `"24:00"` → minutes since midnight.
pub fn clock(s: &str) -> Result<u16, String> {
    let bad = || format!("`{s}`: expected a time such as 07:30");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m > 0) || h.to_string().len() > 2 || m.to_string().len() > 2
    {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Parses a closure: `"2026-12-24..2027-01-01"` or a single date.
pub fn parse_closure(text: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |s: &str| {
        s.trim()
            .parse::<NaiveDate>()
            .map_err(|_| format!("`{}`: expected a date YYYY-MM-DD", s.trim()))
    };
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (date(a)?, date(b)?),
        None => (date(text)?, date(text)?),
    };
    if b < a {
        return Err(format!("`{text}`: the range ends before it begins"));
    }
    Ok((a, b))
}

/// "Mo 7:00" (within the coming week) or "Mo 4.1. 7:00", for the inbox header.
pub fn short_moment(at: Timestamp, now: Timestamp, german: bool) -> String {
    let local = to_berlin(at);
    let days = (local.date() - to_berlin(now).date()).num_days();
    let weekday = weekday_name(local.weekday(), german, true);
    let time = format!("{}:{:02}", local.format("%-H"), local.format("%M"));
    match (days, german) {
        (0, true) => format!("heute {time}"),
        (0, false) => format!("today {time}"),
        (1..=6, _) => format!("{weekday} {time}"),
        (_, true) => format!("{weekday} {}.{}. {time}", local.day(), local.month()),
        (_, false) => format!("{weekday} {}/{} {time}", local.day(), local.month()),
    }
}

/// "Montag, 07.12.2026, 7:00 Uhr" — for texts to customers (always German).
pub fn long_moment(at: Timestamp) -> String {
    let local = to_berlin(at);
    format!(
        "{}, {}, {}:{} Uhr",
        weekday_name(local.weekday(), true, false),
        local.format("%d.%m.%Y"),
        local.format("%-H"),
        local.format("%M")
    )
}

/// "Montag, 07.12.2026".
pub fn long_date(at: Timestamp) -> String {
    let local = to_berlin(at);
    format!(
        "{}, {}",
        weekday_name(local.weekday(), true, false),
        local.format("%d.%m.%Y")
    )
}

pub fn weekday_name(day: chrono::Weekday, german: bool, short: bool) -> &'static str {
    use chrono::Weekday::*;
    match (day, german, short) {
        (Mon, true, true) => "Mo",
        (Tue, true, true) => "Di",
        (Wed, true, true) => "Mi",
        (Thu, true, true) => "Do",
        (Fri, true, true) => "Fr",
        (Sat, true, true) => "Sa",
        (Sun, true, true) => "So",
        (Mon, true, false) => "Montag",
        (Tue, true, false) => "Dienstag",
        (Wed, true, false) => "Mittwoch",
        (Thu, true, false) => "Donnerstag",
        (Fri, true, false) => "Freitag",
        (Sat, true, false) => "Samstag",
        (Sun, true, false) => "Sonntag",
        (Mon, false, true) => "Mon",
        (Tue, false, true) => "Tue",
        (Wed, false, true) => "Wed",
        (Thu, false, true) => "Thu",
        (Fri, false, true) => "Fri",
        (Sat, false, true) => "Sat",
        (Sun, false, true) => "Sun",
        (Mon, false, false) => "Monday",
        (Tue, false, false) => "Tuesday",
        (Wed, false, false) => "Wednesday",
        (Thu, false, false) => "Thursday",
        (Fri, false, false) => "Friday",
        (Sat, false, false) => "Saturday",
        (Sun, false, false) => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin(s: &str) -> Timestamp {
        from_berlin(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn utc(s: &str) -> Timestamp {
        Timestamp(
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_utc()
                .timestamp_millis(),
        )
    }

    #[test]
    fn berlin_time_follows_both_changes() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(berlin("2026-03-29 01:59"), utc("2026-03-29 00:59"));
        assert_eq!(berlin("2026-03-29 03:00"), utc("2026-03-29 01:00"));
        // Skipped in spring: counts as an hour later.
        assert_eq!(berlin("2026-03-29 02:30"), utc("2026-03-29 01:30"));
        // Twice in autumn: the first.
        assert_eq!(berlin("2026-10-25 02:30"), utc("2026-10-25 00:30"));
        assert_eq!(berlin("2026-10-25 03:30"), utc("2026-10-25 02:30"));
        assert_eq!(berlin("2027-07-01 12:00"), utc("2027-07-01 10:00"));
        assert_eq!(berlin("2028-01-10 12:00"), utc("2028-01-10 11:00"));
        let back = to_berlin(utc("2027-10-31 00:59"));
        assert_eq!(back.to_string(), "2027-10-31 02:59:00");
        let back = to_berlin(utc("2027-10-31 01:00"));
        assert_eq!(back.to_string(), "2027-10-31 02:00:00");
    }

    #[test]
    fn spans_parse_and_refuse_clearly() {
        assert_eq!(
            parse_spans("7:00-12:00, 13:00-16:30").unwrap(),
            vec![(420, 720), (780, 990)]
        );
        assert_eq!(parse_spans("").unwrap(), vec![]);
        assert_eq!(parse_spans("00:00-24:00").unwrap(), vec![(0, 1440)]);
        assert!(
            parse_spans("16:00-07:00")
                .unwrap_err()
                .contains("after the start")
        );
        assert!(parse_spans("7-12").unwrap_err().contains("07:30"));
        assert!(
            parse_spans("07:00-12:00, 11:00-13:00")
                .unwrap_err()
                .contains("overlaps")
        );
        assert!(parse_spans("25:00-26:00").is_err());
        assert!(parse_closure("2026-12-31..2026-12-24").is_err());
        assert!(
            parse_closure("2026-13-01")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
    }
}
