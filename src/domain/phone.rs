//! Phone numbers as staff type them — from caller ID in national form (0157 …), with
//! spaces, dashes and slashes, or internationally (+49 …, 0049 …) — and as the networks
//! name contacts (+49157…).

/// `text` as an international number without separators ("+491573141592"), if it is a
/// phone number; a national one (a single leading 0) takes `country` ("+49").
pub fn international(text: &str, country: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '/' | '(' | ')' | '.' | '\u{a0}'))
        .collect();
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let intl = if plus {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("{country}{rest}")
    } else {
        // Bare digits are an inbox number or some other id, not a phone number.
        return None;
    };
    // E.164: at most 15 digits; fewer than 7 is no subscriber number.
    (8..=16).contains(&intl.len()).then_some(intl)
}

/// Whether `country` is a calling code as the config takes it: "+" and 1–3 digits.
pub fn is_country_code(country: &str) -> bool {
    country
        .strip_prefix('+')
        .is_some_and(|d| (1..=3).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_staff_type_them() {
        for typed in [
            "01573141592",
            "0157 3141592",
            "0157-314 15 92",
            "0157/3141592",
            "+49 157 3141592",
            "0049 157 3141592",
            "+491573141592",
        ] {
            assert_eq!(
                international(typed, "+49").as_deref(),
                Some("+491573141592"),
                "{typed}"
            );
        }
        assert_eq!(
            international("0664 1234567", "+43").as_deref(),
            Some("+436641234567")
        );
        for not in [
            "12",
            "1234567",
            "Max Mustermann",
            "!room:example.org",
            "0",
            "+",
        ] {
            assert_eq!(international(not, "+49"), None, "{not}");
        }
        assert!(is_country_code("+49") && is_country_code("+1") && !is_country_code("49"));
    }
}
