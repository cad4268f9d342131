//! When things happen: snooze and follow-up times, "closed until".

use chrono::{Datelike, Duration, TimeZone, Weekday};

use crate::domain::Timestamp;
use crate::domain::hours::Hours;

/// 08:00 local time on the next working day: with business hours, the next day the
/// office opens (public holidays and closures skipped); without, Monday to Friday.
/// Snoozed on a Friday or Saturday, a conversation comes back on Monday, not on a
/// Sunday.
pub fn next_working_morning(now: Timestamp, hours: Option<&Hours>) -> Timestamp {
    let local = now.to_local();
    let mut date = local.date_naive() + Duration::days(1);
    for _ in 0..400 {
        let working = match hours.filter(|h| h.is_set()) {
            Some(h) => !h.spans(date).is_empty(),
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        };
        if working {
            break;
        }
        date += Duration::days(1);
    }
    at_local(date, 8, 0).unwrap_or(now.plus_ms(Timestamp::DAY))
}

/// `date` at `h:m` local time (the earlier one in the autumn hour that repeats).
pub fn at_local(date: chrono::NaiveDate, h: u32, m: u32) -> Option<Timestamp> {
    let at = date.and_hms_opt(h, m, 0)?;
    chrono::Local
        .from_local_datetime(&at)
        .earliest()
        .map(|d| Timestamp(d.timestamp_millis()))
}

/// When the office opens again, while it is closed.
pub fn closed_until(now: Timestamp, hours: Option<&Hours>) -> Option<Timestamp> {
    let h = hours.filter(|h| h.is_set())?;
    if h.is_open(now) {
        return None;
    }
    h.next_open(now)
}

/// Whether `now` (local time) falls in the span of minutes `from..to`, which may run
/// past midnight ("20:00-07:00").
pub fn within(now: Timestamp, (from, to): (u16, u16)) -> bool {
    use chrono::Timelike;
    let local = now.to_local();
    let minute = (local.hour() * 60 + local.minute()) as u16;
    if from < to {
        (from..to).contains(&minute)
    } else {
        minute >= from || minute < to
    }
}

/// What a "when?" prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFor {
    /// `z`: hidden until then (or until the customer writes).
    Snooze,
    /// `w`: waiting for the customer; open again then, marked, if they have not answered.
    FollowUp,
    /// `Strg-T` in the composer: the reply goes out then.
    Send,
}

/// One quick choice of a "when?" prompt; `at: None` is "waiting, no follow-up date".
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub label: String,
    pub at: Option<Timestamp>,
}

/// The quick choices, and which is the default (selected when the prompt opens).
pub fn choices(
    purpose: WhenFor,
    now: Timestamp,
    hours: Option<&Hours>,
    lang: crate::app::i18n::Lang,
) -> (Vec<Choice>, usize) {
    let today = now.to_local().date_naive();
    let german = lang == crate::app::i18n::Lang::De;
    let at = |date: chrono::NaiveDate, h: u32| at_local(date, h, 0);
    let label = |what: &str, t: Option<Timestamp>| match t {
        Some(t) => format!("{what}  ({})", moment(t, now, german)),
        None => what.to_string(),
    };
    let mut out = Vec::new();
    let mut push = |what: &str, t: Option<Timestamp>| {
        out.push(Choice {
            label: label(what, t),
            at: t,
        })
    };
    let next_working = next_working_morning(now, hours);
    let in_two = next_working_morning(next_working, hours);
    let week = at(today + Duration::days(7), 8);
    match purpose {
        WhenFor::Snooze | WhenFor::Send => {
            if let Some(t) = at(today, 14).filter(|t| *t > now) {
                push(lang.t("heute 14:00", "today 14:00"), Some(t));
            }
            push(
                lang.t("morgen 8:00", "tomorrow 8:00"),
                at(today + Duration::days(1), 8),
            );
            push(
                lang.t("nächster Werktag 8:00", "next working day 8:00"),
                Some(next_working),
            );
            if purpose == WhenFor::Snooze {
                push(lang.t("in einer Woche", "in a week"), week);
            }
        }
        WhenFor::FollowUp => {
            push(
                lang.t("in 2 Werktagen nachfassen", "follow up in 2 working days"),
                Some(in_two),
            );
            push(
                lang.t("morgen nachfassen", "follow up tomorrow"),
                at(today + Duration::days(1), 8),
            );
            push(
                lang.t("in einer Woche nachfassen", "follow up in a week"),
                week,
            );
            push(lang.t("ohne Wiedervorlage", "no follow-up date"), None);
        }
    }
    let default = match purpose {
        WhenFor::Snooze | WhenFor::Send => out
            .iter()
            .position(|c| c.at == Some(next_working))
            .unwrap_or(0),
        WhenFor::FollowUp => 0,
    };
    (out, default)
}

