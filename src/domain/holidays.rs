//! Public holidays in Germany: the nine of every Land and those of each Bundesland,
//! from the Easter date (anonymous Gregorian algorithm) and fixed dates. Local holidays
//! (Augsburger Friedensfest; Mariä Himmelfahrt in Bavaria's Catholic municipalities;
//! Fronleichnam in parts of Saxony and Thuringia) are the office's `extra_holidays`.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A German Land, by its official two-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Bundesland {
    BW,
    BY,
    BE,
    BB,
    HB,
    HH,
    HE,
    MV,
    NI,
    NW,
    RP,
    SL,
    SN,
    ST,
    SH,
    TH,
}

use Bundesland::*;

impl Bundesland {
    pub const ALL: [Bundesland; 16] = [
        BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BW => "BW",
            BY => "BY",
            BE => "BE",
            BB => "BB",
            HB => "HB",
            HH => "HH",
            HE => "HE",
            MV => "MV",
            NI => "NI",
            NW => "NW",
            RP => "RP",
            SL => "SL",
            SN => "SN",
            ST => "ST",
            SH => "SH",
            TH => "TH",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BW => "Baden-Württemberg",
            BY => "Bayern",
            BE => "Berlin",
            BB => "Brandenburg",
            HB => "Bremen",
            HH => "Hamburg",
            HE => "Hessen",
            MV => "Mecklenburg-Vorpommern",
            NI => "Niedersachsen",
            NW => "Nordrhein-Westfalen",
            RP => "Rheinland-Pfalz",
            SL => "Saarland",
            SN => "Sachsen",
            ST => "Sachsen-Anhalt",
            SH => "Schleswig-Holstein",
            TH => "Thüringen",
        }
    }

    /// The code ("BY") or the name ("Bayern"), in any case.
    pub fn parse(s: &str) -> Option<Bundesland> {
        let s = s.trim();
        Self::ALL.into_iter().find(|b| {
            b.code().eq_ignore_ascii_case(s) || b.name().to_lowercase() == s.to_lowercase()
        })
    }
}

/// Easter Sunday of `year` (Gregorian calendar).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The algorithm yields March or April, day 1..=31 of a real date.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or_default()
}

/// The statutory public holidays of `year`: the nationwide ones, and with `land` that
/// Land's own, sorted by date.
pub fn holidays(year: i32, land: Option<Bundesland>) -> Vec<(NaiveDate, &'static str)> {
    let mut out = Vec::with_capacity(16);
    each(year, land, |d, name| {
        out.push((d, name));
        false
    });
    out.sort();
    out
}

/// The public holiday on `date`, if it is one (no allocation: asked per message).
pub fn holiday(date: NaiveDate, land: Option<Bundesland>) -> Option<&'static str> {
    let mut found = None;
    each(date.year(), land, |d, name| {
        if d == date {
            found = Some(name);
        }
        found.is_some()
    });
    found
}

/// Calls `f` with each holiday of `year` (unsorted) until it returns true.
fn each(year: i32, land: Option<Bundesland>, mut f: impl FnMut(NaiveDate, &'static str) -> bool) {
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
    let e = easter(year);
    let after = |days: i64| e + Duration::days(days);
    let nationwide = [
        (date(1, 1), "Neujahr"),
        (after(-2), "Karfreitag"),
        (after(1), "Ostermontag"),
        (date(5, 1), "Tag der Arbeit"),
        (after(39), "Christi Himmelfahrt"),
        (after(50), "Pfingstmontag"),
        (date(10, 3), "Tag der Deutschen Einheit"),
        (date(12, 25), "1. Weihnachtstag"),
        (date(12, 26), "2. Weihnachtstag"),
    ];
    for (d, name) in nationwide {
        if f(d, name) {
            return;
        }
    }
    let Some(land) = land else { return };
    let is = |set: &[Bundesland]| set.contains(&land);
    let own: [(bool, DateOf, &'static str); 10] = [
        (is(&[BW, BY, ST]), |y| ymd(y, 1, 6), "Heilige Drei Könige"),
        (is(&[BE, MV]), |y| ymd(y, 3, 8), "Internationaler Frauentag"),
        (is(&[BB]), easter, "Ostersonntag"),
        (
            is(&[BB]),
            |y| easter(y) + Duration::days(49),
            "Pfingstsonntag",
        ),
        (
            is(&[BW, BY, HE, NW, RP, SL]),
            |y| easter(y) + Duration::days(60),
            "Fronleichnam",
        ),
        (is(&[SL]), |y| ymd(y, 8, 15), "Mariä Himmelfahrt"),
        (is(&[TH]), |y| ymd(y, 9, 20), "Weltkindertag"),
        (
            is(&[BB, HB, HH, MV, NI, SN, ST, SH, TH]),
            |y| ymd(y, 10, 31),
            "Reformationstag",
        ),
        (
            is(&[BW, BY, NW, RP, SL]),
            |y| ymd(y, 11, 1),
            "Allerheiligen",
        ),
        (is(&[SN]), repentance_day, "Buß- und Bettag"),
    ];
    for (holds, day, name) in own {
        if holds && f(day(year), name) {
            return;
        }
    }
}

/// A holiday's date in a given year.
type DateOf = fn(i32) -> NaiveDate;

fn ymd(year: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default()
}

/// Buß- und Bettag: the Wednesday before 23 November.
fn repentance_day(year: i32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, 11, 22).unwrap_or_default();
    while d.weekday() != Weekday::Wed {
        d -= Duration::days(1);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn easter_matches_the_published_dates() {
        assert_eq!(easter(2024), d("2024-03-31"));
        assert_eq!(easter(2025), d("2025-04-20"));
        assert_eq!(easter(2026), d("2026-04-05"));
        assert_eq!(easter(2027), d("2027-03-28"));
        assert_eq!(easter(2028), d("2028-04-16"));
        assert_eq!(easter(2038), d("2038-04-25"));
    }

    #[test]
    fn lands_parse_by_code_and_name() {
        assert_eq!(Bundesland::parse("by"), Some(BY));
        assert_eq!(Bundesland::parse("Thüringen"), Some(TH));
        assert_eq!(Bundesland::parse("Bavaria"), None);
    }
}
