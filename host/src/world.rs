//! The WIT contract as host types: the only place that calls `bindgen!`.
//!
//! Both worlds share the `arbiter:policy/types` interface, so its types are generated
//! once (with the compensation world) and reused by the fraud-screen world.

/// Bindings of the `compensation-policy` world.
pub mod compensation {
    wasmtime::component::bindgen!({
        path: "../wit/policy@0.1.0",
        world: "compensation-policy",
        // serde: the same types as JSON, for the engine benchmark's peers and for tests.
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

/// Bindings of the `fraud-screen` world.
pub mod fraud {
    wasmtime::component::bindgen!({
        path: "../wit/policy@0.1.0",
        world: "fraud-screen",
        with: {
            "arbiter:policy/types": super::compensation::arbiter::policy::types,
        },
    });
}

/// The types of `arbiter:policy/types@0.1.0`.
pub use compensation::arbiter::policy::types;
