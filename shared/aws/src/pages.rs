//! One way to read every page of a list or describe-all call: the SDK's paginator follows the
//! next tokens, and a failure on any page is the [`PortError`](crate::ports::PortError) of the
//! named operation.

/// Every item of the paginated call `$call` (a fluent builder), as a
/// [`PortResult`](crate::ports::PortResult) naming `$operation` on failure; with
/// `page_size = n`, each page asks for `n` items.
macro_rules! all_items {
    ($operation:expr, $call:expr) => {
        $crate::pages::all_pages!(@collect $operation, $call.into_paginator().items())
    };
    ($operation:expr, $call:expr, page_size = $size:expr) => {
        $crate::pages::all_pages!(@collect $operation, $call.into_paginator().page_size($size).items())
    };
}

/// Every page of the paginated call `$call`, for the calls whose paginator has no item stream.
macro_rules! all_pages {
    (@collect $operation:expr, $paginator:expr) => {
        $crate::error::SdkResultExt::port(
            $paginator.send().collect::<Result<Vec<_>, _>>().await,
            $operation,
        )
    };
    ($operation:expr, $call:expr) => {
        $crate::pages::all_pages!(@collect $operation, $call.into_paginator())
    };
}

pub(crate) use {all_items, all_pages};
