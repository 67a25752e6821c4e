//! [`response_enum!`]: the shape every operation's response enum has, written once. The
//! generated code invokes it with the operation's documented statuses; everything that repeats
//! from one operation to the next (the `Unexpected` variant, `Debug` with its redaction,
//! [`ApiResponse`](crate::ApiResponse) and the decoding) comes from here.
//!
//! An invocation, as `cargo xtask codegen` writes it:
//!
//! ```text
//! response_enum! {
//!     /// The answer to ... (`getThing`): one variant per documented status, ...
//!     GetThingResponse for GetThing, sensitive: false;
//!     /// `200 OK`: The thing.
//!     success OK Ok(types::Thing);
//!     /// `400 Bad Request`: ...
//!     error BAD_REQUEST BadRequest(types::Error);
//!     /// `404 Not Found`: No such thing.
//!     other NOT_FOUND NotFound;
//! }
//! ```
//!
//! - the header names the enum, its [`OperationId`](crate::OperationId) variant, and whether
//!   a documented answer may hold credentials (then `Debug` and error excerpts withhold the
//!   raw bodies, see [`redact`](crate::redact));
//! - `success`: the one documented 2xx status, what
//!   [`into_result`](crate::ResponseValue::into_result) gives (`()` without a body);
//! - `error`: a documented status whose body is the platform's error, which
//!   [`ApiResponse::error_body`](crate::ApiResponse::error_body) gives;
//! - `other`: any other documented status;
//!
//! each with its `http::StatusCode` constant, its variant name and its body type, if any. A
//! documented status is decoded into its variant when the answer's `Content-Type` mentions
//! JSON (or when the status has no body); anything else is `Unexpected`.

/// Declares an operation's response enum and implements `Debug`, `ApiResponse` and `Decode`
/// for it; see the module docs for the input.
macro_rules! response_enum {
    (
        $(#[$doc:meta])*
        $name:ident for $operation:ident, sensitive: $sensitive:literal;
        $(#[$success_doc:meta])*
        success $success_status:ident $success:ident $(($success_ty:ty))?;
        $(
            $(#[$variant_doc:meta])*
            $role:ident $status:ident $variant:ident $(($ty:ty))?;
        )*
    ) => {
        $(#[$doc])*
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $(#[$success_doc])*
            $success $(($success_ty))?,
            $(
                $(#[$variant_doc])*
                $variant $(($ty))?,
            )*
            /// An answer the spec does not document: an undocumented status, or a documented
            /// one whose `Content-Type` is not JSON.
            Unexpected {
                /// The status the server answered with.
                status: ::http::StatusCode,
                /// The undecoded body.
                body: ::bytes::Bytes,
            },
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    Self::$success $(($crate::response_enum::response_enum!(@bind value $success_ty)))? => {
                        $crate::response_enum::response_enum!(@debug f value $success $($success_ty)?)
                    }
                    $(
                        Self::$variant $(($crate::response_enum::response_enum!(@bind value $ty)))? => {
                            $crate::response_enum::response_enum!(@debug f value $variant $($ty)?)
                        }
                    )*
                    Self::Unexpected { status, body } => f
                        .debug_struct("Unexpected")
                        .field("status", status)
                        .field("body", &$crate::redact::debug_body($sensitive, body))
                        .finish(),
                }
            }
        }

        impl $crate::ApiResponse for $name {
            type Success = $crate::response_enum::response_enum!(@type $($success_ty)?);
            const OPERATION: &'static str = $crate::OperationId::$operation.name();
            const SENSITIVE: bool = $sensitive;

            fn status(&self) -> ::http::StatusCode {
                match self {
                    Self::$success { .. } => ::http::StatusCode::$success_status,
                    $(Self::$variant { .. } => ::http::StatusCode::$status,)*
                    Self::Unexpected { status, .. } => *status,
                }
            }

            fn error_body(&self) -> ::std::option::Option<&$crate::types::Error> {
                $($crate::response_enum::response_enum!(@error_body self $role $variant);)*
                ::std::option::Option::None
            }

            fn unexpected_body(&self) -> ::std::option::Option<&::bytes::Bytes> {
                match self {
                    Self::Unexpected { body, .. } => ::std::option::Option::Some(body),
                    _ => ::std::option::Option::None,
                }
            }

            $crate::response_enum::response_enum!(@into_success $success $(($success_ty))?);
        }

        impl $crate::response::Decode for $name {
            fn spec() -> &'static $crate::OperationSpec {
                $crate::OperationId::$operation.spec()
            }

            // `is_json` goes unused when no documented answer of the operation has a body.
            #[allow(unused_variables)]
            fn decode(
                status: ::http::StatusCode,
                is_json: bool,
                body: ::bytes::Bytes,
            ) -> ::std::result::Result<Self, $crate::Error> {
                match status {
                    ::http::StatusCode::$success_status => {
                        $crate::response_enum::response_enum!(@decode status is_json body $success $(($success_ty))?)
                    }
                    $(
                        ::http::StatusCode::$status => {
                            $crate::response_enum::response_enum!(@decode status is_json body $variant $(($ty))?)
                        }
                    )*
                    _ => ::std::result::Result::Ok(Self::Unexpected { status, body }),
                }
            }
        }
    };

    // The body type of the success variant: `()` when it has none.
    (@type) => { () };
    (@type $ty:ty) => { $ty };

    // A pattern binding a variant's body to `value` (the name comes from the caller).
    (@bind $value:ident $ty:ty) => { $value };

    // `Debug` of a variant, as `#[derive(Debug)]` writes it.
    (@debug $f:ident $value:ident $variant:ident) => { $f.write_str(stringify!($variant)) };
    (@debug $f:ident $value:ident $variant:ident $ty:ty) => {
        $f.debug_tuple(stringify!($variant)).field($value).finish()
    };

    // `ApiResponse::error_body` of one variant: only `error` variants have one.
    (@error_body $self:ident error $variant:ident) => {
        if let Self::$variant(error) = $self {
            return ::std::option::Option::Some(error);
        }
    };
    (@error_body $self:ident other $variant:ident) => {};

    // `ApiResponse::into_success`, for a success without and with a body.
    (@into_success $success:ident) => {
        fn into_success(self) -> ::std::result::Result<(), Self> {
            match self {
                Self::$success => ::std::result::Result::Ok(()),
                other => ::std::result::Result::Err(other),
            }
        }
    };
    (@into_success $success:ident ($ty:ty)) => {
        fn into_success(self) -> ::std::result::Result<$ty, Self> {
            match self {
                Self::$success(body) => ::std::result::Result::Ok(body),
                other => ::std::result::Result::Err(other),
            }
        }
    };

    // Decoding a documented status: a variant without a body needs none; one with a body is
    // decoded only from JSON, and is `Unexpected` otherwise.
    (@decode $status:ident $is_json:ident $body:ident $variant:ident) => {
        ::std::result::Result::Ok(Self::$variant)
    };
    (@decode $status:ident $is_json:ident $body:ident $variant:ident ($ty:ty)) => {
        if $is_json {
            <Self as $crate::response::Decode>::parse::<$ty>($status, &$body).map(Self::$variant)
        } else {
            ::std::result::Result::Ok(Self::Unexpected { status: $status, body: $body })
        }
    };
}

pub(crate) use response_enum;
