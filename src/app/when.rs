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
