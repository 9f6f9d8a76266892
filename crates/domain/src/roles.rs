//! Who may do what. API keys act for systems; staff users are people.

use crate::issue::Issue;

/// The role an API key acts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Everything, including keys, staff and tenant settings.
    Admin,
    /// Writes and reads customer data, catalogue, invoices and events: what a shop or POS needs.
    Integration,
    /// Reads only.
    ReadOnly,
}

impl KeyRole {
    pub const NAMES: [&'static str; 3] = ["admin", "integration", "read_only"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().replace('-', "_").as_str() {
            "admin" => Ok(Self::Admin),
            "integration" => Ok(Self::Integration),
            "read_only" | "readonly" => Ok(Self::ReadOnly),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Integration => "integration",
            Self::ReadOnly => "read_only",
        }
    }

    pub fn allows(self, needed: Access) -> bool {
        match needed {
            Access::Read => true,
            Access::Write => matches!(self, Self::Admin | Self::Integration),
            Access::Manage => self == Self::Admin,
        }
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Manage,
}

/// The role of a staff user in the admin panel and POS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Owner,
    Admin,
    Marketer,
    Cashier,
    Viewer,
}

impl StaffRole {
    pub const NAMES: [&'static str; 5] = ["owner", "admin", "marketer", "cashier", "viewer"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "marketer" => Ok(Self::Marketer),
            "cashier" | "operator" => Ok(Self::Cashier),
            "viewer" => Ok(Self::Viewer),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// What this role may do in the admin panel. A cashier works at the till only: `None`.
    pub fn panel_access(self) -> Option<Access> {
        match self {
            Self::Owner | Self::Admin => Some(Access::Manage),
            Self::Marketer => Some(Access::Write),
            Self::Viewer => Some(Access::Read),
            Self::Cashier => None,
        }
    }

    pub fn allows(self, needed: Access) -> bool {
        match (self.panel_access(), needed) {
            (None, _) => false,
            (Some(_), Access::Read) => true,
            (Some(has), Access::Write) => matches!(has, Access::Write | Access::Manage),
            (Some(has), Access::Manage) => has == Access::Manage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_gate() {
        for name in KeyRole::NAMES {
            assert_eq!(KeyRole::parse(name).unwrap().as_str(), name);
        }
        for name in StaffRole::NAMES {
            assert_eq!(StaffRole::parse(name).unwrap().as_str(), name);
        }
        assert!(!KeyRole::ReadOnly.allows(Access::Write));
        assert!(KeyRole::Integration.allows(Access::Write));
        assert!(!KeyRole::Integration.allows(Access::Manage));
        assert!(KeyRole::parse("root").is_err());
        assert!(StaffRole::Viewer.allows(Access::Read) && !StaffRole::Viewer.allows(Access::Write));
        assert!(StaffRole::Marketer.allows(Access::Write) && !StaffRole::Marketer.allows(Access::Manage));
        assert!(StaffRole::Owner.allows(Access::Manage));
        assert!(!StaffRole::Cashier.allows(Access::Read));
    }
}
