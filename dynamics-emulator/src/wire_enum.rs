//! Enums the admin APIs write either by name (v1.2, BAP) or by position (v1 of the Online
//! Management API), and read in either form.

/// An enum with a fixed order of named values, as the Online Management API specs declare them.
pub(crate) trait WireEnum: Sized + Copy + 'static {
    /// Every value, in the order the spec declares them (the position is the v1 integer).
    const ALL: &'static [Self];

    /// The value's name, e.g. `Succeeded`.
    fn name(self) -> &'static str;

    /// The value's position in [`ALL`](Self::ALL).
    fn index(self) -> usize;

    /// The value with this name (case-insensitive).
    fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.name().eq_ignore_ascii_case(name))
    }

    /// The value at this position.
    fn from_index(index: u64) -> Option<Self> {
        usize::try_from(index)
            .ok()
            .and_then(|index| Self::ALL.get(index))
            .copied()
    }
}

/// Declares a field-less enum and implements [`WireEnum`] for it, in declaration order.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $crate::wire_enum::WireEnum for $name {
            const ALL: &'static [Self] = &[ $( $name::$variant ),+ ];

            fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant) ),+
                }
            }

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::WireEnum;

    wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Sample {
            Zero,
            One,
            Two,
        }
    }

    #[test]
    fn names_and_positions_round_trip() {
        assert_eq!(Sample::Two.name(), "Two");
        assert_eq!(Sample::Two.index(), 2);
        assert_eq!(Sample::from_name(" one "), Some(Sample::One));
        assert_eq!(Sample::from_index(0), Some(Sample::Zero));
        assert_eq!(Sample::from_index(3), None);
        assert_eq!(Sample::from_name("three"), None);
    }
}