/// "Mo 07.12. 8:00" / "Mon 12/07 8:00".
pub fn moment(t: Timestamp, _now: Timestamp, german: bool) -> String {
    let l = t.to_local();
    let day = crate::domain::hours::weekday_name(l.weekday(), german, true);
    if german {
        format!("{day} {} {}", l.format("%d.%m."), l.format("%-H:%M"))
    } else {
        format!("{day} {} {}", l.format("%m/%d"), l.format("%-H:%M"))
    }
}

/// Why a typed time was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhenError {
    Unreadable,
    Past,
}

/// A typed date and time, local: "14:00" (today, or tomorrow once past), "morgen 8",
/// "Mo 9:30", "24.12. 10:00", "24.12.2026", "2026-12-24 10:00"; a day without a time
/// is 8:00. Must lie ahead of `now`.
pub fn parse(text: &str, now: Timestamp) -> Result<Timestamp, WhenError> {
    let today = now.to_local().date_naive();
    let text = text.trim().to_lowercase();
    let text = text.trim_end_matches("uhr").trim();
    let mut day: Option<chrono::NaiveDate> = None;
    let mut time: Option<(u32, u32)> = None;
    for word in text.split_whitespace() {
        let word = word.trim_end_matches(',');
        if let Some(t) = clock_of(word) {
            if time.replace(t).is_some() {
                return Err(WhenError::Unreadable);
            }
            continue;
        }
        let d = day_of(word, today).ok_or(WhenError::Unreadable)?;
        if day.replace(d).is_some() {
            return Err(WhenError::Unreadable);
        }
    }
    if day.is_none() && time.is_none() {
        return Err(WhenError::Unreadable);
    }
    let (h, m) = time.unwrap_or((8, 0));
    let at = |d| at_local(d, h, m).ok_or(WhenError::Unreadable);
    let t = match day {
        Some(d) => at(d)?,
        None => {
            // A bare time: today, or tomorrow once it has passed.
            let t = at(today)?;
            if t > now {
                t
            } else {
                at(today + Duration::days(1))?
            }
        }
    };
    if t <= now {
        return Err(WhenError::Past);
    }
    Ok(t)
}

fn clock_of(word: &str) -> Option<(u32, u32)> {
    let (h, m) = match word.split_once(':') {
        Some((h, m)) => (h.parse().ok()?, m.parse().ok()?),
        None if word.len() <= 2 => (word.parse().ok()?, 0),
        None => return None,
    };
    (h < 24 && m < 60).then_some((h, m))
}

fn day_of(word: &str, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    match word {
        "heute" | "today" => return Some(today),
        "morgen" | "tomorrow" => return Some(today + Duration::days(1)),
        "übermorgen" => return Some(today + Duration::days(2)),
        _ => {}
    }
    if let Some(wd) = weekday_of(word) {
        let mut d = today + Duration::days(1);
        while d.weekday() != wd {
            d += Duration::days(1);
        }
        return Some(d);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(word, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = word.trim_end_matches('.').split('.').collect();
    let num = |s: &str| s.parse::<u32>().ok();
    match parts.as_slice() {
        [d, m] => {
            // "24.12.": this year, or next year once it has passed.
            let (d, m) = (num(d)?, num(m)?);
            let this = chrono::NaiveDate::from_ymd_opt(today.year(), m, d)?;
            if this >= today {
                Some(this)
            } else {
                chrono::NaiveDate::from_ymd_opt(today.year() + 1, m, d)
            }
        }
        [d, m, y] => {
            let y = num(y)? as i32;
            let y = if y < 100 { 2000 + y } else { y };
            chrono::NaiveDate::from_ymd_opt(y, num(m)?, num(d)?)
        }
        _ => None,
    }
}

fn weekday_of(word: &str) -> Option<Weekday> {
    use Weekday::*;
    Some(match word.trim_end_matches('.') {
        "mo" | "montag" | "mon" | "monday" => Mon,
        "di" | "dienstag" | "tue" | "tuesday" => Tue,
        "mi" | "mittwoch" | "wed" | "wednesday" => Wed,
        "do" | "donnerstag" | "thu" | "thursday" => Thu,
        "fr" | "freitag" | "fri" | "friday" => Fri,
        "sa" | "samstag" | "sat" | "saturday" => Sat,
        "so" | "sonntag" | "sun" | "sunday" => Sun,
        _ => return None,
    })
}
