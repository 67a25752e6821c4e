//! [`Id`]: an ID where the platform means a UUID, taken as a [`Uuid`] or as text.

use uuid::Uuid;

/// An ID of the platform where a UUID is meant (an organization, a project, a network), taken
/// either way a caller holds it: as a [`Uuid`] (what `region_openapi`'s methods take and its
/// types hold) or as text (what labels, principals and resource metadata hold).
///
/// Implemented for [`Uuid`], [`str`] and [`String`], and references to them; sealed, so that
/// these are the only conversions. Where an ID must be a UUID (a network ID before it is sent),
/// text is parsed with [`Id::to_uuid`] and a typed error names it; where the platform takes
/// any text (a [`Principal`](crate::Principal)'s IDs), text is kept as given and a `Uuid` is
/// written in its canonical form ([`Id::to_text`]).
///
/// ```
/// use identity_client::{Id, Principal};
/// use uuid::Uuid;
///
/// let organization: Uuid = "9A3F1C2E-5B7D-4E0A-8C6F-1D2E3F4A5B6C".parse()?;
/// // The same principal, from a Uuid or from text.
/// let from_uuid = Principal::new(organization, "", "alice");
/// let from_text = Principal::new("9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c", "", "alice");
/// assert_eq!(from_uuid, from_text);
/// assert_eq!(from_text.organization_uuid()?, organization);
///
/// assert_eq!("urn:uuid:9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c".to_uuid()?, organization);
/// assert!("net-1".to_uuid().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Id: sealed::Sealed {
    /// The ID as a UUID: a `Uuid` as it is; text parsed in any form Go's `uuid.Parse` accepts
    /// (canonical, `urn:uuid:`, braced or 32 hex digits, in any case).
    fn to_uuid(&self) -> Result<Uuid, InvalidId>;

    /// The ID as text: a `Uuid` in its canonical form (lower case, hyphenated, as Go's
    /// `MarshalText` writes it); text as given, unchecked.
    fn to_text(&self) -> String;
}

impl Id for Uuid {
    fn to_uuid(&self) -> Result<Uuid, InvalidId> {
        Ok(*self)
    }

    fn to_text(&self) -> String {
        self.hyphenated().to_string()
    }
}

impl Id for str {
    fn to_uuid(&self) -> Result<Uuid, InvalidId> {
        Uuid::parse_str(self).map_err(|source| InvalidId {
            value: self.to_owned(),
            source,
        })
    }

    fn to_text(&self) -> String {
        self.to_owned()
    }
}

impl Id for String {
    fn to_uuid(&self) -> Result<Uuid, InvalidId> {
        self.as_str().to_uuid()
    }

    fn to_text(&self) -> String {
        self.clone()
    }
}

impl<T: Id + ?Sized> Id for &T {
    fn to_uuid(&self) -> Result<Uuid, InvalidId> {
        (**self).to_uuid()
    }

    fn to_text(&self) -> String {
        (**self).to_text()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for uuid::Uuid {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

/// Text given where a UUID is meant is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a UUID")]
#[non_exhaustive]
pub struct InvalidId {
    /// The text as given.
    pub value: String,
    /// Why it does not parse.
    #[source]
    pub source: uuid::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_takes_every_form_go_accepts_and_uuids_are_written_canonical() {
        let canonical = "c0a80101-0000-4000-8000-00000000000a";
        for form in [
            canonical,
            "C0A80101-0000-4000-8000-00000000000A",
            "urn:uuid:c0a80101-0000-4000-8000-00000000000a",
            "{c0a80101-0000-4000-8000-00000000000a}",
            "c0a8010100004000800000000000000a",
        ] {
            let uuid = form.to_uuid().unwrap();
            assert_eq!(uuid.to_text(), canonical, "{form}");
            assert_eq!(form.to_owned().to_uuid().unwrap(), uuid, "{form}");
            assert_eq!(Id::to_uuid(&&uuid).unwrap(), uuid);
        }
        for bad in ["", "net-1", "c0a80101-0000-4000-8000-00000000000", "../x"] {
            let error = bad.to_uuid().unwrap_err();
            assert_eq!(error.value, bad);
            assert_eq!(error.to_string(), format!("{bad:?} is not a UUID"));
        }
        // Text is kept as given.
        assert_eq!("Org-1".to_text(), "Org-1");
    }
}
