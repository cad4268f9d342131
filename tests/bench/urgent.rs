//! Issue 17's figure for the inbound rules: CPU per customer message for deciding
//! whether it is urgent, with 50 rules (words and patterns) as an office might set them,
//! and whether the office is open (business hours configured).
//! Prints figures, asserts nothing.
//!
//!     cargo bench --bench urgent

use std::hint::black_box;
use std::time::Instant;

use tresen::config::HoursConfig;
use tresen::domain::Timestamp;
use tresen::domain::hours::Hours;
use tresen::domain::urgent::{UrgentRule, UrgentRules};

/// Mon–Thu with a lunch break, Friday mornings, Bavaria's holidays, a local one and the
/// Christmas closure.
fn office_hours() -> Hours {
    let day = "07:00-12:00, 12:30-16:30";
    HoursConfig {
        monday: day.into(),
        tuesday: day.into(),
        wednesday: day.into(),
        thursday: day.into(),
        friday: "07:00-13:00".into(),
        state: "BY".into(),
        extra_holidays: vec!["2026-08-15".into()],
        closures: vec!["2026-12-24..2027-01-01".into()],
        ..HoursConfig::default()
    }
    .hours()
    .expect("the bench's hours are valid")
}

/// 40 words and phrases, 10 patterns: a trade firm's emergencies and more. The patterns
/// use no `\b` or `\w`: Unicode word boundaries keep the regex crate off its fast
/// automaton for any message with an umlaut (docs/config.md says so; the figure for one
/// such pattern is printed below).
fn fifty_rules() -> Vec<UrgentRule> {
    let words = [
        "Notfall",
        "Wasser läuft",
        "Rohrbruch",
        "Gasgeruch",
        "riecht nach Gas",
        "Überschwemmung",
        "Heizung ausgefallen",
        "Stromausfall",
        "Kurzschluss",
        "Brand",
        "Rauch",
        "Feuer",
        "Wasserschaden",
        "undicht",
        "tropft stark",
        "läuft aus",
        "Keller unter Wasser",
        "Druckverlust",
        "Störung",
        "Totalausfall",
        "dringend",
        "sofort",
        "Eilt",
        "Lebensgefahr",
        "Kohlenmonoxid",
        "CO-Melder",
        "Rauchmelder",
        "Explosion",
        "verstopft",
        "Rückstau",
        "Frost",
        "eingefroren",
        "geplatzt",
        "kein Strom",
        "Funken",
        "verbrannt",
        "Alarm",
        "Notdienst",
        "Hilfe",
        "Havarie",
    ];
    let patterns = [
        r"kein(e)?\s+(heizung|warmwasser)",
        r"heizung\s+(geht|funktioniert)\s+nicht",
        r"wasser\s+(steht|kommt)\s+(im|aus)",
        r"gas\s*(geruch|leck)",
        r"f\.?\s?(28|29|75)(\D|$)",
        r"st(ö|oe)rung\s+\S+",
        r"(boiler|kessel|therme)\s+(leckt|tropft)",
        r"rohr\s*(bruch|geplatzt)",
        r"strom\s*(weg|ausfall)",
        r"notruf|112",
    ];
    vec![UrgentRule {
        words: words.map(String::from).to_vec(),
        patterns: patterns.map(String::from).to_vec(),
    }]
}

fn main() {
    let start = Instant::now();
    let rules = UrgentRules::new(&fifty_rules()).expect("the bench's rules compile");
    println!(
        "compiling 50 rules: {:.1} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let messages = [
        "Guten Tag, wann können Sie nächste Woche für die Wartung vorbeikommen?",
        "Hier noch ein Foto vom Typenschild, das Gerät ist von 2009. Viele Grüße, Familie Schmidt",
        "Vielen Dank für das Angebot, wir melden uns nach dem Wochenende bei Ihnen.",
        "Können Sie bitte die Rechnung noch einmal an die neue Adresse schicken? Danke!",
        "Notfall! Wasser läuft aus dem Heizkessel, was sollen wir tun?",
        "Seit heute Morgen keine Heizung mehr und die Kinder frieren",
    ];
    // Business hours as an office sets them: the engine asks "open now?" for every
    // customer message that arrives (the away reply), on a clock that moves through a
    // week, so holidays and both halves of the day are computed.
    let hours = office_hours();
    let week: Vec<Timestamp> = (0..7 * 24 * 4)
        .map(|q| Timestamp(1_774_846_800_000 + q * 15 * 60_000))
        .collect();
    for round in 1..=3 {
        let n = 600_000;
        let mut hits = 0usize;
        let mut open = 0usize;
        let start = Instant::now();
        for i in 0..n {
            if rules.matches(black_box(messages[i % messages.len()])) {
                hits += 1;
            }
            if hours.is_open(black_box(week[i % week.len()])) {
                open += 1;
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e9 / n as f64;
        println!(
            "round {round}: {n} messages (2 of 6 urgent) with hours, {per:.0} ns per message, {hits} urgent, {open} while open"
        );
    }
    let n = 600_000;
    let start = Instant::now();
    for i in 0..n {
        black_box(hours.is_open(black_box(week[i % week.len()])));
    }
    println!(
        "hours alone (open now?): {:.0} ns per message",
        start.elapsed().as_secs_f64() * 1e9 / n as f64
    );
    // The parts alone: the words, then the patterns.
    let all = fifty_rules();
    let parts = [
        (
            "40 words alone",
            UrgentRule {
                words: all[0].words.clone(),
                patterns: vec![],
            },
        ),
        (
            "10 patterns alone",
            UrgentRule {
                words: vec![],
                patterns: all[0].patterns.clone(),
            },
        ),
    ];
    for (what, rule) in parts {
        let rules = UrgentRules::new(&[rule]).expect("the bench's rules compile");
        let n = 300_000;
        let start = Instant::now();
        for i in 0..n {
            black_box(rules.matches(black_box(messages[i % messages.len()])));
        }
        println!(
            "{what}: {:.0} ns per message",
            start.elapsed().as_secs_f64() * 1e9 / n as f64
        );
    }
    let mut slow = all[0].patterns.clone();
    slow.push(r"\bheizung\w*\b".into());
    let rules_b = UrgentRules::new(&[UrgentRule {
        words: vec![],
        patterns: slow,
    }])
    .expect("the bench's rules compile");
    let n = 100_000;
    let start = Instant::now();
    for i in 0..n {
        black_box(rules_b.matches(black_box(messages[i % messages.len()])));
    }
    println!(
        "the 10 patterns and one with \\b and \\w: {:.0} ns per message",
        start.elapsed().as_secs_f64() * 1e9 / n as f64
    );
    let long = "Sehr geehrte Damen und Herren, ".repeat(60);
    let n = 50_000;
    let start = Instant::now();
    for _ in 0..n {
        black_box(rules.matches(black_box(&long)));
    }
    println!(
        "a long message ({} characters, nothing urgent): {:.0} ns",
        long.chars().count(),
        start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    );
}
