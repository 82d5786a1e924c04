//! The values a setting takes ([`Range`]) and how a value is read from text and checked against
//! them: one `SettingValue` impl per kind of value, one `Named` impl per enum of names.

use crate::data::{Builtin, Task};
use crate::nn::loss::Loss;
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, Init};

/// One value of a setting that takes one of a list of names.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// Its name, as a flag and the page take it.
    pub name: &'static str,
    /// What it is.
    pub describe: &'static str,
    /// For a dataset: its task.
    pub task: Option<Task>,
    /// For a dataset: the numbers of classes it can make.
    pub classes: Option<(usize, usize)>,
    /// For a dataset: whether it is generated (its samples and noise apply).
    pub generated: bool,
    /// For a dataset: the settings it brings when it is chosen ([`Builtin::defaults`]).
    pub defaults: &'static [(&'static str, &'static str)],
}

impl Choice {
    fn plain(name: &'static str, describe: &'static str) -> Choice {
        Choice {
            name,
            describe,
            task: None,
            classes: None,
            generated: false,
            defaults: &[],
        }
    }
}

/// The values a setting takes.
#[derive(Clone, Copy, Debug)]
pub enum Range {
    /// One of a list of names.
    Choice(fn() -> Vec<Choice>),
    /// A whole number from `min` to `max`.
    Whole {
        /// The smallest.
        min: u64,
        /// The largest.
        max: u64,
    },
    /// A finite real number from `min` (excluded when `above`) to `max`.
    Number {
        /// The smallest (or the bound it stays above).
        min: f64,
        /// The largest.
        max: f64,
        /// Whether `min` itself is excluded.
        above: bool,
        /// An example of a good value, for messages.
        example: &'static str,
    },
    /// Comma-separated whole numbers, at most `most` of them, each from `min` to `max` (the
    /// hidden layers' widths).
    Widths {
        /// The most numbers.
        most: usize,
        /// The smallest number.
        min: usize,
        /// The largest number.
        max: usize,
    },
    /// Text: a path, a column name or a comma list of names, checked against the data.
    Text,
    /// On or off.
    Switch,
}

/// A value a setting holds: how it is read from a flag's text and checked against its range.
pub(super) trait SettingValue: Sized {
    /// The value `text` gives.
    fn parse(text: &str, range: &Range) -> Result<Self, String>;
    /// Whether the value is in `range`.
    fn check(&self, range: &Range) -> Result<(), String>;
}

/// A setting that takes one of a list of names: an enum of the library's.
pub(super) trait Named: Copy + PartialEq + 'static {
    /// Every value, in the order lists show them.
    fn all() -> Vec<Self>;
    /// Its name.
    fn name(self) -> &'static str;
    /// What it is.
    fn describe(self) -> &'static str;
    /// The choice a list shows for it.
    fn choice(self) -> Choice {
        Choice::plain(self.name(), self.describe())
    }
}

/// The choices of a named setting, for its range.
pub(super) fn choices<T: Named>() -> Vec<Choice> {
    T::all().into_iter().map(Named::choice).collect()
}

impl Range {
    /// The values it takes, in words (`a whole number from 1 to 1000000`).
    pub fn describe(&self) -> String {
        match self {
            Range::Whole { min, max } if *max == u64::MAX => format!("a whole number from {min}"),
            Range::Whole { min, max } => format!("a whole number from {min} to {max}"),
            Range::Number {
                min,
                max,
                above,
                example,
            } => match (*above, *max == f64::MAX) {
                (true, true) => format!("a finite number greater than {min}, e.g. {example}"),
                (false, true) => format!("a finite number of {min} or more, e.g. {example}"),
                (true, false) => format!("a number greater than {min}, at most {max}"),
                (false, false) => format!("a number from {min} to {max}"),
            },
            Range::Widths { most, min, max } => format!(
                "comma-separated layer widths from {min} to {max}, e.g. 16,16 (at most {most} \
                 layers)"
            ),
            Range::Choice(choices) => {
                let names: Vec<&str> = choices().iter().map(|c| c.name).collect();
                format!("one of {}", names.join(", "))
            }
            Range::Text => "text".to_string(),
            Range::Switch => "true or false".to_string(),
        }
    }
}

pub(super) fn must_be(range: &Range) -> String {
    format!("must be {}", range.describe())
}

impl SettingValue for u64 {
    fn parse(text: &str, range: &Range) -> Result<u64, String> {
        let value: u64 = text.trim().parse().map_err(|_| must_be(range))?;
        value.check(range).map(|()| value)
    }

