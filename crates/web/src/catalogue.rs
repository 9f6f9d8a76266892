//! Message catalogues: every word a page shows, in Persian and English. A key without both
//! languages does not compile.

/// Declares a catalogue: an enum of texts with `get(lang)` and the list of all of them.
#[macro_export]
macro_rules! catalogue {
    ($(#[$doc:meta])* $name:ident; $($key:ident => $fa:literal, $en:literal;)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($key),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$key),*];

            pub fn get(self, lang: philia_domain::staff_auth::Lang) -> &'static str {
                use philia_domain::staff_auth::Lang;
                match (self, lang) {
                    $(($name::$key, Lang::Fa) => $fa, ($name::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}
