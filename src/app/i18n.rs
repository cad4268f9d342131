//! German and English UI texts. Each call site carries both texts side by side, so a
//! missing translation is visible in review rather than at run time.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// German under a German locale, English otherwise: the usual POSIX precedence.
    pub fn from_locale_env() -> Lang {
        let var = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty());
        Self::from_locale(var.as_deref().unwrap_or(""))
    }

    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("de") {
            Lang::De
        } else {
            Lang::En
        }
    }

    /// `n` and the noun in the number it takes: "1 Unterhaltung", "2 Unterhaltungen";
    /// each language's pair is (one, more).
    pub fn count(self, n: u64, de: (&str, &str), en: (&str, &str)) -> String {
        let (one, more) = match self {
            Lang::De => de,
            Lang::En => en,
        };
        format!("{n} {}", if n == 1 { one } else { more })
    }

    pub fn t(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_detection() {
        assert_eq!(Lang::from_locale("de_DE.UTF-8"), Lang::De);
        assert_eq!(Lang::from_locale("de_AT"), Lang::De);
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
    }
}