    fn check(&self, range: &Range) -> Result<(), String> {
        match range {
            Range::Whole { min, max } if (min..=max).contains(&self) => Ok(()),
            _ => Err(must_be(range)),
        }
    }
}

impl SettingValue for usize {
    fn parse(text: &str, range: &Range) -> Result<usize, String> {
        let value = u64::parse(text, range)?;
        usize::try_from(value).map_err(|_| must_be(range))
    }

    fn check(&self, range: &Range) -> Result<(), String> {
        u64::try_from(*self)
            .map_err(|_| must_be(range))
            .and_then(|v| v.check(range))
    }
}

impl SettingValue for f64 {
    fn parse(text: &str, range: &Range) -> Result<f64, String> {
        let value: f64 = text.trim().parse().map_err(|_| must_be(range))?;
        value.check(range).map(|()| value)
    }

    fn check(&self, range: &Range) -> Result<(), String> {
        match range {
            Range::Number {
                min, max, above, ..
            } if self.is_finite()
                && *self <= *max
                && (*self > *min || (!above && *self == *min)) =>
            {
                Ok(())
            }
            _ => Err(must_be(range)),
        }
    }
}

impl SettingValue for bool {
    fn parse(text: &str, range: &Range) -> Result<bool, String> {
        match text.trim() {
            "true" | "" => Ok(true),
            "false" => Ok(false),
            _ => Err(must_be(range)),
        }
    }

    fn check(&self, _: &Range) -> Result<(), String> {
        Ok(())
    }
}

impl SettingValue for String {
    fn parse(text: &str, _: &Range) -> Result<String, String> {
        Ok(text.trim().to_string())
    }

    fn check(&self, _: &Range) -> Result<(), String> {
        if self.is_empty() {
            Err("must not be empty".to_string())
        } else {
            Ok(())
        }
    }
}

impl SettingValue for Vec<usize> {
    fn parse(text: &str, range: &Range) -> Result<Vec<usize>, String> {
        let Range::Widths { min, max, .. } = *range else {
            return Err(must_be(range));
        };
        let widths = if text.trim().is_empty() {
            Vec::new()
        } else {
            text.split(',')
                .map(|part| {
                    part.trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|w| (min..=max).contains(w))
                        .ok_or_else(|| {
                            format!(
                                "{} (found {:?})",
                                must_be(range),
                                part.chars().take(20).collect::<String>()
                            )
                        })
                })
                .collect::<Result<Vec<usize>, String>>()?
        };
        widths.check(range).map(|()| widths)
    }

    fn check(&self, range: &Range) -> Result<(), String> {
        match *range {
            Range::Widths { most, min, max }
                if self.len() <= most && self.iter().all(|w| (min..=max).contains(w)) =>
            {
                Ok(())
            }
            _ => Err(must_be(range)),
        }
    }
}

impl<T: SettingValue> SettingValue for Option<T> {
    fn parse(text: &str, range: &Range) -> Result<Option<T>, String> {
        T::parse(text, range).map(Some)
    }

    fn check(&self, range: &Range) -> Result<(), String> {
        self.as_ref().map_or(Ok(()), |value| value.check(range))
    }
}

impl<T: Named> SettingValue for T {
    fn parse(text: &str, range: &Range) -> Result<T, String> {
        T::all()
            .into_iter()
            .find(|value| value.name() == text.trim())
            .ok_or_else(|| must_be(range))
    }

    fn check(&self, _: &Range) -> Result<(), String> {
        Ok(())
    }
}

impl Named for Builtin {
    fn all() -> Vec<Builtin> {
        Builtin::all()
    }
    fn name(self) -> &'static str {
        Builtin::name(self)
    }
    fn describe(self) -> &'static str {
        Builtin::describe(self)
    }
    fn choice(self) -> Choice {
        Choice {
            task: Some(self.task()),
            classes: self.class_range().map(|r| (*r.start(), *r.end())),
            generated: self.generated(),
            defaults: self.defaults(),
            ..Choice::plain(self.name(), self.describe())
        }
    }
}

/// A `Named` impl that forwards to the enum's own `ALL`, `name` and `describe`.
macro_rules! named {
    ($($type:ty),*) => {$(
        impl Named for $type {
            fn all() -> Vec<$type> {
                <$type>::ALL.to_vec()
            }
            fn name(self) -> &'static str {
                <$type>::name(self)
            }
            fn describe(self) -> &'static str {
                <$type>::describe(self)
            }
        }
    )*};
}

named!(Activation, Init, Loss, OptimizerKind, Schedule, Task);
