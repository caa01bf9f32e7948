#![no_main]
//! See `lanepolicy_fuzz::bundle_bytes` for what this target checks.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lanepolicy_fuzz::bundle_bytes(data);
});
